// SPDX-License-Identifier: GPL-2.0-only
/*
 * Get Features / Set Features (NVMe 1.4 sections 5.21, 5.15 and 5.21.1).
 *
 * No feature is saveable: Set Features with SV is refused, and the saved
 * value reported by Get Features (SEL = 2) is the default.  Most features
 * are advisory for an emulated controller and are simply stored; the ones
 * with an effect are Volatile Write Cache (read by the I/O path through
 * vnvme_vwc_enabled()), Temperature Threshold (SMART warning) and
 * Asynchronous Event Configuration.
 */
#include "vnvme_priv.h"

#define VNVME_TMPSEL_SHIFT	16
#define VNVME_TMPSEL_COMPOSITE	0x0
#define VNVME_TMPSEL_ALL	0xf
#define VNVME_THSEL_SHIFT	20
#define VNVME_THSEL_OVER	0
#define VNVME_THSEL_UNDER	1
#define VNVME_ERR_REC_DULBE	BIT(16)
#define VNVME_IRQ_CONFIG_CD	BIT(16)

static void vnvme_features_default(const struct vnvme_ctrl *c,
				   struct vnvme_features *f)
{
	memset(f, 0, sizeof(*f));
	f->temp_over = VNVME_TEMP_WARNING;
	f->vwc_enabled = c->vwc;
}

void vnvme_features_reset(struct vnvme_ctrl *c)
{
	vnvme_features_default(c, &c->feat);
	/* The default thresholds never flag the fixed temperature. */
	c->crit_warning &= ~VNVME_SMART_CRIT_TEMP;
}

static bool vnvme_feat_supported(const struct vnvme_ctrl *c, u8 fid)
{
	switch (fid) {
	case VNVME_FEAT_ARBITRATION:
	case VNVME_FEAT_POWER_MGMT:
	case VNVME_FEAT_TEMP_THRESH:
	case VNVME_FEAT_ERR_RECOVERY:
	case VNVME_FEAT_NUM_QUEUES:
	case VNVME_FEAT_IRQ_COALESCE:
	case VNVME_FEAT_IRQ_CONFIG:
	case VNVME_FEAT_WRITE_ATOMIC:
	case VNVME_FEAT_ASYNC_EVENT:
		return true;
	case VNVME_FEAT_VOLATILE_WC:
		return c->vwc;
	default:
		return false;
	}
}

/* Only Error Recovery is namespace specific among the supported ones. */
static bool vnvme_feat_ns_specific(u8 fid)
{
	return fid == VNVME_FEAT_ERR_RECOVERY;
}

static u32 vnvme_nr_queues_result(const struct vnvme_ctrl *c)
{
	return (u32)(c->nr_ioq - 1) << 16 | (c->nr_ioq - 1);
}

/* Temperature Threshold CDW11: only the composite temperature exists. */
static u16 vnvme_temp_sel(struct vnvme_req *req, u16 **thresh,
			  struct vnvme_features *f)
{
	u32 cdw11 = vnvme_cdw11(req);
	u32 tmpsel = (cdw11 >> VNVME_TMPSEL_SHIFT) & 0xf;
	u32 thsel = (cdw11 >> VNVME_THSEL_SHIFT) & 0x3;

	if (tmpsel != VNVME_TMPSEL_COMPOSITE && tmpsel != VNVME_TMPSEL_ALL)
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 2, 0));
	if (thsel == VNVME_THSEL_OVER)
		*thresh = &f->temp_over;
	else if (thsel == VNVME_THSEL_UNDER)
		*thresh = &f->temp_under;
	else
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 2, 4));
	return VNVME_SC_SUCCESS;
}

