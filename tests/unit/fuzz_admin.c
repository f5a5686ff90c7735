// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest doing arbitrary things to one vNVMe instance.
 *
 * Every run starts a fresh controller, brings it up the way a driver does
 * (so the fuzzer reaches the admin queue at once) and then interprets the
 * input as a sequence of guest actions: config space and BAR0 accesses of
 * any size and offset, admin commands (mostly well-formed opcodes with
 * random fields), writes of PRP lists and garbage into guest memory,
 * completion reaping, FLR, and calls from the I/O path.  The fake
 * environment runs in strict mode: any request the core must never make
 * aborts, as do ASan/UBSan reports and the invariants checked here.
 */
#include "fake_env.h"
#include "fuzz.h"
#include "../../mdev_nvme/core/nvme_spec.h"
#include "../../mdev_nvme/core/pci_spec.h"

#define MEM_SIZE	BIT_ULL(20)
#define ASQ		0x1000ULL
#define ACQ		0x2000ULL
#define HOLE		0x80000ULL
#define AQ_DEPTH	16

static void wr(struct vnvme_ctrl *c, bool cfg, u64 off, u64 val, u32 len)
{
	u8 b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = val >> (8 * i);
	if (cfg)
		vnvme_cfg_write(c, off, b, len);
	else
		vnvme_bar0_write(c, off, b, len);
}

static const u8 opcodes[] = {
	VNVME_ADM_DELETE_SQ, VNVME_ADM_CREATE_SQ, VNVME_ADM_GET_LOG_PAGE,
	VNVME_ADM_DELETE_CQ, VNVME_ADM_CREATE_CQ, VNVME_ADM_IDENTIFY,
	VNVME_ADM_ABORT, VNVME_ADM_SET_FEATURES, VNVME_ADM_GET_FEATURES,
	VNVME_ADM_ASYNC_EVENT, VNVME_ADM_DBBUF_CONFIG, 0x80, 0x10,
};

static const u32 lens[] = { 1, 2, 4, 8, 3, 0, 16 };

static u16 sq_tail, cq_head;
static u8 phase;

