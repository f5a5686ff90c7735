// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest sending arbitrary I/O commands through the
 * check of core/io_check.c, the boundary between its queues and the
 * hardware's.
 *
 * Every run configures a fresh controller from the input (block size,
 * MDTS, the backing controller's Write Zeroes and Dataset Management
 * limits, optional commands, volatile write cache and its state, slice,
 * whether the environment has io_read and when that starts failing) and
 * then interprets the rest as a sequence of guest memory writes (PRP
 * lists, chain pointers, DSM ranges, garbage) and I/O commands, mostly
 * well-formed ones with random fields.  What the check lets through must
 * hold what the hardware is promised: the command stays inside the slice
 * and the limits, no guest address reaches it, every data page is page
 * aligned and as many as the transfer needs.  A broken promise aborts, as
 * do ASan/UBSan reports and any request the fake environment forbids.
 */
#include "fake_env.h"
#include "fuzz.h"

#define MEM_SIZE	BIT_ULL(20)
#define HOLE		0x80000ULL
#define HOLE_LEN	0x10000ULL
#define PG		4096ULL
#define HOST_NSID	9
#define MAX_STEPS	64

/*
 * Guest memory written by the last run, zeroed at the start of the next:
 * runs stay independent (a crash reproduces from its input alone) without
 * clearing the whole of it every time.
 */
static u64 dirty[2 * MAX_STEPS];	/* two pokes a step at most */
static unsigned int nr_dirty;

static void poke(struct fake_env *e, u64 off, u64 val, unsigned int len)
{
	dirty[nr_dirty++] = off;
	memcpy(e->mem + off, &val, len);
}

static const u8 opcodes[] = {
	VNVME_CMD_FLUSH, VNVME_CMD_WRITE, VNVME_CMD_READ,
	VNVME_CMD_WRITE_ZEROES, VNVME_CMD_DSM, VNVME_CMD_COMPARE, 0x7f,
};

/* Largest I/O transfer of the controller, as vnvme_io_check() sees it */
static u64 max_bytes(const struct vnvme_ctrl *c)
{
	u8 mdts = c->mdts && c->mdts <= VNVME_IO_MDTS_MAX ? c->mdts :
		  VNVME_IO_MDTS_MAX;

	return PG << mdts;
}

/* Largest Write Zeroes: MDTS, or the backing controller's WZSL below it */
static u64 max_zeroes_bytes(const struct vnvme_ctrl *c)
{
	u64 max = max_bytes(c);

	return c->wzsl && (PG << c->wzsl) < max ? PG << c->wzsl : max;
}

/* One of the backing controller's limits, 0 meaning none, under @own */
static u64 limit(u64 own, u64 backing)
{
	return backing && backing < own ? backing : own;
}

static void check_slba(const struct vnvme_ctrl *c,
		       const struct vnvme_io_slice *s,
		       const struct vnvme_sqe *h, u64 nlb)
{
	u64 slba = (u64)le32_to_cpu(h->cdw11) << 32 | le32_to_cpu(h->cdw10);

	check(slba >= s->lba_start && slba - s->lba_start < c->nsze &&
	      nlb <= c->nsze - (slba - s->lba_start), "LBAs inside the slice");
}

