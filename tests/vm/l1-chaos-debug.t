#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The chaos run (chaos-cases/, 90 s) on the debug kernel of
# scripts/debug-kernel.sh (KASAN, lockdep, kmemleak; see l1-tap.sh,
# MNV_DEBUG_KERNEL): resets, FLRs, killed VMMs, unmaps and destroyed
# instances racing verified I/O, with every splat and leak reported.
# Run by make check-debug.
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
export MNV_DEBUG_KERNEL=${MNV_DEBUG_KERNEL:-$REPO/build/debug-kernel}
exec "$REPO/tests/vm/l1-tap.sh" 6.1 chaos-cases
