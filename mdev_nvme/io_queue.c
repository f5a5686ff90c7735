// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest I/O queues of an instance and the slots of its hardware queue
 * pairs: set up at open, created and deleted by the guest's admin
 * commands, dropped at a controller reset, torn down at close.
 *
 * Guest queue pair q runs on inst->hq[q - 1]; the emulated controller
 * offers as many I/O queues as the instance owns hardware pairs.
 *
 * Functions called as env ops of the core (queue create/delete, reset)
 * must not call back into it: see io_complete.c.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "core/nvme_spec.h"
#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

static_assert(MNV_IO_MAX_SLOTS <= U16_MAX);

/*
 * Let go of the slots of pair @hq, none of them on the hardware: the
 * pair itself (@hw) and the generations of its command ids stay, with
 * the instance.
 */
static void mnv_io_hq_free(struct mnv_instance *inst, struct mnv_io_hq *hq)
{
	struct device *dev = mnv_host_dev(inst->host);
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	if (hq->slots) {
		for (i = 0; i < hq->nr_slots; i++)
			if (hq->slots[i].buf)
				dma_free_coherent(dev, MNV_IO_PAGE_SIZE,
						  hq->slots[i].buf,
						  hq->slots[i].buf_dma);
	}
	kfree(hq->slots);
	kfree(hq->free);
	kfree(hq->done);
	kvfree(hq->pages);
	memset_startat(hq, 0, nr_slots);
}

/*
 * Set up the slots of pair @hq for an open; on failure nothing of them
 * is left.  -EBUSY: the last close did not clear them, and a command of
 * theirs may still be on the hardware, its pages in use.
 */
static int mnv_io_hq_alloc(struct mnv_instance *inst, struct mnv_io_hq *hq)
{
	struct device *dev = mnv_host_dev(inst->host);
	/* A full ring holds depth - 1 entries: never more in flight. */
	unsigned int i, n = min_t(unsigned int, hq->hw.depth - 1,
				  MNV_IO_MAX_SLOTS);

	lockdep_assert_held(&inst->lock);
	if (WARN_ON_ONCE(hq->slots || hq->nr_slots || hq->nr_on_hw ||
			 hq->nr_done))
		return -EBUSY;
	/* @gen is not cleared: the pair may hold late completions. */
	hq->nr_slots = n;
	hq->slots = kcalloc(n, sizeof(*hq->slots), GFP_KERNEL);
	hq->free = kcalloc(n, sizeof(*hq->free), GFP_KERNEL);
	hq->done = kcalloc(n, sizeof(*hq->done), GFP_KERNEL);
	hq->pages = kvcalloc(n * VNVME_IO_MAX_PAGES, sizeof(*hq->pages),
			     GFP_KERNEL);
	if (!hq->slots || !hq->free || !hq->done || !hq->pages)
		goto err_free;
	for (i = 0; i < n; i++) {
		struct mnv_io_slot *slot = &hq->slots[i];

		slot->pages = &hq->pages[i * VNVME_IO_MAX_PAGES];
		slot->buf = dma_alloc_coherent(dev, MNV_IO_PAGE_SIZE,
					       &slot->buf_dma, GFP_KERNEL);
		if (!slot->buf)
			goto err_free;
		/* Lowest indices first, which keeps debugging readable. */
		hq->free[i] = n - 1 - i;
	}
	hq->nr_free = n;
	return 0;

err_free:
	mnv_io_hq_free(inst, hq);
	return -ENOMEM;
}

/**
 * mnv_io_open - set up the I/O path of an instance being opened
 * @inst: instance; caller holds inst->lock, the slice is resolved
 * @mdts: MDTS offered to the guest (0: VNVME_IO_MDTS_MAX)
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
	io->lba_start = inst->slice.lba_start;
	io->nsze = inst->slice.lba_count;
	io->host_nsid = inst->slice.nsid;
	io->lba_shift = ns->lba_shift;
	if (!mdts || mdts > VNVME_IO_MDTS_MAX)
		mdts = VNVME_IO_MDTS_MAX;
	io->max_bytes = MNV_IO_PAGE_SIZE << mdts;
	/* An unaligned transfer of max_bytes spans one page more. */
	mnv_io_pins_init(io, (io->max_bytes >> PAGE_SHIFT) + 1);
	io->oncs = oncs;
	io->mode = READ_ONCE(inst->mode);
	io->idle_ns = (u64)READ_ONCE(inst->idle_us) * NSEC_PER_USEC;

	for (i = 0; i < inst->nr_qpairs; i++) {
		ret = mnv_io_hq_alloc(inst, &inst->hq[i]);
		if (ret)
			goto err_free;
	}
	/* A controller reset while the device was closed: pairs again. */
	mnv_io_hqs_start(inst);
	/*
	 * What the pairs' CQs hold now was posted after the last close
	 * looked: late or repeated completions of no command of this open.
	 * Nothing is submitted yet, so each counts as stray, and the CQ
	 * head doorbell tells the drive (if the pair is live) that the
	 * room is free again.
	 */
	for (i = 0; i < inst->nr_qpairs; i++)
		mnv_io_reap(inst, i);
	ret = mnv_io_dbpage_open(inst);
	if (ret)
		goto err_free;
	io->ready = true;
	return 0;

