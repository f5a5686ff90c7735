// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the guest's I/O doorbell values come from.
 *
 * Trapped MMIO doorbell writes are recorded by mnv_io_doorbell().  Once
 * the guest has set up Doorbell Buffer Config (admin opcode 7Ch), its
 * shadow doorbell page is authoritative for the I/O queues: the guest
 * writes each new SQ tail and CQ head there first, and rings the MMIO
 * doorbell only when the EventIdx page asks for it (NVMe 1.4, 5.8).
 *
 * The polling thread reads the shadow page on every pass and leaves the
 * SQ event indices behind while it polls, so a busy guest rings no MMIO
 * doorbell at all.  Before sleeping it moves each SQ's event index to the
 * tail it has seen, so that the next submission rings (and wakes it).
 *
 * Both pages stay pinned and mapped into the kernel while configured.
 * The device leaves the CQ event indices where the guest put them, but
 * for a CQ whose lack of room keeps the thread from fetching: then it
 * moves the index to the head it has seen before sleeping, so that the
 * guest's next head update rings (and wakes it).
 *
 * The entries of a queue start from zero when it is created, whatever an
 * earlier queue of that id left there: the guest may delete and create
 * queues without a reset.
 */
#include <linux/iommu.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

/*
 * Is @value a CQ head the guest may write: not past what was posted?  The
 * core's rule, the one its admin CQ follows, on the I/O path's CQ.
 */
static bool mnv_io_cq_head_ok(const struct mnv_io_cq *cq, u32 value)
{
	return vnvme_cq_head_ok(value, cq->db_head, cq->tail, cq->size);
}

/* The guest's current tail of SQ @sq.  A bad shadow value is ignored. */
u16 mnv_io_sq_tail(struct mnv_io *io, struct mnv_io_sq *sq)
{
	u32 v;

	lockdep_assert_held(&mnv_io_inst(io)->lock);
	if (!io->shadow_db)
		return sq->db_tail;
	v = le32_to_cpu(READ_ONCE(io->shadow_db[2 * sq->qid]));
	if (v < sq->size)
		sq->db_tail = v;
	/* The guest wrote the entries before the tail: read them after. */
	smp_rmb();
	return sq->db_tail;
}

/* The guest's current head of CQ @cq. */
u16 mnv_io_cq_head(struct mnv_io *io, struct mnv_io_cq *cq)
{
	u32 v;

	lockdep_assert_held(&mnv_io_inst(io)->lock);
	if (!io->shadow_db)
		return cq->db_head;
	v = le32_to_cpu(READ_ONCE(io->shadow_db[2 * cq->qid + 1]));
	if (mnv_io_cq_head_ok(cq, v))
		cq->db_head = v;
	return cq->db_head;
}

/**
 * mnv_io_doorbell - record a trapped doorbell write the core range-checked
 * @inst: instance; caller holds inst->lock
 * @qid: I/O queue id
 * @is_cq: CQ head (else SQ tail) doorbell
 * @value: the value written
 *
 * Return: 1 if the value was recorded (the polling thread has to look),
 * 0 if it was ignored, -EINVAL for a CQ head that would pass entries not
 * posted yet (Invalid Doorbell Write Value): taking it would let the CQ
 * look emptier than it is, and entries the guest has not read be
 * overwritten.
 */
int mnv_io_doorbell(struct mnv_instance *inst, u16 qid, bool is_cq, u32 value)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!io->ready || !qid || qid > inst->nr_qpairs)
		return 0;
	if (is_cq) {
		if (!io->cq[qid].valid || value >= io->cq[qid].size)
			return 0;
		if (!mnv_io_cq_head_ok(&io->cq[qid], value))
			return -EINVAL;
		io->cq[qid].db_head = value;
	} else {
		if (!io->sq[qid].valid || value >= io->sq[qid].size)
			return 0;
		io->sq[qid].db_tail = value;
	}
	return 1;
}