static void check_accepted(const struct vnvme_ctrl *c,
			   const struct vnvme_io_slice *s,
			   const struct vnvme_sqe *g,
			   const struct vnvme_io_cmd *cmd)
{
	const struct vnvme_sqe *h = &cmd->sqe;
	u32 cdw12 = le32_to_cpu(h->cdw12);
	u64 nlb = (cdw12 & VNVME_RW_NLB_MASK) + 1;
	bool wt = c->vwc && !c->feat.vwc_enabled;
	const u64 *pages = cmd->buf;
	u32 i;

	check(h->opcode == g->opcode, "opcode kept");
	check(le32_to_cpu(h->nsid) == s->host_nsid, "host NSID");
	check(!h->flags && !h->cid && !h->prp1 && !h->prp2 && !h->mptr &&
	      !h->cdw2 && !h->cdw3 && !h->cdw14 && !h->cdw15,
	      "no guest pointer, id or unknown field passed on");
	check(!(g->flags & (VNVME_SQE_FUSE_MASK | VNVME_SQE_PSDT_MASK)),
	      "no fused or SGL command accepted");
	check(cmd->nr_pages <= VNVME_IO_MAX_PAGES, "page count bound");

	switch (h->opcode) {
	case VNVME_CMD_FLUSH:
		check(!h->cdw10 && !h->cdw11 && !h->cdw12 && !h->cdw13 &&
		      !cmd->nr_pages && cmd->dir == VNVME_IO_DIR_NONE,
		      "Flush carries nothing");
		return;
	case VNVME_CMD_WRITE_ZEROES:
		check(c->oncs & VNVME_ONCS_WRITE_ZEROES, "Write Zeroes offered");
		check_slba(c, s, h, nlb);
		check((nlb << c->lba_shift) <= max_zeroes_bytes(c), "WZSL");
		check(!(cdw12 & ~(VNVME_RW_NLB_MASK | VNVME_RW_DEAC |
				  VNVME_RW_FUA | VNVME_RW_LR)),
		      "Write Zeroes CDW12");
		check(!wt || (cdw12 & VNVME_RW_FUA), "write-through: FUA");
		check(!h->cdw13 && !cmd->nr_pages &&
		      cmd->dir == VNVME_IO_DIR_NONE, "Write Zeroes has no data");
		return;
	case VNVME_CMD_DSM: {
		const struct vnvme_dsm_range *r = cmd->buf;
		u32 nr = le32_to_cpu(h->cdw10) + 1;
		u64 max = (32ULL << 20) >> c->lba_shift, total = 0;

		check(c->oncs & VNVME_ONCS_DSM, "DSM offered");
		check(nr <= limit(VNVME_DSM_MAX_RANGES, c->dmrl) &&
		      le32_to_cpu(h->cdw11) <= VNVME_DSM_ATTR_MASK &&
		      !h->cdw12 && !h->cdw13, "DSM CDW10-13");
		check(!cmd->nr_pages && cmd->dir == VNVME_IO_DIR_NONE,
		      "DSM pins no guest page");
		for (i = 0; i < nr; i++) {
			u64 slba = le64_to_cpu(r[i].slba);
			u64 n = le32_to_cpu(r[i].nlb);

			check(slba >= s->lba_start &&
			      slba - s->lba_start < c->nsze &&
			      n <= c->nsze - (slba - s->lba_start),
			      "DSM range inside the slice");
			check(n <= limit(max, c->dmrsl), "DMRSL");
			total += n;
		}
		check(total <= limit(max, c->dmsl), "DMSL");
		return;
	}
	case VNVME_CMD_READ:
	case VNVME_CMD_WRITE:
		break;
	default:
		check(false, "opcode allowed");
	}

	check_slba(c, s, h, nlb);
	check(cmd->bytes == nlb << c->lba_shift && cmd->bytes <= max_bytes(c),
	      "transfer length within MDTS");
	check(!(cdw12 & ~(VNVME_RW_NLB_MASK | VNVME_RW_FUA | VNVME_RW_LR)),
	      "Read/Write CDW12");
	check(le32_to_cpu(h->cdw13) <= VNVME_RW_DSM_MASK, "CDW13 hints only");
	check(cmd->dir == (h->opcode == VNVME_CMD_WRITE ?
			   VNVME_IO_DIR_TO_DEVICE : VNVME_IO_DIR_FROM_DEVICE),
	      "direction");
	check(h->opcode != VNVME_CMD_WRITE || !wt || (cdw12 & VNVME_RW_FUA),
	      "write-through: FUA");
	check(!(cmd->data_off & 3) &&
	      cmd->data_off == (le64_to_cpu(g->prp1) & (PG - 1)),
	      "data offset is PRP1's, dword aligned");
	check(cmd->nr_pages == DIV_ROUND_UP(cmd->data_off + cmd->bytes, PG),
	      "as many pages as the transfer spans");
	check(pages[0] == (le64_to_cpu(g->prp1) & ~(PG - 1)),
	      "first page is PRP1's");
	if (cmd->nr_pages == 2)
		check(pages[1] == le64_to_cpu(g->prp2), "second page is PRP2");
	for (i = 0; i < cmd->nr_pages; i++)
		check(!(pages[i] & (PG - 1)), "pages are page aligned");
}

static void one_command(struct vnvme_ctrl *c, const struct vnvme_io_slice *s,
			struct vnvme_io_cmd *cmd, struct input *in)
{
	struct vnvme_sqe sqe;
	u8 mode = take(in, 1);
	size_t i;
	u16 st;

