// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR0 of the emulated controller: controller registers (NVMe 1.4 section
 * 3.1), the CC/CSTS state machine (section 7.6), doorbells and the MSI-X
 * window.
 *
 * Accesses are broken into the dwords they touch; each dword is handled
 * with a byte mask, so 1, 2 and 8 byte and misaligned accesses behave as a
 * read-modify-write of the affected 32-bit registers.  64-bit registers
 * (CAP, ASQ, ACQ) are two independent halves, as the specification allows.
 */
#include "vnvme_priv.h"

#define VNVME_CAP_TO		20	/* 10 s, in 500 ms units */
#define VNVME_ASQ_ACQ_WMASK	(~(u64)(VNVME_PAGE_SIZE - 1))

void vnvme_regs_init(struct vnvme_ctrl *c)
{
	c->cap = (u64)(c->max_qentries - 1) |
		 VNVME_CAP_CQR |
		 (u64)VNVME_CAP_TO << VNVME_CAP_TO_SHIFT |
		 VNVME_CAP_CSS_NVM;
	/* DSTRD = 0, MPSMIN = MPSMAX = 0 (4 KiB pages only) */
	c->cc = 0;
	c->aqa = 0;
	c->asq = 0;
	c->acq = 0;
}

/**
 * vnvme_ctrl_reset() - Controller Level Reset (section 7.3.2)
 * @c:      controller
 * @notify: tell the I/O path (ops->reset) to quiesce and drop its queues
 *
 * Deletes every queue, drops outstanding commands (no completions are
 * posted for them, as for a real reset) and returns the features to their
 * defaults.  CC, AQA, ASQ and ACQ are kept; the log pages and statistics
 * survive as well.
 */
void vnvme_ctrl_reset(struct vnvme_ctrl *c, bool notify)
{
	if (notify && c->ops->reset)
		c->ops->reset(c->env);

	memset(c->sq, 0, sizeof(c->sq));
	memset(c->cq, 0, sizeof(c->cq));
	c->nr_live_queues = 0;
	memset(&c->aq, 0, sizeof(c->aq));
	memset(c->db_last, 0, sizeof(c->db_last));
	c->dbbuf_valid = false;
	c->dbbuf_db_iova = 0;
	c->dbbuf_ei_iova = 0;
	c->nr_aer = 0;
	c->nr_events = 0;
	c->aen_masked = 0;
	c->csts = 0;
	c->intms = 0;
	vnvme_features_reset(c);
}

/*
 * CC.EN 0 -> 1.  Parameters the controller cannot honour make the enable
 * fail with CSTS.CFS: the guest sees the failure when it polls CSTS.RDY
 * instead of running into it later.  IOSQES/IOCQES of 0 mean "not set yet"
 * and are accepted here; queue creation checks them again.
 */
static void vnvme_cc_enable(struct vnvme_ctrl *c)
{
	u32 cc = c->cc;
	u32 iosqes = (cc & VNVME_CC_IOSQES_MASK) >> VNVME_CC_IOSQES_SHIFT;
	u32 iocqes = (cc & VNVME_CC_IOCQES_MASK) >> VNVME_CC_IOCQES_SHIFT;
	u32 asqs = (c->aqa & VNVME_AQA_ASQS_MASK) + 1;
	u32 acqs = ((c->aqa & VNVME_AQA_ACQS_MASK) >> VNVME_AQA_ACQS_SHIFT) + 1;

	if ((cc & (VNVME_CC_CSS_MASK | VNVME_CC_MPS_MASK | VNVME_CC_AMS_MASK)) ||
	    (iosqes && iosqes != VNVME_SQES_LOG2) ||
	    (iocqes && iocqes != VNVME_CQES_LOG2) ||
	    asqs < 2 || acqs < 2) {
		c->csts |= VNVME_CSTS_CFS;
		return;
	}

	memset(&c->aq, 0, sizeof(c->aq));
	c->aq.sq_iova = c->asq;
	c->aq.cq_iova = c->acq;
	c->aq.sq_size = asqs;
	c->aq.cq_size = acqs;
	c->aq.phase = VNVME_CQE_PHASE;
	c->csts = VNVME_CSTS_RDY;
}

/*
 * Shutdown notification (section 7.6.2): stop the I/O path, which flushes
 * its volatile write cache, and report completion at once.  The admin
 * queue stops until the next reset.
 */
static void vnvme_cc_shutdown(struct vnvme_ctrl *c)
{
	if (c->ops->reset)
		c->ops->reset(c->env);
	memset(c->sq, 0, sizeof(c->sq));
	memset(c->cq, 0, sizeof(c->cq));
	c->nr_live_queues = 0;
	c->csts = (c->csts & ~VNVME_CSTS_SHST_MASK) | VNVME_CSTS_SHST_CMPLT;
}

