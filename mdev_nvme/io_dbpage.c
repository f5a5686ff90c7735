// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zero-exit doorbells: the doorbell page of BAR0 (0x1000-0x1fff) offered
 * to the VMM as mmap-able memory, through the VFIO sparse-mmap capability
 * of the region.  QEMU maps it straight into the guest, so a doorbell
 * write is a plain store: no VM exit, no trip through the VMM and the
 * region write path.  The register page and the MSI-X pages stay trapped.
 *
 * A store wakes nobody, so the page is only offered to an instance in
 * poll mode, whose thread never sleeps: on every pass it compares each
 * doorbell slot with the value it last saw (mnv_io_dbpage_next()), and
 * the glue replays a changed one into the emulated controller as if the
 * write had trapped (in a shared poller's turn only those of I/O queues
 * the controller takes without an error event: vctrl.c).  The admin
 * queue doorbells live in the same page, so admin commands then run in
 * the polling thread too.
 *
 * The page is allocated at open and freed at close.  A VMM mapping keeps
 * a reference on the page, and the mapping keeps the device file, hence
 * the open state, alive: close cannot free a page still mapped.
 *
 * Only the slots of queues the instance can have are watched; a store to
 * any other slot is lost, where a trapped write to it would have raised
 * an Invalid Doorbell Register error event.  Doorbell slots read back
 * the last value written (they read 0 when trapped): the specification
 * leaves doorbell reads undefined.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/vfio.h>

#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

static bool mmap_doorbells = true;
module_param(mmap_doorbells, bool, 0644);
MODULE_PARM_DESC(mmap_doorbells,
		 "Let the VMM map the doorbells of poll-mode instances, so that a doorbell write causes no VM exit (read at open)");

/* The doorbells have a page of their own only where pages are 4 KiB. */
#define MNV_DBPAGE_POSSIBLE	(PAGE_SIZE == MNV_IO_PAGE_SIZE)

/* Allocate the page if the instance gets one.  inst->lock held. */
int mnv_io_dbpage_open(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!MNV_DBPAGE_POSSIBLE || io->mode != MNV_IO_POLL ||
	    !READ_ONCE(mmap_doorbells))
		return 0;
	io->db_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!io->db_page)
		return -ENOMEM;
	io->db_vals = page_address(io->db_page);
	io->db_slots = 2 * (inst->nr_qpairs + 1);
	return 0;
}

/* Drop the module's reference; a mapping still has one.  inst->lock held. */
void mnv_io_dbpage_close(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!io->db_page)
		return;
	put_page(io->db_page);
	io->db_page = NULL;
	io->db_vals = NULL;
}

/*
 * Controller reset: doorbells start again from zero.  A guest that rings
 * after the reset with the value it rang last before must be seen, so
 * the page and the values seen are cleared together.  inst->lock held.
 */
void mnv_io_dbpage_reset(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	if (!io->db_vals)
		return;
	for (i = 0; i < io->db_slots; i++)
		WRITE_ONCE(io->db_vals[i], 0);
	memset(io->db_seen, 0, sizeof(io->db_seen));
}

/*
 * A queue is created: its doorbell starts from zero, whatever the guest
 * rang on a queue of that id before (it may delete and create queues
 * without a reset).  The guest cannot ring the new queue before this
 * creation completes.  Its shadow doorbell too, if there is one: this is
 * the one hook queue creation calls.  inst->lock held.
 */
void mnv_io_dbpage_new_queue(struct mnv_instance *inst, u16 qid, bool is_cq)
{
	struct mnv_io *io = &inst->io;
	unsigned int i = 2 * qid + is_cq;

	lockdep_assert_held(&inst->lock);
	mnv_io_dbbuf_new_queue(inst, qid, is_cq);
	if (!io->db_vals || i >= io->db_slots)
		return;
	WRITE_ONCE(io->db_vals[i], 0);
	io->db_seen[i] = 0;
}

