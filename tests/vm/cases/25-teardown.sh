#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The controller disappears from under the module (PCI remove, as a hot
# unplug does) while it has instances, one of them open: the open one is
# released by its user first, nothing is freed under it, and the function
# comes back on rescan.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

VFIO_OPEN=$MNV_REPO/tests/vfio/vfio-open
set -- $MNV_BDFS
A=$1
MDEV=/sys/bus/mdev/devices

modprobe vfio_iommu_type1
mnv_insmod_ko || tap_bail "insmod failed"
mnv_pci_bind "$A" mdev_nvme || tap_bail "cannot bind $A"

T=/sys/bus/pci/devices/$A/mdev_supported_types
u1=$(cat /proc/sys/kernel/random/uuid)
u2=$(cat /proc/sys/kernel/random/uuid)
echo "$u1" >"$T/mdev_nvme-4q/create"
echo "$u2" >"$T/mdev_nvme-1q/create"
echo 1000 >"$MDEV/$u2/lba_count"
echo 1000 >"$MDEV/$u1/lba_start"

hold=$MNV_OUT/teardown-hold.$$
"$VFIO_OPEN" "$u1" hold "$hold" &
holder=$!
mnv_wait_file "$hold" 10
tap_eq "instance held open" 1 "$(cat "$MDEV/$u1/open")"

(echo 1 >"/sys/bus/pci/devices/$A/remove") &
remover=$!
sleep 2
tap_cond "PCI removal waits for the open instance" kill -0 "$remover"
rm -f "$hold"
wait "$holder"
tap_eq "the open instance kept working until its user let go" 0 $?
wait "$remover"
tap_eq "PCI removal completed" 0 $?
tap_cond "function gone" test ! -e "/sys/bus/pci/devices/$A"
tap_cond "its instances are gone" test ! -e "$MDEV/$u1" -a ! -e "$MDEV/$u2"

echo 1 >/sys/bus/pci/rescan
mnv_wait_file "/sys/bus/pci/devices/$A" 10
tap_cond "function back after rescan" test -e "/sys/bus/pci/devices/$A"
modprobe nvme
mnv_wait_namespaces "$A" 1
tap_eq "nvme drives it again" nvme "$(mnv_pci_driver "$A")"
tap_run "it still takes the module" mnv_pci_bind "$A" mdev_nvme
tap_eq "all queue pairs free again" 16 \
	"$(cat "/sys/bus/pci/devices/$A/mdev_nvme/queue_pairs_free")"
tap_run "give it back" mnv_pci_bind "$A" ""
tap_run "unload" rmmod mdev_nvme
tap_done
