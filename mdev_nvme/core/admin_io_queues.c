// SPDX-License-Identifier: GPL-2.0-only
/*
 * Create / Delete I/O Submission and Completion Queue (NVMe 1.4 sections
 * 5.3 - 5.6) and Doorbell Buffer Config (section 5.8).
 *
 * The core checks every field and keeps the queue table used to validate
 * doorbells; the queues themselves are run by the I/O path, told through
 * the io_* env hooks.  Only physically contiguous queues exist (CAP.CQR).
 */
#include "vnvme_priv.h"

#define VNVME_Q_PC		BIT(0)	/* CDW11: physically contiguous */
#define VNVME_CQ_IEN		BIT(1)	/* CDW11: interrupts enabled */

struct vnvme_q_args {
	u16 qid;
	u16 qsize;		/* entries */
	u64 iova;
};

static bool vnvme_qid_in_range(const struct vnvme_ctrl *c, u16 qid)
{
	return qid && qid <= c->nr_ioq;
}

/*
 * Checks common to both creates, in the order they are made: PC, QID (in
 * range, no such queue yet), QSIZE and PRP1.
 */
static u16 vnvme_q_parse(struct vnvme_ctrl *c, struct vnvme_req *req,
			 struct vnvme_q_args *a, bool is_cq)
{
	u32 cdw10 = vnvme_cdw10(req);
	u32 qsize0 = cdw10 >> 16;	/* 0's based */

	a->qid = cdw10 & 0xffff;
	a->iova = le64_to_cpu(req->cmd.prp1);

	if (!(vnvme_cdw11(req) & VNVME_Q_PC))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw11));
	if (!vnvme_qid_in_range(c, a->qid) ||
	    (is_cq ? c->cq[a->qid].valid : c->sq[a->qid].valid))
		return vnvme_err(req, VNVME_SC_QID_INVALID,
				 VNVME_SQE_OFF(cdw10));
	if (!qsize0 || qsize0 >= c->max_qentries)
		return vnvme_err(req, VNVME_SC_QUEUE_SIZE,
				 VNVME_LOC(VNVME_SQE_OFF(cdw10) + 2, 0));
	if (a->iova & (VNVME_PAGE_SIZE - 1))
		return vnvme_err(req, VNVME_SC_INVALID_PRP_OFFSET,
				 VNVME_SQE_OFF(prp1));
	a->qsize = qsize0 + 1;
	return VNVME_SC_SUCCESS;
}

/*
 * CC.IOCQES (@is_cq) or CC.IOSQES holds the one entry size there is.  It
 * may still be unset if it was 0 at enable time.  Each create checks it
 * last, after its own fields.
 */
static bool vnvme_q_entry_size_ok(const struct vnvme_ctrl *c, bool is_cq)
{
	if (is_cq)
		return (c->cc & VNVME_CC_IOCQES_MASK) >> VNVME_CC_IOCQES_SHIFT ==
		       VNVME_CQES_LOG2;
	return (c->cc & VNVME_CC_IOSQES_MASK) >> VNVME_CC_IOSQES_SHIFT ==
	       VNVME_SQES_LOG2;
}

u16 vnvme_adm_create_cq(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u32 cdw11 = vnvme_cdw11(req);
	bool ien = cdw11 & VNVME_CQ_IEN;
	u16 vector = cdw11 >> 16;
	struct vnvme_q_args a;
	struct vnvme_cq *cq;
	u16 status;

	status = vnvme_q_parse(c, req, &a, true);
	if (status)
		return status;
	if (ien && vector >= c->nr_vectors)
		return vnvme_err(req, VNVME_SC_INVALID_VECTOR,
				 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 2, 0));
	if (!vnvme_q_entry_size_ok(c, true))
		return VNVME_SC_INVALID_FIELD;

	if (c->ops->io_cq_create) {
		status = c->ops->io_cq_create(c->env, a.qid, a.iova, a.qsize,
					      vector, ien);
		if (status)
			return status;
	}
	cq = &c->cq[a.qid];
	cq->size = a.qsize;
	cq->nr_sqs = 0;
	cq->valid = true;
	c->nr_live_queues++;
	return VNVME_SC_SUCCESS;
}

