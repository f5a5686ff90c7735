// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest I/O queues and their hardware queue pairs.
 *
 * Guest queue pair q runs on inst->hwqs[q - 1]; the emulated controller
 * offers as many I/O queues as the instance owns hardware pairs.  A guest
 * SQ completes to any guest CQ, so a hardware completion finds its way
 * back through the slot it was submitted with (command id = slot index).
 *
 * Functions called as env ops of the core (queue create/delete, doorbell,
 * reset) must not call back into it: interrupts, statistics and fatal
 * errors found there are recorded and handed to the core later, by the
 * polling thread or by mnv_io_dma_unmap(), through mnv_io_flush_core().
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

static_assert(MNV_IO_MAX_QUEUES == MNV_INSTANCE_MAX_QPAIRS);
static_assert(MNV_IO_MAX_SLOTS <= U16_MAX);

/* How long commands in flight may take to finish before a reset gives up. */
#define MNV_IO_QUIESCE_MS	5000
/* Guest SQEs taken from one SQ per pass, so that other queues get a turn. */
#define MNV_IO_FETCH_BUDGET	64
/* Pins in a range being unmapped are refused for this long. */
#define MNV_IO_UNMAP_HOLDOFF_MS	100

enum mnv_reap_mode {
	MNV_REAP_POST,		/* post to the guest; wait while its CQ is full */
	MNV_REAP_DRAIN,		/* post if the guest CQ has room, else drop */
	MNV_REAP_DROP,		/* post nothing: the guest queues are gone */
};

static bool mnv_io_cq_full(struct mnv_io *io, struct mnv_io_cq *cq)
{
	u16 next = cq->tail + 1 == cq->size ? 0 : cq->tail + 1;

	return next == mnv_io_cq_head(io, cq);
}

static struct mnv_io_cq *mnv_io_get_cq(struct mnv_io *io, u16 cqid)
{
	if (!cqid || cqid > MNV_IO_MAX_QUEUES || !io->cq[cqid].valid)
		return NULL;
	return &io->cq[cqid];
}

/*
 * Write one completion at the tail of guest CQ @cqid.  @status is the
 * Status Field without the phase tag.  Return: 0, -EBUSY if the CQ is
 * full, -ENOENT if it does not exist, -EFAULT if the guest memory is gone
 * (the instance is then failed).
 */