static void vnvme_cc_write(struct vnvme_ctrl *c, u32 val)
{
	u32 old = c->cc;
	u32 new = val & VNVME_CC_WRITABLE;

	/* CSS, MPS and AMS may only change while the controller is disabled */
	if (old & VNVME_CC_EN) {
		const u32 fixed = VNVME_CC_CSS_MASK | VNVME_CC_MPS_MASK |
				  VNVME_CC_AMS_MASK;

		new = (new & ~fixed) | (old & fixed);
	}
	c->cc = new;

	if (!(old & VNVME_CC_EN) && (new & VNVME_CC_EN))
		vnvme_cc_enable(c);
	else if ((old & VNVME_CC_EN) && !(new & VNVME_CC_EN))
		vnvme_ctrl_reset(c, true);

	if (!(old & VNVME_CC_SHN_MASK) && (new & VNVME_CC_SHN_MASK))
		vnvme_cc_shutdown(c);
	else if (!(new & VNVME_CC_SHN_MASK))
		c->csts &= ~VNVME_CSTS_SHST_MASK;
}

static u32 vnvme_reg_read32(const struct vnvme_ctrl *c, u32 off)
{
	switch (off) {
	case VNVME_REG_CAP:
		return lower_32_bits(c->cap);
	case VNVME_REG_CAP + 4:
		return upper_32_bits(c->cap);
	case VNVME_REG_VS:
		return VNVME_VS_1_4;
	case VNVME_REG_INTMS:
	case VNVME_REG_INTMC:
		return c->intms;
	case VNVME_REG_CC:
		return c->cc;
	case VNVME_REG_CSTS:
		return c->csts;
	case VNVME_REG_AQA:
		return c->aqa;
	case VNVME_REG_ASQ:
		return lower_32_bits(c->asq);
	case VNVME_REG_ASQ + 4:
		return upper_32_bits(c->asq);
	case VNVME_REG_ACQ:
		return lower_32_bits(c->acq);
	case VNVME_REG_ACQ + 4:
		return upper_32_bits(c->acq);
	default:
		return 0;	/* NSSR (not supported), CMB, PMR, reserved */
	}
}

static void vnvme_reg_write64_half(u64 *reg, u32 off, u32 val, u32 mask,
				   u64 wmask)
{
	u64 m = (u64)mask << (off & 4 ? 32 : 0);
	u64 v = (u64)val << (off & 4 ? 32 : 0);

	m &= wmask;
	*reg = (*reg & ~m) | (v & m);
}

static void vnvme_reg_write32(struct vnvme_ctrl *c, u32 off, u32 val,
			      u32 mask)
{
	switch (off) {
	case VNVME_REG_INTMS:
		/*
		 * INTMS/INTMC only matter for pin-based and MSI interrupts;
		 * with MSI-X the guest must not use them (section 3.1.3/4).
		 */
		c->intms |= val & mask;
		break;
	case VNVME_REG_INTMC:
		c->intms &= ~(val & mask);
		break;
	case VNVME_REG_CC:
		vnvme_cc_write(c, (c->cc & ~mask) | (val & mask));
		break;
	case VNVME_REG_AQA:
		mask &= VNVME_AQA_ASQS_MASK | VNVME_AQA_ACQS_MASK;
		c->aqa = (c->aqa & ~mask) | (val & mask);
		break;
	case VNVME_REG_ASQ:
	case VNVME_REG_ASQ + 4:
		vnvme_reg_write64_half(&c->asq, off, val, mask,
				       VNVME_ASQ_ACQ_WMASK);
		break;
	case VNVME_REG_ACQ:
	case VNVME_REG_ACQ + 4:
		vnvme_reg_write64_half(&c->acq, off, val, mask,
				       VNVME_ASQ_ACQ_WMASK);
		break;
	default:
		break;		/* read-only or reserved */
	}
}

/*
 * Report a bad doorbell write (section 4.1): an Error event with the
 * Error Information log page, plus an entry in that log.
 */
void vnvme_doorbell_error(struct vnvme_ctrl *c, u16 qid, bool is_cq, u8 info)
{
	vnvme_error_record(c, is_cq ? 0xffff : qid, 0xffff, 0,
			   VNVME_LOC_NONE, 0);
	vnvme_aen_add(c, VNVME_AER_TYPE_ERROR, info, VNVME_LOG_ERROR);
	vnvme_aen_flush(c);
}

static void vnvme_admin_sq_doorbell(struct vnvme_ctrl *c, u32 val)
{
	if (val >= c->aq.sq_size) {
		vnvme_doorbell_error(c, 0, false,
				     VNVME_AER_ERR_INVALID_DB_VALUE);
		return;
	}
	c->aq.sq_tail = val;
}

/*
 * The new head may only move over entries the controller has posted and
 * the guest has not consumed yet.
 */
