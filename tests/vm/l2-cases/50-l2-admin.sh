#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An L2 guest on nested KVM gets a vNVMe through QEMU's vfio-pci: the
# guest's stock nvme driver probes it and nvme-cli's admin commands answer
# as the instance is configured.  Afterwards the instance can be used again.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko
mnv_require_cmd qemu-system-x86_64 nvme

set -- $MNV_BDFS
B=$2
MDEV=/sys/bus/mdev/devices
L2=$MNV_REPO/tests/vm/l2

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || tap_bail "no nested KVM in L1 (/dev/kvm): the L2 cases need it"
modprobe vfio_iommu_type1
mnv_insmod_ko || tap_bail "insmod failed"
mnv_pci_bind "$B" mdev_nvme || tap_bail "cannot bind $B"

u=$(cat /proc/sys/kernel/random/uuid)
echo "$u" >"/sys/bus/pci/devices/$B/mdev_supported_types/mdev_nvme-2q/create"
echo 1 >"$MDEV/$u/nsid"
echo 2048 >"$MDEV/$u/lba_start"
echo 4096 >"$MDEV/$u/lba_count"

env=$MNV_TMP/guest-env
printf 'EXPECT_NSZE=4096\nEXPECT_SECTORS=4096\n' >"$env"
res=$MNV_OUT/50-l2-admin.guest
"$L2/run-l2.sh" --sysfsdev "$MDEV/$u" --env "$env" --results "$res" \
	--console "$MNV_OUT/50-l2-admin.guest-console" --timeout 400 \
	"$L2/guest-nvme-admin.sh"
tap_eq "L2 guest ran to its end" 0 $?

# The guest's own TAP lines become tests of this case.
while IFS= read -r line; do
	case "$line" in
	"ok "*" - "*) tap_ok "guest: ${line#* - }" ;;
	"not ok "*" - "*) tap_fail "guest: ${line#* - }" ;;
	"# "*) diag "${line#\# }" ;;
	esac
done <"$res"
tap_cond "guest reported its results" grep -q '^1\.\.' "$res"

tap_eq "instance closed after the guest exited" 0 "$(cat "$MDEV/$u/open")"
tap_run "instance can be opened again" "$MNV_REPO/tests/vfio/vfio-open" "$u" info
tap_run "remove instance" sh -c "echo 1 > $MDEV/$u/remove"
tap_run "give B back" mnv_pci_bind "$B" ""
tap_run "unload" rmmod mdev_nvme
tap_done
