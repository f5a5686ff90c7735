#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A controller goes from the nvme driver to mdev_nvme and back ten times;
# data written through nvme before is still there after, and what the
# module reports in sysfs matches the emulated controller.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 1
[ -x "$MNV_CLI" ] || tap_skip_all "CLI not built: $MNV_CLI"

BDF=$A
SYS=/sys/bus/pci/devices/$BDF
LOOPS=10

tap_setup "modprobe nvme" modprobe nvme
tap_setup "a namespace of $BDF under nvme" mnv_wait_namespaces "$BDF" 1
DEV=$(mnv_nvme_namespaces "$BDF" | head -n 1)
tap_run "write pattern through nvme at LBA 0" mnv_pattern_write "$DEV" 0 64 before
tap_run "write pattern through nvme at LBA 1000000" \
	mnv_pattern_write "$DEV" 1000000 64 before-far
# The nvme driver's reading of the same controller's limits (DMRL, and
# WZSL if it has one), to compare with the module's below.
QUEUE=/sys/block/${DEV#/dev/}/queue
nvme_segments=$(cat "$QUEUE/max_discard_segments")
nvme_zeroes=$(cat "$QUEUE/write_zeroes_max_bytes")
tap_setup "load mdev_nvme" mnv_insmod_ko

tap_run "bind $BDF with the CLI" "$MNV_CLI" bind "$BDF"
tap_eq "driver is mdev_nvme" mdev_nvme "$(mnv_pci_driver "$BDF")"
tap_eq "nvme block device is gone" "" "$(mnv_nvme_namespaces "$BDF")"
tap_eq "serial" MNV0001 "$(cat "$SYS/mdev_nvme/serial")"
tap_cond "model is reported" test -n "$(cat "$SYS/mdev_nvme/model")"
tap_cond "firmware is reported" test -n "$(cat "$SYS/mdev_nvme/firmware")"
tap_eq "namespaces: nsid, LBAs, LBA size" "1 2097152 512" \
	"$(cat "$SYS/mdev_nvme/namespaces")"
tap_eq "max_transfer_bytes: MDTS 7 of 4 KiB" 524288 \
	"$(cat "$SYS/mdev_nvme/max_transfer_bytes")"
ranges=$(cat "$SYS/mdev_nvme/dsm_max_ranges")
zeroes=$(cat "$SYS/mdev_nvme/write_zeroes_max_bytes")
diag "NVM limits: WZSL $zeroes bytes, DMRL $ranges," \
	"DMRSL $(cat "$SYS/mdev_nvme/dsm_range_max_blocks")," \
	"DMSL $(cat "$SYS/mdev_nvme/dsm_max_blocks")"
tap_eq "DMRL as the nvme driver read it" "$nvme_segments" \
	"$([ "$ranges" = 0 ] && echo 256 || echo "$ranges")"
# Without a WZSL the nvme driver bounds Write Zeroes by its own transfer
# limit, which the host's DMA limits (swiotlb=force) may lower below MDTS.
if [ "$zeroes" = 0 ]; then
	tap_cond "no WZSL: the nvme driver's bound is within MDTS ($nvme_zeroes)" \
		test "$nvme_zeroes" -gt 0 -a "$nvme_zeroes" -le 524288
else
	tap_eq "WZSL as the nvme driver read it" "$nvme_zeroes" "$zeroes"
fi
for f in dsm_range_max_blocks dsm_max_blocks; do
	tap_cond "$f is a number" grep -qx '[0-9][0-9]*' "$SYS/mdev_nvme/$f"
done
tap_eq "queue pairs granted" 16 "$(cat "$SYS/mdev_nvme/queue_pairs_total")"
tap_eq "all queue pairs free" 16 "$(cat "$SYS/mdev_nvme/queue_pairs_free")"
types=$(ls "$SYS/mdev_supported_types" | tr '\n' ' ')
tap_eq "types offered" "mdev_nvme-1q mdev_nvme-2q mdev_nvme-4q mdev_nvme-8q " "$types"
tap_eq "type pretty name" nvme-2q \
	"$(cat "$SYS/mdev_supported_types/mdev_nvme-2q/name")"
tap_eq "available 4q instances" 4 \
	"$(cat "$SYS/mdev_supported_types/mdev_nvme-4q/available_instances")"
tap_eq "device api" vfio-pci \
	"$(cat "$SYS/mdev_supported_types/mdev_nvme-1q/device_api")"
tap_run "unbind $BDF with the CLI" "$MNV_CLI" unbind "$BDF"
tap_eq "driver is nvme again" nvme "$(mnv_pci_driver "$BDF")"

fails=0
for i in $(seq 2 $LOOPS); do
	if ! "$MNV_CLI" bind "$BDF" >/dev/null ||
	   [ "$(mnv_pci_driver "$BDF")" != mdev_nvme ]; then
		diag "bind failed in round $i"
		fails=$((fails + 1))
		break
	fi
	if ! "$MNV_CLI" unbind "$BDF" >/dev/null ||
	   [ "$(mnv_pci_driver "$BDF")" != nvme ]; then
		diag "unbind failed in round $i"
		fails=$((fails + 1))
		break
	fi
done
tap_eq "bind and unbind $LOOPS times in all" 0 "$fails"

tap_run "the namespace is back under nvme" mnv_wait_namespaces "$BDF" 1
DEV=$(mnv_nvme_namespaces "$BDF" | head -n 1)
tap_run "pattern at LBA 0 reads back after the round trips" \
	mnv_pattern_verify "$DEV" 0 64 before
tap_run "pattern at LBA 1000000 reads back" \
	mnv_pattern_verify "$DEV" 1000000 64 before-far

# Binding by hand with driver_override, as vfio-pci users do, works too.
tap_run "bind through driver_override" mnv_pci_bind "$BDF" mdev_nvme
tap_run "give back through driver_override" mnv_pci_bind "$BDF" ""
tap_eq "nvme owns it again" nvme "$(mnv_pci_driver "$BDF")"
tap_run "unload" rmmod mdev_nvme
tap_done