static int mnv_io_post(struct mnv_instance *inst, u16 cqid, u16 sqid,
		       u16 cid, u16 status, u32 result)
{
	struct mnv_io *io = &inst->io;
	struct mnv_io_cq *cq = mnv_io_get_cq(io, cqid);
	struct vnvme_cqe cqe = { };

	if (!cq)
		return -ENOENT;
	if (!vnvme_cfg_bus_master(inst->ctrl))
		return -EPERM;
	if (mnv_io_cq_full(io, cq))
		return -EBUSY;

	cqe.result = cpu_to_le32(result);
	if (sqid && sqid <= MNV_IO_MAX_QUEUES)
		cqe.sq_head = cpu_to_le16(io->sq[sqid].head);
	cqe.sq_id = cpu_to_le16(sqid);
	cqe.cid = cpu_to_le16(cid);
	cqe.status = cpu_to_le16(status << 1 | cq->phase);
	if (mnv_io_cqe_write(inst, cq, cq->tail, &cqe)) {
		io->fatal = true;
		return -EFAULT;
	}
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
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
static void mnv_io_flush_core(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	struct vnvme_ctrl *c = inst->ctrl;
	unsigned int q;
	u64 now = 0;

	if (!c)
		return;
	if (io->fatal) {
		dev_warn_ratelimited(mnv_instance_dev(inst), "guest I/O queue in unreachable memory: controller failed\n");
		vnvme_fatal(c);
		io->fatal = false;
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
	for (q = 1; q <= MNV_IO_MAX_QUEUES; q++) {
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

static void mnv_io_slot_release(struct mnv_instance *inst,
				struct mnv_io_hq *hq, u16 idx)
{
	struct mnv_io_slot *slot = &hq->slots[idx];

	mnv_io_unpin_slot(inst, slot);
	slot->busy = false;
	hq->free[hq->nr_free++] = idx;
	inst->io.nr_inflight--;
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

/* Reap the completions of hardware queue pair @h.  Return: entries seen. */
static unsigned int mnv_io_reap(struct mnv_instance *inst, unsigned int h,
				enum mnv_reap_mode mode)
{
	struct mnv_io *io = &inst->io;
	struct mnv_hwq *hwq = &inst->hwqs[h];
	struct mnv_io_hq *hq = &io->hq[h];
	unsigned int n;

	for (n = 0; n < hwq->depth; n++) {
		struct nvme_completion *cqe = &hwq->cqes[hwq->cq_head];
		u16 status = le16_to_cpu(READ_ONCE(cqe->status));
		struct mnv_io_slot *slot;
		u16 idx;

		if ((status & 1) != hwq->cq_phase)
			break;
		/* The phase tag is written last: read the rest after it. */
		dma_rmb();
		idx = le16_to_cpu((__force __le16)READ_ONCE(cqe->command_id));
		slot = idx < hq->nr_slots ? &hq->slots[idx] : NULL;
		if (slot && slot->busy) {
			struct mnv_io_cq *cq = mnv_io_get_cq(io, slot->cqid);

			if (mode == MNV_REAP_POST && cq &&
			    mnv_io_cq_full(io, cq))
				break;
			status >>= 1;
			if (mode != MNV_REAP_DROP &&
			    !mnv_io_post(inst, slot->cqid, slot->sqid,
					 slot->cid, status,
					 le32_to_cpu(cqe->result.u32)) &&
			    !status)
				mnv_io_account(inst, slot);
			mnv_io_slot_release(inst, hq, idx);
		} else {
			dev_warn_ratelimited(mnv_instance_dev(inst), "hardware queue %u: completion for unknown command %u\n",
					     hwq->qid, idx);
		}
		if (++hwq->cq_head == hwq->depth) {
			hwq->cq_head = 0;
			hwq->cq_phase ^= 1;
		}
	}
	if (n)
		writel(hwq->cq_head, hwq->cq_doorbell);
	return n;
}

/* Fetch, check and submit the new commands of guest SQ @qid. */
static unsigned int mnv_io_submit(struct mnv_instance *inst, u16 qid)
{
	struct mnv_io *io = &inst->io;
	struct mnv_io_sq *sq = &io->sq[qid];
	struct mnv_hwq *hwq = &inst->hwqs[qid - 1];
	struct mnv_io_hq *hq = &io->hq[qid - 1];
	struct mnv_io_cq *cq = mnv_io_get_cq(io, sq->cqid);
	u16 tail = mnv_io_sq_tail(io, sq);
	unsigned int n = 0, submitted = 0;
	struct vnvme_sqe g, h;

	if (!cq || tail >= sq->size || sq->head >= sq->size)
		return 0;
	while (sq->head != tail && n < MNV_IO_FETCH_BUDGET) {
		struct mnv_io_slot *slot;
		u16 idx, status;

		/* No slot: wait for completions (flow control). */
		if (!hq->nr_free)
			break;
		/* A refused command completes at once and needs room. */
		if (mnv_io_cq_full(io, cq))
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
		status = mnv_io_cmd_prepare(inst, slot, &g, &h);
		if (status) {
			inst->stats.refused_cmds++;
			hq->free[hq->nr_free++] = idx;
			mnv_io_post(inst, sq->cqid, qid, le16_to_cpu(g.cid),
				    status | VNVME_SC_DNR, 0);
			continue;
		}
		slot->busy = true;
		slot->sqid = qid;
		slot->cqid = sq->cqid;
		slot->cid = le16_to_cpu(g.cid);
		h.cid = cpu_to_le16(idx);
		memcpy(&hwq->sqes[hwq->sq_tail], &h, sizeof(h));
		if (++hwq->sq_tail == hwq->depth)
			hwq->sq_tail = 0;
		io->nr_inflight++;
		submitted++;
		if (!slot->bytes)
			inst->stats.other_cmds++;
	}
	if (submitted) {
		/* The SQEs must be visible to the device before the doorbell. */
		wmb();
		writel(hwq->sq_tail, hwq->sq_doorbell);
		inst->stats.host_doorbells++;
	}
	return n;
}

/**
 * mnv_io_poll_locked - one pass over all queues of the instance
 * @inst: instance; caller holds inst->lock
 *
 * Return: true if anything was fetched or completed.
 */
bool mnv_io_poll_locked(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i, work = 0;

	lockdep_assert_held(&inst->lock);
	/*
	 * Without bus mastering the guest's queues are out of reach: the
	 * hardware completions wait in the hardware CQs until it is back
	 * (or a reset drops them).
	 */
	if (!io->ready || !inst->ctrl || !vnvme_cfg_bus_master(inst->ctrl))
		return false;
	mnv_io_dbbuf_sync(inst);
	for (i = 0; i < inst->nr_qpairs; i++)
		if (io->hq[i].nr_free < io->hq[i].nr_slots)
			work += mnv_io_reap(inst, i, MNV_REAP_POST);

	if (vnvme_ctrl_ready(inst->ctrl) && !io->fatal &&
	    !READ_ONCE(inst->host->dead)) {
		for (i = 1; i <= inst->nr_qpairs; i++)
			if (io->sq[i].valid)
				work += mnv_io_submit(inst, i);
	}
	mnv_io_flush_core(inst);
	return work;
}

/*
 * Wait until the commands in flight on hardware pair @only (all pairs if
 * negative) have completed.  If the controller does not complete them in
 * time it is failed (bus mastering off), after which their pages can be
 * released safely: this never returns with guest pages the device may
 * still write.  Sleeps; caller holds inst->lock.
 */
static void mnv_io_quiesce(struct mnv_instance *inst, int only,
			   enum mnv_reap_mode mode)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(MNV_IO_QUIESCE_MS);
	struct mnv_host *host = inst->host;
	struct mnv_io *io = &inst->io;
	unsigned int h, busy, idx;

	for (;;) {
		busy = 0;
		for (h = 0; h < inst->nr_qpairs; h++) {
			struct mnv_io_hq *hq = &io->hq[h];

			if ((only >= 0 && h != (unsigned int)only) ||
			    hq->nr_free == hq->nr_slots)
				continue;
			mnv_io_reap(inst, h, mode);
			busy += hq->nr_slots - hq->nr_free;
		}
		if (!busy)
			return;
		if (READ_ONCE(host->dead) || time_after(jiffies, deadline))
			break;
		usleep_range(20, 100);
	}

	mutex_lock(&host->admin_lock);
	if (!host->dead) {
		dev_err(mnv_instance_dev(inst), "%u I/O commands did not complete\n",
			busy);
		mnv_host_fail_locked(host);
	}
	mutex_unlock(&host->admin_lock);

	/* Bus mastering is off: the device no longer reaches these pages. */
	for (h = 0; h < inst->nr_qpairs; h++) {
		struct mnv_io_hq *hq = &io->hq[h];

		if (only >= 0 && h != (unsigned int)only)
			continue;
		for (idx = 0; idx < hq->nr_slots; idx++)
			if (hq->slots[idx].busy)
				mnv_io_slot_release(inst, hq, idx);
	}
}

static void mnv_io_hq_free(struct mnv_instance *inst, struct mnv_io_hq *hq)
{
	struct device *dev = mnv_host_dev(inst->host);
	unsigned int i;

	if (hq->slots) {
		for (i = 0; i < hq->nr_slots; i++)
			if (hq->slots[i].buf)
				dma_free_coherent(dev, MNV_IO_PAGE_SIZE,
						  hq->slots[i].buf,
						  hq->slots[i].buf_dma);
	}
	kfree(hq->slots);
	kfree(hq->free);
	kvfree(hq->pages);
	memset(hq, 0, sizeof(*hq));
}

static int mnv_io_hq_alloc(struct mnv_instance *inst, struct mnv_io_hq *hq,
			   struct mnv_hwq *hwq)
{
	struct device *dev = mnv_host_dev(inst->host);
	/* A full ring holds depth - 1 entries: never more in flight. */
	unsigned int i, n = min_t(unsigned int, hwq->depth - 1,
				  MNV_IO_MAX_SLOTS);

	hq->nr_slots = n;
	hq->slots = kcalloc(n, sizeof(*hq->slots), GFP_KERNEL);
	hq->free = kcalloc(n, sizeof(*hq->free), GFP_KERNEL);
	hq->pages = kvcalloc(n * MNV_IO_MAX_PAGES, sizeof(*hq->pages),
			     GFP_KERNEL);
	if (!hq->slots || !hq->free || !hq->pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct mnv_io_slot *slot = &hq->slots[i];

		slot->pages = &hq->pages[i * MNV_IO_MAX_PAGES];
		slot->buf = dma_alloc_coherent(dev, MNV_IO_PAGE_SIZE,
					       &slot->buf_dma, GFP_KERNEL);
		if (!slot->buf)
			return -ENOMEM;
		/* Lowest indices first, which keeps debugging readable. */
		hq->free[i] = n - 1 - i;
	}
	hq->nr_free = n;
	return 0;
}

/**
 * mnv_io_open - set up the I/O path of an instance being opened
 * @inst: instance; caller holds inst->lock, the slice is resolved
 * @mdts: MDTS offered to the guest (0: MNV_IO_MDTS_MAX)
 * @oncs: optional commands offered to the guest (NVME_CTRL_ONCS_*)
 */
int mnv_io_open(struct mnv_instance *inst, u8 mdts, u16 oncs)
{
	struct mnv_io *io = &inst->io;
	const struct mnv_namespace *ns;
	unsigned int i;
	int ret;

	lockdep_assert_held(&inst->lock);
	ns = mnv_host_namespace(inst->host, inst->slice.nsid);
	if (!ns)
		return -ENXIO;

	memset(io, 0, sizeof(*io));
	mnv_io_pins_init(io);
	io->lba_start = inst->slice.lba_start;
	io->nsze = inst->slice.lba_count;
	io->host_nsid = inst->slice.nsid;
	io->lba_shift = ns->lba_shift;
	if (!mdts || mdts > MNV_IO_MDTS_MAX)
		mdts = MNV_IO_MDTS_MAX;
	io->max_bytes = MNV_IO_PAGE_SIZE << mdts;
	io->oncs = oncs;
	io->mode = READ_ONCE(inst->mode);
	io->idle_ns = (u64)READ_ONCE(inst->idle_us) * NSEC_PER_USEC;

	for (i = 0; i < inst->nr_qpairs; i++) {
		ret = mnv_io_hq_alloc(inst, &io->hq[i], &inst->hwqs[i]);
		if (ret)
			goto err_free;
	}
	ret = mnv_io_dbpage_open(inst);
	if (ret)
		goto err_free;
	io->ready = true;
	ret = mnv_io_thread_start(inst);
	if (ret)
		goto err_free;
	return 0;

err_free:
	io->ready = false;
	mnv_io_dbpage_close(inst);
	for (i = 0; i < inst->nr_qpairs; i++)
		mnv_io_hq_free(inst, &io->hq[i]);
	mnv_io_pins_destroy(inst);
	return ret;
}

/*
 * Tear down after the polling thread has stopped and the core's reset
 * has quiesced the queues; nothing is in flight any more, and the pages
 * the pin cache still holds are released.
 */
void mnv_io_close(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	if (!io->ready)
		return;
	mnv_io_quiesce(inst, -1, MNV_REAP_DROP);
	mnv_io_dbbuf_release(inst);
	mnv_io_rings_drop(inst, 0, 0);
	io->ready = false;
	mnv_io_dbpage_close(inst);
	for (i = 0; i < inst->nr_qpairs; i++)
		mnv_io_hq_free(inst, &io->hq[i]);
	mnv_io_pins_destroy(inst);
}

u16 mnv_io_cq_create(struct mnv_instance *inst, u16 qid, u64 iova,
		     u16 qsize, u16 vector, bool ien)
{
	struct mnv_io_cq *cq;

	if (!inst->io.ready || !qid || qid > inst->nr_qpairs || qsize < 2)
		return NVME_SC_INTERNAL;
	cq = &inst->io.cq[qid];
	memset(cq, 0, sizeof(*cq));
	cq->iova = iova;
	cq->size = qsize;
	cq->vector = vector;
	cq->ien = ien;
	cq->phase = 1;
	cq->qid = qid;
	cq->valid = true;
	mnv_io_dbpage_new_queue(inst, qid, true);
	mnv_io_ring_map(inst, &cq->ring, iova,
			(size_t)qsize * sizeof(struct vnvme_cqe));
	return NVME_SC_SUCCESS;
}

u16 mnv_io_sq_create(struct mnv_instance *inst, u16 qid, u64 iova,
		     u16 qsize, u16 cqid)
{
	struct mnv_io_sq *sq;

	if (!inst->io.ready || !qid || qid > inst->nr_qpairs || qsize < 2 ||
	    !mnv_io_get_cq(&inst->io, cqid))
		return NVME_SC_INTERNAL;
	sq = &inst->io.sq[qid];
	memset(sq, 0, sizeof(*sq));
	sq->iova = iova;
	sq->size = qsize;
	sq->cqid = cqid;
	sq->qid = qid;
	sq->valid = true;
	mnv_io_dbpage_new_queue(inst, qid, false);
	mnv_io_ring_map(inst, &sq->ring, iova,
			(size_t)qsize * sizeof(struct vnvme_sqe));
	return NVME_SC_SUCCESS;
}

/*
 * Commands of the SQ still on the hardware are waited for; their
 * completions are posted if the guest CQ has room (the guest may well be
 * waiting for this deletion instead of consuming its CQ).
 */
void mnv_io_sq_delete(struct mnv_instance *inst, u16 qid)
{
	if (!inst->io.ready || !qid || qid > inst->nr_qpairs)
		return;
	mnv_io_quiesce(inst, qid - 1, MNV_REAP_DRAIN);
	mnv_io_ring_unmap(inst, &inst->io.sq[qid].ring);
	memset(&inst->io.sq[qid], 0, sizeof(inst->io.sq[qid]));
}

void mnv_io_cq_delete(struct mnv_instance *inst, u16 qid)
{
	if (!inst->io.ready || !qid || qid > inst->nr_qpairs)
		return;
	mnv_io_ring_unmap(inst, &inst->io.cq[qid].ring);
	memset(&inst->io.cq[qid], 0, sizeof(inst->io.cq[qid]));
}

/* Controller reset: commands in flight finish on the hardware, unseen. */
void mnv_io_reset(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	if (!io->ready)
		return;
	mnv_io_quiesce(inst, -1, MNV_REAP_DROP);
	mnv_io_dbbuf_release(inst);
	mnv_io_dbpage_reset(inst);
	mnv_io_rings_drop(inst, 0, 0);
	memset(io->sq, 0, sizeof(io->sq));
	memset(io->cq, 0, sizeof(io->cq));
	io->fatal = false;
}

/**
 * mnv_io_dma_unmap - the VMM unmaps guest memory [@iova, @iova + @length)
 * @inst: instance; called without inst->lock (VFIO .dma_unmap)
 * @iova: start of the range
 * @length: bytes
 *
 * The commands in flight are waited for (they may use the range), then
 * the pin cache and the mapped rings let go of every page in the range.  For a short while
 * new pins in the range are refused, so that the VFIO container finds
 * the range unpinned when it checks again; a guest using memory being
 * unmapped gets Data Transfer Error.
 */
void mnv_io_dma_unmap(struct mnv_instance *inst, u64 iova, u64 length)
{
	struct mnv_io *io = &inst->io;
	u64 start = iova & PAGE_MASK;
	u64 end = iova + length;

	/* Page aligned, exclusive; 0 stands for the top of the space. */
	end = end < iova ? 0 : ALIGN(end, PAGE_SIZE);

	mutex_lock(&inst->lock);
	if (!io->ready)
		goto out;
	io->unmap_start = start;
	io->unmap_end = end ? end : U64_MAX;
	io->unmap_until = jiffies + msecs_to_jiffies(MNV_IO_UNMAP_HOLDOFF_MS);
	if (io->nr_inflight) {
		mnv_io_quiesce(inst, -1, MNV_REAP_DRAIN);
		mnv_io_flush_core(inst);
	}
	/* Quiesced: nothing uses a cached page any more. */
	WARN_ON(mnv_io_pins_drop(inst, start, end));
	/* Rings there go back to vfio_dma_rw(), which will fail on them. */
	mnv_io_rings_drop(inst, start, end);
	/* Shadow doorbells in memory going away: the guest is broken. */
	if (mnv_io_dbbuf_in(io, start, end)) {
		mnv_io_dbbuf_lost(inst);
		mnv_io_flush_core(inst);
	}
out:
	mutex_unlock(&inst->lock);
}
