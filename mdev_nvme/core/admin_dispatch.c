// SPDX-License-Identifier: GPL-2.0-only
/*
 * Admin queue: fetch submission entries from guest memory, dispatch them,
 * post completions and signal vector 0.
 *
 * Each handler validates the whole command before changing any state and
 * returns one NVMe status; this file turns that status into exactly one
 * completion (the Asynchronous Event Request alone completes later).  An
 * admin queue the controller cannot read or write is a fatal error of this
 * instance: CSTS.CFS is set and the guest must reset the controller.
 */
#include "vnvme_priv.h"

bool vnvme_admin_active(const struct vnvme_ctrl *c)
{
	return (c->csts & (VNVME_CSTS_RDY | VNVME_CSTS_CFS |
			   VNVME_CSTS_SHST_MASK)) == VNVME_CSTS_RDY;
}

bool vnvme_admin_cq_full(const struct vnvme_ctrl *c)
{
	if (!c->aq.cq_size)
		return true;
	return (c->aq.cq_tail + 1) % c->aq.cq_size == c->aq.cq_head;
}

/*
 * A function without Bus Master Enable may not touch guest memory: its
 * commands wait until the guest sets the bit again.  Commands a full CQ
 * holds back wait for the guest's CQ head doorbell: no work before.
 */
bool vnvme_admin_pending(const struct vnvme_ctrl *c)
{
	return vnvme_admin_active(c) && vnvme_cfg_bus_master(c) &&
	       c->aq.sq_head != c->aq.sq_tail && !vnvme_admin_cq_full(c);
}

/*
 * Post one completion to the admin CQ.  Returns false if it could not be
 * posted: controller not running, CQ full (only a guest that submits more
 * commands than its CQ holds gets there) or CQ memory unreachable (fatal).
 */
bool vnvme_admin_post(struct vnvme_ctrl *c, u16 cid, u16 status, u32 result)
{
	struct vnvme_admin_queue *aq = &c->aq;
	struct vnvme_cqe cqe;
	u64 iova;

	if (!vnvme_admin_active(c) || vnvme_admin_cq_full(c))
		return false;

	cqe.result = cpu_to_le32(result);
	cqe.dw1 = 0;
	cqe.sq_head = cpu_to_le16(aq->sq_head);
	cqe.sq_id = 0;
	cqe.cid = cpu_to_le16(cid);
	cqe.status = cpu_to_le16(status << VNVME_CQE_STATUS_SHIFT | aq->phase);

	/*
	 * The guest polls the phase tag, so the status word (which holds
	 * it) goes out last, in a write of its own.
	 */
	iova = aq->cq_iova + (u64)aq->cq_tail * sizeof(cqe);
	if (c->ops->dma_write(c->env, iova, &cqe,
			      offsetof(struct vnvme_cqe, status)) ||
	    c->ops->dma_write(c->env, iova + offsetof(struct vnvme_cqe, status),
			      &cqe.status, sizeof(cqe.status))) {
		vnvme_fatal(c);
		return false;
	}

	if (++aq->cq_tail == aq->cq_size) {
		aq->cq_tail = 0;
		aq->phase ^= VNVME_CQE_PHASE;
	}
	aq->irq_needed = true;
	return true;
}

/* Admin CQ interrupts are always enabled and use vector 0. */
void vnvme_admin_irq_kick(struct vnvme_ctrl *c)
{
	if (!c->aq.irq_needed)
		return;
	c->aq.irq_needed = false;
	vnvme_irq_raise(c, 0);
}

static u16 vnvme_admin_exec(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	/* No fused operations and PRPs only (section 4.2, Figure 105). */
	if (req->cmd.flags & (VNVME_SQE_FUSE_MASK | VNVME_SQE_PSDT_MASK))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(flags));

	switch (req->cmd.opcode) {
	case VNVME_ADM_DELETE_SQ:
		return vnvme_adm_delete_sq(c, req);
	case VNVME_ADM_CREATE_SQ:
		return vnvme_adm_create_sq(c, req);
	case VNVME_ADM_GET_LOG_PAGE:
		return vnvme_adm_get_log_page(c, req);
	case VNVME_ADM_DELETE_CQ:
		return vnvme_adm_delete_cq(c, req);
	case VNVME_ADM_CREATE_CQ:
		return vnvme_adm_create_cq(c, req);
	case VNVME_ADM_IDENTIFY:
		return vnvme_adm_identify(c, req);
	case VNVME_ADM_ABORT:
		return vnvme_adm_abort(c, req);
	case VNVME_ADM_SET_FEATURES:
		return vnvme_adm_set_features(c, req);
	case VNVME_ADM_GET_FEATURES:
		return vnvme_adm_get_features(c, req);
	case VNVME_ADM_ASYNC_EVENT:
		return vnvme_adm_async_event(c, req);
	case VNVME_ADM_DBBUF_CONFIG:
		if (c->dbbuf)
			return vnvme_adm_dbbuf_config(c, req);
		fallthrough;
	default:
		return vnvme_err(req, VNVME_SC_INVALID_OPCODE,
				 VNVME_SQE_OFF(opcode));
	}
}

static void vnvme_admin_complete(struct vnvme_ctrl *c, struct vnvme_req *req,
				 u16 status)
{
	u16 cid = le16_to_cpu(req->cmd.cid);

	if (status == VNVME_SC_NO_COMPLETION)
		return;
	if (status != VNVME_SC_SUCCESS) {
		/*
		 * Retrying cannot help for any error the emulation returns,
		 * except an explicit abort.
		 */
		if (status != VNVME_SC_ABORT_REQ)
			status |= VNVME_SC_DNR;
		vnvme_error_record(c, 0, cid,
				   status << VNVME_CQE_STATUS_SHIFT | c->aq.phase,
				   req->param_loc, le32_to_cpu(req->cmd.nsid));
	}
	vnvme_admin_post(c, cid, status, req->result);
}

void vnvme_process_admin(struct vnvme_ctrl *c)
{
	struct vnvme_admin_queue *aq = &c->aq;

	/*
	 * At most sq_size - 1 entries are outstanding, so one call is
	 * bounded however the guest plays with the doorbell.
	 */
	while (vnvme_admin_pending(c)) {
		struct vnvme_req req;
		u64 iova = aq->sq_iova + (u64)aq->sq_head * sizeof(req.cmd);

		if (c->ops->dma_read(c->env, iova, &req.cmd, sizeof(req.cmd))) {
			vnvme_fatal(c);
			break;
		}
		if (++aq->sq_head == aq->sq_size)
			aq->sq_head = 0;

		req.result = 0;
		req.param_loc = VNVME_LOC_NONE;
		vnvme_admin_complete(c, &req, vnvme_admin_exec(c, &req));
		/*
		 * A new AER, a log read or an event the command raised may
		 * let queued events out, after the command's own completion.
		 */
		vnvme_aen_flush(c);
	}
	vnvme_admin_irq_kick(c);
}