/* Re-evaluate the SMART temperature warning after a threshold change. */
static void vnvme_temp_check(struct vnvme_ctrl *c)
{
	const struct vnvme_features *f = &c->feat;
	bool over = f->temp_over <= VNVME_TEMP_CURRENT ||
		    (f->temp_under && f->temp_under >= VNVME_TEMP_CURRENT);

	if (!over) {
		c->crit_warning &= ~VNVME_SMART_CRIT_TEMP;
		return;
	}
	if (c->crit_warning & VNVME_SMART_CRIT_TEMP)
		return;
	c->crit_warning |= VNVME_SMART_CRIT_TEMP;
	if (f->async_event_cfg & VNVME_SMART_CRIT_TEMP)
		vnvme_aen_add(c, VNVME_AER_TYPE_SMART,
			      VNVME_AER_SMART_TEMP_THRESH, VNVME_LOG_SMART);
}

static u16 vnvme_irq_config_vector(struct vnvme_ctrl *c,
				   struct vnvme_req *req, u16 *iv)
{
	*iv = vnvme_cdw11(req) & 0xffff;
	if (*iv >= c->nr_vectors)
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw11));
	return VNVME_SC_SUCCESS;
}

/* Current (@dflt false) or default value of a supported feature */
static u16 vnvme_feat_value(struct vnvme_ctrl *c, struct vnvme_req *req,
			    u8 fid, bool dflt, u32 *val)
{
	struct vnvme_features def, *f = &c->feat;
	u16 status, iv, *thresh;

	if (dflt) {
		vnvme_features_default(c, &def);
		f = &def;
	}

	switch (fid) {
	case VNVME_FEAT_ARBITRATION:
		*val = f->arbitration;
		break;
	case VNVME_FEAT_POWER_MGMT:
		*val = f->power_mgmt;
		break;
	case VNVME_FEAT_TEMP_THRESH:
		status = vnvme_temp_sel(req, &thresh, f);
		if (status)
			return status;
		*val = *thresh | (vnvme_cdw11(req) & GENMASK(21, 16));
		break;
	case VNVME_FEAT_ERR_RECOVERY:
		*val = f->err_recovery;
		break;
	case VNVME_FEAT_VOLATILE_WC:
		*val = f->vwc_enabled;
		break;
	case VNVME_FEAT_NUM_QUEUES:
		*val = vnvme_nr_queues_result(c);
		break;
	case VNVME_FEAT_IRQ_COALESCE:
		*val = f->irq_coalesce;
		break;
	case VNVME_FEAT_IRQ_CONFIG:
		status = vnvme_irq_config_vector(c, req, &iv);
		if (status)
			return status;
		*val = iv;
		if (f->irq_cd[iv / 64] & BIT_ULL(iv % 64))
			*val |= VNVME_IRQ_CONFIG_CD;
		break;
	case VNVME_FEAT_WRITE_ATOMIC:
		*val = f->write_atomic;
		break;
	case VNVME_FEAT_ASYNC_EVENT:
		*val = f->async_event_cfg;
		break;
	}
	return VNVME_SC_SUCCESS;
}

/* NSID 1 or all namespaces for namespace-specific features; else ignored */
static u16 vnvme_feat_check_nsid(struct vnvme_req *req, u8 fid)
{
	u32 nsid = le32_to_cpu(req->cmd.nsid);

	if (vnvme_feat_ns_specific(fid) && nsid > 1 && nsid != 0xffffffff)
		return vnvme_err(req, VNVME_SC_INVALID_NS, VNVME_SQE_OFF(nsid));
	return VNVME_SC_SUCCESS;
}

u16 vnvme_adm_get_features(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u32 cdw10 = vnvme_cdw10(req);
	u8 fid = cdw10 & 0xff;
	u32 sel = (cdw10 & VNVME_FEAT_SEL_MASK) >> VNVME_FEAT_SEL_SHIFT;
	u16 status;

	if (!vnvme_feat_supported(c, fid))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw10));
	status = vnvme_feat_check_nsid(req, fid);
	if (status)
		return status;

	switch (sel) {
	case VNVME_SEL_CURRENT:
		return vnvme_feat_value(c, req, fid, false, &req->result);
	case VNVME_SEL_DEFAULT:
	case VNVME_SEL_SAVED:
		return vnvme_feat_value(c, req, fid, true, &req->result);
	case VNVME_SEL_SUPPORTED:
		req->result = VNVME_FEAT_CAP_CHANGEABLE;
		if (vnvme_feat_ns_specific(fid))
			req->result |= VNVME_FEAT_CAP_NS_SPECIFIC;
		return VNVME_SC_SUCCESS;
	default:
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_LOC(VNVME_SQE_OFF(cdw10) + 1, 0));
	}
}

