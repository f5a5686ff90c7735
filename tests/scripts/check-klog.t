#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel log scanner of the VM tests (tests/vm/check-klog.sh) on logs
# written here: boot banners of debug kernels are no splat, every report
# kind is one, and only the known emulation warning is dropped.
set -u
VMDIR=$(cd "$(dirname "$0")/../vm" && pwd)
KLOG=$VMDIR/check-klog.sh
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$VMDIR/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# expect_scan NAME WANT_RC TEXT: scan TEXT, compare the exit status.
expect_scan() {
	printf '%b' "$3" >"$TMP/log"
	bash "$KLOG" "$TMP/log" >"$TMP/out" 2>&1
	tap_eq "$1 (exit status)" "$2" "$?" || diag_file "$TMP/out"
}

BANNERS='[    0.000000] Kernel command line: console=ttyS0 hung_task_panic=1\n'
BANNERS+='[    0.100000] KernelAddressSanitizer initialized (generic)\n'
BANNERS+='[    4.343042] rcu: \tRCU lockdep checking is enabled.\n'
BANNERS+='[    4.562183] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar\n'
BANNERS+='[    4.562488] ... MAX_LOCKDEP_SUBCLASSES:  8\n'

expect_scan "debug kernel boot banners are clean" 0 "$BANNERS"
expect_scan "a lockdep cycle after the banners is a splat" 1 \
	"${BANNERS}[ 2873.718819] WARNING: possible circular locking dependency detected\n"
expect_scan "a lockdep recursion report is a splat" 1 \
	"[   10.0] WARNING: possible recursive locking detected\n"
expect_scan "a KASAN report is a splat" 1 \
	"[   10.0] BUG: KASAN: use-after-free in mnv_io_reap+0x1/0x2\n"
expect_scan "a kmemleak notice is a splat" 1 \
	"[   10.0] kmemleak: 1 new suspected memory leaks\n"
expect_scan "a hung task is a splat" 1 \
	"[  130.0] INFO: task vfio-io:321 blocked for more than 120 seconds.\n"
expect_scan "the nested-KVM XSAVE warning block is dropped" 0 \
	"[    1.0] ------------[ cut here ]------------\n[    1.0] XSAVE consistency problem: size 2568 != kernel_size 2560\n[    1.0] WARNING: CPU: 0 PID: 0 at arch/x86/kernel/fpu/xstate.c:1\n[    1.0] Call Trace:\n[    1.0] ---[ end trace 0000000000000000 ]---\n"
expect_scan "any other warning block is a splat" 1 \
	"[    1.0] ------------[ cut here ]------------\n[    1.0] WARNING: CPU: 0 PID: 1 at mdev_nvme/io_recover.c:360\n[    1.0] Call Trace:\n[    1.0] ---[ end trace 0000000000000000 ]---\n"

tap_done
