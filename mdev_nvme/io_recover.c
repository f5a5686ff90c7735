// SPDX-License-Identifier: GPL-2.0-only
/*
 * Getting the hardware to let go of an instance's commands, without
 * touching any other instance.
 *
 * A guest reset, shutdown, FLR or close, a guest deleting an SQ, and the
 * VMM unmapping memory all need the commands in flight to be over before
 * their pages are released.  They get a short time to finish on their
 * own; then the instance's own hardware queue pair is deleted on the
 * controller, which completes or aborts every command of the pair before
 * it acknowledges, and the pair is created again.  Other instances' pairs
 * are not touched.  Only if the controller fails to delete a queue is it
 * reset (host_admin.c): then every instance finds its pairs stale on its
 * next pass, ends its commands with a status the guest retries
 * (Command Abort Requested, DNR clear) and creates its pairs again.
 *
 * The rule that keeps host memory safe: a page or ring is released only
 * after the hardware completed its command, or the pair was deleted, or
 * the controller was disabled (a reset) or cut off from memory (failed).
 *
 * Everything here runs under inst->lock and may sleep.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/nvme.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

/*
 * Time commands in flight get to finish on their own before a reset,
 * close or SQ deletion deletes their hardware queue pair: a controller
 * takes micro- to milliseconds per command, and the deletion costs four
 * admin commands that every instance's queue creation waits behind.
 */
#define MNV_IO_GRACE_MS		20
/*
 * Time commands that use memory the VMM unmaps may run before their pair
 * is deleted under them: longer, since other commands of the guest on
 * the same pair are aborted with them.
 */
#define MNV_IO_UNMAP_WAIT_MS	1000
/* Pins in a range being unmapped are refused for this long. */
#define MNV_IO_UNMAP_HOLDOFF_MS	100
/* A cache flush on a reset may take as long as an admin command. */
#define MNV_IO_FLUSH_TIMEOUT_MS	30000
/* Low byte of that flush's command id (io.h, mnv_io_hw_cid()): no slot's. */
#define MNV_IO_FLUSH_CID	MNV_IO_MAX_SLOTS
static_assert(MNV_IO_FLUSH_CID < MNV_IO_NR_CIDS);

/* Create pair @h on the controller if it is not; a failure fails the guest. */
static void mnv_io_hq_start(struct mnv_instance *inst, unsigned int h)
{
	struct mnv_io_hq *hq = &inst->hq[h];
	int ret;

	lockdep_assert_held(&inst->lock);
	if (hq->hw.live || READ_ONCE(inst->host->dead))
		return;
	/* The new pair's CQ starts empty: nothing of it to replay. */
	hq->last_cqe_valid = false;
	ret = mnv_hwq_start(inst->host, &hq->hw);
	/* A reset (another tenant's fault) came in between: once more. */
	if (ret == -EAGAIN)
		ret = mnv_hwq_start(inst->host, &hq->hw);
	if (ret)
		inst->io.fatal = true;
}

/*
 * The hardware no longer runs any command of pair @h (queue deleted,
 * controller reset or failed): end those it did not complete with
 * @status.
 */
static void mnv_io_hq_stopped(struct mnv_instance *inst, unsigned int h,
			      u16 status)
{
	struct mnv_io_hq *hq = &inst->hq[h];
	unsigned int idx;

	lockdep_assert_held(&inst->lock);
	for (idx = 0; idx < hq->nr_slots && hq->nr_on_hw; idx++) {
		if (!hq->slots[idx].busy || hq->slots[idx].done)
			continue;
		mnv_io_slot_done(inst, hq, idx, status, 0);
		inst->stats.aborted_cmds++;
	}
}

/*
 * Delete pair @h on the controller (unless a reset did), take in what
 * it completed, end the rest with @status and create the pair again.
 */
static void mnv_io_hq_restart(struct mnv_instance *inst, unsigned int h,
			      u16 status)
{
	lockdep_assert_held(&inst->lock);
	mnv_hwq_stop(inst->host, &inst->hq[h].hw);
	mnv_io_reap(inst, h);
	mnv_io_hq_stopped(inst, h, status);
	inst->stats.queue_restarts++;
	mnv_io_hq_start(inst, h);
}

/**
 * mnv_io_check_host - act on a reset or failure of the controller
 * @inst: instance; caller holds inst->lock
 *
 * A failed controller is cut off from memory: every command in flight is
 * over, and the guest is told its controller failed.  After a reset,
 * pairs created before it are stale: their commands were aborted by it.
 */
