// SPDX-License-Identifier: GPL-2.0-only
/*
 * Faults of a misbehaving drive, injected for tests on a kernel built
 * with CONFIG_FAULT_INJECTION_DEBUG_FS.  Each is a fault attribute in
 * /sys/kernel/debug/mdev_nvme/ (armed as the kernel's fault-injection
 * documentation says: probability, interval, times):
 *
 *  - fail_stale_cqe: while the I/O path reaps a hardware pair, the drive
 *    seems to post the pair's previous completion again, when the slot it
 *    names already runs another command (io_complete.c).
 *
 * An emulated drive never does such things, and nothing else could make
 * the tests meet them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "io_fault.h"

static DECLARE_FAULT_ATTR(mnv_fail_stale_cqe);
static struct dentry *mnv_fault_dir;

/* Armed at all?  Keeps the reap path free of extra copies otherwise. */
bool mnv_io_fault_enabled(void)
{
	return READ_ONCE(mnv_fail_stale_cqe.probability) != 0;
}

bool mnv_io_fault_stale_cqe(void)
{
	return should_fail(&mnv_fail_stale_cqe, 1);
}

void mnv_io_fault_init(void)
{
	struct dentry *attr;

	/* Tests only: the module works the same without the directory. */
	mnv_fault_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	attr = fault_create_debugfs_attr("fail_stale_cqe", mnv_fault_dir,
					 &mnv_fail_stale_cqe);
	if (IS_ERR(attr))
		pr_warn("no fault injection in debugfs (%pe)\n", attr);
}

void mnv_io_fault_exit(void)
{
	debugfs_remove_recursive(mnv_fault_dir);
}
