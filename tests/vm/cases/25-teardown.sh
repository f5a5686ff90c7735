#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The controller disappears from under the module (PCI remove, as a hot
# unplug does) while it has instances, one of them open: the open one is
# released by its user first, nothing is freed under it, and the function
# comes back on rescan.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 1 vfio-open

mnv_take_controllers "$A"
mnv_instance u1 "$A" 4 - - - "create 4q instance"
mnv_instance u2 "$A" 1 - - 1000 "create 1q instance of 1000 LBAs"
mnv_write "4q instance moved past it" "$MDEV/$u1/lba_start" 1000

hold=$MNV_OUT/teardown-hold.$$
"$CLIENT" "$u1" hold "$hold" &
holder=$!
tap_setup "vfio-open holds the 4q instance open" mnv_wait_file "$hold" 10
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

tap_run "PCI rescan" _mnv_write /sys/bus/pci/rescan 1
mnv_wait_file "/sys/bus/pci/devices/$A" 10
tap_cond "function back after rescan" test -e "/sys/bus/pci/devices/$A"
tap_run "modprobe nvme" modprobe nvme
tap_run "nvme shows its namespace again" mnv_wait_namespaces "$A" 1
tap_eq "nvme drives it again" nvme "$(mnv_pci_driver "$A")"
tap_run "it still takes the module" mnv_pci_bind "$A" mdev_nvme
tap_eq "all queue pairs free again" 16 \
	"$(cat "/sys/bus/pci/devices/$A/mdev_nvme/queue_pairs_free")"
tap_run "give it back" mnv_pci_bind "$A" ""
tap_run "unload" rmmod mdev_nvme
tap_done
