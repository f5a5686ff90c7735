#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian packages (make deb) installed on a system and used from what
# they installed alone: dpkg -i of mdev-nvme-dkms and mdev-nvme-tools lets
# DKMS build the module for the running kernel, modprobe loads that build,
# the packaged CLI binds a controller and creates an instance; purging
# them leaves nothing behind.
#
# The VM's root is the host's, read-only: the packages go into a root of
# their own, an overlay of / whose writes land on tmpfs, entered with
# chroot.  In it the repository is hidden (an empty tmpfs over it), so
# nothing can come from the tree, and only the running kernel is left in
# /boot: DKMS's postinst also builds for the newest installed kernel,
# which would be a second build of several minutes under TCG for nothing
# this case checks.  Its /dev is a tmpfs of its own with the few nodes
# dpkg and DKMS use, not a bind of the VM's: a removal of the scratch
# directory that crosses into it can destroy nothing.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root

VER=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$MNV_REPO/debian/changelog")
ARCH=$(dpkg --print-architecture)
DEBS=("$MNV_REPO/build/deb/mdev-nvme-dkms_${VER}_all.deb"
	"$MNV_REPO/build/deb/mdev-nvme-tools_${VER}_${ARCH}.deb")
for d in "${DEBS[@]}"; do
	[ -f "$d" ] || tap_skip_all "package not built: $d (make deb)"
done
mnv_require_cmd dpkg dkms chroot
# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 1 ] || tap_skip_all "needs an NVMe controller"
A=$1
KVER=$(uname -r)
R=$MNV_TMP/root
# DKMS compresses the module as the kernel's own are (6.12: .ko.xz).
MODDIR=/lib/modules/$KVER/updates/dkms
MDEV=/sys/bus/mdev/devices
LOG=$MNV_OUT/$MNV_CASE

# in_root CMD...: run CMD in the packages' root, with a clean environment.
in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# make_root: the overlay and what a system has mounted; the repository
# hidden, other kernels removed from /boot, man-db's index update off (it
# would scan every manual page of the host under TCG).
make_root() {
	local k
	modprobe overlay && mkdir -p "$MNV_TMP/upper" "$MNV_TMP/work" "$R" &&
		mount -t overlay overlay \
			-o "lowerdir=/,upperdir=$MNV_TMP/upper,workdir=$MNV_TMP/work" "$R" &&
		mount -t proc proc "$R/proc" &&
		mount --bind /sys "$R/sys" &&
		mount -t tmpfs -o mode=755 tmpfs "$R/dev" &&
		mknod -m 666 "$R/dev/null" c 1 3 && mknod -m 666 "$R/dev/zero" c 1 5 &&
		mknod -m 666 "$R/dev/random" c 1 8 && mknod -m 666 "$R/dev/urandom" c 1 9 &&
		mknod -m 666 "$R/dev/tty" c 5 0 && ln -s /proc/self/fd "$R/dev/fd" &&
		mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" &&
		mount -t tmpfs -o mode=755 tmpfs "$R/run" || return 1
	mkdir -p "$R$MNV_REPO" && mount -t tmpfs -o ro tmpfs "$R$MNV_REPO" || return 1
	for k in "$R"/boot/config-*; do
		[ "$k" = "$R/boot/config-$KVER" ] || rm -f "$k" || return 1
	done
	rm -f "$R/var/lib/man-db/auto-update"
	mkdir "$R/tmp/debs" && cp "${DEBS[@]}" "$R/tmp/debs/"
}

# teardown: unmount the root and all below it (lazily if busy), so that
# the removal of MNV_TMP after the case cannot reach through a bind mount.
teardown() {
	mountpoint -q "$R" 2>/dev/null || return 0
	umount -R "$R" 2>/dev/null || umount -R -l "$R"
}
trap teardown EXIT
# The runner's timeout sends TERM: leave through the EXIT trap.  Long
# commands run in the background, so that the trap runs at once.
trap 'exit 143' TERM INT

# dkms_status: what DKMS says of the module (empty when it knows nothing).
dkms_status() {
	in_root dkms status mdev-nvme -k "$KVER" 2>/dev/null
}

tap_run "a root of its own: overlay of / on tmpfs, repository hidden" make_root ||
	tap_bail "cannot make the packages' root"
tap_eq "the repository is not visible in it" "" "$(ls -A "$R$MNV_REPO")"
tap_eq "the module is not installed there before" "" \
	"$(in_root modinfo -n mdev_nvme 2>/dev/null)"

