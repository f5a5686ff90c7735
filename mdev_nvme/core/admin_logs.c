// SPDX-License-Identifier: GPL-2.0-only
/*
 * Get Log Page (NVMe 1.4 section 5.14) and the state behind the logs:
 * Error Information, SMART / Health Information, Firmware Slot
 * Information, Changed Namespace List and Commands Supported and Effects.
 *
 * Every log fits in 4 KiB and is built whole in the scratch buffer; the
 * requested window (LPO, NUMD) is then copied out, zero-filled past the end
 * of the log.  Reading a log with RAE cleared re-arms the asynchronous
 * events of its type.
 */
#include "vnvme_priv.h"

#define VNVME_SMART_SPARE	100	/* percent */
#define VNVME_SMART_SPARE_THRESH 10

/**
 * vnvme_error_record() - add an Error Information log entry
 * @c:         controller
 * @sqid:      submission queue of the failed command, 0xffff if none
 * @cid:       its command identifier, 0xffff if none
 * @status:    Status Field << 1 | phase tag, as in the completion
 * @param_loc: VNVME_LOC() of the field at fault, or VNVME_LOC_NONE
 * @nsid:      namespace of the command
 */
void vnvme_error_record(struct vnvme_ctrl *c, u16 sqid, u16 cid, u16 status,
			u16 param_loc, u32 nsid)
{
	struct vnvme_err_entry *e;

	/* The count is never 0 for a valid entry and must not wrap to it. */
	if (c->err_count == U64_MAX)
		return;
	e = &c->err_log[c->err_count % VNVME_NR_ERR_LOG];
	e->count = ++c->err_count;
	e->sqid = sqid;
	e->cid = cid;
	e->status = status;
	e->param_loc = param_loc;
	e->nsid = nsid;
}

/* Newest entry first; unused entries stay zero (count 0 = invalid). */
static u32 vnvme_log_error(struct vnvme_ctrl *c, void *buf)
{
	struct vnvme_error_log *log = buf;
	u64 n = min_t(u64, c->err_count, VNVME_NR_ERR_LOG);
	u64 i;

	for (i = 0; i < n; i++) {
		const struct vnvme_err_entry *e =
			&c->err_log[(c->err_count - 1 - i) % VNVME_NR_ERR_LOG];

		log[i].error_count = cpu_to_le64(e->count);
		log[i].sqid = cpu_to_le16(e->sqid);
		log[i].cid = cpu_to_le16(e->cid);
		log[i].status = cpu_to_le16(e->status);
		log[i].param_loc = cpu_to_le16(e->param_loc);
		log[i].nsid = cpu_to_le32(e->nsid);
	}
	return VNVME_NR_ERR_LOG * sizeof(*log);
}

static u32 vnvme_log_smart(struct vnvme_ctrl *c, void *buf)
{
	struct vnvme_smart_log *log = buf;

	log->critical_warning = c->crit_warning;
	log->temperature = cpu_to_le16(VNVME_TEMP_CURRENT);
	log->avail_spare = VNVME_SMART_SPARE;
	log->spare_thresh = VNVME_SMART_SPARE_THRESH;
	/* in thousands of 512-byte units, rounded up (Figure 196) */
	log->data_units_read[0] = cpu_to_le64(DIV_ROUND_UP(c->units_read,
							   1000));
	log->data_units_written[0] =
		cpu_to_le64(DIV_ROUND_UP(c->units_written, 1000));
	log->host_reads[0] = cpu_to_le64(c->read_cmds);
	log->host_writes[0] = cpu_to_le64(c->write_cmds);
	log->power_cycles[0] = cpu_to_le64(c->power_cycles);
	log->num_err_log_entries[0] = cpu_to_le64(c->err_count);
	return sizeof(*log);
}

static u32 vnvme_log_fw_slot(struct vnvme_ctrl *c, void *buf)
{
	struct vnvme_fw_slot_log *log = buf;

	log->afi = 1;		/* slot 1 active, no pending activation */
	memcpy(log->frs[0], c->fr, sizeof(log->frs[0]));
	return sizeof(*log);
}

static u32 vnvme_log_changed_ns(struct vnvme_ctrl *c, void *buf)
{
	struct vnvme_changed_ns_log *log = buf;

	if (c->ns_changed)
		log->nsid[0] = cpu_to_le32(1);
	return sizeof(*log);
}