u16 vnvme_adm_create_sq(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u16 cqid = vnvme_cdw11(req) >> 16;
	struct vnvme_q_args a;
	struct vnvme_sq *sq;
	u16 status;

	status = vnvme_q_parse(c, req, &a, false);
	if (status)
		return status;
	if (!vnvme_qid_in_range(c, cqid) || !c->cq[cqid].valid)
		return vnvme_err(req, VNVME_SC_CQ_INVALID,
				 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 2, 0));
	if (!vnvme_q_entry_size_ok(c, false))
		return VNVME_SC_INVALID_FIELD;

	if (c->ops->io_sq_create) {
		status = c->ops->io_sq_create(c->env, a.qid, a.iova, a.qsize,
					      cqid);
		if (status)
			return status;
	}
	sq = &c->sq[a.qid];
	sq->size = a.qsize;
	sq->cqid = cqid;
	sq->valid = true;
	c->cq[cqid].nr_sqs++;
	c->nr_live_queues++;
	return VNVME_SC_SUCCESS;
}

u16 vnvme_adm_delete_sq(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u16 qid = vnvme_cdw10(req) & 0xffff;
	struct vnvme_sq *sq;

	if (!vnvme_qid_in_range(c, qid) || !c->sq[qid].valid)
		return vnvme_err(req, VNVME_SC_QID_INVALID,
				 VNVME_SQE_OFF(cdw10));

	if (c->ops->io_sq_delete)
		c->ops->io_sq_delete(c->env, qid);
	sq = &c->sq[qid];
	c->cq[sq->cqid].nr_sqs--;
	memset(sq, 0, sizeof(*sq));
	c->db_last[2 * qid] = 0;
	c->nr_live_queues--;
	return VNVME_SC_SUCCESS;
}

u16 vnvme_adm_delete_cq(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u16 qid = vnvme_cdw10(req) & 0xffff;

	if (!vnvme_qid_in_range(c, qid) || !c->cq[qid].valid)
		return vnvme_err(req, VNVME_SC_QID_INVALID,
				 VNVME_SQE_OFF(cdw10));
	/* SQs must be deleted first (section 5.4) */
	if (c->cq[qid].nr_sqs)
		return vnvme_err(req, VNVME_SC_QUEUE_DELETION,
				 VNVME_SQE_OFF(cdw10));

	if (c->ops->io_cq_delete)
		c->ops->io_cq_delete(c->env, qid);
	memset(&c->cq[qid], 0, sizeof(c->cq[qid]));
	c->db_last[2 * qid + 1] = 0;
	c->nr_live_queues--;
	return VNVME_SC_SUCCESS;
}

/*
 * The shadow doorbell and EventIdx buffers are one page each (PRP1 and
 * PRP2, page aligned).  The core only keeps the addresses; the I/O path
 * is told them (ops->dbbuf_config), and its glue reads them again
 * (vnvme_dbbuf_get()) after a shutdown, which keeps them.  The admin queue
 * keeps using the MMIO doorbells, which the specification allows.
 */
u16 vnvme_adm_dbbuf_config(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u64 db = le64_to_cpu(req->cmd.prp1);
	u64 ei = le64_to_cpu(req->cmd.prp2);

	if (db & (VNVME_PAGE_SIZE - 1))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(prp1));
	if (ei & (VNVME_PAGE_SIZE - 1))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(prp2));
	c->dbbuf_db_iova = db;
	c->dbbuf_ei_iova = ei;
	c->dbbuf_valid = true;
	if (c->ops->dbbuf_config)
		c->ops->dbbuf_config(c->env, db, ei);
	return VNVME_SC_SUCCESS;
}
