#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# l1-tap.sh SERIES [CASEDIR]   (e.g. 6.1, 6.12; CASEDIR default "cases")
#
# Boot the newest installed Debian kernel of SERIES that has headers
# (/lib/modules/KVER/build), run every tests/vm/CASEDIR/*.sh in it, and
# print one TAP stream for prove.  Results: build/vm-results/KVER/ (with
# -CASEDIR appended for other case directories).
#
# Two failures of the emulation itself, not of the code under test, get
# one retry:
#  - nested virtualisation under TCG occasionally resets the L1 VM with no
#    kernel message at all (seen when an L2 guest exits): a run with no
#    result for some case and no kernel splat on the console;
#  - multi-threaded TCG has been seen to oops the guest kernel while it
#    patches its own text early in boot: a run that died before the first
#    case started, i.e. before the module was ever loaded.
# A module bug can end a VM just as silently, so a retry is never hidden:
# the first attempt's results stay in OUT.attempt1 (console included),
# the retry is a TAP diagnostic and is counted in the "retries" test,
# which fails when the same case needed a retry twice in one run of the
# suite (one prove process, or MNV_RUN_ID; see tap-aggregate.sh).  Retries
# of L2 guests (tests/vm/l2/run-l2.sh) are counted the same way.
#
# Environment:
#   MNV_L1_ARGS   extra run-l1.sh options, e.g. "--iommu --timeout 3000"
#                 (after those of CASEDIR/run-l1.args, if it exists)
#   MNV_CASES     case scripts to run instead of tests/vm/cases/*.sh
#   MNV_RUN_ID    what makes one run of the suite (default: the parent
#                 process, i.e. prove, with its start time)
#   MNV_DEBUG_KERNEL
#                 boot the debug kernel built by scripts/debug-kernel.sh
#                 in this directory (e.g. build/debug-kernel) instead of
#                 a Debian one: its bzImage and kernelrelease, its
#                 modules_install tree shown at /lib/modules/KVER in the
#                 VM, a kmemleak scan at the end, longer time limits
#                 (KASAN and lockdep under TCG are several times slower);
#                 the module must be built in build/KVER/ (make check-debug)
set -u

