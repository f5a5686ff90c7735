// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O command check: the security boundary between a guest's I/O
 * queues and the hardware ones.
 *
 * The guest SQE has been copied once; everything below reads that copy
 * only.  The command for the controller is built from scratch: opcode and
 * fields known to be harmless, the LBA moved into the instance's slice,
 * the namespace replaced by the host's.  Data pointers are not passed on:
 * the check returns the guest pages they address, for the environment to
 * pin and describe with lists it writes itself, and Dataset Management
 * ranges are copied, checked and moved into a buffer the environment
 * owns.  Nothing the guest controls reaches the controller as an address.
 *
 * The PRP lists and the ranges are read through c->io_read, the
 * environment's io_read if it has one (the module reads them from the
 * guest pages it keeps pinned), else its dma_read: one read or more for
 * every command with a list, so the environment may make it cheaper than
 * an admin command's.
 */
#include "vnvme_priv.h"

/*
 * Dataset Management Size Limit, in bytes of logical blocks, for one range
 * (DMRSL) and for all the ranges of a command together (DMSL).
 * Deallocation is bookkeeping for most controllers, but not free (some
 * erase or zero what they deallocate), and a reset or a queue deletion
 * waits for every command in flight: up to 128 per hardware queue pair.
 * 32 MiB a command bounds that at 4 GiB a queue pair, where 256 ranges of
 * 2^32 blocks would allow petabytes; a Linux guest caps a discard request
 * at DMRSL (nvme_config_discard()), so its fstrim still moves 32 MiB a
 * command.
 */
#define VNVME_DSM_MAX_BYTES	(32U << 20)

/* log2 of the largest data transfer of an I/O command, in 4 KiB pages */
u8 vnvme_io_mdts(const struct vnvme_ctrl *c)
{
	if (!c->mdts || c->mdts > VNVME_IO_MDTS_MAX)
		return VNVME_IO_MDTS_MAX;
	return c->mdts;
}

/*
 * DMRSL and DMSL, in logical blocks: the module's own bound, lowered to
 * the backing controller's, which would refuse anything larger.
 */
u32 vnvme_io_dsm_range_max_lbas(const struct vnvme_ctrl *c)
{
	u32 lbas = VNVME_DSM_MAX_BYTES >> c->lba_shift;

	return c->dmrsl ? min_t(u32, lbas, c->dmrsl) : lbas;
}

u32 vnvme_io_dsm_max_lbas(const struct vnvme_ctrl *c)
{
	u32 lbas = VNVME_DSM_MAX_BYTES >> c->lba_shift;

	return c->dmsl ? (u32)min_t(u64, lbas, c->dmsl) : lbas;
}

/* DMRL: ranges in one Dataset Management command */
u32 vnvme_io_dsm_max_ranges(const struct vnvme_ctrl *c)
{
	return c->dmrl ?: VNVME_DSM_MAX_RANGES;
}

static u64 vnvme_io_max_bytes(const struct vnvme_ctrl *c)
{
	return (u64)VNVME_PAGE_SIZE << vnvme_io_mdts(c);
}

/*
 * Write Zeroes Size Limit (WZSL) = MDTS: the zeroing one command can leave
 * queued on the hardware is no more than a Write's, so a reset never waits
 * on more than the slots' worth of maximum transfers.  A Linux guest
 * already bounds Write Zeroes by MDTS when WZSL is 0, so it loses nothing.
 * A backing controller with a smaller WZSL of its own lowers it further.
 */
u8 vnvme_io_wzsl(const struct vnvme_ctrl *c)
{
	u8 mdts = vnvme_io_mdts(c);

	return c->wzsl ? min(mdts, c->wzsl) : mdts;
}

/* Is [@slba, @slba + @nlb) inside namespace 1?  No 64-bit wraparound. */
static bool vnvme_io_lba_ok(const struct vnvme_ctrl *c, u64 slba, u64 nlb)
{
	return slba < c->nsze && nlb <= c->nsze - slba;
}

/*
 * With the volatile write cache present but disabled by the guest (Feature
 * 06h), a completion must mean the data is durable: every write reaches
 * the hardware with Force Unit Access.
 */
static u32 vnvme_io_fua(const struct vnvme_ctrl *c)
{
	return c->vwc && !vnvme_vwc_enabled(c) ? VNVME_RW_FUA : 0;
}

