#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark inside the L1 VM (no IOMMU): one emulated controller's
# namespace 1 (controller B, 512 MiB) measured
#   native         by L1's nvme driver;
#   virtio-blk     in an L2 guest, backed by L1's block device (cache=none,
#                  aio=native, an iothread);
#   emulated-nvme  in an L2 guest, QEMU's nvme device on the same backing;
#   mdev-MODE      in an L2 guest, through a vNVMe over the whole namespace
#                  in each polling mode;
#   mdev-lists-cache, mdev-lists-vfio
#                  the same (adaptive) with 64 KiB I/O, one PRP list a
#                  command, read from the pin cache and through VFIO
#                  (pinned_list_reads); the instance's counters give what a
#                  list read cost either way (BENCH_LISTS, default 1);
#   multi-N        N adaptive vNVMe on slices of the namespace, one L2
#                  guest each, all reading at once, for each N of
#                  BENCH_MULTI (default 4 and 8).
# Whole-controller passthrough needs an IOMMU: bench/l1-passthrough.sh.
. "$MNV_REPO/tests/vm/lib.sh"
. "$MNV_REPO/bench/lib-bench.sh"
mnv_require_root
mnv_require_ko

# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
B=$2
MDEV=/sys/bus/mdev/devices
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || tap_bail "no nested KVM in L1"
modprobe vfio_iommu_type1

bench_fill "$B"

native_config native "$DEV"
guest_config virtio-blk /dev/vda --modules "virtio_pci virtio_blk" \
	--qemu-arg -object --qemu-arg iothread,id=io0 \
	--qemu-arg -drive \
	--qemu-arg "file=$DEV,if=none,id=d0,format=raw,cache=none,aio=native" \
	--qemu-arg -device --qemu-arg virtio-blk-pci,drive=d0,iothread=io0
guest_config emulated-nvme /dev/nvme0n1 \
	--qemu-arg -drive \
	--qemu-arg "file=$DEV,if=none,id=d0,format=raw,cache=none,aio=native" \
	--qemu-arg -device --qemu-arg nvme,drive=d0,serial=EMU0001

tap_run "load mdev_nvme" mnv_insmod_ko || tap_bail "insmod failed"
tap_run "bind $B to mdev_nvme" "$MNV_CLI" bind "$B" || tap_bail "cannot bind $B"
# BENCH_MODES: polling modes to measure; "poll-trapped" is the poll mode
# with the doorbell page left trapped (mmap_doorbells=N), to show what
# the zero-exit doorbells change; "adaptive:US" the adaptive mode with an
# idle_us of US (configuration mdev-adaptive-USus), to show what a guest
# slower to answer than the default 100 us needs.
dbparam=/sys/module/mdev_nvme/parameters/mmap_doorbells
for spec in $BENCH_MODES; do
	mode=${spec%%:*} idle=
	[ "$mode" = "$spec" ] || idle=${spec#*:}
	real=${mode%-trapped}
	name=mdev-$mode${idle:+-${idle}us}
	[ "$mode" = "$real" ] || echo N >"$dbparam"
	out=$("$MNV_CLI" create "$B" --type nvme-2q --nsid 1 --mode "$real" \
		${idle:+--idle-us "$idle"})
	tap_eq "$name: create the instance over namespace 1" 0 $?
	u=$(printf '%s\n' "$out" | tail -n 1)
	guest_config "$name" /dev/nvme0n1 --sysfsdev "$MDEV/$u"
	echo Y >"$dbparam"
	"$MNV_CLI" stats --json "$u" >"$MNV_OUT/$name.stats.json"
	tap_run "$name: destroy the instance" "$MNV_CLI" destroy "$u"
done
# What reading a command's PRP list costs, from the pin cache and through
# vfio_dma_rw(): 64 KiB I/O (a list of 15 entries each), the instance's
# stats/list_read_ns over list_reads (report.py, "PRP list reads").
lparam=/sys/module/mdev_nvme/parameters/pinned_list_reads
if [ "$BENCH_LISTS" = 1 ]; then
	saved=("$BENCH_BS" "$BENCH_RWS" "$BENCH_JOBS" "$BENCH_QDS" "$BENCH_IDLE_S")
	BENCH_BS=64k BENCH_RWS="randread randwrite" BENCH_JOBS=1 BENCH_QDS="1 16"
	BENCH_IDLE_S=0
	for how in cache:Y vfio:N; do
		name=mdev-lists-${how%:*}
		echo "${how#*:}" >"$lparam"
		out=$("$MNV_CLI" create "$B" --type nvme-2q --nsid 1 --mode adaptive)
		tap_eq "$name: create an instance, pinned_list_reads ${how#*:}" 0 $?
		u=$(printf '%s\n' "$out" | tail -n 1)
		guest_config "$name" /dev/nvme0n1 --sysfsdev "$MDEV/$u"
		"$MNV_CLI" stats --json "$u" >"$MNV_OUT/$name.stats.json"
		tap_run "$name: destroy the instance" "$MNV_CLI" destroy "$u"
	done
	echo Y >"$lparam"
	BENCH_BS=${saved[0]} BENCH_RWS=${saved[1]} BENCH_JOBS=${saved[2]}
	BENCH_QDS=${saved[3]} BENCH_IDLE_S=${saved[4]}
fi
# Several instances at once, each with its own guest: aggregate, fairness.
for n in $BENCH_MULTI; do
	[ "$n" -gt 1 ] && multi_config "$B" adaptive "$n"
done
tap_run "unbind $B" "$MNV_CLI" unbind "$B"
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
