#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make dkms-install and make dkms-uninstall (TAP output), for real, in a
# root of their own: an overlay of / with its writes on a tmpfs, inside a
# private mount namespace (unshare), so nothing reaches the host's /usr/src,
# /var/lib/dkms or /lib/modules, and every mount goes with the process.
# DKMS builds the module for the newest installed 6.12 kernel (about a
# minute; the VM case tests/vm/package-cases/60-packages.sh builds it for
# 6.1 through the package); it must be installed where modprobe looks, and gone again after
# dkms-uninstall.  Refused while the mdev-nvme-dkms package is installed.
#
#   prove tests/packaging/          (from the top of the repository, root)

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TAP_SKIP_EXIT=0
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$TOP/tests/lib/tap.sh"

# The parent makes the scratch directory and removes it once the child,
# which mounts everything in its own mount namespace, has exited: by then
# those mounts are gone with the namespace, so the removal can never reach
# through them (a bind of /dev, the tree).
if [ -z "${MNV_IN_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (mounts an overlay)"
	for c in dkms unshare chroot; do
		command -v "$c" >/dev/null || tap_skip_all "$c missing (make deps)"
	done
	S=$(mktemp -d "${TMPDIR:-/tmp}/mnv-dkms.XXXXXX") || tap_bail "mktemp"
	MNV_IN_NS=$S unshare --mount --propagation private "$0" "$@"
	rc=$?
	rm -rf --one-file-system "$S"
	exit "$rc"
fi
S=$MNV_IN_NS

# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$TOP/tests/vm/lib.sh"

KVER=$("$TOP/scripts/pick-kernel.sh" 6.12) ||
	tap_skip_all "no Debian 6.12 kernel with headers (make deps)"
VER=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
# DKMS compresses the module as the kernel's own are (6.12: .ko.xz).
MOD=/lib/modules/$KVER/updates/dkms/mdev_nvme.ko
R=$S/t/root

# The upper layer must not live on the lower one's file system.  The
# tree is bound in read-only: it may live on a file system of its own.
if ! { mkdir -p "$S/t" && mount -t tmpfs tmpfs "$S/t" &&
	mkdir -p "$S/t/upper" "$S/t/work" "$R" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$S/t/upper,workdir=$S/t/work" "$R" &&
	mount -t proc proc "$R/proc" && mount --bind /dev "$R/dev" &&
	mount -t tmpfs tmpfs "$R/tmp" &&
	mkdir -p "$R$TOP" && mount --bind "$TOP" "$R$TOP" &&
	mount -o remount,bind,ro "$R$TOP"; } 2>"$S/mount.err"; then
	tap_bail "cannot make an overlay root: $(cat "$S/mount.err")"
fi

in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

tap_eq "the module is not installed for $KVER before" "" \
	"$(in_root modinfo -k "$KVER" -n mdev_nvme 2>/dev/null)"
if in_root make -C "$TOP" dkms-install DKMS_KVER="$KVER" >"$S/install.log" 2>&1; then
	tap_ok "make dkms-install DKMS_KVER=$KVER"
else
	tap_fail "make dkms-install DKMS_KVER=$KVER" "$(tail -n 30 "$S/install.log")"
	cp "$R/var/lib/dkms/mdev-nvme/$VER/build/make.log" "$S/make.log" 2>/dev/null &&
		sed 's/^/# /' "$S/make.log" | tail -n 30
fi
tap_eq "DKMS: installed for $KVER" "mdev-nvme/$VER, $KVER, $(uname -m): installed" \
	"$(in_root dkms status mdev-nvme -k "$KVER" 2>/dev/null)"
tap_eq "the sources and a dkms.conf of version $VER" "PACKAGE_VERSION=\"$VER\"" \
	"$(grep '^PACKAGE_VERSION=' "$R/usr/src/mdev-nvme-$VER/dkms.conf" 2>&1)"
mod=$(in_root modinfo -k "$KVER" -n mdev_nvme 2>&1)
tap_eq "modprobe finds DKMS's build" "$MOD" "${mod%.xz}"
tap_eq "built for $KVER" "$KVER" \
	"$(in_root modinfo -k "$KVER" -F vermagic mdev_nvme 2>&1 | cut -d' ' -f1)"
if in_root make -C "$TOP" dkms-install DKMS_KVER="$KVER" >"$S/again.log" 2>&1; then
	tap_ok "make dkms-install again replaces the first install"
else
	tap_fail "make dkms-install again replaces the first install" "$(tail -n 20 "$S/again.log")"
fi
tap_eq "still one install" "mdev-nvme/$VER, $KVER, $(uname -m): installed" \
	"$(in_root dkms status mdev-nvme -k "$KVER" 2>/dev/null)"

if in_root make -C "$TOP" dkms-uninstall >"$S/uninstall.log" 2>&1; then
	tap_ok "make dkms-uninstall"
else
	tap_fail "make dkms-uninstall" "$(tail -n 20 "$S/uninstall.log")"
fi
tap_eq "DKMS knows nothing of it" "" "$(in_root dkms status mdev-nvme 2>/dev/null)"
tap_eq "module, sources and DKMS's tree removed" "" \
	"$(ls -d "$R$MOD"* "$R/usr/src/mdev-nvme-$VER" "$R/var/lib/dkms/mdev-nvme" 2>/dev/null)"

# With the package installed, its files are the package's: refused.
mkdir -p "$R/var/lib/dpkg/info"
printf 'Package: mdev-nvme-dkms\nStatus: install ok installed\nVersion: %s\nArchitecture: all\nMaintainer: x\nDescription: x\n\n' \
	"$VER" >>"$R/var/lib/dpkg/status"
err=$(in_root make -s -C "$TOP" dkms-install DKMS_KVER="$KVER" 2>&1 >/dev/null)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "mdev-nvme-dkms package is installed" <<<"$err" &&
	[ ! -e "$R/usr/src/mdev-nvme-$VER" ]; then
	tap_ok "refused while the mdev-nvme-dkms package is installed, nothing copied"
else
	tap_fail "refused while the mdev-nvme-dkms package is installed" "exit $rc" "$err"
fi

tap_done