void mnv_io_check_host(struct mnv_instance *inst)
{
	struct mnv_host *host = inst->host;
	struct mnv_io *io = &inst->io;
	unsigned int h;

	lockdep_assert_held(&inst->lock);
	/* Pairs with mnv_host_fail_locked(): the controller is cut off. */
	if (smp_load_acquire(&host->dead)) {
		if (io->host_failed != MNV_HOST_OK)
			return;
		io->host_failed = MNV_HOST_FAILED_SEEN;
		for (h = 0; h < inst->nr_qpairs; h++) {
			inst->hq[h].hw.live = false;
			mnv_io_hq_stopped(inst, h, NVME_SC_INTERNAL);
		}
		return;
	}
	for (h = 0; h < inst->nr_qpairs; h++) {
		if (!mnv_hwq_stale(host, &inst->hq[h].hw))
			continue;
		/* The restart waits for the controller's admin queue. */
		if (mnv_io_would_block(io))
			return;
		mnv_io_hq_restart(inst, h, NVME_SC_ABORT_REQ);
	}
}

/* Commands of the instance on the hardware; caller holds inst->lock. */
unsigned int mnv_io_nr_on_hw(struct mnv_instance *inst)
{
	unsigned int h, on_hw = 0;

	lockdep_assert_held(&inst->lock);
	for (h = 0; h < inst->nr_qpairs; h++)
		on_hw += inst->hq[h].nr_on_hw;
	return on_hw;
}

/*
 * How long commands may sit on the hardware with none of them completing
 * before the instance asks whether the controller is still there: a
 * removed one completes nothing, and nothing else would tell (QEMU's
 * reads zeroes, not all ones).  A busy drive completes something well
 * within this; a slow command only costs one look per period.
 */
#define MNV_IO_SILENT_MS	1000

/**
 * mnv_io_check_silence - notice a controller gone from under the I/O
 * @inst: instance; caller holds inst->lock
 * @progress: this pass took in a completion
 */
void mnv_io_check_silence(struct mnv_instance *inst, bool progress)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!mnv_io_nr_on_hw(inst) || progress) {
		io->silent_since = jiffies;
		return;
	}
	if (time_before(jiffies, io->silent_since +
				 msecs_to_jiffies(MNV_IO_SILENT_MS)))
		return;
	/* The check takes the controller's admin lock. */
	if (mnv_io_would_block(io))
		return;
	io->silent_since = jiffies;
	/* inst->lock comes before admin_lock: see io.h. */
	mnv_host_check_gone(inst->host);
}

/*
 * Create again the pairs whose creation failed before, at open and at a
 * guest reset: not on every pass, which would spin on admin commands.
 */
void mnv_io_hqs_start(struct mnv_instance *inst)
{
	unsigned int h;

	lockdep_assert_held(&inst->lock);
	mnv_io_check_host(inst);
	for (h = 0; h < inst->nr_qpairs; h++)
		mnv_io_hq_start(inst, h);
}

/**
 * mnv_io_quiesce - end the commands in flight on pair @only (all if < 0)
 * @inst: instance; caller holds inst->lock
 * @only: index of a pair in inst->hq, or -1
 * @mode: MNV_COMPLETE_IF_ROOM or MNV_COMPLETE_DROP (the guest queues go)
 *
 * Returns with nothing of those pairs on the hardware and nothing
 * waiting to be posted.
 */
void mnv_io_quiesce(struct mnv_instance *inst, int only,
		    enum mnv_io_complete_mode mode)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(MNV_IO_GRACE_MS);
	unsigned int h, on_hw;

	lockdep_assert_held(&inst->lock);
	mnv_io_check_host(inst);
	for (;;) {
		on_hw = 0;
		for (h = 0; h < inst->nr_qpairs; h++) {
			if (only >= 0 && h != (unsigned int)only)
				continue;
			mnv_io_reap(inst, h);
			mnv_io_complete(inst, h, mode);
			on_hw += inst->hq[h].nr_on_hw;
		}
		if (!on_hw || time_after(jiffies, deadline))
			break;
		mnv_cmd_poll_nap();
	}
	for (h = 0; h < inst->nr_qpairs && on_hw; h++) {
		if ((only >= 0 && h != (unsigned int)only) ||
		    !inst->hq[h].nr_on_hw)
			continue;
		mnv_io_hq_restart(inst, h, NVME_SC_ABORT_QUEUE);
		mnv_io_complete(inst, h, mode);
	}
}

/**
 * mnv_io_flush_cache - make what the guest wrote durable
 * @inst: instance, quiesced; caller holds inst->lock
 *
 * A reset, shutdown or close reports done only once a controller with a
 * volatile write cache has flushed it, as a real controller would have.
 */
