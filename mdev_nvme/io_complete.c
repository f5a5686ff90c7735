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
 * of the core must not call back into it: interrupts, statistics and
 * fatal errors found there are recorded and handed to the core later by
 * mnv_io_flush_core(), which is not an env op.
 */
#include <linux/ktime.h>
#include <linux/nvme.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

bool mnv_io_cq_full(struct mnv_io *io, struct mnv_io_cq *cq)
{
	u16 next = cq->tail + 1 == cq->size ? 0 : cq->tail + 1;

	return next == mnv_io_cq_head(io, cq);
}

struct mnv_io_cq *mnv_io_get_cq(struct mnv_io *io, u16 cqid)
{
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

/*
 * Is the interrupt of @cq due, given the guest's Interrupt Coalescing
 * setting?  Holding it only pays off while more completions may come:
 * with nothing in flight it goes at once.  @now caches the time.
 */
static bool mnv_io_irq_due(struct mnv_instance *inst, struct mnv_io_cq *cq,
			   u64 *now)
{
	u32 threshold, time_us;

	if (!inst->io.nr_inflight ||
	    !vnvme_irq_coalescing(inst->ctrl, cq->vector, &threshold, &time_us) ||
	    cq->nr_held >= threshold)
		return true;
	if (!*now)
		*now = ktime_get_ns();
	if (!cq->held_since)
		cq->held_since = *now;
	return *now - cq->held_since >= (u64)time_us * NSEC_PER_USEC;
}

/* Hand what the env ops could not tell the core to it.  Not an env op. */
void mnv_io_flush_core(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	struct vnvme_ctrl *c = inst->ctrl;
	unsigned int q;
	u64 now = 0;

	lockdep_assert_held(&inst->lock);
	if (!c)
		return;
	if (io->fatal) {
		dev_warn_ratelimited(mnv_instance_dev(inst), "guest I/O queue in unreachable memory: controller failed\n");
		vnvme_fatal(c);
		io->fatal = false;
	}
	if (io->host_failed == MNV_HOST_FAILED_SEEN) {
		dev_warn(mnv_instance_dev(inst), "physical controller failed: guest controller failed\n");
		vnvme_fatal(c);
		io->host_failed = MNV_HOST_FAILED_TOLD;
	}
	if (io->rd_cmds) {
		vnvme_stats_add(c, false, io->rd_cmds, io->rd_bytes);
		io->rd_cmds = 0;
		io->rd_bytes = 0;
	}
	if (io->wr_cmds) {
		vnvme_stats_add(c, true, io->wr_cmds, io->wr_bytes);
		io->wr_cmds = 0;
		io->wr_bytes = 0;
	}
	for (q = 1; q <= MNV_INSTANCE_MAX_QPAIRS; q++) {
		struct mnv_io_cq *cq = &io->cq[q];

		if (cq->valid && cq->irq_pending &&
		    mnv_io_irq_due(inst, cq, &now)) {
			cq->irq_pending = false;
			cq->nr_held = 0;
			cq->held_since = 0;
			vnvme_irq_raise(c, cq->vector);
			inst->stats.guest_irqs++;
		}
	}
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

/**
 * mnv_io_reap - take in the completions hardware pair @h posted
 * @inst: instance; caller holds inst->lock
 * @h: index of the pair in inst->hwqs
 *
 * Return: completions taken in.
 */
unsigned int mnv_io_reap(struct mnv_instance *inst, unsigned int h)
{
	struct mnv_hwq *hwq = &inst->hwqs[h];
	struct mnv_io_hq *hq = &inst->io.hq[h];
	struct nvme_completion *cqe;
	unsigned int n = 0;

	lockdep_assert_held(&inst->lock);
	while (n < hwq->depth && (cqe = mnv_hwq_peek_cqe(hwq))) {
		u16 idx = le16_to_cpu((__force __le16)READ_ONCE(cqe->command_id));
		struct mnv_io_slot *slot = idx < hq->nr_slots ?
					   &hq->slots[idx] : NULL;

		if (slot && slot->busy && !slot->done)
			mnv_io_slot_done(inst, hq, idx,
					 mnv_cqe_status(cqe),
					 le32_to_cpu(cqe->result.u32));
		else
			dev_warn_ratelimited(mnv_instance_dev(inst), "hardware queue %u: completion for unknown command %u\n",
					     hwq->qid, idx);
		mnv_hwq_pop_cqe(hwq);
		n++;
	}
	/* A deleted queue has no doorbell to ring any more. */
	if (n && hwq->live)
		mnv_host_ring_cq(inst->host, hwq);
	return n;
}

/**
 * mnv_io_complete - post the completions pair @h holds to the guest
 * @inst: instance; caller holds inst->lock
 * @h: index of the pair in inst->hwqs
 * @mode: what to do when the guest CQ cannot take one
 *
 * Return: completions posted or dropped.
 */
unsigned int mnv_io_complete(struct mnv_instance *inst, unsigned int h,
			     enum mnv_io_complete_mode mode)
{
	struct mnv_io_hq *hq = &inst->io.hq[h];
	unsigned int n = 0;
	int ret;

	lockdep_assert_held(&inst->lock);
	while (hq->nr_done) {
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
	}
	return n;
}