VMDIR=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$VMDIR/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ] || [[ ! $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 SERIES [CASEDIR] (e.g. 6.1)" >&2
	exit 2
fi
series=$1
casedir=${2:-cases}

# pick_kernel SERIES: the kernel the VM boots (scripts/pick-kernel.sh).
pick_kernel() {
	"$REPO/scripts/pick-kernel.sh" --boot "$1"
}

# Options for run-l1.sh that come with the kernel (the debug kernel's),
# and its time limits.
kernel_args=()
kernel_limits=()

# The suite needs every kernel series it names, with headers: a missing
# one fails with the reason, it is no quiet SKIP.
if [ -n "${MNV_DEBUG_KERNEL:-}" ]; then
	dk=$(readlink -m "$MNV_DEBUG_KERNEL")
	kver=$(cat "$dk/kernelrelease" 2>/dev/null)
	if [ -z "$kver" ] || [ ! -r "$dk/bzImage" ]; then
		tap_fail "l1: debug kernel in $dk (run: make check-debug, or scripts/debug-kernel.sh)"
		tap_done
	fi
	if [[ $kver != "$series".* ]]; then
		tap_fail "l1: debug kernel $kver is of series $series"
		tap_done
	fi
	# Time limits after a case directory's run-l1.args, whose limits
	# are a stock kernel's, and before MNV_L1_ARGS, which can still
	# change them; the kernel command line last, so that nothing drops
	# the module tree or the leak scan.
	# One CPU: with two the debug kernel hung at boot right after
	# "Running RCU-tasks wait API self tests", most likely the race that
	# scripts/debug-kernel-patches/0003-* fixes (see tests/vm/README.md).
	# It reaches /init in 20-150 s; a boot that hangs (see run-l1.sh's
	# boot_watch) is given up after 900 s and retried once.
	kernel_args=(--smp 1 --kernel "$dk/bzImage")
	kernel_limits=(--timeout 14400 --case-timeout 7200 --boot-timeout 900)
	# no5lvl: on 6.1, identify_cpu() clears the boot CPU's feature words
	# and reads them back, and while X86_FEATURE_LA57 is clear KASAN
	# computes its shadow range for 4-level paging.  An interrupt taken
	# in that window (TCG's -cpu max has LA57) then reports every lock
	# in the direct map as a wild-memory-access and turns lockdep off
	# for the whole run.  Four-level paging closes the window.
	# mnv.time_scale: L2 guests run about 5 times slower on it (an L2
	# fio guest took 700 s where 360 s is the stock limit).
	debug_append="mnv_modules=$dk/modules/lib/modules/$kver mnv_kmemleak=1 no5lvl mnv.time_scale=5"
	kver_note=" (debug kernel $dk)"
	build_hint=check-debug
else
	kver=$(pick_kernel "$series")
	kernel_limits=()
	debug_append=
	kver_note=
	build_hint=modules-all
fi
if [ -z "$kver" ]; then
	why="no Debian $series kernel installed"
	for d in /boot/vmlinuz-"$series".*-amd64; do
		[ -e "$d" ] || continue
		[[ $d == *-cloud-* || $d == *-rt-* ]] && continue
		why="Debian $series kernel ${d#/boot/vmlinuz-} has no headers (/lib/modules/${d#/boot/vmlinuz-}/build)"
	done
	tap_fail "l1: a $series kernel with headers to boot: $why (run: make deps)"
	tap_done
fi

if [ -n "${MNV_CASES:-}" ]; then
	read -r -a cases <<<"$MNV_CASES"
else
	mapfile -t cases < <(find "$VMDIR/$casedir" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort)
	# A case that works on every kernel but is too long to run on each
	# (make check has a time budget) names the one series it runs on
	# with a line "# mnv-case: series 6.1", and its reason next to it.
	# Only the suite leaves it out elsewhere: named in MNV_CASES, it runs.
	kept=()
	for c in "${cases[@]}"; do
		only=$(sed -n 's/^# mnv-case: series \([0-9.]*\)$/\1/p' "$c" | head -n 1)
		if [ -n "$only" ] && [ "$only" != "$series" ]; then
			echo "# $(basename "$c" .sh): runs on the $only kernels only"
		else
			kept+=("$c")
		fi
	done
	cases=("${kept[@]}")
fi
# A case that needs the debug kernel (fault injection in debugfs) says so
# with a line "# mnv-case: debug-kernel"; on a distribution kernel it is
# not part of the suite (it would only skip itself, which counts as a
# failure), and the TAP output says where it runs instead.
debug_only=()
if [ -z "${MNV_DEBUG_KERNEL:-}" ]; then
	kept=()
	for c in "${cases[@]}"; do
		if grep -qx '# mnv-case: debug-kernel' "$c" 2>/dev/null; then
			debug_only+=("$(basename "$c" .sh)")
		else
			kept+=("$c")
		fi
	done
	cases=("${kept[@]}")
fi
for c in "${debug_only[@]}"; do
	echo "# $c: runs on the debug kernel only (make check-debug)"
done
if [ ${#cases[@]} -eq 0 ]; then
	tap_fail "l1: case scripts in $VMDIR/$casedir"
	tap_done
fi

# Every case but the bench's own needs the module: a missing build is a
# failure here, not a quiet SKIP in each case.
if [ ! -f "$REPO/build/$kver/mdev_nvme/mdev_nvme.ko" ]; then
	tap_fail "module built for $kver$kver_note (run: make $build_hint)"
	tap_done
fi

# Options a case directory needs (CASEDIR/run-l1.args, '#' comments),
# then the caller's.
extra=()
more=()
if [ -r "$VMDIR/$casedir/run-l1.args" ]; then
	read -r -a extra < <(sed 's/#.*//' "$VMDIR/$casedir/run-l1.args" | tr '\n' ' ')
fi
[ -z "${MNV_L1_ARGS:-}" ] || read -r -a more <<<"$MNV_L1_ARGS"
extra=("${kernel_args[@]}" "${extra[@]}" "${kernel_limits[@]}" "${more[@]}")
if [ -n "$debug_append" ]; then
	# run-l1.sh takes one --append: merge whatever the others asked for.
	app=
	kept=()
	n=${#extra[@]}
	for ((i = 0; i < n; i++)); do
		if [ "${extra[i]}" = --append ] && [ $((i + 1)) -lt "$n" ]; then
			app="$app${extra[i + 1]} "
			i=$((i + 1))
		else
			kept+=("${extra[i]}")
		fi
	done
	extra=("${kept[@]}" --append "$app$debug_append")
fi

out=$REPO/build/vm-results/$kver
[ "$casedir" = cases ] || out=$out-$casedir

run_vm() {
	# run-l1.sh talks on stderr; as TAP comments its progress stays
	# visible without confusing the harness.
	"$VMDIR/run-l1.sh" --kver "$kver" --out "$out" "${extra[@]}" "${cases[@]}" 2>&1 |
		sed -u 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# Retry bookkeeping: one ledger for all runs, keyed by the run of the
# suite, so that "the same case retried twice" spans the .t files.
ledger=$REPO/build/vm-results/retries.ledger
if [ -z "${MNV_RUN_ID:-}" ]; then
	MNV_RUN_ID="ppid-$PPID-$(awk '{ print $22 }' "/proc/$PPID/stat" 2>/dev/null)"
fi
export MNV_RUN_ID MNV_RETRY_LEDGER=$ledger

# emulation_failure: the run failed in one of the two ways described
# above; sets why and where (the case that was running, or "boot").
why=
where=
emulation_failure() {
	local status
	status=$(cat "$out/vm.status" 2>/dev/null)
	where=$(sed -n 's/^mnv-runner: case \([^ ]*\): start.*/\1/p' "$out/runner.log" 2>/dev/null | tail -n 1)
	if [ "$status" = incomplete ] &&
	   "$VMDIR/check-klog.sh" "$out/console.log" >/dev/null 2>&1; then
		why="the L1 VM stopped without a kernel message during ${where:-boot}"
		where=${where:-boot}
		return 0
	fi
	if [ "$status" != ok ] && [ -z "$where" ]; then
		why="the L1 VM died while booting, before any case ran ($status)"
		where=boot
		return 0
	fi
	return 1
}

run_vm
rc=$?
retried=0
if [ "$rc" -eq 2 ] && emulation_failure; then
	# Keep the first attempt: move it aside (run-l1.sh empties OUT).
	first=$out.attempt1
	if [ -e "$first" ] && [ -e "$first/.mnv-vm-results" ]; then
		rm -rf "$first"
	fi
	if [ -e "$first" ] || ! mv "$out" "$first"; then
		tap_fail "l1: first attempt kept in $first before the retry"
		tap_done
	fi
	echo "# RETRY: $why; the first attempt's results are in $first; retrying once"
	retried=1
	run_vm
	rc=$?
else
	# No retry in this run: an older first attempt would only mislead.
	[ ! -e "$out.attempt1/.mnv-vm-results" ] || rm -rf "$out.attempt1"
fi
if [ "$rc" -eq 1 ]; then
	# Setup error: no VM ran, any results in $out are stale.
	tap_fail "l1: run-l1.sh set up the VM ($kver)"
	tap_done
fi
if [ "$retried" -eq 1 ]; then
	{
		echo "l1:$casedir/$where $why (first attempt: $first)"
		# L2 guests the first attempt had to retry count as well.
		[ ! -s "$first/retries.list" ] || sed 's/$/ (in the first L1 attempt)/' "$first/retries.list"
	} >>"$out/retries.list"
fi
# Every retry of this run (L1 and L2 guests) goes into the ledger.
if [ -s "$out/retries.list" ]; then
	mkdir -p "$(dirname "$ledger")"
	while read -r key _; do
		[ -n "$key" ] && echo "$MNV_RUN_ID $key $kver $(date -u +%FT%TZ)"
	done <"$out/retries.list" >>"$ledger"
	tail -n 500 "$ledger" >"$ledger.tmp" && mv "$ledger.tmp" "$ledger"
fi
exec "$VMDIR/tap-aggregate.sh" "$out"
