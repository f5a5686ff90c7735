// SPDX-License-Identifier: GPL-2.0-only
/*
 * Completions: from the hardware CQs to the slots, and from the slots to
 * the guest CQs.
 *
 * Taking a hardware completion in (mnv_io_reap()) and posting it to the
 * guest (mnv_io_complete()) are two steps.  The first releases the
 * command's pages at once, because the device is done with them and a
 * bounce buffer must be copied back before the guest can see the
 * completion; the second waits for room in the guest CQ, as long as it
 * takes, without holding back the hardware CQ or dropping anything.
 *
 * Everything here runs under inst->lock.  Functions reached from env ops
 * of the core must not call back into it, and nothing of the I/O path
 * calls the core: interrupts, statistics and fatal errors found here are
 * recorded, and the glue hands them to the core after the polling pass
 * (mnv_vctrl_io_apply(), which is not an env op) through
 * mnv_io_take_failure(), mnv_io_take_stats() and mnv_io_irq_due().
 */
#include <linux/ktime.h>
#include <linux/nvme.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"
#include "io_fault.h"

bool mnv_io_cq_full(struct mnv_io *io, struct mnv_io_cq *cq)
{
	u16 next = cq->tail + 1 == cq->size ? 0 : cq->tail + 1;

	lockdep_assert_held(&mnv_io_inst(io)->lock);
	return next == mnv_io_cq_head(io, cq);
}

struct mnv_io_cq *mnv_io_get_cq(struct mnv_io *io, u16 cqid)
{
	lockdep_assert_held(&mnv_io_inst(io)->lock);
	if (!cqid || cqid > MNV_INSTANCE_MAX_QPAIRS || !io->cq[cqid].valid)
		return NULL;
	return &io->cq[cqid];
}

/**
 * mnv_io_post - write one completion at the tail of guest CQ @cqid
 * @inst: instance; caller holds inst->lock
 * @cqid: guest CQ
 * @sqid: guest SQ the command came from
 * @cid: its command id
 * @status: the Status Field without the phase tag
 * @result: dword 0
 *
 * Return: 0, -EBUSY if the CQ is full, -ENOENT if it does not exist,
 * -EPERM without bus mastering, -EFAULT if the guest memory is gone (the
 * instance is then failed).
 */
int mnv_io_post(struct mnv_instance *inst, u16 cqid, u16 sqid, u16 cid,
		u16 status, u32 result)
{
	struct mnv_io *io = &inst->io;
	struct mnv_io_cq *cq = mnv_io_get_cq(io, cqid);
	struct vnvme_cqe cqe = { };

	lockdep_assert_held(&inst->lock);
	if (!cq)
		return -ENOENT;
	if (!io->vstate.bus_master)
		return -EPERM;
	if (mnv_io_cq_full(io, cq))
		return -EBUSY;

	cqe.result = cpu_to_le32(result);
	if (sqid && sqid <= MNV_INSTANCE_MAX_QPAIRS)
		cqe.sq_head = cpu_to_le16(io->sq[sqid].head);
	cqe.sq_id = cpu_to_le16(sqid);
	cqe.cid = cpu_to_le16(cid);
	cqe.status = cpu_to_le16(status << VNVME_CQE_STATUS_SHIFT | cq->phase);
	if (mnv_io_cqe_write(inst, cq, cq->tail, &cqe)) {
		io->fatal = true;
		return -EFAULT;
	}
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= VNVME_CQE_PHASE;
	}
	if (cq->ien) {
		cq->irq_pending = true;
		cq->nr_held++;
	}
	return 0;
}

/**
 * mnv_io_take_failure - must the guest's controller fail now?
 * @inst: instance; caller holds inst->lock
 *
 * A guest queue in unreachable memory fails it, and so does a failed
 * physical controller (told once, until the guest resets its controller).
 * The glue tells the core (vnvme_fatal()).
 *
 * Return: true if the guest's controller must fail (CSTS.CFS).
 */
bool mnv_io_take_failure(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	bool fail = false;

	lockdep_assert_held(&inst->lock);
	/*
	 * Told with a warning, which may wait on a console: not in a shared
	 * poller's turn, whose worker tells it.
	 */
	if ((io->fatal || io->host_failed == MNV_HOST_FAILED_SEEN) &&
	    mnv_io_would_block(io))
		return false;
	if (io->fatal) {
		dev_warn_ratelimited(mnv_instance_dev(inst), "guest I/O queue in unreachable memory: controller failed\n");
		io->fatal = false;
		fail = true;
	}
	if (io->host_failed == MNV_HOST_FAILED_SEEN) {
		dev_warn(mnv_instance_dev(inst), "physical controller failed: guest controller failed\n");
		io->host_failed = MNV_HOST_FAILED_TOLD;
		fail = true;
	}
	return fail;
}

/**
 * mnv_io_take_stats - reads or writes completed since the last call
 * @inst: instance; caller holds inst->lock
 * @is_write: writes, else reads
 * @bytes: receives the bytes they transferred
 *
 * Return: how many completed successfully, for the glue to add to the
 * SMART / Health log (vnvme_stats_add()).
 */
