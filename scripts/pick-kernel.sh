#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# pick-kernel.sh [--boot] [--flavour cloud] SERIES
#
# Print the newest installed Debian generic kernel of SERIES (6.1 or
# 6.12): e.g. 6.1.0-57-amd64 or 6.12.117+deb12-amd64, never a -cloud- or
# -rt- flavour.  It must have a build tree (/lib/modules/KVER/build), and
# with --boot also its image (/boot/vmlinuz-KVER), which the test VMs boot.
# With --flavour cloud, the newest cloud kernel of SERIES instead (e.g.
# 6.1.0-57-cloud-amd64, nvme built in): the L2 guests' kernel, which
# nothing is built against, so it needs its modules (/lib/modules/KVER)
# but no build tree.
# The one place that decides which kernel the Makefile builds for and
# the VM tests, their L2 guests, the demo and the benchmark boot.
#
# MNV_KERNEL_ROOT (default empty) is prefixed to /lib/modules and /boot:
# tests/scripts/pick-kernel.t picks from trees of its own.
#
# Exit status: 0 with the version on stdout; 1 (nothing printed) when no
# such kernel is installed; 2 on usage errors.
set -u

usage() {
	echo "usage: $0 [--boot] [--flavour cloud] SERIES (e.g. 6.1)" >&2
	exit 2
}

boot=0
flavour=
while [ $# -gt 0 ]; do
	case $1 in
	--boot) boot=1 ;;
	--flavour)
		if [ $# -lt 2 ] || [ "$2" != cloud ]; then
			usage
		fi
		flavour=-cloud
		shift
		;;
	*) break ;;
	esac
	shift
done
if [ $# -ne 1 ] || [[ ! $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
	usage
fi

root=${MNV_KERNEL_ROOT:-}
re="^${1//./\\.}\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?$flavour-amd64$"
best=$(
	for d in "$root"/lib/modules/*/; do
		k=$(basename "$d")
		[[ $k =~ $re ]] || continue
		[ -n "$flavour" ] || [ -d "$root/lib/modules/$k/build" ] || continue
		[ "$boot" -eq 0 ] || [ -r "$root/boot/vmlinuz-$k" ] || continue
		echo "$k"
	done | sort -V | tail -n 1
)
[ -n "$best" ] || exit 1
echo "$best"
