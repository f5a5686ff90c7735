#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# pick-kernel.sh [--boot] SERIES
#
# Print the newest installed Debian generic kernel of SERIES (6.1 or
# 6.12): e.g. 6.1.0-57-amd64 or 6.12.117+deb12-amd64, never a -cloud- or
# -rt- flavour.  It must have a build tree (/lib/modules/KVER/build), and
# with --boot also its image (/boot/vmlinuz-KVER), which the test VMs boot.
# The one place that decides which kernel the Makefile builds for and
# the VM tests, the demo and the benchmark boot.
#
# Exit status: 0 with the version on stdout; 1 (nothing printed) when no
# such kernel is installed; 2 on usage errors.
set -u

boot=0
if [ "${1:-}" = --boot ]; then
	boot=1
	shift
fi
if [ $# -ne 1 ] || [[ ! $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 [--boot] SERIES (e.g. 6.1)" >&2
	exit 2
fi

re="^${1//./\\.}\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?-amd64$"
best=$(
	for d in /lib/modules/*/; do
		k=$(basename "$d")
		[[ $k =~ $re ]] || continue
		[ -d "/lib/modules/$k/build" ] || continue
		[ "$boot" -eq 0 ] || [ -r "/boot/vmlinuz-$k" ] || continue
		echo "$k"
	done | sort -V | tail -n 1
)
[ -n "$best" ] || exit 1
echo "$best"
