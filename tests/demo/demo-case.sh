#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo, as run inside L1: bind a controller, create a vNVMe with the
# CLI, hand it to an L2 guest running fio with verification, and clean up.
. "$MNV_REPO/tests/vm/lib.sh"
set -- $MNV_BDFS
B=$2
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || tap_bail "no nested KVM in L1 (/dev/kvm)"
modprobe vfio_iommu_type1
modprobe nvme
mnv_insmod_ko || tap_bail "insmod failed"
tap_run "mdev-nvme bind $B" "$MNV_CLI" bind "$B"
out=$("$MNV_CLI" create "$B" --type nvme-2q --nsid 1 --lba-start 0 --lba-count 262144)
tap_eq "mdev-nvme create" 0 $?
diag "$out"
u=$(printf '%s\n' "$out" | tail -n 1)
diag "$("$MNV_CLI" list)"
"$MNV_REPO/tests/vm/l2/run-l2.sh" --sysfsdev "/sys/bus/mdev/devices/$u" \
	--results "$MNV_OUT/demo-guest.txt" --mem 768 --timeout 600 \
	"$MNV_REPO/tests/demo/guest-fio.sh"
tap_eq "L2 guest ran fio" 0 $?
verified=$(tr -d '\r' <"$MNV_OUT/demo-guest.txt" | sed -n 's/^== guest: fio verified: //p')
tap_cond "fio wrote 32 MiB and read every block back verified (${verified:-not verified})" \
	test "$verified" = "written and verified 32768 KiB"
tap_run "mdev-nvme destroy" "$MNV_CLI" destroy "$u"
tap_run "mdev-nvme unbind" "$MNV_CLI" unbind "$B"
tap_done