static void vnvme_io_set_slba(struct vnvme_sqe *h,
			      const struct vnvme_io_slice *slice, u64 slba)
{
	slba += slice->lba_start;
	h->cdw10 = cpu_to_le32(lower_32_bits(slba));
	h->cdw11 = cpu_to_le32(upper_32_bits(slba));
}

static u64 vnvme_io_slba(const struct vnvme_sqe *g)
{
	return (u64)le32_to_cpu(g->cdw11) << 32 | le32_to_cpu(g->cdw10);
}

/* Record one data page of a Read or Write (prp.c walk callback). */
static u16 vnvme_io_add_page(struct vnvme_ctrl *c __always_unused, void *ctx,
			     u64 iova, u32 len __always_unused,
			     u64 pos __always_unused)
{
	struct vnvme_io_cmd *cmd = ctx;
	u64 *pages = cmd->buf;

	/* The transfer is bounded by vnvme_io_max_bytes(): never true. */
	if (cmd->nr_pages == VNVME_IO_MAX_PAGES)
		return VNVME_SC_INTERNAL;
	pages[cmd->nr_pages++] = iova & ~((u64)VNVME_PAGE_SIZE - 1);
	return VNVME_SC_SUCCESS;
}

static u16 vnvme_io_rw(struct vnvme_ctrl *c,
		       const struct vnvme_io_slice *slice,
		       const struct vnvme_sqe *g, struct vnvme_io_cmd *cmd)
{
	struct vnvme_sqe *h = &cmd->sqe;
	u64 slba = vnvme_io_slba(g);
	u32 cdw12 = le32_to_cpu(g->cdw12);
	u32 nlb = (cdw12 & VNVME_RW_NLB_MASK) + 1;
	u64 len = (u64)nlb << c->lba_shift;
	u64 prp1 = le64_to_cpu(g->prp1);
	u32 keep = VNVME_RW_NLB_MASK | VNVME_RW_FUA | VNVME_RW_LR;
	u16 loc;

	if (!vnvme_io_lba_ok(c, slba, nlb))
		return VNVME_SC_LBA_RANGE;
	if (len > vnvme_io_max_bytes(c))
		return VNVME_SC_INVALID_FIELD;

	if (g->opcode == VNVME_CMD_WRITE) {
		cmd->dir = VNVME_IO_DIR_TO_DEVICE;
		cdw12 |= vnvme_io_fua(c);
	} else {
		cmd->dir = VNVME_IO_DIR_FROM_DEVICE;
	}
	cmd->bytes = len;
	cmd->data_off = prp1 & ((u64)VNVME_PAGE_SIZE - 1);
	vnvme_io_set_slba(h, slice, slba);
	/* No protection information or directives: the slice has neither. */
	h->cdw12 = cpu_to_le32(cdw12 & keep);
	h->cdw13 = cpu_to_le32(le32_to_cpu(g->cdw13) & VNVME_RW_DSM_MASK);
	return vnvme_prp_walk(c, prp1, le64_to_cpu(g->prp2), len, c->io_read,
			      vnvme_io_add_page, cmd, &loc);
}

static u16 vnvme_io_write_zeroes(struct vnvme_ctrl *c,
				 const struct vnvme_io_slice *slice,
				 const struct vnvme_sqe *g,
				 struct vnvme_io_cmd *cmd)
{
	struct vnvme_sqe *h = &cmd->sqe;
	u64 slba = vnvme_io_slba(g);
	u32 cdw12 = le32_to_cpu(g->cdw12);
	u32 nlb = (cdw12 & VNVME_RW_NLB_MASK) + 1;
	u32 keep = VNVME_RW_NLB_MASK | VNVME_RW_DEAC | VNVME_RW_FUA |
		   VNVME_RW_LR;

	if (!vnvme_io_lba_ok(c, slba, nlb))
		return VNVME_SC_LBA_RANGE;
	if (((u64)nlb << c->lba_shift) > (u64)VNVME_PAGE_SIZE << vnvme_io_wzsl(c))
		return VNVME_SC_INVALID_FIELD;
	vnvme_io_set_slba(h, slice, slba);
	h->cdw12 = cpu_to_le32((cdw12 | vnvme_io_fua(c)) & keep);
	return VNVME_SC_SUCCESS;
}

/* Copy a piece of the Dataset Management ranges (prp.c walk callback). */
static u16 vnvme_io_read_ranges(struct vnvme_ctrl *c, void *ctx, u64 iova,
				u32 len, u64 pos)
{
	struct vnvme_io_cmd *cmd = ctx;

	if (c->io_read(c->env, iova, (u8 *)cmd->buf + pos, len))
		return VNVME_SC_DATA_XFER_ERROR;
	return VNVME_SC_SUCCESS;
}

