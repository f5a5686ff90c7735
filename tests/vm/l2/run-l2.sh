#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-l2.sh [OPTIONS] GUEST_SCRIPT
#
# Run inside the L1 VM: boot an L2 guest on nested KVM with a vNVMe (or any
# VFIO device) and run GUEST_SCRIPT in it as PID 1's child.  The guest is
# Debian's cloud kernel (nvme built in) with a small initramfs: static
# busybox, nvme-cli, fio, mkfs.ext4, e2fsck and blkdiscard with their
# libraries, the script, tests/vm/l2/guest-lib.sh (/guest-lib.sh) and the
# TAP functions of tests/lib/tap.sh (/tap.sh); guest-image.sh builds both.
#
# The script's standard output goes to the guest's second serial port, so
# that it reaches RESULTS unmixed with kernel messages; the guest console
# (kernel log) goes to CONSOLE.  The guest powers off when the script ends.
#
# Options:
#   --sysfsdev PATH   VFIO device to give the guest (-device vfio-pci,sysfsdev=)
#   --results FILE    where the script's output lands (required)
#   --console FILE    guest console log (default RESULTS.console)
#   --timeout SEC     kill the guest after SEC seconds (default 600)
#   --mem MB          guest memory (default 512)
#   --kernel IMAGE    guest kernel (default: the newest 6.1 cloud kernel, from
#                     scripts/pick-kernel.sh --boot --flavour cloud 6.1)
#   --env FILE        shell variable assignments the script sources as
#                     /guest-env
#   --qemu-arg ARG    extra QEMU argument (repeatable)
#   --modules LIST    guest kernel modules to load first, with their
#                     dependencies (e.g. "virtio_pci virtio_blk": the cloud
#                     kernel builds virtio-blk as a module)
#
# Exit status: 0 if the guest ran the script to its end, 1 on setup errors,
# 2 if the guest timed out or died first.
#
# QEMU's own messages (stderr) go to CONSOLE.qemu.log and are repeated on
# stderr.  Inside the L1 test VM (MNV_OUT set), every guest started is
# listed in $MNV_OUT/l2-guests.list ("CASE SCRIPT ATTEMPT QEMU-STATUS
# CONSOLE QEMU-LOG", paths relative to MNV_OUT; consoles outside MNV_OUT
# are copied in): tap-aggregate.sh scans each console as it scans the L1
# kernel log and fails on VFIO region errors in the QEMU log.
#
# Nested virtualisation under TCG occasionally resets an L2 guest with no
# message at all.  A guest that stops early with a clean console (no
# timeout, nothing check-klog.sh finds) is started once more.  The retry is
# never silent: it is said on stderr and, in the L1 test VM, recorded in
# $MNV_OUT/retries.list, which tap-aggregate.sh turns into a diagnostic and
# a "retries" test (it fails when a case needed a retry twice in one run of
# the suite).  The first attempt's results, console and QEMU log are kept
# as RESULTS.attempt1, CONSOLE.attempt1 and CONSOLE.qemu.log.attempt1.
set -uo pipefail

SELF=$(readlink -f "$0")
L2DIR=$(dirname "$SELF")

die() {
	echo "run-l2: error: $*" >&2
	exit 1
}

sysfsdev=
results=
console=
timeout=600
mem=512
kernel=
envfile=
qemu_args=()
modules=
while [ $# -gt 0 ]; do
	case "$1" in
	--sysfsdev) sysfsdev=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--console) console=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--env) envfile=$2; shift 2 ;;
	--qemu-arg) qemu_args+=("$2"); shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || die "usage: run-l2.sh [OPTIONS] GUEST_SCRIPT"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout: not a positive number: $timeout"
