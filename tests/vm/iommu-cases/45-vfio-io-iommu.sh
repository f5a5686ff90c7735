#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Case 45 (the I/O path through VFIO) again, in an L1 whose controllers
# sit behind an IOMMU: every PRP, PRP list page, pinned guest page and
# hardware queue reaches the controller through the DMA API's IOVAs.
[ -d /sys/class/iommu ] && [ -n "$(ls /sys/class/iommu 2>/dev/null)" ] || {
	echo "not ok 1 - an IOMMU is active in L1 (intel_iommu=on)"
	echo "1..1"
	exit 1
}
. "$MNV_REPO/tests/vm/cases/45-vfio-io.sh"