u32 mnv_io_take_stats(struct mnv_instance *inst, bool is_write, u64 *bytes)
{
	struct mnv_io *io = &inst->io;
	u32 cmds;

	lockdep_assert_held(&inst->lock);
	if (is_write) {
		cmds = io->wr_cmds;
		*bytes = io->wr_bytes;
		io->wr_cmds = 0;
		io->wr_bytes = 0;
	} else {
		cmds = io->rd_cmds;
		*bytes = io->rd_bytes;
		io->rd_cmds = 0;
		io->rd_bytes = 0;
	}
	return cmds;
}

/*
 * The MSI-X vector of guest CQ @qid if completions were posted to it and
 * their interrupt not raised yet; -1 if not.  Caller holds inst->lock.
 */
int mnv_io_irq_pending(struct mnv_io *io, u16 qid)
{
	struct mnv_io_cq *cq;

	lockdep_assert_held(&mnv_io_inst(io)->lock);
	cq = mnv_io_get_cq(io, qid);
	if (!cq || !cq->irq_pending)
		return -1;
	return cq->vector;
}

/**
 * mnv_io_irq_due - is the interrupt of guest CQ @qid due?
 * @inst: instance; caller holds inst->lock
 * @qid: a CQ with an interrupt pending (mnv_io_irq_pending())
 * @coalescing: the guest's Interrupt Coalescing applies to its vector:
 *	due once @threshold completions are held, or @time_us after the
 *	first of them (vnvme_irq_coalescing())
 * @threshold: see @coalescing
 * @time_us: see @coalescing
 * @now: caches the time (0: not read yet)
 *
 * Holding it only pays off while more completions may come: with nothing
 * in flight it goes at once.  A due interrupt is taken: the glue raises
 * the vector (vnvme_irq_raise()) and the CQ holds nothing any more.
 *
 * Return: true if the vector must be raised now.
 */
bool mnv_io_irq_due(struct mnv_instance *inst, u16 qid, bool coalescing,
		    u32 threshold, u32 time_us, u64 *now)
{
	struct mnv_io_cq *cq = &inst->io.cq[qid];

	lockdep_assert_held(&inst->lock);
	if (inst->io.nr_inflight && coalescing && cq->nr_held < threshold) {
		if (!*now)
			*now = ktime_get_ns();
		if (!cq->held_since)
			cq->held_since = *now;
		if (*now - cq->held_since < (u64)time_us * NSEC_PER_USEC)
			return false;
	}
	cq->irq_pending = false;
	cq->nr_held = 0;
	cq->held_since = 0;
	inst->stats.guest_irqs++;
	return true;
}

/* A command completed successfully: count it for SMART and sysfs. */
static void mnv_io_account(struct mnv_instance *inst, struct mnv_io_slot *slot)
{
	struct mnv_io_stats *st = &inst->stats;
	struct mnv_io *io = &inst->io;

	if (!slot->bytes)
		return;
	if (slot->is_write) {
		io->wr_cmds++;
		io->wr_bytes += slot->bytes;
		st->write_cmds++;
		st->write_bytes += slot->bytes;
	} else {
		io->rd_cmds++;
		io->rd_bytes += slot->bytes;
		st->read_cmds++;
		st->read_bytes += slot->bytes;
	}
}

/**
 * mnv_io_slot_done - the hardware is done with slot @idx of pair @hq
 * @inst: instance; caller holds inst->lock
 * @hq: the pair's slots
 * @idx: a slot submitted to the hardware
 * @status: Status Field to post, without the phase tag
 * @result: dword 0 to post
 *
 * Called for a hardware completion, or once the hardware was stopped
 * (queue deleted, controller reset or failed) with the command unfinished.
 */
void mnv_io_slot_done(struct mnv_instance *inst, struct mnv_io_hq *hq,
		      u16 idx, u16 status, u32 result)
{
	struct mnv_io_slot *slot = &hq->slots[idx];

	lockdep_assert_held(&inst->lock);
	/* Copies bounce buffers back: before the guest sees the CQE. */
	mnv_io_unpin_slot(inst, slot, true);
	/* Whatever may have changed the medium is for the next flush. */
	if (slot->is_write || !slot->bytes) {
		inst->io.unflushed = true;
		/* And the next tenant of these LBAs must not read it. */
		inst->wrote = true;
	}
	slot->done = true;
	slot->status = status;
	slot->result = result;
	hq->done[(hq->done_head + hq->nr_done) % hq->nr_slots] = idx;
	hq->nr_done++;
	hq->nr_on_hw--;
}

/* Take slot @idx of @hq back: its completion went to the guest, or away. */
static void mnv_io_slot_free(struct mnv_instance *inst, struct mnv_io_hq *hq,
			     u16 idx)
{
	struct mnv_io_slot *slot = &hq->slots[idx];

	slot->busy = false;
	slot->done = false;
	hq->free[hq->nr_free++] = idx;
	inst->io.nr_inflight--;
}

/*
 * Take in one hardware completion: it ends the command its id names, if
 * that command is on the hardware in that generation of its slot.
 */