err_free:
	io->ready = false;
	mnv_io_dbpage_close(inst);
	/* Only the pairs set up here: one refused keeps what it has. */
	while (i--)
		mnv_io_hq_free(inst, &inst->hq[i]);
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
	mnv_io_quiesce(inst, -1, MNV_COMPLETE_DROP);
	mnv_io_dbbuf_release(inst);
	mnv_io_rings_drop(inst, 0, 0);
	io->ready = false;
	mnv_io_dbpage_close(inst);
	for (i = 0; i < inst->nr_qpairs; i++)
		mnv_io_hq_free(inst, &inst->hq[i]);
	mnv_io_pins_destroy(inst);
}

u16 mnv_io_cq_create(struct mnv_instance *inst, u16 qid, u64 iova,
		     u16 qsize, u16 vector, bool ien)
{
	struct mnv_io_cq *cq;

	lockdep_assert_held(&inst->lock);
	if (!inst->io.ready || !qid || qid > inst->nr_qpairs || qsize < 2)
		return NVME_SC_INTERNAL;
	cq = &inst->io.cq[qid];
	memset(cq, 0, sizeof(*cq));
	cq->iova = iova;
	cq->size = qsize;
	cq->vector = vector;
	cq->ien = ien;
	cq->phase = VNVME_CQE_PHASE;
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

	lockdep_assert_held(&inst->lock);
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
 * Commands of the SQ still on the hardware get a moment to finish, then
 * are aborted; their completions are posted if the guest CQ has room
 * (the guest may well be waiting for this deletion instead of consuming
 * its CQ).
 */
void mnv_io_sq_delete(struct mnv_instance *inst, u16 qid)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->io.ready || !qid || qid > inst->nr_qpairs)
		return;
	mnv_io_quiesce(inst, qid - 1, MNV_COMPLETE_IF_ROOM);
	mnv_io_ring_unmap(inst, &inst->io.sq[qid].ring);
	memset(&inst->io.sq[qid], 0, sizeof(inst->io.sq[qid]));
}

void mnv_io_cq_delete(struct mnv_instance *inst, u16 qid)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->io.ready || !qid || qid > inst->nr_qpairs)
		return;
	mnv_io_ring_unmap(inst, &inst->io.cq[qid].ring);
	memset(&inst->io.cq[qid], 0, sizeof(inst->io.cq[qid]));
}

/*
 * Controller reset, shutdown or FLR: commands in flight end unseen, and
 * what was written is flushed from the drive's cache before the guest
 * sees the reset done.
 */
void mnv_io_reset(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!io->ready)
		return;
	mnv_io_quiesce(inst, -1, MNV_COMPLETE_DROP);
	mnv_io_flush_cache(inst);
	/* A failed physical controller fails the guest's again once up. */
	if (io->host_failed == MNV_HOST_FAILED_TOLD)
		io->host_failed = MNV_HOST_OK;
	mnv_io_dbbuf_release(inst);
	/* The core forgets the guest's Doorbell Buffer Config too. */
	io->vstate.dbbuf = false;
	io->vstate.dbbuf_db_iova = 0;
	io->vstate.dbbuf_ei_iova = 0;
	mnv_io_dbpage_reset(inst);
	mnv_io_rings_drop(inst, 0, 0);
	memset(io->sq, 0, sizeof(io->sq));
	memset(io->cq, 0, sizeof(io->cq));
	io->fatal = false;
	/* Pairs whose creation failed get another try with each reset. */
	mnv_io_hqs_start(inst);
}