static u32 vnvme_log_effects(struct vnvme_ctrl *c, void *buf)
{
	static const u8 admin_ops[] = {
		VNVME_ADM_DELETE_SQ, VNVME_ADM_CREATE_SQ,
		VNVME_ADM_GET_LOG_PAGE, VNVME_ADM_DELETE_CQ,
		VNVME_ADM_CREATE_CQ, VNVME_ADM_IDENTIFY, VNVME_ADM_ABORT,
		VNVME_ADM_SET_FEATURES, VNVME_ADM_GET_FEATURES,
		VNVME_ADM_ASYNC_EVENT,
	};
	static const struct { u8 op; u16 oncs; u32 effects; } io_ops[] = {
		{ VNVME_CMD_FLUSH, 0, 0 },
		{ VNVME_CMD_WRITE, 0, VNVME_EFFECTS_LBCC },
		{ VNVME_CMD_READ, 0, 0 },
		{ VNVME_CMD_WRITE_UNCOR, VNVME_ONCS_WRITE_UNCOR,
		  VNVME_EFFECTS_LBCC },
		{ VNVME_CMD_COMPARE, VNVME_ONCS_COMPARE, 0 },
		{ VNVME_CMD_WRITE_ZEROES, VNVME_ONCS_WRITE_ZEROES,
		  VNVME_EFFECTS_LBCC },
		{ VNVME_CMD_DSM, VNVME_ONCS_DSM, VNVME_EFFECTS_LBCC },
		{ VNVME_CMD_VERIFY, VNVME_ONCS_VERIFY, 0 },
	};
	struct vnvme_effects_log *log = buf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(admin_ops); i++)
		log->acs[admin_ops[i]] = cpu_to_le32(VNVME_EFFECTS_CSUPP);
	if (c->dbbuf)
		log->acs[VNVME_ADM_DBBUF_CONFIG] =
			cpu_to_le32(VNVME_EFFECTS_CSUPP);
	for (i = 0; i < ARRAY_SIZE(io_ops); i++) {
		if (io_ops[i].oncs && !(c->oncs & io_ops[i].oncs))
			continue;
		log->iocs[io_ops[i].op] =
			cpu_to_le32(VNVME_EFFECTS_CSUPP | io_ops[i].effects);
	}
	return sizeof(*log);
}

/* The max transfer size bounds what a guest can make us write. */
static u64 vnvme_admin_max_xfer(const struct vnvme_ctrl *c)
{
	if (c->mdts)
		return (u64)VNVME_PAGE_SIZE << c->mdts;
	return VNVME_ADMIN_MAX_XFER;
}

u16 vnvme_adm_get_log_page(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u32 cdw10 = vnvme_cdw10(req);
	u32 cdw11 = vnvme_cdw11(req);
	u8 lid = cdw10 & 0xff;
	bool rae = cdw10 & VNVME_LOG_RAE;
	u64 numd = ((u64)(cdw11 & 0xffff) << 16 | cdw10 >> 16) + 1;
	u64 len = numd * 4;
	u64 lpo = (u64)le32_to_cpu(req->cmd.cdw13) << 32 |
		  le32_to_cpu(req->cmd.cdw12);
	u32 nsid = le32_to_cpu(req->cmd.nsid);
	u32 size;
	u16 status;

	static_assert(sizeof(c->scratch) >= sizeof(struct vnvme_effects_log));
	static_assert(sizeof(c->scratch) >=
		      VNVME_NR_ERR_LOG * sizeof(struct vnvme_error_log));

	if (lpo & 3)
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw12));
	if (len > vnvme_admin_max_xfer(c))
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_LOC(VNVME_SQE_OFF(cdw10) + 2, 0));

	memset(c->scratch, 0, sizeof(c->scratch));
	switch (lid) {
	case VNVME_LOG_ERROR:
		size = vnvme_log_error(c, c->scratch);
		break;
	case VNVME_LOG_SMART:
		/* per namespace (LPA bit 0) for the only namespace, or all */
		if (nsid > 1 && nsid != 0xffffffff)
			return vnvme_err(req, VNVME_SC_INVALID_NS,
					 VNVME_SQE_OFF(nsid));
		size = vnvme_log_smart(c, c->scratch);
		break;
	case VNVME_LOG_FW_SLOT:
		size = vnvme_log_fw_slot(c, c->scratch);
		break;
	case VNVME_LOG_CHANGED_NS:
		size = vnvme_log_changed_ns(c, c->scratch);
		break;
	case VNVME_LOG_CMD_EFFECTS:
		size = vnvme_log_effects(c, c->scratch);
		break;
	default:
		/* 1.4 asks for Invalid Field here, not Invalid Log Page */
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw10));
	}
	if (lpo > size)
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw12));

	status = vnvme_prp_to_guest(c, req, c->scratch + lpo, size - lpo, len);
	if (status || rae)
		return status;

	switch (lid) {
	case VNVME_LOG_ERROR:
		vnvme_aen_unmask(c, VNVME_AER_TYPE_ERROR);
		break;
	case VNVME_LOG_SMART:
		vnvme_aen_unmask(c, VNVME_AER_TYPE_SMART);
		break;
	case VNVME_LOG_CHANGED_NS:
		c->ns_changed = false;
		vnvme_aen_unmask(c, VNVME_AER_TYPE_NOTICE);
		break;
	}
	return VNVME_SC_SUCCESS;
}