/*
 * Would mnv_io_doorbell() refuse @value, the CQ head doorbell of @qid if
 * @is_cq?  Records nothing.  Caller holds inst->lock.
 */
bool mnv_io_doorbell_refused(struct mnv_instance *inst, u16 qid, bool is_cq,
			     u32 value)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!io->ready || !is_cq || !qid || qid > inst->nr_qpairs)
		return false;
	return io->cq[qid].valid && value < io->cq[qid].size &&
	       !mnv_io_cq_head_ok(&io->cq[qid], value);
}

static void mnv_io_dbbuf_put(struct mnv_instance *inst, struct page **page,
			     __le32 **va, u64 iova)
{
	if (!*page)
		return;
	vunmap(*va);
	vfio_unpin_pages(&inst->vdev, iova, 1);
	atomic_long_dec(&inst->io.pinned_pages);
	*page = NULL;
	*va = NULL;
}

static int mnv_io_dbbuf_get(struct mnv_instance *inst, u64 iova,
			    struct page **page, __le32 **va)
{
	int ret;

	if (mnv_io_unmapping(&inst->io, iova, PAGE_SIZE)) {
		*page = NULL;
		return -EFAULT;
	}
	ret = vfio_pin_pages(&inst->vdev, iova, 1, IOMMU_READ | IOMMU_WRITE,
			     page);
	if (ret != 1) {
		*page = NULL;
		return ret < 0 ? ret : -EFAULT;
	}
	/* Mapped for as long as the configuration lasts: vmap, not kmap. */
	*va = vmap(page, 1, VM_MAP, PAGE_KERNEL);
	if (!*va) {
		vfio_unpin_pages(&inst->vdev, iova, 1);
		*page = NULL;
		return -ENOMEM;
	}
	atomic_long_inc(&inst->io.pinned_pages);
	return 0;
}

static void mnv_io_dbbuf_unmap(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	mnv_io_dbbuf_put(inst, &io->dbbuf_db_page, &io->shadow_db,
			 io->dbbuf_db_iova);
	mnv_io_dbbuf_put(inst, &io->dbbuf_ei_page, &io->event_idx,
			 io->dbbuf_ei_iova);
}

/*
 * The shadow pages cannot be used (not mapped, or being unmapped): let go
 * of them but keep the configuration, so that nothing is retried before
 * the guest resets the controller, which this failure makes it do.
 */
void mnv_io_dbbuf_lost(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	mnv_io_dbbuf_unmap(inst);
	inst->io.fatal = true;
}

/* Let go of the shadow pages; the configuration is forgotten too. */
void mnv_io_dbbuf_release(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	mnv_io_dbbuf_unmap(inst);
	io->dbbuf_on = false;
	io->dbbuf_db_iova = 0;
	io->dbbuf_ei_iova = 0;
}

/*
 * New shadow pages: the entries of queues that do not exist are cleared,
 * as mnv_io_dbbuf_new_queue() does at creation.  Those of live queues are
 * the guest's, which may be writing them already (the pages are taken up
 * after the command completed): it set them up before it sent the command.
 */
static void mnv_io_dbbuf_clear_unused(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int q;

	for (q = 1; q <= inst->nr_qpairs; q++) {
		if (!io->sq[q].valid) {
			WRITE_ONCE(io->shadow_db[2 * q], 0);
			WRITE_ONCE(io->event_idx[2 * q], 0);
		}
		if (!io->cq[q].valid) {
			WRITE_ONCE(io->shadow_db[2 * q + 1], 0);
			WRITE_ONCE(io->event_idx[2 * q + 1], 0);
		}
	}
}

/*
 * The guest set up Doorbell Buffer Config (told by the core, through the
 * glue): the pages are taken up by the next mnv_io_dbbuf_sync().  A reset
 * forgets it (mnv_io_reset()).  Caller holds inst->lock.
 */