static void bring_up(struct vnvme_ctrl *c)
{
	int v;

	wr(c, true, VNVME_PCI_COMMAND,
	   VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	for (v = 0; v < c->nr_vectors; v++)
		wr(c, false, VNVME_BAR0_MSIX_TABLE + 16 * v + 12, 0, 4);
	wr(c, true, VNVME_CAP_MSIX + VNVME_MSIX_FLAGS,
	   VNVME_MSIX_FLAGS_ENABLE, 2);
	wr(c, false, VNVME_REG_AQA, (AQ_DEPTH - 1) << 16 | (AQ_DEPTH - 1), 4);
	wr(c, false, VNVME_REG_ASQ, ASQ, 8);
	wr(c, false, VNVME_REG_ACQ, ACQ, 8);
	wr(c, false, VNVME_REG_CC, VNVME_CC_EN | 0x460000, 4);
	sq_tail = 0;
	cq_head = 0;
	phase = 1;
}

static void submit(struct vnvme_ctrl *c, struct fake_env *e,
		   struct input *in)
{
	struct vnvme_sqe sqe;
	u8 mode = take(in, 1);
	size_t i;

	for (i = 0; i < sizeof(sqe); i++)
		((u8 *)&sqe)[i] = take(in, 1);
	if (mode & 1) {
		/* mostly well-formed: valid opcode and pointers in memory */
		sqe.opcode = opcodes[sqe.opcode % sizeof(opcodes)];
		sqe.flags = 0;
		sqe.prp1 = cpu_to_le64(le64_to_cpu(sqe.prp1) % MEM_SIZE);
		sqe.prp2 = cpu_to_le64(le64_to_cpu(sqe.prp2) % MEM_SIZE &
				       (mode & 2 ? ~0xfffULL : ~7ULL));
		if (mode & 4)
			sqe.nsid = cpu_to_le32((mode >> 3) & 1);
		if (mode & 0x40)
			sqe.cdw10 = cpu_to_le32(le32_to_cpu(sqe.cdw10) &
						0x00ff00ff);
	}
	memcpy(e->mem + ASQ + (u64)sq_tail * sizeof(sqe), &sqe, sizeof(sqe));
	sq_tail = (sq_tail + 1) % AQ_DEPTH;
	wr(c, false, VNVME_BAR0_DB_OFF, sq_tail, 4);
	vnvme_process_admin(c);
}

static void reap(struct vnvme_ctrl *c, struct fake_env *e)
{
	int n = 0;

	while (n++ < AQ_DEPTH) {
		struct vnvme_cqe cqe;

		memcpy(&cqe, e->mem + ACQ + (u64)cq_head * sizeof(cqe),
		       sizeof(cqe));
		if ((le16_to_cpu(cqe.status) & 1) != phase)
			break;
		if (++cq_head == AQ_DEPTH) {
			cq_head = 0;
			phase ^= 1;
		}
	}
	wr(c, false, VNVME_BAR0_DB_OFF + 4, cq_head, 4);
	vnvme_process_admin(c);
}

static void check_state(const struct vnvme_ctrl *c)
{
	check(c->nr_aer <= VNVME_AERL + 1, "AER count");
	check(c->nr_events <= VNVME_NR_EVENTS, "event count");
	check(c->nr_live_queues <= 2 * c->nr_ioq, "queue count");
	if (c->csts & VNVME_CSTS_RDY) {
		check(c->aq.sq_head < c->aq.sq_size, "admin SQ head");
		check(c->aq.sq_tail < c->aq.sq_size, "admin SQ tail");
		check(c->aq.cq_tail < c->aq.cq_size, "admin CQ tail");
		check(c->aq.cq_head < c->aq.cq_size, "admin CQ head");
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u8 uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct input in = { data, size };
	struct vnvme_params p = {
		.serial = "FUZZ", .model = "fuzz", .firmware = "0",
		.nsze = 1 << 20, .lba_shift = 12,
	};
	static struct fake_env e;
	static struct vnvme_ctrl c;
	u64 cfg = take(&in, 2);
	int steps = 0;

	p.nr_ioq = 1 + cfg % VNVME_MAX_IOQ;
	p.mdts = (cfg >> 6) & 7;
	p.vwc = cfg & BIT(9);
	p.msix_vfio = cfg & BIT(10);
	p.oncs = cfg & BIT(11) ? VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES : 0;
	p.max_queue_entries = cfg & BIT(12) ? 64 : 0;
	memcpy(p.uuid, uuid, sizeof(uuid));

	if (!e.mem && fake_env_init(&e, MEM_SIZE, VNVME_MAX_VECTORS))
		abort();
	memset(e.mem, 0, MEM_SIZE);
	memset(&e.sq, 0, sizeof(e.sq));
	memset(&e.cq, 0, sizeof(e.cq));
	e.nr_holes = 0;
	fake_env_add_hole(&e, HOLE, 0x10000);
	e.strict = true;
	e.nr_vectors = p.nr_ioq + 1;
	e.nr_calls = 0;

	if (vnvme_init(&c, &p, &fake_ops, &e))
		abort();
	if (!(cfg & BIT(15)))
		bring_up(&c);

	while (in.left && steps++ < 256) {
		u8 op = take(&in, 1);
		u64 off, val;
		u32 len;

		switch (op % 12) {
		case 0:
			off = take(&in, 2) % (VNVME_CFG_SIZE + 16);
			len = lens[take(&in, 1) % 7];
			wr(&c, true, off, take(&in, 8), len);
			break;
		case 1:
			off = take(&in, 2) % 0x4100;
			len = lens[take(&in, 1) % 7];
			wr(&c, false, off, take(&in, 8), len);
			vnvme_process_admin(&c);
			break;
		case 2: {
			u8 b[16];

			off = take(&in, 2);
			len = lens[take(&in, 1) % 7];
			if (op & 0x80)
				vnvme_cfg_read(&c, off, b, len);
			else
				vnvme_bar0_read(&c, off, b, len);
			break;
		}
		case 3:
		case 4:
		case 5:
			submit(&c, &e, &in);
			break;
		case 6:
			/* guest memory: PRP lists, queue contents, garbage */
			off = take(&in, 3) % (MEM_SIZE - 8);
			val = take(&in, 8);
			if (op & 0x80)
				val = val % MEM_SIZE & ~0xfffULL;
			memcpy(e.mem + off, &val, 8);
			break;
		case 7:
			reap(&c, &e);
			break;
		case 8:
			if (op & 0x80)
				vnvme_flr(&c);
			else
				bring_up(&c);
			break;
		case 9:
			/* The I/O path raising, or the VMM (un)wiring */
			if (op & 0x80)
				vnvme_msix_wire(&c, take(&in, 1), op & 0x40);
			else
				vnvme_irq_raise(&c, take(&in, 1));
			break;
		case 10:
			vnvme_stats_add(&c, op & 0x80, take(&in, 1),
					take(&in, 4));
			break;
		case 11:
			vnvme_set_nsze(&c, take(&in, 1));
			break;
		}
		check_state(&c);
	}
	return 0;
}
