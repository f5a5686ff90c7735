#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-klog.sh FILE
#
# Scan a kernel log (dmesg output or a serial console capture) for splats:
# warnings, BUGs, oopses, lockdep/KASAN/UBSAN/KFENCE/slub_debug reports,
# debugobjects (ODEBUG) reports, kmemleak's leak notices (and kmemleak
# switching itself off, which would hide leaks),
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
	'ODEBUG:'
	'suspected memory leak'
	'kmemleak: .*disabled'
	'KFENCE:'
	'Kernel panic'
)

# Lines that contain a pattern but are no splat: the KASAN and RCU boot
# banners, and the command line echo (it may carry options like
# hung_task_panic=).
IGNORE=(
	'KernelAddressSanitizer initialized'
	'rcu:[[:space:]]+RCU lockdep checking is enabled'
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

# Known warnings of the emulation, not of the code under test, dropped as
# whole blocks (from "[ cut here ]" to "---[ end trace"), each only when
# its first lines carry the exact text below:
#  - nested KVM under TCG (-cpu max) reports XSAVE sizes the L2 kernel
#    finds inconsistent: it warns once while booting, before any driver.
BENIGN_BLOCKS=(
	'XSAVE consistency problem: size [0-9]+ != kernel_size [0-9]+'
)
drop_benign() {
	local b re=
	for b in "${BENIGN_BLOCKS[@]}"; do
		re=${re:+$re|}$b
	done
	awk -v re="$re" '
		function flush(   i) { for (i = 1; i <= n; i++) print buf[i]; n = 0 }
		/-+\[ cut here \]-+/ { flush(); inblk = 1; benign = 0; n = 1; buf[1] = $0; next }
		inblk && n < 4 && $0 ~ re { benign = 1 }
		inblk && /---\[ end trace/ { if (!benign) { buf[++n] = $0; flush() } n = 0; inblk = 0; next }
		inblk { buf[++n] = $0; if (n > 200) { flush(); inblk = 0 } next }
		{ print }
		END { flush() }'
}

hits=$(tr -d '\r' <"$1" | drop_benign | grep -a -E "${args[@]}" | grep -a -v -E "${ign[@]}")
if [ -n "$hits" ]; then
	printf '%s\n' "$hits"
	exit 1
fi
exit 0
