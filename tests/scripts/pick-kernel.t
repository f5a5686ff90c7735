#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/pick-kernel.sh on /lib/modules and /boot trees made here
# (MNV_KERNEL_ROOT): the newest generic kernel of a series with a build
# tree, with --boot one that also has its image, with --flavour cloud the
# newest cloud kernel (the L2 guests'), which needs no build tree; and
# what it refuses.  Then the scripts that boot kernels take them from it.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$TOP/tests/lib/tap.sh"
PICK=$TOP/scripts/pick-kernel.sh

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
export MNV_KERNEL_ROOT=$R
mkdir -p "$R/boot" "$R/lib/modules"

# kernel KVER [build] [image]: an installed kernel, with a build tree
# and a bootable image if asked for.
kernel() {
	local k=$1 what
	mkdir -p "$R/lib/modules/$k"
	shift
	for what in "$@"; do
		case $what in
		build) mkdir -p "$R/lib/modules/$k/build" ;;
		image) : >"$R/boot/vmlinuz-$k" ;;
		esac
	done
}

kernel 6.1.0-9-amd64 build image
kernel 6.1.0-10-amd64 build image
kernel 6.1.0-11-amd64 build		# headers, no image
kernel 6.1.0-12-amd64 image		# image, no headers
kernel 6.1.0-13-rt-amd64 build image
kernel 6.1.0-9-cloud-amd64 image
kernel 6.1.0-10-cloud-amd64 image
kernel 6.1.0-11-cloud-amd64		# modules, no image
kernel 6.12.9+deb12-amd64 build image
kernel 6.12.10+deb12-cloud-amd64 image

# pick ARGS...: what pick-kernel.sh prints and its exit status.
pick() {
	local out rc
	out=$("$PICK" "$@" 2>/dev/null)
	rc=$?
	echo "$out $rc"
}

tap_eq "6.1: the newest with a build tree, never rt or cloud" \
	"6.1.0-11-amd64 0" "$(pick 6.1)"
tap_eq "--boot 6.1: the newest with a build tree and an image" \
	"6.1.0-10-amd64 0" "$(pick --boot 6.1)"
tap_eq "6.12: its own series, not 6.1's" \
	"6.12.9+deb12-amd64 0" "$(pick --boot 6.12)"
tap_eq "--flavour cloud 6.1: the newest cloud kernel, no build tree needed" \
	"6.1.0-11-cloud-amd64 0" "$(pick --flavour cloud 6.1)"
tap_eq "--boot --flavour cloud 6.1: the newest cloud kernel with an image" \
	"6.1.0-10-cloud-amd64 0" "$(pick --boot --flavour cloud 6.1)"
tap_eq "--flavour cloud --boot: options in any order" \
	"6.1.0-10-cloud-amd64 0" "$(pick --flavour cloud --boot 6.1)"
tap_eq "--flavour cloud 6.12: of its series" \
	"6.12.10+deb12-cloud-amd64 0" "$(pick --boot --flavour cloud 6.12)"
tap_eq "no kernel of the series: exit 1, nothing printed" " 1" "$(pick 5.10)"
tap_eq "no cloud kernel of the series: exit 1" " 1" \
	"$(pick --flavour cloud 6.6)"
tap_eq "an unknown flavour is a usage error" " 2" "$(pick --flavour rt 6.1)"
tap_eq "--flavour without a value is a usage error" " 2" "$(pick --flavour)"
tap_eq "a malformed series is a usage error" " 2" "$(pick 6)"

# The L2 guests' kernel comes from pick-kernel.sh too, no search of its own.
tap_cond "guest-image.sh picks the L2 guest kernel with --flavour cloud" \
	grep -q 'pick-kernel.sh" --boot --flavour cloud' "$TOP/tests/vm/l2/guest-image.sh"
tap_eq "no other script lists /boot itself" "" \
	"$(cd "$TOP" && git grep -lE '(^|[^[:alnum:]_])ls [^|]*/boot/vmlinuz|vmlinuz-\*' -- \
		'*.sh' '*.t' Makefile '*.mk' ':!scripts/pick-kernel.sh' 2>/dev/null)"
tap_done
