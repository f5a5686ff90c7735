// SPDX-License-Identifier: GPL-2.0-only
/*
 * Life cycle of a virtual controller (init, FLR) and the small interface
 * used by the I/O path.  See vnvme.h for the locking rules.
 */
#include "vnvme_priv.h"

#define VNVME_ONCS_IO_MASK	(VNVME_ONCS_COMPARE | VNVME_ONCS_WRITE_UNCOR | \
				 VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES | \
				 VNVME_ONCS_VERIFY)
#define VNVME_MAX_MDTS		15

/*
 * Identify strings are ASCII, space padded, not NUL terminated (section
 * 1.5).  An empty or over-long string is a configuration error, not
 * something to truncate silently.
 */
static int vnvme_copy_ident(char *dst, size_t size, const char *src)
{
	size_t i, len;

	if (!src)
		return -EINVAL;
	len = strnlen(src, size + 1);
	if (!len || len > size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (src[i] < 0x20 || src[i] > 0x7e)
			return -EINVAL;
	memcpy(dst, src, len);
	memset(dst + len, ' ', size - len);
	return 0;
}

static int vnvme_check_params(const struct vnvme_params *p,
			      const struct vnvme_env_ops *ops)
{
	static const u8 zero_uuid[16];

	if (!ops || !ops->dma_read || !ops->dma_write || !ops->irq_raise)
		return -EINVAL;
	if (!p->nr_ioq || p->nr_ioq > VNVME_MAX_IOQ)
		return -EINVAL;
	if (!p->nsze || p->lba_shift < 9 || p->lba_shift > 16)
		return -EINVAL;
	if (p->mdts > VNVME_MAX_MDTS || p->wzsl > VNVME_MAX_MDTS)
		return -EINVAL;
	if (p->oncs & ~VNVME_ONCS_IO_MASK)
		return -EINVAL;
	if (p->max_queue_entries == 1 ||
	    p->max_queue_entries > VNVME_MAX_QUEUE_ENTRIES)
		return -EINVAL;
	if (!memcmp(p->uuid, zero_uuid, sizeof(zero_uuid)))
		return -EINVAL;
	return 0;
}

int vnvme_init(struct vnvme_ctrl *c, const struct vnvme_params *p,
	       const struct vnvme_env_ops *ops, void *env)
{
	int ret;

	ret = vnvme_check_params(p, ops);
	if (ret)
		return ret;

	memset(c, 0, sizeof(*c));
	if (vnvme_copy_ident(c->sn, sizeof(c->sn), p->serial) ||
	    vnvme_copy_ident(c->mn, sizeof(c->mn), p->model) ||
	    vnvme_copy_ident(c->fr, sizeof(c->fr), p->firmware))
		return -EINVAL;

	c->ops = ops;
	c->env = env;
	c->io_read = ops->io_read ?: ops->dma_read;
	memcpy(c->uuid, p->uuid, sizeof(c->uuid));
	c->nsze = p->nsze;
	c->nr_ioq = p->nr_ioq;
	c->nr_vectors = p->nr_ioq + 1;
	c->max_qentries = p->max_queue_entries ?: VNVME_DEF_QUEUE_ENTRIES;
	c->oncs = p->oncs;
	c->vid = p->vendor_id ?: VNVME_DEF_VENDOR_ID;
	c->did = p->device_id ?: VNVME_DEF_DEVICE_ID;
	c->ssvid = p->subsys_vendor_id ?: VNVME_DEF_SUBSYS_VENDOR_ID;
	c->ssid = p->subsys_id ?: VNVME_DEF_SUBSYS_ID;
	c->rev = p->revision;
	c->lba_shift = p->lba_shift;
	c->dlfeat = p->dlfeat & VNVME_DLFEAT_MASK;
	c->mdts = p->mdts;
	c->wzsl = p->wzsl;
	c->dmrl = p->dmrl;
	c->dmrsl = p->dmrsl;
	c->dmsl = p->dmsl;
	c->vwc = p->vwc;
	c->dbbuf = p->dbbuf;
	c->msix_vfio = p->msix_vfio;
	c->power_cycles = 1;

	vnvme_cfg_reset(c);
	vnvme_msix_reset(c);
	vnvme_regs_init(c);
	vnvme_ctrl_reset(c, false);
	return 0;
}

/*
 * FLR (PCIe 4.0 section 6.6.2): the whole function returns to its
 * power-on state; only the logs and statistics, which describe the
 * instance rather than the function, survive.
 */
void vnvme_flr(struct vnvme_ctrl *c)
{
	vnvme_ctrl_reset(c, true);
	vnvme_regs_init(c);
	vnvme_cfg_reset(c);
	vnvme_msix_reset(c);
}

bool vnvme_ctrl_ready(const struct vnvme_ctrl *c)
{
	return vnvme_admin_active(c);
}

void vnvme_stats_add(struct vnvme_ctrl *c, bool is_write, u32 nr_cmds,
		     u64 bytes)
{
	if (is_write) {
		c->write_cmds += nr_cmds;
		c->units_written += bytes >> 9;
	} else {
		c->read_cmds += nr_cmds;
		c->units_read += bytes >> 9;
	}
}

bool vnvme_dbbuf_get(const struct vnvme_ctrl *c, u64 *db_iova, u64 *ei_iova)
{
	if (!c->dbbuf_valid)
		return false;
	*db_iova = c->dbbuf_db_iova;
	*ei_iova = c->dbbuf_ei_iova;
	return true;
}

bool vnvme_vwc_enabled(const struct vnvme_ctrl *c)
{
	return c->vwc && c->feat.vwc_enabled;
}

bool vnvme_irq_coalescing(const struct vnvme_ctrl *c, u16 vector,
			  u32 *threshold, u32 *time_us)
{
	u32 v = c->feat.irq_coalesce;

	/*
	 * THR is 0's based and TIME counts 100 us; a TIME of 0 means no
	 * delay, so nothing is held.  The admin queue is never coalesced.
	 */
	*threshold = (v & 0xff) + 1;
	*time_us = ((v >> 8) & 0xff) * 100;
	if (!vector || vector >= c->nr_vectors ||
	    (c->feat.irq_cd[vector / 64] & BIT_ULL(vector % 64)))
		return false;
	return *threshold > 1 && *time_us;
}

void vnvme_set_nsze(struct vnvme_ctrl *c, u64 nsze)
{
	if (!nsze || nsze == c->nsze)
		return;
	c->nsze = nsze;
	c->ns_changed = true;
	if (c->feat.async_event_cfg & VNVME_AEC_NS_ATTR)
		vnvme_aen_add(c, VNVME_AER_TYPE_NOTICE,
			      VNVME_AER_NOTICE_NS_CHANGED,
			      VNVME_LOG_CHANGED_NS);
	vnvme_aen_flush(c);
	vnvme_admin_irq_kick(c);
}

void vnvme_fatal(struct vnvme_ctrl *c)
{
	c->csts |= VNVME_CSTS_CFS;
}
