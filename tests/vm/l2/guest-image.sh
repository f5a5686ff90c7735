#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-image.sh [OPTIONS] OUTDIR GUEST_SCRIPT
#
# Build what an L2 guest boots: Debian's cloud kernel (nvme built in) and
# a small initramfs with static busybox, nvme-cli, fio, mkfs.ext4, e2fsck
# and blkdiscard with their libraries, GUEST_SCRIPT,
# tests/vm/l2/guest-lib.sh (/guest-lib.sh) and the TAP functions of
# tests/lib/tap.sh (/tap.sh).  run-l2.sh boots it under
# QEMU directly; a case may hand the same files to libvirt.
#
# Writes into OUTDIR (which must exist):
#   kernel    a symbolic link to the guest kernel
#   initrd    the initramfs
#   cmdline   the kernel command line (one line)
#
# The initramfs's /init runs GUEST_SCRIPT with its standard output on the
# guest's second serial port (ttyS1), so that it comes back unmixed with
# kernel messages, which go to the first (ttyS0); it ends the output with
# "mnv-l2: script exit N" and powers the guest off.
#
# Options:
#   --kernel IMAGE    guest kernel (default: the newest 6.1 cloud kernel,
#                     scripts/pick-kernel.sh --boot --flavour cloud 6.1)
#   --env FILE        shell variable assignments the script sources as
#                     /guest-env
#   --modules LIST    guest kernel modules to load first, with their
#                     dependencies (e.g. "virtio_pci virtio_blk": the cloud
#                     kernel builds virtio-blk as a module)
#
# Exit status: 0 when built, 1 on errors (said on stderr).
set -uo pipefail

L2DIR=$(dirname "$(readlink -f "$0")")

die() {
	echo "guest-image: error: $*" >&2
	exit 1
}

kernel=
envfile=
modules=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--env) envfile=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "usage: guest-image.sh [OPTIONS] OUTDIR GUEST_SCRIPT"
out=$1
script=$2
[ -d "$out" ] || die "no directory $out"
[ -r "$script" ] || die "guest script not found: $script"
if [ -z "$kernel" ]; then
	gkver=$("$L2DIR/../../../scripts/pick-kernel.sh" --boot --flavour cloud 6.1) &&
		kernel=/boot/vmlinuz-$gkver
fi
[ -r "$kernel" ] || die "no guest kernel (install linux-image-cloud-amd64)"

root=$(mktemp -d "${TMPDIR:-/tmp}/mnv-l2root.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,lib64,etc}

# Copy a dynamically linked program with the libraries ldd names.
copy_prog() {
	local prog=$1 lib
	cp "$prog" "$root/bin/" || return 1
	for lib in $(ldd "$prog" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

cp /bin/busybox "$root/bin/busybox" || die "busybox-static missing"
copy_prog "$(command -v nvme)" || die "nvme-cli missing"
copy_prog "$(command -v fio)" || die "fio missing"
# A filesystem and discards in the guest (e2fsprogs and util-linux).
for prog in mkfs.ext4 e2fsck blkdiscard; do
	copy_prog "$(PATH=$PATH:/sbin:/usr/sbin command -v $prog)" ||
		die "$prog missing"
done
cp /etc/mke2fs.conf "$root/etc/" 2>/dev/null || true
# Modules in load order, dependencies first, each once.
: >"$root/modules.list"
if [ -n "$modules" ]; then
	gkver=${kernel##*/vmlinuz-}
	mkdir -p "$root/lib/modules"
	for m in $modules; do
		modprobe -S "$gkver" --show-depends "$m" ||
			die "no module $m for $gkver"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$root/modules.order"
	[ -s "$root/modules.order" ] || die "cannot resolve the modules: $modules"
	while read -r ko; do
		cp "$ko" "$root/lib/modules/" || die "cannot copy $ko"
		basename "$ko" >>"$root/modules.list"
	done <"$root/modules.order"
	rm -f "$root/modules.order"
fi
cp "$script" "$root/guest-script"
cp "$L2DIR/guest-lib.sh" "$root/guest-lib.sh" || die "cannot copy guest-lib.sh"
cp "$L2DIR/../../lib/tap.sh" "$root/tap.sh" || die "cannot copy tap.sh"
if [ -n "$envfile" ]; then
	cp "$envfile" "$root/guest-env" || die "cannot read $envfile"
else
	: >"$root/guest-env"
fi
chmod +x "$root/guest-script"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
while read -r ko; do insmod "/lib/modules/$ko"; done </modules.list
# The script's results go to the second serial port, kernel noise to the first.
sh /guest-script >/dev/ttyS1 2>&1
echo "mnv-l2: script exit $?" >/dev/ttyS1
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initrd" ||
	die "cannot build the initramfs"
ln -sfn "$(readlink -f "$kernel")" "$out/kernel" || die "cannot link $kernel"
echo "console=ttyS0 panic=-1 nvme_core.admin_timeout=20 nvme_core.io_timeout=20" \
	>"$out/cmdline"