# --- install: DKMS builds the module -------------------------------------------------
t0=$(date +%s)
in_root dpkg -i /tmp/debs/mdev-nvme-dkms_"${VER}"_all.deb \
	/tmp/debs/mdev-nvme-tools_"${VER}"_"${ARCH}".deb >"$LOG.dpkg.log" 2>&1 &
wait $!
rc=$?
t1=$(date +%s)
diag "dpkg -i with the DKMS build took $((t1 - t0)) s (log: $MNV_CASE.dpkg.log)"
if ! tap_result "$rc" "dpkg -i mdev-nvme-dkms mdev-nvme-tools"; then
	diag_file "$LOG.dpkg.log"
	cp "$R/var/lib/dkms/mdev-nvme/$VER/build/make.log" "$LOG.make.log" 2>/dev/null &&
		diag_file "$LOG.make.log"
	tap_bail "the packages did not install"
fi
# shellcheck disable=SC2016 # a dpkg-query format, not the shell's
tap_eq "both packages installed" "ii ii" \
	"$(in_root dpkg-query -W -f='${db:Status-Abbrev}' mdev-nvme-dkms mdev-nvme-tools | tr -s ' ' | sed 's/ $//')"
tap_eq "DKMS: built and installed for the running kernel" \
	"mdev-nvme/$VER, $KVER, $(uname -m): installed" "$(dkms_status)"
mod=$(in_root modinfo -n mdev_nvme 2>&1)
tap_cond "modprobe finds DKMS's build ($mod)" \
	test "${mod%.xz}" = "$MODDIR/mdev_nvme.ko" -a -f "$R$mod"
tap_eq "built for this kernel" "$KVER" \
	"$(in_root modinfo -F vermagic mdev_nvme | cut -d' ' -f1)"
tap_eq "the CLI is the packaged one" /usr/sbin/mdev-nvme \
	"$(in_root sh -c 'command -v mdev-nvme')"
tap_eq "its manual page is installed" /usr/share/man/man8/mdev-nvme.8.gz \
	"$(in_root man -w mdev-nvme 2>&1)"

# --- the smoke: the installed module and CLI -----------------------------------------
tap_run "modprobe mdev_nvme (with vfio_iommu_type1)" \
	in_root sh -c 'modprobe vfio_iommu_type1 && modprobe mdev_nvme' ||
	tap_bail "the installed module does not load"
tap_eq "the module loaded is DKMS's build" \
	"$(in_root modinfo -F srcversion mdev_nvme)" "$(cat /sys/module/mdev_nvme/srcversion)"
tap_run "mdev-nvme bind $A" in_root mdev-nvme bind "$A"
tap_eq "the controller is driven by mdev_nvme" mdev_nvme "$(mnv_pci_driver "$A")"
tap_run "mdev-nvme create: a 1q instance of 2048 LBAs" \
	in_root mdev-nvme create "$A" --type nvme-1q --lba-count 2048
U=$(printf '%s\n' "$TAP_OUT" | tail -n 1)
tap_cond "the instance is in sysfs ($U)" test -d "$MDEV/$U"
tap_eq "its parent, type and slice" "$A nvme-1q 1 0 2048" \
	"$(basename "$(readlink -f "$MDEV/$U/..")") $(cat "$MDEV/$U/mdev_type/name") $(cat "$MDEV/$U/nsid") $(cat "$MDEV/$U/lba_start") $(cat "$MDEV/$U/lba_count")"
tap_cond "mdev-nvme list shows it" grep -q "$U" <<<"$(in_root mdev-nvme list)"
tap_run "mdev-nvme destroy" in_root mdev-nvme destroy "$U"
tap_cond "the instance is gone" test ! -e "$MDEV/$U"
# unbind hands the controller to nvme: on a system udev has loaded it; the
# VM has no udev.
tap_run "mdev-nvme unbind $A (back to nvme)" \
	in_root sh -c "modprobe nvme && mdev-nvme unbind $A"
tap_eq "the controller is driven by nvme again" nvme "$(mnv_pci_driver "$A")"
tap_run "rmmod mdev_nvme" rmmod mdev_nvme

# --- purge: nothing left ---------------------------------------------------------------
tap_run "dpkg --purge mdev-nvme-tools mdev-nvme-dkms" \
	in_root dpkg --purge mdev-nvme-tools mdev-nvme-dkms
tap_eq "DKMS knows nothing of it" "" "$(dkms_status)"
tap_eq "module, sources, DKMS's tree and CLI removed" "" \
	"$(ls -d "$R$MODDIR"/mdev_nvme.ko* "$R/usr/src/mdev-nvme-$VER" "$R/var/lib/dkms/mdev-nvme" \
		"$R/usr/sbin/mdev-nvme" 2>/dev/null)"
tap_done