static void vnvme_admin_cq_doorbell(struct vnvme_ctrl *c, u32 val)
{
	struct vnvme_admin_queue *aq = &c->aq;

	if (!vnvme_cq_head_ok(val, aq->cq_head, aq->cq_tail, aq->cq_size)) {
		vnvme_doorbell_error(c, 0, true,
				     VNVME_AER_ERR_INVALID_DB_VALUE);
		return;
	}
	aq->cq_head = val;
	/* Room in the CQ may let held events complete. */
	vnvme_aen_flush(c);
}

static void vnvme_io_doorbell(struct vnvme_ctrl *c, u16 qid, bool is_cq,
			      u32 val)
{
	bool valid = is_cq ? c->cq[qid].valid : c->sq[qid].valid;
	u16 size = is_cq ? c->cq[qid].size : c->sq[qid].size;

	if (!valid) {
		vnvme_doorbell_error(c, qid, is_cq, VNVME_AER_ERR_INVALID_DB);
		return;
	}
	if (val >= size) {
		vnvme_doorbell_error(c, qid, is_cq,
				     VNVME_AER_ERR_INVALID_DB_VALUE);
		return;
	}
	if (c->ops->io_doorbell && !c->ops->io_doorbell(c->env, qid, is_cq, val))
		vnvme_doorbell_error(c, qid, is_cq,
				     VNVME_AER_ERR_INVALID_DB_VALUE);
}

bool vnvme_io_doorbell_ok(const struct vnvme_ctrl *c, u16 qid, bool is_cq,
			  u32 val)
{
	/* Dead doorbells take nothing and report nothing. */
	if (!vnvme_admin_active(c))
		return true;
	if (!qid || qid > c->nr_ioq)
		return false;
	if (is_cq)
		return c->cq[qid].valid && val < c->cq[qid].size;
	return c->sq[qid].valid && val < c->sq[qid].size;
}

static void vnvme_doorbell_write32(struct vnvme_ctrl *c, u32 off, u32 val,
				   u32 mask)
{
	u32 idx = (off - VNVME_BAR0_DB_OFF) / 4;
	u16 qid = idx / 2;
	bool is_cq = idx & 1;

	/* Doorbells of a disabled, failed or shut down controller are dead. */
	if (!vnvme_admin_active(c))
		return;
	if (qid > c->nr_ioq) {
		vnvme_doorbell_error(c, qid, is_cq, VNVME_AER_ERR_INVALID_DB);
		return;
	}
	/* A partial write completes with the bytes last written. */
	val = (c->db_last[idx] & ~mask) | (val & mask);
	c->db_last[idx] = val;

	if (qid)
		vnvme_io_doorbell(c, qid, is_cq, val);
	else if (is_cq)
		vnvme_admin_cq_doorbell(c, val);
	else
		vnvme_admin_sq_doorbell(c, val);
}

static u32 vnvme_bar0_read32(struct vnvme_ctrl *c, u32 off)
{
	if (off < VNVME_BAR0_DB_OFF)
		return vnvme_reg_read32(c, off);
	if (off < VNVME_BAR0_MSIX_TABLE)
		return 0;	/* doorbells are write-only */
	return vnvme_msix_read32(c, off);
}

static void vnvme_bar0_write32(struct vnvme_ctrl *c, u32 off, u32 val,
			       u32 mask)
{
	if (off < VNVME_BAR0_DB_OFF)
		vnvme_reg_write32(c, off, val, mask);
	else if (off < VNVME_BAR0_MSIX_TABLE)
		vnvme_doorbell_write32(c, off, val, mask);
	else
		vnvme_msix_write32(c, off, val, mask);
}

int vnvme_bar0_read(struct vnvme_ctrl *c, u64 off, void *buf, u32 len)
{
	u8 *dst = buf;
	u32 pos = 0;

	if (!vnvme_access_ok(off, len, VNVME_BAR0_SIZE))
		return -EINVAL;
	while (pos < len) {
		u32 o = off + pos;
		u32 n = vnvme_dword_piece(o, len - pos);

		vnvme_dword_extract(vnvme_bar0_read32(c, o & ~3U), o,
				    dst + pos, n);
		pos += n;
	}
	return 0;
}

int vnvme_bar0_write(struct vnvme_ctrl *c, u64 off, const void *buf, u32 len)
{
	const u8 *src = buf;
	u32 pos = 0;

	if (!vnvme_access_ok(off, len, VNVME_BAR0_SIZE))
		return -EINVAL;
	while (pos < len) {
		u32 o = off + pos;
		u32 n = vnvme_dword_piece(o, len - pos);

		vnvme_bar0_write32(c, o & ~3U,
				   vnvme_dword_merge(0, o, src + pos, n),
				   vnvme_dword_mask(o, n));
		pos += n;
	}
	vnvme_admin_irq_kick(c);
	return 0;
}