	for (i = 0; i < sizeof(sqe); i++)
		((u8 *)&sqe)[i] = take(in, 1);
	if (mode & 1) {
		/* mostly well-formed: known opcode, NSID 1, pointers in memory */
		sqe.opcode = opcodes[sqe.opcode % sizeof(opcodes)];
		if (mode & 2)
			sqe.flags = 0;
		if (mode & 4)
			sqe.nsid = cpu_to_le32(1);
		sqe.prp1 = cpu_to_le64(le64_to_cpu(sqe.prp1) % MEM_SIZE &
				       (mode & 8 ? ~0xfffULL : ~3ULL));
		sqe.prp2 = cpu_to_le64(le64_to_cpu(sqe.prp2) % MEM_SIZE &
				       (mode & 16 ? ~0xfffULL : ~7ULL));
		/* SLBA near the start or the end of the slice */
		if (mode & 32) {
			u64 slba = le32_to_cpu(sqe.cdw10) & 0x1ff;

			if (mode & 64)
				slba = c->nsze - slba;
			sqe.cdw10 = cpu_to_le32(lower_32_bits(slba));
			sqe.cdw11 = cpu_to_le32(upper_32_bits(slba));
		}
		if (mode & 128)
			sqe.cdw12 = cpu_to_le32(le32_to_cpu(sqe.cdw12) & 0xc00001ff);
	}
	st = vnvme_io_check(c, s, &sqe, cmd);
	switch (st) {
	case VNVME_SC_SUCCESS:
		check_accepted(c, s, &sqe, cmd);
		break;
	case VNVME_SC_INVALID_OPCODE:
	case VNVME_SC_INVALID_FIELD:
	case VNVME_SC_INVALID_NS:
	case VNVME_SC_LBA_RANGE:
	case VNVME_SC_INVALID_PRP_OFFSET:
	case VNVME_SC_DATA_XFER_ERROR:
		break;
	default:
		check(false, "status is one of the table's");
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u8 uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static struct fake_env e;
	static struct vnvme_ctrl c;
	static void *out;
	struct input in = { data, size };
	struct vnvme_params p = {
		.serial = "FUZZ", .model = "fuzz", .firmware = "0",
		.nr_ioq = 1,
	};
	struct vnvme_io_slice slice;
	struct vnvme_io_cmd cmd;
	u64 cfg = take(&in, 4);
	int steps = 0;

	p.lba_shift = 9 + cfg % 8;
	p.mdts = (cfg >> 3) & 15;
	p.vwc = cfg & BIT(7);
	p.oncs = (cfg & BIT(8) ? VNVME_ONCS_DSM : 0) |
		 (cfg & BIT(9) ? VNVME_ONCS_WRITE_ZEROES : 0);
	p.nsze = cfg & BIT(10) ? take(&in, 8) : take(&in, 2);
	if (!p.nsze)
		p.nsze = 1;
	if (cfg & BIT(18)) {
		p.wzsl = (cfg >> 19) & 15;
		p.dmrl = (cfg >> 23) & 0xff;
		p.dmrsl = take(&in, 2);
		p.dmsl = take(&in, 2);
	}
	memcpy(p.uuid, uuid, sizeof(uuid));
	slice.lba_start = cfg & BIT(11) ? take(&in, 8) : take(&in, 3);
	slice.host_nsid = HOST_NSID;

	if (!e.mem) {
		if (fake_env_init(&e, MEM_SIZE, 2))
			abort();
		fake_env_add_hole(&e, HOLE, HOLE_LEN);
		e.strict = true;
		/* exactly one page: ASan catches any write past it */
		out = malloc(PG);
		if (!out)
			abort();
	}
	while (nr_dirty)
		memset(e.mem + dirty[--nr_dirty], 0, 16);
	/* The host namespace holds the slice: no wrap past 2^64. */
	if (slice.lba_start > U64_MAX - p.nsze)
		slice.lba_start = U64_MAX - p.nsze;
	/* An io_read that fails from some read on, as a pin could. */
	e.io_reads = 0;
	e.io_read_err = cfg & BIT(14) ? -ENOMEM : 0;
	e.io_read_err_after = (cfg >> 15) & 7;
	if (vnvme_init(&c, &p, cfg & BIT(13) ? &fake_io_ops : &fake_ops, &e))
		return 0;
	c.feat.vwc_enabled = c.vwc && !(cfg & BIT(12));
	cmd.buf = out;

	while (in.left && steps++ < MAX_STEPS) {
		u8 op = take(&in, 1);
		u64 off, val;

		switch (op % 4) {
		case 0:
		case 1:
			one_command(&c, &slice, &cmd, &in);
			break;
		case 2:
			/* a PRP list entry, chain pointer or range field */
			off = take(&in, 3) % (MEM_SIZE - 8) & ~7ULL;
			val = take(&in, 8);
			if (op & 0x80)
				val = val % MEM_SIZE & ~0xfffULL;
			poke(&e, off, val, 8);
			break;
		case 3:
			/* a DSM range inside the slice, or near it */
			off = take(&in, 3) % (MEM_SIZE - 16) & ~15ULL;
			poke(&e, off + 8, min_t(u64, take(&in, 4), c.nsze), 8);
			poke(&e, off + 4, take(&in, 3), 4);
			break;
		}
	}
	return 0;
}
