#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The I/O path with an IOMMU in L1 (q35, emulated Intel IOMMU) on the
# newest installed Debian 6.1 kernel (see l1-tap.sh).
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.1 iommu-cases
