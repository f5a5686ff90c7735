#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An L2 guest on nested KVM gets a vNVMe through QEMU's vfio-pci: the
# guest's stock nvme driver probes it and nvme-cli's admin commands answer
# as the instance is configured.  Afterwards the instance can be used again.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2
mnv_require_cmd qemu-system-x86_64 nvme
L2=$MNV_REPO/tests/vm/l2

mnv_require_kvm
mnv_take_controllers "$B"
mnv_instance u "$B" 2 1 2048 4096

env=$MNV_TMP/guest-env
printf 'EXPECT_NSZE=4096\nEXPECT_SECTORS=4096\n' >"$env"
res=$MNV_OUT/50-l2-admin.guest
"$L2/run-l2.sh" --sysfsdev "$MDEV/$u" --env "$env" --results "$res" \
	--console "$MNV_OUT/50-l2-admin.guest-console" --timeout 400 \
	"$L2/guest-nvme-admin.sh"
tap_eq "L2 guest ran to its end" 0 $?

# The guest's own TAP lines become tests of this case.
mnv_guest_results "$res"

tap_eq "instance closed after the guest exited" 0 "$(cat "$MDEV/$u/open")"
tap_run "instance can be opened again" "$MNV_REPO/tests/vfio/vfio-open" "$u" info
tap_run "remove instance" sh -c "echo 1 > $MDEV/$u/remove"
mnv_release "$B"
tap_done
