#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install (Debian apt) everything the build, the VM test bench, the
# benchmarks and the packaging (make deb, make dkms-install) need; with
# --debug-kernel, also what scripts/debug-kernel.sh needs.  Idempotent:
# exits at once when all is present.
# Kernel ABI numbers are discovered from the package index, never fixed here.
set -euo pipefail

PKGS="build-essential bc kmod flex bison libelf-dev xz-utils cpio busybox-static
qemu-system-x86 qemu-utils fio nvme-cli mdevctl driverctl udev sparse pciutils util-linux
e2fsprogs linux-image-cloud-amd64 linux-image-amd64 linux-headers-amd64
linux-source-6.1 perl clang libclang-rt-14-dev
debhelper dh-dkms dkms lintian man-db
libvirt-daemon-system libvirt-clients"
# scripts/debug-kernel.sh (make check-debug) builds a kernel: certs/ and
# scripts/ need OpenSSL's headers.  make check does not.
if [ "${1:-}" = --debug-kernel ]; then
	PKGS="$PKGS libssl-dev"
fi

missing() {
	local p
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
	ls -d /lib/modules/6.12.*+deb12-amd64/build >/dev/null 2>&1 ||
		echo linux-6.12
	[ -f /usr/src/linux-source-6.1/scripts/checkpatch.pl ] ||
		echo linux-source-unpacked
}

todo=$(missing)
if [ -z "$todo" ]; then
	echo "deps: all present"
	exit 0
fi
echo "deps: installing: $(echo $todo)"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install packages" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
pkgs=""
for p in $todo; do
	case "$p" in linux-6.12|linux-source-unpacked) ;; *) pkgs="$pkgs $p";; esac
done

# Newest Debian 6.12 generic kernel with headers available in the index.
v612=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
	awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1)
if [ -n "$v612" ]; then
	pkgs="$pkgs linux-image-$v612-unsigned linux-headers-$v612"
else
	echo "deps: warning: no Debian 6.12 kernel found in the package index" >&2
fi

# No service may start from a postinst: libvirt-daemon-system would start
# libvirtd (and dbus, polkitd) where an init system runs, and libvirtd
# would start libvirt's default network (virbr0 with NAT and dnsmasq),
# changing the host's networking under the other tests.  The bench needs
# libvirt only inside L1 VMs, which start their own libvirtd with a
# configuration of their own.  A policy-rc.d already in place (containers
# have one) is left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
# Nor at the next boot: the default network does not start on its own.
case " $pkgs " in
*" libvirt-daemon-system "*)
	rm -f /etc/libvirt/qemu/networks/autostart/default.xml ;;
esac

if [ ! -f /usr/src/linux-source-6.1/scripts/checkpatch.pl ]; then
	tarball=$(ls /usr/src/linux-source-6.1*.tar.xz | head -n 1)
	tar -C /usr/src -xf "$tarball"
fi
echo "deps: done"