static void mnv_io_take_cqe(struct mnv_instance *inst, struct mnv_io_hq *hq,
			    const struct nvme_completion *cqe)
{
	/* Opaque to the drive: written and read back as it is. */
	u16 cid = READ_ONCE(cqe->command_id);
	u16 idx = mnv_io_cid_slot(cid);
	struct mnv_io_slot *slot = idx < hq->nr_slots ? &hq->slots[idx] : NULL;

	if (slot && slot->busy && !slot->done &&
	    cid == mnv_io_hw_cid(idx, hq->gen[idx])) {
		mnv_io_slot_done(inst, hq, idx, mnv_cqe_status(cqe),
				 le32_to_cpu(cqe->result.u32));
		return;
	}
	inst->stats.stray_cqes++;
	/* Printing may wait on a console: a poller's turn only counts it. */
	if (!inst->io.in_turn)
		dev_warn_ratelimited(mnv_instance_dev(inst), "hardware queue %u: completion of no command in flight (id %#x): ignored\n",
				     hq->hw.qid, cid);
}

/*
 * Fault injection (debugfs fail_stale_cqe): before the drive's completion
 * @cqe, it posts the pair's last completion again, while the slot that
 * one names runs another command, still on the hardware.  Not when @cqe
 * is that command's own completion: ending it early would then be
 * harmless, and a test could not tell.
 */
static void mnv_io_inject_stale_cqe(struct mnv_instance *inst,
				    struct mnv_io_hq *hq,
				    const struct nvme_completion *cqe)
{
	u16 idx = mnv_io_cid_slot(hq->last_cqe.command_id);

	if (hq->last_cqe_valid && idx < hq->nr_slots &&
	    idx != mnv_io_cid_slot(READ_ONCE(cqe->command_id)) &&
	    hq->slots[idx].busy && !hq->slots[idx].done &&
	    mnv_io_fault_stale_cqe())
		mnv_io_take_cqe(inst, hq, &hq->last_cqe);
}

/**
 * mnv_io_reap - take in the completions hardware pair @h posted
 * @inst: instance; caller holds inst->lock
 * @h: index of the pair in inst->hq
 *
 * In a shared poller's turn, MNV_IO_TURN_CQES of all pairs at most, or
 * what the turn's time allows: the rest waits in the hardware CQ.
 *
 * Return: completions taken in.
 */
unsigned int mnv_io_reap(struct mnv_instance *inst, unsigned int h)
{
	struct mnv_io_hq *hq = &inst->hq[h];
	struct mnv_hwq *hwq = &hq->hw;
	struct nvme_completion *cqe;
	unsigned int n = 0;

	lockdep_assert_held(&inst->lock);
	while (n < hwq->depth &&
	       !mnv_io_turn_spent(&inst->io, inst->io.turn_reaped,
				  MNV_IO_TURN_CQES) &&
	       (cqe = mnv_hwq_peek_cqe(hwq))) {
		if (mnv_io_fault_enabled()) {
			mnv_io_inject_stale_cqe(inst, hq, cqe);
			hq->last_cqe = *cqe;
			hq->last_cqe_valid = true;
		}
		mnv_io_take_cqe(inst, hq, cqe);
		mnv_hwq_pop_cqe(hwq);
		n++;
		if (inst->io.in_turn)
			inst->io.turn_reaped++;
	}
	/* A deleted queue has no doorbell to ring any more. */
	if (n && hwq->live)
		mnv_host_ring_cq(inst->host, hwq);
	return n;
}

/**
 * mnv_io_complete - post the completions pair @h holds to the guest
 * @inst: instance; caller holds inst->lock
 * @h: index of the pair in inst->hq
 * @mode: what to do when the guest CQ cannot take one
 *
 * In a shared poller's turn, bounded as mnv_io_reap(): the rest waits in
 * the slots (only MNV_COMPLETE_KEEP is used there).
 *
 * Return: completions posted or dropped.
 */
unsigned int mnv_io_complete(struct mnv_instance *inst, unsigned int h,
			     enum mnv_io_complete_mode mode)
{
	struct mnv_io_hq *hq = &inst->hq[h];
	unsigned int n = 0;
	int ret;

	lockdep_assert_held(&inst->lock);
	while (hq->nr_done &&
	       !mnv_io_turn_spent(&inst->io, inst->io.turn_posted,
				  MNV_IO_TURN_CQES)) {
		u16 idx = hq->done[hq->done_head];
		struct mnv_io_slot *slot = &hq->slots[idx];

		ret = -ENOENT;
		if (mode != MNV_COMPLETE_DROP)
			ret = mnv_io_post(inst, slot->cqid, slot->sqid,
					  slot->cid, slot->status, slot->result);
		if (ret && mode == MNV_COMPLETE_KEEP &&
		    (ret == -EBUSY || ret == -EPERM))
			break;
		if (!ret && !slot->status)
			mnv_io_account(inst, slot);
		hq->done_head = (hq->done_head + 1) % hq->nr_slots;
		hq->nr_done--;
		mnv_io_slot_free(inst, hq, idx);
		n++;
		if (inst->io.in_turn)
			inst->io.turn_posted++;
	}
	return n;
}