/*
 * A doorbell write that trapped all the same (the VMM did not map the
 * page, or wrote through the region file): store it in the page, where
 * the polling thread picks it up with the others, in order.  Returns
 * false when the page is not in use and the write must go to the core.
 * @off is in the doorbell page; inst->lock held.
 */
bool mnv_io_dbpage_write(struct mnv_instance *inst, u64 off, const void *buf,
			 size_t size)
{
	struct mnv_io *io = &inst->io;
	u64 pos = off - VNVME_BAR0_DB_OFF;
	const u8 *src = buf;
	u32 idx, n, val;

	lockdep_assert_held(&inst->lock);
	if (!io->db_vals)
		return false;
	if (pos + size > 4 * io->db_slots)
		return false;
	/* Whole dwords at a time: the thread must never see a torn value. */
	while (size) {
		idx = pos / 4;
		n = vnvme_dword_piece(pos, size);
		val = le32_to_cpu(READ_ONCE(io->db_vals[idx]));
		val = vnvme_dword_merge(val, pos, src, n);
		WRITE_ONCE(io->db_vals[idx], cpu_to_le32(val));
		pos += n;
		src += n;
		size -= n;
	}
	return true;
}

/**
 * mnv_io_dbpage_next - the next doorbell that changed since last seen
 * @inst: instance; polling thread, caller holds inst->lock
 * @slot: the slot to look from; receives the one found (doorbell 2 * qid
 *	for an SQ tail, 2 * qid + 1 for a CQ head)
 * @val: receives the value written there, to replay into the controller
 *	as if the write had trapped (vctrl.c)
 *
 * The value is not marked seen: the caller takes it with
 * mnv_io_dbpage_take() when it replays it, or leaves it for a later pass.
 *
 * Return: false once no slot from @slot on changed.
 */
bool mnv_io_dbpage_next(struct mnv_instance *inst, unsigned int *slot,
			__le32 *val)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	if (!io->db_vals)
		return false;
	for (i = *slot; i < io->db_slots; i++) {
		*val = READ_ONCE(io->db_vals[i]);
		if ((__force u32)*val == io->db_seen[i])
			continue;
		/* The guest wrote its entries before the doorbell. */
		smp_rmb();
		*slot = i;
		return true;
	}
	return false;
}

/* Doorbell @slot was replayed with @val: seen.  Caller holds inst->lock. */
void mnv_io_dbpage_take(struct mnv_instance *inst, unsigned int slot,
			__le32 val)
{
	lockdep_assert_held(&inst->lock);
	inst->io.db_seen[slot] = (__force u32)val;
}

/*
 * Has a doorbell of the page changed since the last pass?  Marks nothing
 * seen: the pass replays it.  Caller holds inst->lock.
 */
bool mnv_io_dbpage_moved(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	if (!io->db_vals)
		return false;
	for (i = 0; i < io->db_slots; i++)
		if ((__force u32)READ_ONCE(io->db_vals[i]) != io->db_seen[i])
			return true;
	return false;
}

/* Does the VMM get the doorbell page?  Constant while the device is open. */
bool mnv_io_dbpage_offered(struct mnv_instance *inst)
{
	return inst->io.db_page;
}

/*
 * Map the doorbell page for the VMM.  Called with the mm's mmap lock
 * held, which the I/O path takes under inst->lock (guest memory access):
 * inst->lock is not taken here.  The page is set before the device file
 * is handed out and freed only when the last mapping and the file are
 * gone, so it cannot change under this call.
 */
int mnv_io_dbpage_mmap(struct mnv_instance *inst, u64 region_off,
		       struct vm_area_struct *vma)
{
	struct page *page = inst->io.db_page;

	mmap_assert_locked(vma->vm_mm);
	if (!page || region_off != VNVME_BAR0_DB_OFF ||
	    vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	/* A private copy would never reach the polling thread. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	return vm_insert_page(vma, vma->vm_start, page);
}
