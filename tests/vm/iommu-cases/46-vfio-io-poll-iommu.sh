#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Case 45 once more behind the IOMMU, with both instances in poll mode:
# the whole data path then runs in a shared poller's turns, which never
# block, and in the worker that takes over what could (pin misses, list
# reads through VFIO, unpins).  Each PRP, list page and pinned page still
# reaches the controller as an IOVA.
. "$MNV_REPO/tests/vm/lib.sh"
if [ -z "$(ls /sys/class/iommu 2>/dev/null)" ]; then
	tap_fail "an IOMMU is active in L1 (intel_iommu=on)"
	tap_done
fi
MNV_CASE45_MODE=poll
. "$MNV_REPO/tests/vm/cases/45-vfio-io.sh"
