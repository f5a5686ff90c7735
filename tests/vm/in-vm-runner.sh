#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In-VM runner: started by the L1 VM's /init, chrooted into the host's root.
# Runs every case of $MNV_OUT/cases.list in order and leaves per-case
# results in the writable results share:
#   <case>.tap   stdout of the case (TAP)
#   <case>.err   stderr of the case
#   <case>.rc    exit status (124/137: killed by the per-case timeout;
#                "notrun": no time left in the VM budget)
#   <case>.seconds
#   dmesg.txt (dmesg.failed if it could not be read), tainted, runner.log,
#   kmemleak.txt or kmemleak.failed (with mnv_kmemleak=1 on the kernel
#   command line), runner.done (written last)
#
# Case environment: MNV_REPO MNV_KVER MNV_KO MNV_CLI MNV_OUT MNV_BDFS
# MNV_LIB MNV_CASE MNV_TMP (a fresh directory on tmpfs for this case).
set -u

MNV_OUT=/run/mnv-out
if [ ! -r "$MNV_OUT/vm.env" ]; then
	echo "mnv-runner: $MNV_OUT/vm.env missing" >&2
	exit 1
fi
# shellcheck source=/dev/null
. "$MNV_OUT/vm.env"

export MNV_REPO MNV_KO MNV_CLI MNV_OUT
MNV_KVER=$(uname -r)
MNV_LIB=$MNV_REPO/tests/vm/lib.sh
export MNV_KVER MNV_LIB
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$MNV_LIB"
MNV_BDFS=$(mnv_nvme_bdfs | tr '\n' ' ')
MNV_BDFS=${MNV_BDFS% }
export MNV_BDFS

LOG=$MNV_OUT/runner.log
: >"$LOG"

# Runner messages go to the serial console (console.log on the host) and to
# runner.log.  They must not contain words the kernel log checker looks for.
say() {
	echo "mnv-runner: $*" | tee -a "$LOG"
}

# Mark case boundaries in the kernel log, so a splat can be tied to a case.
kmsg() {
	echo "mnv-runner: $*" >/dev/kmsg 2>/dev/null
}

uptime_s() {
	local up
	read -r up _ </proc/uptime
	echo "${up%.*}"
}

# Stop starting cases when the host is about to kill the VM: leave a margin
# to save dmesg.  The VM's uptime approximates the time since QEMU started.
deadline=$((MNV_VM_TIMEOUT - 30))

say "kernel $MNV_KVER, NVMe controllers: ${MNV_BDFS:-none}"
say "module under test: $MNV_KO$([ -f "$MNV_KO" ] || echo ' (not built)')"

while read -r name path; do
	[ -n "$name" ] || continue
	left=$((deadline - $(uptime_s)))
	if [ "$left" -le 10 ]; then
		say "case $name not run: VM time budget exhausted"
		echo notrun >"$MNV_OUT/$name.rc"
		continue
	fi
	limit=$MNV_CASE_TIMEOUT
	[ "$left" -lt "$limit" ] && limit=$left

	MNV_TMP=$(mktemp -d "/tmp/mnv-$name.XXXXXX")
	export MNV_TMP MNV_CASE=$name
	say "case $name: start (limit ${limit}s)"
	kmsg "case $name: start"
	t0=$(uptime_s)
	# cwd is the repo (read-only); scratch space is $MNV_TMP.  timeout(1)
	# signals the whole process group, so children of the case die too.
	(cd "$MNV_REPO" && exec timeout --kill-after=10 "$limit" \
		bash "$path") >"$MNV_OUT/$name.tap" 2>"$MNV_OUT/$name.err" </dev/null
	rc=$?
	t1=$(uptime_s)
	echo "$rc" >"$MNV_OUT/$name.rc"
	echo "$((t1 - t0))" >"$MNV_OUT/$name.seconds"
	echo "$limit" >"$MNV_OUT/$name.limit"
	kmsg "case $name: end, status $rc"
	say "case $name: end, status $rc, $((t1 - t0))s"
	rm -rf --one-file-system "$MNV_TMP"
done <"$MNV_OUT/cases.list"

# Leak check (kernel command line mnv_kmemleak=1, a kmemleak kernel): the
# last case unloaded the module, so whatever it allocated and lost is
# unreferenced now.  kmemleak reports only objects older than 5 s, hence
# a second scan after that age; its report goes to kmemleak.txt (empty:
# no leak), and kmemleak.failed says why there is none.
if grep -qw mnv_kmemleak=1 /proc/cmdline; then
	KML=/sys/kernel/debug/kmemleak
	if [ ! -w "$KML" ]; then
		say "kmemleak: $KML missing (kernel without DEBUG_KMEMLEAK, or kmemleak off)"
		echo "$KML missing or not writable" >"$MNV_OUT/kmemleak.failed"
	else
		say "kmemleak: scanning"
		t0=$(uptime_s)
		if echo scan >"$KML" && sleep 6 && echo scan >"$KML" &&
		   cat "$KML" >"$MNV_OUT/kmemleak.txt"; then
			say "kmemleak: scanned in $(($(uptime_s) - t0))s, $(grep -c '^unreferenced object' "$MNV_OUT/kmemleak.txt") object(s) reported"
		else
			echo "scan or read of $KML failed" >"$MNV_OUT/kmemleak.failed"
		fi
	fi
fi

# A log that cannot be read is no clean log: say so, the aggregator fails
# on dmesg.failed (or on a missing dmesg.txt or tainted).
if ! dmesg >"$MNV_OUT/dmesg.txt" 2>"$MNV_OUT/dmesg.err" || [ ! -s "$MNV_OUT/dmesg.txt" ]; then
	say "could not read the kernel log (dmesg)"
	echo "dmesg failed or printed nothing" >"$MNV_OUT/dmesg.failed"
fi
cat /proc/sys/kernel/tainted >"$MNV_OUT/tainted" || rm -f "$MNV_OUT/tainted"
sync
echo ok >"$MNV_OUT/runner.done"
say "all cases done"