void mnv_io_dbbuf_config(struct mnv_instance *inst, u64 db_iova,
			 u64 ei_iova)
{
	struct mnv_io_vstate *vs = &inst->io.vstate;

	lockdep_assert_held(&inst->lock);
	vs->dbbuf = true;
	vs->dbbuf_db_iova = db_iova;
	vs->dbbuf_ei_iova = ei_iova;
}

/*
 * Follow the guest's Doorbell Buffer Config: map the pages it named, or
 * drop them after a reset.  Pages the guest cannot give us fail its
 * controller (CSTS.CFS): it would otherwise wait for doorbells we never
 * see.  Caller holds inst->lock; called on every pass of the thread.
 */
void mnv_io_dbbuf_sync(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	u64 db, ei;
	bool on;

	lockdep_assert_held(&inst->lock);
	on = io->vstate.dbbuf;
	db = io->vstate.dbbuf_db_iova;
	ei = io->vstate.dbbuf_ei_iova;
	if (on == io->dbbuf_on &&
	    (!on || (db == io->dbbuf_db_iova && ei == io->dbbuf_ei_iova)))
		return;
	/* Pinning the new pages may fault them in. */
	if (mnv_io_would_block(io))
		return;
	mnv_io_dbbuf_release(inst);
	if (!on)
		return;
	/* Pages of a range being unmapped: taken up after the hold-off. */
	if (mnv_io_unmapping(io, db, PAGE_SIZE) ||
	    mnv_io_unmapping(io, ei, PAGE_SIZE)) {
		io->stalled = true;
		return;
	}
	io->dbbuf_on = true;
	io->dbbuf_db_iova = db;
	io->dbbuf_ei_iova = ei;
	if (mnv_io_dbbuf_get(inst, db, &io->dbbuf_db_page, &io->shadow_db) ||
	    mnv_io_dbbuf_get(inst, ei, &io->dbbuf_ei_page, &io->event_idx)) {
		mnv_io_dbbuf_lost(inst);
		return;
	}
	mnv_io_dbbuf_clear_unused(inst);
}

/**
 * mnv_io_dbbuf_new_queue - I/O queue @qid is being created
 * @inst: instance; caller holds inst->lock
 * @qid: its id
 * @is_cq: a CQ (else an SQ)
 *
 * The shadow entries of a queue deleted and created again without a reset
 * still hold the old queue's last tail or head; taken for the new queue's,
 * whose head is 0, a tail would have stale entries fetched.  The new
 * queue's entries start from zero; the guest cannot write them before the
 * creation completes.  A Doorbell Buffer Config processed just before, in
 * the same run of admin commands, may not be followed yet: do it now.
 */
void mnv_io_dbbuf_new_queue(struct mnv_instance *inst, u16 qid, bool is_cq)
{
	struct mnv_io *io = &inst->io;
	unsigned int i = 2 * qid + is_cq;

	lockdep_assert_held(&inst->lock);
	mnv_io_dbbuf_sync(inst);
	if (!io->shadow_db || !io->event_idx)
		return;
	WRITE_ONCE(io->shadow_db[i], 0);
	WRITE_ONCE(io->event_idx[i], 0);
}

/* Does [@start, @end) (@end 0: to the top) hold a shadow page? */
bool mnv_io_dbbuf_in(struct mnv_io *io, u64 start, u64 end)
{
	u64 last = end ? end - 1 : U64_MAX;

	lockdep_assert_held(&mnv_io_inst(io)->lock);
	return (io->dbbuf_db_page &&
		io->dbbuf_db_iova >= start && io->dbbuf_db_iova <= last) ||
	       (io->dbbuf_ei_page &&
		io->dbbuf_ei_iova >= start && io->dbbuf_ei_iova <= last);
}

/*
 * Could the thread fetch from SQ @sq, with entries there?  Not while its
 * CQ is full: a command it refuses completes at once and needs room.
 */
