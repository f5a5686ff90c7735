#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# L1 VM tests on the newest installed Debian 6.12 kernel (see l1-tap.sh).
#
# This L1 bounces all DMA through swiotlb (512 MiB of it): the module's
# syncs must copy exactly what each command transfers, before the guest
# sees its completion, and never an older view of a page back over it.
MNV_L1_ARGS="--append swiotlb=262144,force ${MNV_L1_ARGS:-}"
export MNV_L1_ARGS
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.12
