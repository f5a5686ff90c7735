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
# one retry, reported as a TAP comment:
#  - nested virtualisation under TCG occasionally resets the L1 VM with no
#    kernel message at all (seen when an L2 guest exits): a run with no
#    result for some case and no kernel splat on the console;
#  - multi-threaded TCG has been seen to oops the guest kernel while it
#    patches its own text early in boot: a run that died before the first
#    case started, i.e. before the module was ever loaded.
#
# Environment:
#   MNV_L1_ARGS   extra run-l1.sh options, e.g. "--iommu --timeout 3000"
#                 (after those of CASEDIR/run-l1.args, if it exists)
#   MNV_CASES     case scripts to run instead of tests/vm/cases/*.sh
set -u

VMDIR=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$VMDIR/../.." && pwd)

if [ $# -lt 1 ] || [ $# -gt 2 ] || [[ ! $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 SERIES [CASEDIR] (e.g. 6.1)" >&2
	exit 2
fi
series=$1
casedir=${2:-cases}

# pick_kernel SERIES: newest Debian generic kernel of SERIES, e.g.
# 6.1.0-56-amd64 or 6.12.117+deb12-amd64 (not -cloud-, not -rt-).
pick_kernel() {
	local re="^${1//./\\.}\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?-amd64$" d k
	for d in /lib/modules/*/; do
		k=$(basename "$d")
		[[ $k =~ $re ]] || continue
		[ -d "/lib/modules/$k/build" ] && [ -r "/boot/vmlinuz-$k" ] && echo "$k"
	done | sort -V | tail -n 1
}

kver=$(pick_kernel "$series")
if [ -z "$kver" ]; then
	echo "1..0 # SKIP no $series kernel installed (with headers)"
	exit 0
fi

if [ -n "${MNV_CASES:-}" ]; then
	read -r -a cases <<<"$MNV_CASES"
else
	mapfile -t cases < <(find "$VMDIR/$casedir" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort)
fi
if [ ${#cases[@]} -eq 0 ]; then
	echo "1..0 # SKIP no case scripts in $VMDIR/$casedir"
	exit 0
fi

# Every case but the bench's own needs the module: a missing build is a
# failure here, not a quiet SKIP in each case.
if [ ! -f "$REPO/build/$kver/mdev_nvme/mdev_nvme.ko" ]; then
	echo "not ok 1 - module built for $kver (run: make modules-all)"
	echo "1..1"
	exit 1
fi

# Options a case directory needs (CASEDIR/run-l1.args, '#' comments),
# then the caller's.
extra=()
more=()
if [ -r "$VMDIR/$casedir/run-l1.args" ]; then
	read -r -a extra < <(sed 's/#.*//' "$VMDIR/$casedir/run-l1.args" | tr '\n' ' ')
fi
[ -z "${MNV_L1_ARGS:-}" ] || read -r -a more <<<"$MNV_L1_ARGS"
extra+=("${more[@]}")

out=$REPO/build/vm-results/$kver
[ "$casedir" = cases ] || out=$out-$casedir

run_vm() {
	# run-l1.sh talks on stderr; as TAP comments its progress stays
	# visible without confusing the harness.
	"$VMDIR/run-l1.sh" --kver "$kver" --out "$out" "${extra[@]}" "${cases[@]}" 2>&1 |
		sed -u 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# emulation_failure: the run failed in one of the two ways described above.
emulation_failure() {
	local status
	status=$(cat "$out/vm.status" 2>/dev/null)
	if [ "$status" = incomplete ] &&
	   "$VMDIR/check-klog.sh" "$out/console.log" >/dev/null 2>&1; then
		echo "# the L1 VM stopped without a kernel message before the last case; retrying once"
		return 0
	fi
	if [ "$status" != ok ] && ! grep -qs 'case .*: start' "$out/runner.log"; then
		echo "# the L1 VM died while booting, before any case ran ($status); retrying once"
		return 0
	fi
	return 1
}

run_vm
rc=$?
if [ "$rc" -eq 2 ] && emulation_failure; then
	run_vm
	rc=$?
fi
if [ "$rc" -eq 1 ]; then
	# Setup error: no VM ran, any results in $out are stale.
	echo "not ok 1 - l1: run-l1.sh set up the VM ($kver)"
	echo "1..1"
	exit 1
fi
exec "$VMDIR/tap-aggregate.sh" "$out"