/*
 * Dataset Management: the ranges are copied into @cmd->buf, checked and
 * moved into the slice there; the controller reads that copy only.
 */
static u16 vnvme_io_dsm(struct vnvme_ctrl *c,
			const struct vnvme_io_slice *slice,
			const struct vnvme_sqe *g, struct vnvme_io_cmd *cmd)
{
	struct vnvme_dsm_range *r = cmd->buf;
	u32 nr = (le32_to_cpu(g->cdw10) & VNVME_DSM_NR_MASK) + 1;
	u32 range_max_lbas = vnvme_io_dsm_range_max_lbas(c);
	u32 max_lbas = vnvme_io_dsm_max_lbas(c);
	u64 total = 0;
	u16 status, loc;
	u32 i;

	static_assert(VNVME_DSM_MAX_RANGES * sizeof(*r) == VNVME_PAGE_SIZE);
	if (nr > vnvme_io_dsm_max_ranges(c))
		return VNVME_SC_INVALID_FIELD;
	status = vnvme_prp_walk(c, le64_to_cpu(g->prp1), le64_to_cpu(g->prp2),
				nr * sizeof(*r), c->io_read,
				vnvme_io_read_ranges, cmd, &loc);
	if (status)
		return status;
	for (i = 0; i < nr; i++) {
		u64 slba = le64_to_cpu(r[i].slba);
		u32 nlb = le32_to_cpu(r[i].nlb);

		if (!vnvme_io_lba_ok(c, slba, nlb))
			return VNVME_SC_LBA_RANGE;
		/* DMRSL, then DMSL (no overflow: 256 ranges of < 2^32) */
		if (nlb > range_max_lbas)
			return VNVME_SC_INVALID_FIELD;
		total += nlb;
		r[i].slba = cpu_to_le64(slba + slice->lba_start);
	}
	if (total > max_lbas)
		return VNVME_SC_INVALID_FIELD;
	cmd->sqe.cdw10 = cpu_to_le32(nr - 1);
	cmd->sqe.cdw11 = cpu_to_le32(le32_to_cpu(g->cdw11) &
				     VNVME_DSM_ATTR_MASK);
	return VNVME_SC_SUCCESS;
}

u16 vnvme_io_check(struct vnvme_ctrl *c, const struct vnvme_io_slice *slice,
		   const struct vnvme_sqe *g, struct vnvme_io_cmd *cmd)
{
	u32 nsid = le32_to_cpu(g->nsid);

	memset(&cmd->sqe, 0, sizeof(cmd->sqe));
	cmd->dir = VNVME_IO_DIR_NONE;
	cmd->bytes = 0;
	cmd->nr_pages = 0;
	cmd->data_off = 0;

	switch (g->opcode) {
	case VNVME_CMD_FLUSH:
	case VNVME_CMD_WRITE:
	case VNVME_CMD_READ:
		break;
	case VNVME_CMD_WRITE_ZEROES:
		if (!(c->oncs & VNVME_ONCS_WRITE_ZEROES))
			return VNVME_SC_INVALID_OPCODE;
		break;
	case VNVME_CMD_DSM:
		if (!(c->oncs & VNVME_ONCS_DSM))
			return VNVME_SC_INVALID_OPCODE;
		break;
	default:
		return VNVME_SC_INVALID_OPCODE;
	}
	if (g->flags & (VNVME_SQE_FUSE_MASK | VNVME_SQE_PSDT_MASK))
		return VNVME_SC_INVALID_FIELD;
	if (nsid != 1 && !(g->opcode == VNVME_CMD_FLUSH && nsid == U32_MAX))
		return VNVME_SC_INVALID_NS;

	cmd->sqe.opcode = g->opcode;
	cmd->sqe.nsid = cpu_to_le32(slice->host_nsid);

	switch (g->opcode) {
	case VNVME_CMD_FLUSH:
		return VNVME_SC_SUCCESS;
	case VNVME_CMD_WRITE_ZEROES:
		return vnvme_io_write_zeroes(c, slice, g, cmd);
	case VNVME_CMD_DSM:
		return vnvme_io_dsm(c, slice, g, cmd);
	default:
		return vnvme_io_rw(c, slice, g, cmd);
	}
}
