#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-l2.sh [OPTIONS] GUEST_SCRIPT
#
# Run inside the L1 VM: boot an L2 guest on nested KVM with a vNVMe (or any
# VFIO device) and run GUEST_SCRIPT in it as PID 1's child.  The guest is
# Debian's cloud kernel (nvme built in) with a small initramfs: static
# busybox, nvme-cli, fio, mkfs.ext4, e2fsck and blkdiscard with their
# libraries, and the script.
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
#   --kernel IMAGE    guest kernel (default: newest /boot/vmlinuz-*-cloud-amd64)
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
# Nested virtualisation under TCG occasionally resets an L2 guest with no
# message at all.  A guest that stops early with nothing on its console (no
# panic, oops or BUG) is started once more, and the retry is said on stderr.
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
script=$1
[ -r "$script" ] || die "guest script not found: $script"
[ -n "$results" ] || die "--results is required"
console=${console:-$results.console}
if [ -z "$kernel" ]; then
	kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
fi
[ -r "$kernel" ] || die "no guest kernel (install linux-image-cloud-amd64)"
[ -e /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || die "no /dev/kvm in L1 (kvm_amd did not load)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mnv-l2.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
root=$work/root
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
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$work/modules"
	[ -s "$work/modules" ] || die "cannot resolve the modules: $modules"
	while read -r ko; do
		cp "$ko" "$root/lib/modules/" || die "cannot copy $ko"
		basename "$ko" >>"$root/modules.list"
	done <"$work/modules"
fi
cp "$script" "$root/guest-script"
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
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd" ||
	die "cannot build the initramfs"

dev_args=()
[ -z "$sysfsdev" ] || dev_args=(-device "vfio-pci,sysfsdev=$sysfsdev")

run_guest() {
	: >"$results"
	: >"$console"
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-enable-kvm -cpu host -smp 1 -m "$mem" -nographic -nodefaults \
		-no-user-config -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 nvme_core.admin_timeout=20 nvme_core.io_timeout=20" \
		-serial "file:$console" -serial "file:$results" -monitor none \
		"${dev_args[@]}" "${qemu_args[@]}" </dev/null
}

for attempt in 1 2; do
	run_guest
	rc=$?
	grep -q '^mnv-l2: script exit' "$results" && exit 0
	echo "run-l2: guest did not finish (qemu exit $rc); console tail:" >&2
	tail -n 30 "$console" >&2
	# A timeout or a kernel message is a real failure: no second chance.
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] ||
	   grep -Eq 'Kernel panic|BUG:|Oops|general protection|Call Trace' "$console"; then
		break
	fi
	[ "$attempt" -eq 1 ] &&
		echo "run-l2: the guest stopped without a kernel message; retrying once" >&2
done
exit 2