u16 vnvme_adm_set_features(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	struct vnvme_features *f = &c->feat;
	u32 cdw10 = vnvme_cdw10(req);
	u32 cdw11 = vnvme_cdw11(req);
	u8 fid = cdw10 & 0xff;
	u16 status, iv, *thresh;

	if (!vnvme_feat_supported(c, fid))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw10));
	if (cdw10 & VNVME_FEAT_SV)
		return vnvme_err(req, VNVME_SC_FEAT_NOT_SAVEABLE,
				 VNVME_LOC(VNVME_SQE_OFF(cdw10) + 3, 7));
	status = vnvme_feat_check_nsid(req, fid);
	if (status)
		return status;

	switch (fid) {
	case VNVME_FEAT_ARBITRATION:
		/* Round robin only (CAP.AMS = 0): burst and weights unused */
		f->arbitration = cdw11;
		break;
	case VNVME_FEAT_POWER_MGMT:
		/* Power State must exist: NPSS = 0, so only PS 0 */
		if (cdw11 & 0x1f)
			return vnvme_err(req, VNVME_SC_INVALID_FIELD,
					 VNVME_SQE_OFF(cdw11));
		f->power_mgmt = cdw11 & 0xff;
		break;
	case VNVME_FEAT_TEMP_THRESH:
		status = vnvme_temp_sel(req, &thresh, f);
		if (status)
			return status;
		*thresh = cdw11 & 0xffff;
		vnvme_temp_check(c);
		break;
	case VNVME_FEAT_ERR_RECOVERY:
		/* No deallocated-block error reporting (NSFEAT.DAE = 0) */
		if (cdw11 & VNVME_ERR_REC_DULBE)
			return vnvme_err(req, VNVME_SC_INVALID_FIELD,
					 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 2, 0));
		f->err_recovery = cdw11 & 0xffff;
		break;
	case VNVME_FEAT_VOLATILE_WC:
		f->vwc_enabled = cdw11 & 1;
		break;
	case VNVME_FEAT_NUM_QUEUES:
		/* 0's based counts; 65536 queues cannot be asked for */
		if ((cdw11 & 0xffff) == 0xffff || (cdw11 >> 16) == 0xffff)
			return vnvme_err(req, VNVME_SC_INVALID_FIELD,
					 VNVME_SQE_OFF(cdw11));
		/* Only before any I/O queue exists (section 5.21.1.7) */
		if (c->nr_live_queues)
			return VNVME_SC_CMD_SEQ_ERROR;
		f->nr_queues_set = true;
		req->result = vnvme_nr_queues_result(c);
		break;
	case VNVME_FEAT_IRQ_COALESCE:
		/* Stored only: every completion is signalled at once. */
		f->irq_coalesce = cdw11 & 0xffff;
		break;
	case VNVME_FEAT_IRQ_CONFIG:
		status = vnvme_irq_config_vector(c, req, &iv);
		if (status)
			return status;
		if (cdw11 & VNVME_IRQ_CONFIG_CD)
			f->irq_cd[iv / 64] |= BIT_ULL(iv % 64);
		else
			f->irq_cd[iv / 64] &= ~BIT_ULL(iv % 64);
		break;
	case VNVME_FEAT_WRITE_ATOMIC:
		f->write_atomic = cdw11 & 1;
		break;
	case VNVME_FEAT_ASYNC_EVENT:
		f->async_event_cfg = cdw11 & (VNVME_AEC_SMART_MASK |
					      VNVME_AEC_NS_ATTR);
		break;
	}
	return VNVME_SC_SUCCESS;
}
