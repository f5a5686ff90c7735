/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared between the files of the vNVMe core.  Not for the
 * glue code: it only uses vnvme.h.
 */
#ifndef VNVME_PRIV_H
#define VNVME_PRIV_H

#include "vnvme.h"
#include "nvme_spec.h"

/*
 * Handler return value meaning "no completion now": the command stays
 * outstanding (Asynchronous Event Request).  Real statuses fit in 15 bits.
 */
#define VNVME_SC_NO_COMPLETION	0x8000

/* Error log Parameter Error Location: byte in the SQE, bit in that byte */
#define VNVME_LOC(byte, bit)	((u16)((byte) | ((bit) << 8)))
#define VNVME_LOC_NONE		0xffff

/* Fixed temperatures (Kelvin): reported composite, warning, critical */
#define VNVME_TEMP_CURRENT	313
#define VNVME_TEMP_WARNING	343
#define VNVME_TEMP_CRITICAL	358

/* Admin data transfer bound when the host sets no MDTS */
#define VNVME_ADMIN_MAX_XFER	BIT(20)

/* One admin command being executed */
struct vnvme_req {
	struct vnvme_sqe cmd;
	u32 result;		/* completion dword 0 */
	u16 param_loc;		/* VNVME_LOC() of the offending field */
};

static inline u32 vnvme_cdw10(const struct vnvme_req *req)
{
	return le32_to_cpu(req->cmd.cdw10);
}

static inline u32 vnvme_cdw11(const struct vnvme_req *req)
{
	return le32_to_cpu(req->cmd.cdw11);
}

/* Record the field at fault and return @status, for "return vnvme_err()" */
static inline u16 vnvme_err(struct vnvme_req *req, u16 status, u16 loc)
{
	req->param_loc = loc;
	return status;
}

/* 1, 2, 4 or 8 bytes entirely inside a region of @size bytes */
static inline bool vnvme_access_ok(u64 off, u32 len, u64 size)
{
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return false;
	return off < size && len <= size - off;
}

/* pci_cfg.c */
void vnvme_cfg_reset(struct vnvme_ctrl *c);
u16 vnvme_cfg_msix_ctrl(const struct vnvme_ctrl *c);

/* msix.c */
void vnvme_msix_reset(struct vnvme_ctrl *c);
u32 vnvme_msix_read32(const struct vnvme_ctrl *c, u32 off);
void vnvme_msix_write32(struct vnvme_ctrl *c, u32 off, u32 val, u32 mask);
void vnvme_msix_deliver_pending(struct vnvme_ctrl *c);

/* bar0_regs.c */
void vnvme_regs_init(struct vnvme_ctrl *c);
void vnvme_ctrl_reset(struct vnvme_ctrl *c, bool notify);
void vnvme_doorbell_error(struct vnvme_ctrl *c, u16 qid, bool is_cq, u8 info);

/* admin_dispatch.c */
bool vnvme_admin_active(const struct vnvme_ctrl *c);
bool vnvme_admin_cq_full(const struct vnvme_ctrl *c);
bool vnvme_admin_post(struct vnvme_ctrl *c, u16 cid, u16 status, u32 result);
void vnvme_admin_irq_kick(struct vnvme_ctrl *c);

/* admin_events.c */
u16 vnvme_adm_async_event(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_abort(struct vnvme_ctrl *c, struct vnvme_req *req);
void vnvme_aen_add(struct vnvme_ctrl *c, u8 type, u8 info, u8 lid);
void vnvme_aen_flush(struct vnvme_ctrl *c);
void vnvme_aen_unmask(struct vnvme_ctrl *c, u8 type);

/* admin_identify.c */
u16 vnvme_adm_identify(struct vnvme_ctrl *c, struct vnvme_req *req);

/* admin_features.c */
void vnvme_features_reset(struct vnvme_ctrl *c);
u16 vnvme_adm_get_features(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_set_features(struct vnvme_ctrl *c, struct vnvme_req *req);

/* admin_logs.c */
void vnvme_error_record(struct vnvme_ctrl *c, u16 sqid, u16 cid, u16 status,
			u16 param_loc, u32 nsid);
u16 vnvme_adm_get_log_page(struct vnvme_ctrl *c, struct vnvme_req *req);

/* admin_io_queues.c */
u16 vnvme_adm_create_cq(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_create_sq(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_delete_cq(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_delete_sq(struct vnvme_ctrl *c, struct vnvme_req *req);
u16 vnvme_adm_dbbuf_config(struct vnvme_ctrl *c, struct vnvme_req *req);

/* prp.c */
u16 vnvme_prp_walk(struct vnvme_ctrl *c, u64 prp1, u64 prp2, u64 len,
		   int (*read)(void *env, u64 iova, void *buf, u32 len),
		   u16 (*seg)(struct vnvme_ctrl *c, void *ctx, u64 iova,
			      u32 len, u64 pos),
		   void *ctx, u16 *loc);
u16 vnvme_prp_to_guest(struct vnvme_ctrl *c, struct vnvme_req *req,
		       const void *buf, u32 buf_len, u64 len);

/* io_check.c: limits reported in Identify and enforced by the check */
u8 vnvme_io_mdts(const struct vnvme_ctrl *c);
u8 vnvme_io_wzsl(const struct vnvme_ctrl *c);
u32 vnvme_io_dsm_range_max_lbas(const struct vnvme_ctrl *c);
u32 vnvme_io_dsm_max_lbas(const struct vnvme_ctrl *c);
u32 vnvme_io_dsm_max_ranges(const struct vnvme_ctrl *c);

#endif /* VNVME_PRIV_H */
