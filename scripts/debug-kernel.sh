#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-kernel.sh [--force]
#
# Build, and cache, the debug kernel of the VM test bench: Debian's
# linux-source-6.1 with x86_64_defconfig + kvm_guest.config +
# scripts/debug-kernel.config (KASAN, lockdep, kmemleak, KFENCE, fault
# injection; everything the L1 VM uses built in), with the fixes of
# scripts/debug-kernel-patches/ applied: bugs of 6.1 itself whose reports
# would end lockdep's checking or hide this module's, or that hang the
# boot (the RCU-tasks self test).  Results, under
# build/debug-kernel/ (MNV_DEBUG_KERNEL overrides):
#
#   linux-source-6.1/   the tree (the module is built against it)
#   bzImage             the kernel L1 boots
#   kernelrelease       its `uname -r`, e.g. 6.1.192-mnvdebug
#   modules/lib/modules/KVER/
#                       modules_install output: modules.builtin* and
#                       depmod's indexes, so that modprobe of a built-in
#                       driver succeeds in the VM (run-l1.sh --modules)
#   config.check        every option of debug-kernel.config, as found in
#                       the final .config
#   build.log, build.seconds
#
# The tree is rebuilt only when the tarball, this script or the config
# fragment changed (the key is kept in build/debug-kernel/key); --force
# rebuilds anyway (incrementally: make decides what to recompile).
#
# Environment: MNV_JOBS, make -j (default 2: the machine is shared).
set -euo pipefail

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)
FRAGMENT=$REPO/scripts/debug-kernel.config
PATCHES=$REPO/scripts/debug-kernel-patches
TARBALL=${MNV_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
OUT=${MNV_DEBUG_KERNEL:-$REPO/build/debug-kernel}
TREE=$OUT/linux-source-6.1
JOBS=${MNV_JOBS:-2}

die() {
	echo "debug-kernel: error: $*" >&2
	exit 1
}

log() {
	echo "debug-kernel: $*" >&2
}

force=0
case "${1:-}" in
"") ;;
--force) force=1 ;;
*) die "usage: $0 [--force]" ;;
esac

[ -r "$TARBALL" ] || die "$TARBALL not found (apt-get install linux-source-6.1, or make deps)"
[ -r "$FRAGMENT" ] || die "$FRAGMENT missing"
for c in gcc make flex bison bc perl xz; do
	command -v "$c" >/dev/null || die "$c not installed (make deps)"
done
# Headers the kernel build needs (objtool: libelf; certs: openssl).
[ -e /usr/include/libelf.h ] || die "libelf-dev not installed (make deps)"
[ -e /usr/include/openssl/ssl.h ] || die "libssl-dev not installed (make deps)"

key=$(
	{
		stat -c '%n %s %Y' "$TARBALL"
		sha256sum <"$SELF"
		sha256sum <"$FRAGMENT"
		cat "$PATCHES"/*.patch | sha256sum
	} | sha256sum | cut -d' ' -f1
)
if [ "$force" -eq 0 ] && [ -s "$OUT/bzImage" ] && [ -s "$OUT/kernelrelease" ] &&
   [ "$(cat "$OUT/key" 2>/dev/null)" = "$key" ]; then
	log "up to date: $OUT/bzImage ($(cat "$OUT/kernelrelease"))"
	exit 0
fi
rm -f "$OUT/key"
mkdir -p "$OUT"

# A tree from another tarball (a Debian security update) is replaced as a
# whole: mixing two source versions in one tree would be a silent mess.
src_id=$(stat -c '%n %s %Y' "$TARBALL")
if [ ! -e "$TREE/Makefile" ] || [ "$(cat "$OUT/source" 2>/dev/null)" != "$src_id" ]; then
	log "unpacking $TARBALL"
	rm -rf "$TREE"
	tar -C "$OUT" -xf "$TARBALL"
	[ -e "$TREE/Makefile" ] || die "$TARBALL did not unpack to $TREE"
	echo "$src_id" >"$OUT/source"
fi

# Each fix is applied once: a tree that already has it (a rebuild) is
# recognised by the patch applying in reverse.
for p in "$PATCHES"/*.patch; do
	if patch -d "$TREE" -p1 -R -s -f --dry-run <"$p" >/dev/null 2>&1; then
		continue
	fi
	log "applying $(basename "$p")"
	patch -d "$TREE" -p1 -N -s <"$p" || die "$(basename "$p") does not apply to $TREE"
done

# --- configuration -------------------------------------------------------------

log "configuring: x86_64_defconfig + kvm_guest.config + $(basename "$FRAGMENT")"
make -s -C "$TREE" x86_64_defconfig >/dev/null
"$TREE/scripts/kconfig/merge_config.sh" -m -O "$TREE" "$TREE/.config" \
	"$TREE/kernel/configs/kvm_guest.config" "$FRAGMENT" >/dev/null
make -s -C "$TREE" olddefconfig

# Every option the fragment names must have survived olddefconfig as
# written: a dropped one (an unmet dependency) would test less than asked.
bad=0
: >"$OUT/config.check"
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	got=$(grep -E "^$opt=|^# $opt is not set" "$TREE/.config" || echo "$opt absent")
	if [ "$got" = "$line" ]; then
		echo "ok   $got" >>"$OUT/config.check"
	else
		echo "BAD  want: $line  have: $got" >>"$OUT/config.check"
		bad=1
	fi
done <"$FRAGMENT"
cat "$OUT/config.check" >&2
[ "$bad" -eq 0 ] || die "the final .config lacks options of $FRAGMENT (see $OUT/config.check)"

# --- build ---------------------------------------------------------------------------

log "building with -j$JOBS (about 20 minutes from scratch; log: $OUT/build.log)"
start=$(date +%s)
# Under make check-debug this runs inside make's jobserver, which gives a
# sub-make started from a script one job only: the kernel build takes
# its own -j instead.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -C "$TREE" -j"$JOBS" bzImage modules >"$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	die "kernel build failed (see $OUT/build.log)"
fi
echo "$(($(date +%s) - start))" >"$OUT/build.seconds"
# LOCALVERSION is applied only once the build has synced the config.
kver=$(make -s -C "$TREE" kernelrelease)
log "built $kver in $(cat "$OUT/build.seconds") s"

# modules.builtin and depmod's indexes for the VM: its cases run modprobe
# for drivers that are built in here, which kmod accepts only when
# modules.builtin lists them.
rm -rf "$OUT/modules"
make -s -C "$TREE" INSTALL_MOD_PATH="$OUT/modules" modules_install >/dev/null ||
	die "modules_install failed"
# The build/source links would point into this tree: harmless, but the VM
# never needs them.
rm -f "$OUT/modules/lib/modules/$kver/build" "$OUT/modules/lib/modules/$kver/source"
[ -s "$OUT/modules/lib/modules/$kver/modules.builtin.bin" ] ||
	die "no modules.builtin.bin after modules_install"

cp "$TREE/arch/x86/boot/bzImage" "$OUT/bzImage"
echo "$kver" >"$OUT/kernelrelease"
echo "$key" >"$OUT/key"
log "ready: $OUT/bzImage ($kver)"
