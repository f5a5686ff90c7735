#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-klog.sh FILE
#
# Scan a kernel log (dmesg output or a serial console capture) for splats:
# warnings, BUGs, oopses, lockdep/KASAN/UBSAN/KFENCE/slub_debug reports,
# general protection faults, segfaults, IOMMU faults, completions the nvme
# driver did not expect, hung tasks, panics.  The same rules serve the L1
# kernel and every L2 guest's console.
# Prints the offending lines (carriage returns stripped) on stdout.
# Exit status: 0 clean, 1 splats found, 2 FILE unreadable.
#
# Kept separate from the aggregator so it can be tried on any saved log.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 FILE" >&2
	exit 2
fi
if [ ! -r "$1" ]; then
	echo "check-klog: cannot read $1" >&2
	exit 2
fi

# Matched case-sensitively: lockdep-enabled kernels print "LOCKDEP" in
# harmless boot banners, real reports use the lower-case words.
PATTERNS=(
	'WARNING:'
	'BUG:'
	'kernel BUG at'
	'Oops'
	'general protection'
	'segfault at'
	'Call Trace'
	'DMAR: \[DMA'
	'DMAR: DRHD: handling fault'
	'AMD-Vi: Event'
	'invalid id .* completed on queue'
	'BUG [^ ]+ \((Not t|T)ainted'
	'Redzone overwritten'
	'Poison overwritten'
	'Object padding overwritten'
	'Freepointer corrupt'
	'lockdep'
	'possible circular locking'
	'possible recursive locking'
	'KASAN'
	'UBSAN'
	'scheduling while atomic'
	'refcount_t'
	'hung_task'
	'blocked for more than'
	'soft lockup'
	'hard LOCKUP'
	'rcu_.*detected stall'
	'list_add corruption'
	'list_del corruption'
	'Kernel panic'
)

# Lines that contain a pattern but are no splat: the KASAN boot banner, and
# the command line echo (it may carry options like hung_task_panic=).
IGNORE=(
	'KernelAddressSanitizer initialized'
	'Kernel command line:'
)

args=()
for p in "${PATTERNS[@]}"; do
	args+=(-e "$p")
done
ign=()
for p in "${IGNORE[@]}"; do
	ign+=(-e "$p")
done

hits=$(tr -d '\r' <"$1" | grep -a -E "${args[@]}" | grep -a -v -E "${ign[@]}")
if [ -n "$hits" ]; then
	printf '%s\n' "$hits"
	exit 1
fi
exit 0