void mnv_io_flush_cache(struct mnv_instance *inst)
{
	struct mnv_host *host = inst->host;
	struct mnv_io *io = &inst->io;
	struct mnv_io_hq *hq = &inst->hq[0];
	struct mnv_hwq *hwq = &hq->hw;
	struct nvme_command cmd = { };
	struct nvme_completion *cqe;
	unsigned int stray;
	u16 status, cid;

	lockdep_assert_held(&inst->lock);
	if (!io->unflushed || !host->volatile_write_cache || !hwq->live ||
	    mnv_hwq_stale(host, hwq) || READ_ONCE(host->dead) ||
	    WARN_ON_ONCE(hq->nr_on_hw))
		return;

	cmd.common.opcode = nvme_cmd_flush;
	cmd.common.nsid = cpu_to_le32(io->host_nsid);
	cid = mnv_io_next_cid(hq->gen, MNV_IO_FLUSH_CID);
	cmd.common.command_id = cid;
	mnv_hwq_push(hwq, &cmd);
	/*
	 * Not during a controller reset: the pair is gone then, and made
	 * again with the flush still owed (@unflushed stays set).
	 */
	if (!mnv_host_ring_sq(host, hwq))
		return;

	cqe = mnv_host_wait_cqe(host, hwq, cid,
				MNV_IO_FLUSH_TIMEOUT_MS, &stray);
	inst->stats.stray_cqes += stray;
	if (IS_ERR(cqe)) {
		dev_warn(mnv_instance_dev(inst), "cache flush did not complete (%pe)\n",
			 cqe);
		/* Deleting the pair aborts the flush. */
		mnv_io_hq_restart(inst, 0, NVME_SC_ABORT_QUEUE);
		return;
	}
	status = mnv_cqe_status(cqe);
	mnv_hwq_pop_cqe(hwq);
	mnv_host_ring_cq(host, hwq);
	if (status) {
		dev_warn(mnv_instance_dev(inst), "cache flush failed (status 0x%x)\n",
			 status);
		return;
	}
	io->unflushed = false;
	inst->stats.cache_flushes++;
}

/* Does a command pair @hq has on the hardware use a page in [@start, @last]? */
static bool mnv_io_hq_uses(struct mnv_io_hq *hq, u64 start, u64 last)
{
	unsigned int idx, i;

	for (idx = 0; idx < hq->nr_slots; idx++) {
		const struct mnv_io_slot *slot = &hq->slots[idx];

		if (!slot->busy || slot->done)
			continue;
		for (i = 0; i < slot->nr_pages; i++)
			if (slot->pages[i].iova >= start &&
			    slot->pages[i].iova <= last)
				return true;
	}
	return false;
}

/**
 * mnv_io_dma_unmap - the VMM unmaps guest memory [@iova, @iova + @length)
 * @inst: instance; caller holds inst->lock (taken for VFIO .dma_unmap)
 * @iova: start of the range
 * @length: bytes
 *
 * Only the commands that use the range are waited for (their pair is
 * deleted if they take too long); completions wait for the guest as
 * usual.  Then the pin cache and the mapped rings let go of every page in
 * the range.  For a short while new pins in the range are refused, so
 * that the VFIO container finds the range unpinned when it checks again.
 *
 * Return: false if the I/O path is not open; true if it is, and then what
 * it found is the glue's to hand to the core (mnv_vctrl_io_apply()) and
 * the completions taken in are the polling thread's to post.
 */
bool mnv_io_dma_unmap(struct mnv_instance *inst, u64 iova, u64 length)
{
	struct mnv_io *io = &inst->io;
	u64 start = iova & PAGE_MASK;
	u64 end = iova + length;
	unsigned long deadline, busy;
	unsigned int h;
	u64 last;

	/* Page aligned, exclusive; 0 stands for the top of the space. */
	end = end < iova ? 0 : ALIGN(end, PAGE_SIZE);
	last = end ? end - 1 : U64_MAX;

	lockdep_assert_held(&inst->lock);
	if (!io->ready)
		return false;
	io->unmap_start = start;
	io->unmap_end = end ? end : U64_MAX;
	io->unmap_until = jiffies + msecs_to_jiffies(MNV_IO_UNMAP_HOLDOFF_MS);
	mnv_io_check_host(inst);
	deadline = jiffies + msecs_to_jiffies(MNV_IO_UNMAP_WAIT_MS);
	for (;;) {
		busy = 0;
		for (h = 0; h < inst->nr_qpairs; h++) {
			if (!inst->hq[h].nr_on_hw)
				continue;
			mnv_io_reap(inst, h);
			if (mnv_io_hq_uses(&inst->hq[h], start, last))
				busy |= BIT(h);
		}
		if (!busy)
			break;
		if (time_after(jiffies, deadline)) {
			dev_warn(mnv_instance_dev(inst), "commands on memory being unmapped did not complete: aborting them\n");
			for (h = 0; h < inst->nr_qpairs; h++)
				if (busy & BIT(h))
					mnv_io_hq_restart(inst, h,
							  NVME_SC_ABORT_QUEUE);
			break;
		}
		mnv_cmd_poll_nap();
	}
	/* Nothing on the hardware uses a cached page of the range now. */
	WARN_ON(mnv_io_pins_drop(inst, start, end));
	/* Rings there go back to vfio_dma_rw(), which will fail on them. */
	mnv_io_rings_drop(inst, start, end);
	/* Shadow doorbells in memory going away: the guest is broken. */
	if (mnv_io_dbbuf_in(io, start, end))
		mnv_io_dbbuf_lost(inst);
	return true;
}