static bool mnv_io_sq_fetchable(struct mnv_io *io, struct mnv_io_sq *sq)
{
	struct mnv_io_cq *cq;

	if (!sq->valid || mnv_io_sq_tail(io, sq) == sq->head ||
	    !sq->cqid || sq->cqid > MNV_INSTANCE_MAX_QPAIRS)
		return false;
	cq = &io->cq[sq->cqid];
	return cq->valid && !mnv_io_cq_full(io, cq);
}

/**
 * mnv_io_doorbells_arm - the thread is about to sleep
 * @inst: instance; caller holds inst->lock
 *
 * Ask the guest to ring the MMIO doorbell on its next submission to each
 * SQ: event index = the tail seen; and on its next head update of a CQ
 * whose lack of room holds up entries of an SQ.  Then look again, after
 * a full barrier (the guest writes its tail or head, then reads the event
 * index, with one in between too): a value that moved meanwhile is found
 * here, any later one rings the doorbell.
 *
 * Only entries the thread can fetch count: with bus mastering off, the
 * controller not ready or failed, or the host controller dead, nothing
 * can be, and the thread would spin over them.  What changes that wakes
 * it: the config write that sets bus mastering again, the admin commands
 * that create queues after a reset.  Without bus mastering the pages
 * are not written either: they are guest memory like the queues.
 *
 * Return: true if an SQ has entries the thread can fetch (do not sleep).
 */
bool mnv_io_doorbells_arm(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	struct mnv_io_sq *sq;
	unsigned int q;

	lockdep_assert_held(&inst->lock);
	if (!io->event_idx || !io->shadow_db || !inst->ctrl ||
	    !io->vstate.bus_master || !io->vstate.ctrl_ready || io->fatal ||
	    READ_ONCE(inst->host->dead))
		return false;
	for (q = 1; q <= inst->nr_qpairs; q++) {
		sq = &io->sq[q];
		if (!sq->valid)
			continue;
		WRITE_ONCE(io->event_idx[2 * q],
			   cpu_to_le32(mnv_io_sq_tail(io, sq)));
		if (sq->db_tail != sq->head && sq->cqid &&
		    sq->cqid <= MNV_INSTANCE_MAX_QPAIRS && io->cq[sq->cqid].valid &&
		    mnv_io_cq_full(io, &io->cq[sq->cqid]))
			WRITE_ONCE(io->event_idx[2 * sq->cqid + 1],
				   cpu_to_le32(io->cq[sq->cqid].db_head));
	}
	/* Pairs with the guest's barrier between its write and index read. */
	smp_mb();
	for (q = 1; q <= inst->nr_qpairs; q++)
		if (mnv_io_sq_fetchable(io, &io->sq[q]))
			return true;
	return false;
}

/**
 * mnv_io_quiet - would a pass find nothing to do?
 * @inst: instance; caller holds inst->lock
 *
 * The one check a shared poller (vctrl_poller.c) makes of an instance
 * whose last pass found nothing: no command in flight or put off, no
 * entry the pass could fetch in an SQ (its tail read from the shadow
 * doorbell where the guest has one), no value changed in the mapped
 * doorbell page.  Anything else that makes work arrives through a
 * trapped access, which sets io->kick: the caller looks at that too.
 * The caller syncs io->vstate first (bus mastering).
 *
 * Return: true if a pass would find nothing.
 */
bool mnv_io_quiet(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int q;

	lockdep_assert_held(&inst->lock);
	if (io->nr_inflight || io->stalled || mnv_io_dbpage_moved(inst))
		return false;
	/* The guest sees CSTS.CFS even while idle. */
	if (smp_load_acquire(&inst->host->dead))
		return io->host_failed == MNV_HOST_FAILED_TOLD;
	for (q = 1; q <= inst->nr_qpairs; q++) {
		/* Without bus mastering nothing can be fetched. */
		if (io->vstate.bus_master &&
		    mnv_io_sq_fetchable(io, &io->sq[q]))
			return false;
		/* A reset made its pair stale: created again now. */
		if (mnv_hwq_stale(inst->host, &inst->hq[q - 1].hw))
			return false;
	}
	return true;
}
