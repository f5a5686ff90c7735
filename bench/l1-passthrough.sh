#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's passthrough configuration, in an L1 VM with an emulated
# IOMMU: controller B handed whole to an L2 guest through vfio-pci.
. "$MNV_REPO/tests/vm/lib.sh"
. "$MNV_REPO/bench/lib-bench.sh"
mnv_require_root

# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
B=$2
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || tap_bail "no nested KVM in L1"
modprobe vfio-pci

bench_fill "$B"

tap_run "bind $B to vfio-pci" mnv_pci_bind "$B" vfio-pci ||
	tap_bail "cannot bind $B to vfio-pci"
guest_config passthrough /dev/nvme0n1 \
	--qemu-arg -device --qemu-arg "vfio-pci,host=$B"
tap_run "$B back on its default driver" mnv_pci_bind "$B" ""
tap_done
