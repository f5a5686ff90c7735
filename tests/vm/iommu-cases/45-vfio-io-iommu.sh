#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Case 45 (the I/O path through VFIO) again, in an L1 whose controllers
# sit behind an IOMMU: every PRP, PRP list page, pinned guest page and
# hardware queue reaches the controller through the DMA API's IOVAs.
. "$MNV_REPO/tests/vm/lib.sh"
if [ -z "$(ls /sys/class/iommu 2>/dev/null)" ]; then
	tap_fail "an IOMMU is active in L1 (intel_iommu=on)"
	tap_done
fi
. "$MNV_REPO/tests/vm/cases/45-vfio-io.sh"
