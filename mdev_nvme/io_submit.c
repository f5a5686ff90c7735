// SPDX-License-Identifier: GPL-2.0-only
/*
 * Submission: guest SQEs fetched, checked and rewritten (io_cmd.c), then
 * put on the instance's hardware SQ; and the polling pass that drives
 * submission and completion of every queue of an instance.
 *
 * Guest queue pair q runs on inst->hq[q - 1].  A guest SQ completes to
 * any guest CQ, so a hardware completion finds its way back through the
 * slot it was submitted with: the command id names the slot and the
 * slot's generation (io.h, mnv_io_hw_cid()).
 */
#include <linux/nvme.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

/* The hardware SQE is built in the wire format the core writes. */
static_assert(sizeof(struct vnvme_sqe) == sizeof(struct nvme_command));

/* Fetch, check and submit at most @budget new commands of guest SQ @qid. */
static unsigned int mnv_io_submit(struct mnv_instance *inst, u16 qid,
				  unsigned int budget)
{
	struct mnv_io *io = &inst->io;
	struct mnv_io_sq *sq = &io->sq[qid];
	struct mnv_io_hq *hq = &inst->hq[qid - 1];
	struct mnv_hwq *hwq = &hq->hw;
	struct mnv_io_cq *cq = mnv_io_get_cq(io, sq->cqid);
	u16 tail = mnv_io_sq_tail(io, sq);
	unsigned int n = 0, submitted = 0;
	struct vnvme_sqe g;
	struct nvme_command h;

	lockdep_assert_held(&inst->lock);
	if (!cq || tail >= sq->size || sq->head >= sq->size)
		return 0;
	/* Its pair could not be created: the guest's controller failed. */
	if (!hwq->live) {
		if (sq->head != tail)
			io->fatal = true;
		return 0;
	}
	while (sq->head != tail && n < budget) {
		struct mnv_io_slot *slot;
		u64 lists, lists_rw;
		u16 idx, status;

		/* No slot: wait for completions (flow control). */
		if (!hq->nr_free)
			break;
		/* A refused command completes at once and needs room. */
		if (mnv_io_cq_full(io, cq))
			break;
		/*
		 * A turn's time is up, whichever SQ used it: the rest waits
		 * for the next.
		 */
		if (mnv_io_turn_spent(io, io->fetched + n, UINT_MAX))
			break;
		if (mnv_io_sqe_read(inst, sq, sq->head, &g, sizeof(g))) {
			io->fatal = true;
			break;
		}
		if (++sq->head == sq->size)
			sq->head = 0;
		n++;

		idx = hq->free[--hq->nr_free];
		slot = &hq->slots[idx];
		lists = inst->stats.list_reads;
		lists_rw = inst->stats.list_reads_rw;
		status = mnv_io_cmd_prepare(inst, slot, &g, &h);
		/*
		 * In a shared poller's turn, a page to pin or a list to read
		 * from memory not pinned is left to the worker, which
		 * fetches the command again, whatever the check made of it:
		 * the lists it read then are counted then.
		 */
		if (status && io->turn_blocked) {
			inst->stats.list_reads = lists;
			inst->stats.list_reads_rw = lists_rw;
			status = MNV_IO_STALL;
		}
		if (status == MNV_IO_STALL) {
			/*
			 * Its memory is being unmapped, or the instance's
			 * bounce buffers are all taken by its commands in
			 * flight: it stays in the SQ until the hold-off is
			 * over (then pins whatever is mapped there by then,
			 * or fails) or until completions give buffers back.
			 */
			hq->free[hq->nr_free++] = idx;
			sq->head = sq->head ? sq->head - 1 : sq->size - 1;
			n--;
			io->stalled = true;
			break;
		}
		if (status) {
			inst->stats.refused_cmds++;
			hq->free[hq->nr_free++] = idx;
			mnv_io_post(inst, sq->cqid, qid, le16_to_cpu(g.cid),
				    status | VNVME_SC_DNR, 0);
			continue;
		}
		slot->busy = true;
		slot->done = false;
		slot->sqid = qid;
		slot->cqid = sq->cqid;
		slot->cid = le16_to_cpu(g.cid);
		h.common.command_id = mnv_io_next_cid(hq->gen, idx);
		mnv_hwq_push(hwq, &h);
		hq->nr_on_hw++;
		io->nr_inflight++;
		submitted++;
		if (!slot->bytes)
			inst->stats.other_cmds++;
	}
	if (submitted && mnv_host_ring_sq(inst->host, hwq))
		inst->stats.host_doorbells++;
	return n;
}

/**
 * mnv_io_poll_locked - one pass over all queues of the instance
 * @inst: instance; caller holds inst->lock
 * @budget: guest SQEs to fetch at most, from all SQs together (each
 *	gives MNV_IO_FETCH_BUDGET at most); the SQ fetched from first moves
 *	on with each pass, so that a budget smaller than the SQs' backlog
 *	is shared among them over passes
 *
 * Failures, statistics and interrupts it finds are the caller's to hand
 * to the core right after (mnv_vctrl_io_apply()).
 *
 * Return: true if anything was fetched or completed.
 */
bool mnv_io_poll_locked(struct mnv_instance *inst, unsigned int budget)
{
	struct mnv_io *io = &inst->io;
	unsigned int i, q, n, work = 0, reaped = 0;

	lockdep_assert_held(&inst->lock);
	io->fetched = 0;
	if (!io->ready || !inst->ctrl)
		return false;
	io->stalled = false;
	/*
	 * A controller reset or failure stopped the hardware: whatever it
	 * had of ours is over, and its queue pairs have to be made again.
	 */
	mnv_io_check_host(inst);
	if (io->turn_blocked)
		return false;
	/*
	 * Without bus mastering the guest's queues are out of reach: the
	 * completions wait in the slots until it is back (or a reset drops
	 * them).
	 */
	if (!io->vstate.bus_master) {
		for (i = 0; i < inst->nr_qpairs; i++)
			if (inst->hq[i].nr_on_hw)
				mnv_io_reap(inst, i);
		return false;
	}
	mnv_io_dbbuf_sync(inst);
	if (io->turn_blocked)
		return false;
	for (i = 0; i < inst->nr_qpairs; i++) {
		if (inst->hq[i].nr_on_hw)
			reaped += mnv_io_reap(inst, i);
		if (inst->hq[i].nr_done)
			work += mnv_io_complete(inst, i, MNV_COMPLETE_KEEP);
	}
	work += reaped;
	mnv_io_check_silence(inst, reaped);

	if (io->vstate.ctrl_ready && !io->fatal &&
	    !READ_ONCE(inst->host->dead)) {
		/*
		 * While the controller is disabled or its function reset,
		 * no doorbell of ours may reach it (its queues are being
		 * deleted under us): the new commands wait in their SQs,
		 * and the thread looks again after a nap, not in a spin.
		 */
		if (READ_ONCE(inst->host->resetting)) {
			io->stalled = true;
		} else {
			for (i = 0; i < inst->nr_qpairs && budget; i++) {
				q = (io->next_sq + i) % inst->nr_qpairs + 1;
				if (!io->sq[q].valid)
					continue;
				n = mnv_io_submit(inst, q,
						  min_t(unsigned int, budget,
							MNV_IO_FETCH_BUDGET));
				work += n;
				io->fetched += n;
				budget -= n;
			}
			io->next_sq = (io->next_sq + 1) % inst->nr_qpairs;
		}
	}
	return work;
}