# An L1 on the debug kernel (KASAN, lockdep) runs nested guests several
# times slower; l1-tap.sh says how much slower with mnv.time_scale=N on
# L1's command line, and the guest's limit grows with it.
# shellcheck source=../lib.sh
. "$(dirname "$SELF")/../lib.sh"
timeout=$((timeout * $(mnv_time_scale)))
script=$1
[ -r "$script" ] || die "guest script not found: $script"
[ -n "$results" ] || die "--results is required"
console=${console:-$results.console}
[ -e /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || die "no /dev/kvm in L1 (kvm_amd did not load)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mnv-l2.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
image_args=()
[ -z "$kernel" ] || image_args+=(--kernel "$kernel")
[ -z "$envfile" ] || image_args+=(--env "$envfile")
[ -z "$modules" ] || image_args+=(--modules "$modules")
"$L2DIR/guest-image.sh" "${image_args[@]}" "$work" "$script" ||
	die "cannot build the guest's kernel and initramfs"

dev_args=()
[ -z "$sysfsdev" ] || dev_args=(-device "vfio-pci,sysfsdev=$sysfsdev")

qlog=$console.qemu.log
run_guest() {
	local rc
	: >"$results"
	: >"$console"
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-enable-kvm -cpu host -smp 1 -m "$mem" -nographic -nodefaults \
		-no-user-config -no-reboot \
		-kernel "$work/kernel" -initrd "$work/initrd" \
		-append "$(cat "$work/cmdline")" \
		-serial "file:$console" -serial "file:$results" -monitor none \
		"${dev_args[@]}" "${qemu_args[@]}" </dev/null 2>"$qlog"
	rc=$?
	cat "$qlog" >&2
	return "$rc"
}

# rel_to_out FILE: FILE relative to MNV_OUT, copied there if it lives
# elsewhere (the host sees only the results share).
rel_to_out() {
	local f=$1 copy
	case $f in
	"$MNV_OUT"/*) printf '%s' "${f#"$MNV_OUT"/}" ;;
	*)
		copy=l2-${MNV_CASE:-case}-$$-$(basename "$f")
		cp "$f" "$MNV_OUT/$copy" 2>/dev/null
		printf '%s' "$copy"
		;;
	esac
}

# record ATTEMPT RC CONSOLE QLOG: list the guest for tap-aggregate.sh.
record() {
	[ -n "${MNV_OUT:-}" ] && [ -d "$MNV_OUT" ] || return 0
	echo "${MNV_CASE:-unknown} $(basename "$script") $1 $2 $(rel_to_out "$3") $(rel_to_out "$4")" \
		>>"$MNV_OUT/l2-guests.list"
}

klog_check=$L2DIR/../check-klog.sh
for attempt in 1 2; do
	run_guest
	rc=$?
	if grep -q '^mnv-l2: script exit' "$results"; then
		record "$attempt" "$rc" "$console" "$qlog"
		exit 0
	fi
	echo "run-l2: guest did not finish (qemu exit $rc); console tail:" >&2
	tail -n 30 "$console" >&2
	# A timeout or a kernel message is a real failure: no second chance.
	if [ "$attempt" -eq 2 ] || [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] ||
	   ! "$klog_check" "$console" >/dev/null 2>&1; then
		record "$attempt" "$rc" "$console" "$qlog"
		break
	fi
	# Keep this attempt under other names; the retry reuses the paths
	# the caller reads.
	mv "$results" "$results.attempt1"
	mv "$console" "$console.attempt1"
	mv "$qlog" "$qlog.attempt1"
	record 1 "$rc" "$console.attempt1" "$qlog.attempt1"
	why="guest $(basename "$script") stopped early with a clean console (qemu exit $rc; kept: $(basename "$results").attempt1, $(basename "$console").attempt1)"
	echo "run-l2: RETRY: $why; retrying once" >&2
	if [ -n "${MNV_OUT:-}" ] && [ -d "$MNV_OUT" ]; then
		echo "l2:${MNV_CASE:-unknown}/$(basename "$script") $why" >>"$MNV_OUT/retries.list"
	fi
done
exit 2
