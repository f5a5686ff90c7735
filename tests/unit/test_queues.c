// SPDX-License-Identifier: GPL-2.0-only
/*
 * Create / Delete I/O queues with every error the specification lists,
 * the I/O path hooks they drive, I/O doorbell forwarding and validation,
 * and Doorbell Buffer Config.
 */
#include "guest.h"
#include "tap.h"

static u16 create_cq_raw(struct guest *g, u32 cdw10, u32 cdw11, u64 prp1)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_CREATE_CQ);
	sqe.prp1 = cpu_to_le64(prp1);
	sqe.cdw10 = cpu_to_le32(cdw10);
	sqe.cdw11 = cpu_to_le32(cdw11);
	return guest_admin(g, &sqe, NULL);
}

static u16 create_sq_raw(struct guest *g, u32 cdw10, u32 cdw11, u64 prp1)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_CREATE_SQ);
	sqe.prp1 = cpu_to_le64(prp1);
	sqe.cdw10 = cpu_to_le32(cdw10);
	sqe.cdw11 = cpu_to_le32(cdw11);
	return guest_admin(g, &sqe, NULL);
}

static void test_create_cq(struct guest *g)
{
	const struct fake_call *call;

	fake_env_clear_log(&g->env);
	is(guest_create_cq(g, 1, 64, 1, true), 0, "create CQ 1");
	call = fake_env_last(&g->env, FAKE_CQ_CREATE);
	ok(call && call->qid == 1 && call->qsize == 64 && call->arg == 1 &&
	   call->flag && call->iova == G_IOQ + 0x10000,
	   "io_cq_create got qid, size, vector, ien and address");
	is(guest_create_cq(g, 1, 64, 1, true), ERR(VNVME_SC_QID_INVALID),
	   "CQ 1 again: Invalid Queue Identifier");
	is(guest_create_cq(g, 0, 64, 0, true), ERR(VNVME_SC_QID_INVALID),
	   "CQ 0: Invalid Queue Identifier");
	is(guest_create_cq(g, 5, 64, 1, true), ERR(VNVME_SC_QID_INVALID),
	   "CQ 5 > nr_ioq: Invalid Queue Identifier");
	is(create_cq_raw(g, 2, 3 | 1 << 16, G_IOQ), ERR(VNVME_SC_QUEUE_SIZE),
	   "1-entry CQ: Invalid Queue Size");
	is(create_cq_raw(g, 1024 << 16 | 2, 3 | 1 << 16, G_IOQ),
	   ERR(VNVME_SC_QUEUE_SIZE), "1025 entries > MQES: Invalid Queue Size");
	is(create_cq_raw(g, 1023 << 16 | 2, 3 | 2 << 16, G_IOQ + 0x20000), 0,
	   "1024 entries = MQES + 1 accepted");
	is(guest_create_cq(g, 3, 16, 5, true), ERR(VNVME_SC_INVALID_VECTOR),
	   "vector 5: Invalid Interrupt Vector");
	is(guest_create_cq(g, 3, 16, 5, false), 0,
	   "vector ignored with interrupts disabled");
	is(create_cq_raw(g, 15 << 16 | 4, 2 | 1 << 16, G_IOQ),
	   ERR(VNVME_SC_INVALID_FIELD), "PC = 0: Invalid Field");
	is(create_cq_raw(g, 15 << 16 | 4, 3 | 1 << 16, G_IOQ + 0x100),
	   ERR(VNVME_SC_INVALID_PRP_OFFSET),
	   "unaligned queue address: Invalid PRP Offset");
	g->env.cq_create_status = VNVME_SC_INTERNAL;
	is(guest_create_cq(g, 4, 16, 4, true), ERR(VNVME_SC_INTERNAL),
	   "I/O path refusal passed to the guest");
	g->env.cq_create_status = 0;
	is(guest_create_cq(g, 4, 16, 4, true), 0,
	   "CQ 4 free after the refused creation");
}

static void test_create_sq(struct guest *g)
{
	const struct fake_call *call;

	fake_env_clear_log(&g->env);
	is(guest_create_sq(g, 1, 128, 1), 0, "create SQ 1 on CQ 1");
	call = fake_env_last(&g->env, FAKE_SQ_CREATE);
	ok(call && call->qid == 1 && call->qsize == 128 && call->arg == 1,
	   "io_sq_create got qid, size and cqid");
	is(guest_create_sq(g, 1, 128, 1), ERR(VNVME_SC_QID_INVALID),
	   "SQ 1 again: Invalid Queue Identifier");
	is(guest_create_sq(g, 0, 128, 1), ERR(VNVME_SC_QID_INVALID),
	   "SQ 0: Invalid Queue Identifier");
	is(guest_create_sq(g, 9, 128, 1), ERR(VNVME_SC_QID_INVALID),
	   "SQ 9: Invalid Queue Identifier");
	is(guest_create_sq(g, 2, 128, 0), ERR(VNVME_SC_CQ_INVALID),
	   "CQID 0: Completion Queue Invalid");
	is(guest_create_sq(g, 2, 128, 9), ERR(VNVME_SC_CQ_INVALID),
	   "CQID 9: Completion Queue Invalid");
	is(guest_create_sq(g, 2, 128, 3), 0, "SQ 2 on CQ 3");
	is(create_sq_raw(g, 0 << 16 | 4, 1 | 1 << 16, G_IOQ),
	   ERR(VNVME_SC_QUEUE_SIZE), "1-entry SQ: Invalid Queue Size");
	is(create_sq_raw(g, 15 << 16 | 4, 0 | 1 << 16, G_IOQ),
	   ERR(VNVME_SC_INVALID_FIELD), "PC = 0: Invalid Field");
	is(create_sq_raw(g, 15 << 16 | 4, 1 | 1 << 16, G_IOQ + 8),
	   ERR(VNVME_SC_INVALID_PRP_OFFSET), "unaligned SQ address");
	g->env.sq_create_status = VNVME_SC_INTERNAL;
	is(guest_create_sq(g, 4, 16, 4), ERR(VNVME_SC_INTERNAL),
	   "I/O path refusal passed to the guest");
	g->env.sq_create_status = 0;
	is(guest_create_sq(g, 3, 16, 1), 0, "second SQ on CQ 1");
}

static void test_doorbells(struct guest *g)
{
	const struct fake_call *call;
	int before;

	fake_env_clear_log(&g->env);
	bar_wr32(g, VNVME_BAR0_DB_OFF + 2 * 4, 5);
	call = fake_env_last(&g->env, FAKE_DOORBELL);
	ok(call && call->qid == 1 && !call->flag && call->value == 5,
	   "SQ 1 tail doorbell forwarded");
	bar_wr32(g, VNVME_BAR0_DB_OFF + 3 * 4, 63);
	call = fake_env_last(&g->env, FAKE_DOORBELL);
	ok(call && call->qid == 1 && call->flag && call->value == 63,
	   "CQ 1 head doorbell forwarded");
	before = g->env.nr_calls;
	bar_wr32(g, VNVME_BAR0_DB_OFF + 2 * 4, 128);
	is(g->env.nr_calls, before, "SQ tail = size not forwarded");
	bar_wr32(g, VNVME_BAR0_DB_OFF + 8 * 4, 1);
	is(g->env.nr_calls, before, "SQ 4 (creation refused) not forwarded");
	bar_wr32(g, VNVME_BAR0_DB_OFF + 5 * 4, 1024);
	is(g->env.nr_calls, before, "CQ 2 head = its size not forwarded");
	bar_wr32(g, VNVME_BAR0_DB_OFF + 5 * 4, 1023);
	is(g->env.nr_calls, before + 1, "CQ 2 head 1023 forwarded");
	before = g->env.nr_calls;
	bar_wr32(g, VNVME_BAR0_DB_OFF + 20 * 4, 1);
	is(g->env.nr_calls, before, "doorbell of QID 10 dropped");
	{
		u8 b = 7;

		vnvme_bar0_write(g->c, VNVME_BAR0_DB_OFF + 2 * 4, &b, 1);
		call = fake_env_last(&g->env, FAKE_DOORBELL);
		ok(call && call->value == 7, "byte doorbell write merges");
	}
}

static void test_delete(struct guest *g)
{
	fake_env_clear_log(&g->env);
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 1),
	   ERR(VNVME_SC_QUEUE_DELETION),
	   "CQ 1 with SQs: Invalid Queue Deletion");
	is(guest_delete_q(g, VNVME_ADM_DELETE_SQ, 1), 0, "delete SQ 1");
	is(fake_env_count(&g->env, FAKE_SQ_DELETE, 1), 1, "io_sq_delete(1)");
	is(guest_delete_q(g, VNVME_ADM_DELETE_SQ, 1), ERR(VNVME_SC_QID_INVALID),
	   "SQ 1 again: Invalid Queue Identifier");
	is(guest_delete_q(g, VNVME_ADM_DELETE_SQ, 0), ERR(VNVME_SC_QID_INVALID),
	   "SQ 0: Invalid Queue Identifier");
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 1),
	   ERR(VNVME_SC_QUEUE_DELETION), "CQ 1 still has SQ 3");
	is(guest_delete_q(g, VNVME_ADM_DELETE_SQ, 3), 0, "delete SQ 3");
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 1), 0, "now CQ 1 goes");
	is(fake_env_count(&g->env, FAKE_CQ_DELETE, 1), 1, "io_cq_delete(1)");
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 0), ERR(VNVME_SC_QID_INVALID),
	   "CQ 0: Invalid Queue Identifier");
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 0xffff),
	   ERR(VNVME_SC_QID_INVALID), "CQ FFFFh: Invalid Queue Identifier");
	is(guest_create_cq(g, 1, 16, 1, true), 0, "QID 1 reusable");
}

static void test_reset_drops_queues(struct guest *g)
{
	fake_env_clear_log(&g->env);
	guest_disable(g);
	is(fake_env_count(&g->env, FAKE_RESET, 0xffff), 1, "reset hook");
	is(fake_env_count(&g->env, FAKE_SQ_DELETE, 0xffff), 0,
	   "no per-queue deletes on reset");
	guest_enable(g);
	is(guest_create_cq(g, 1, 16, 1, true), 0, "queues gone after reset");
	is(guest_create_sq(g, 2, 16, 1), 0, "SQ after reset");
}

static void test_dbbuf(struct guest *g)
{
	const struct fake_call *call;
	struct vnvme_sqe sqe;
	u64 db, ei;

	ok(!vnvme_dbbuf_get(g->c, &db, &ei), "no shadow doorbells yet");
	fake_env_clear_log(&g->env);
	guest_sqe(&sqe, VNVME_ADM_DBBUF_CONFIG);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x4000);
	sqe.prp2 = cpu_to_le64(G_DATA + 0x5000);
	is(guest_admin(g, &sqe, NULL), 0, "Doorbell Buffer Config");
	ok(vnvme_dbbuf_get(g->c, &db, &ei) && db == G_DATA + 0x4000 &&
	   ei == G_DATA + 0x5000, "addresses exposed to the I/O path");
	call = fake_env_last(&g->env, FAKE_DBBUF);
	ok(fake_env_count(&g->env, FAKE_DBBUF, 0xffff) == 1 &&
	   call->iova == G_DATA + 0x4000 && call->iova2 == G_DATA + 0x5000,
	   "the I/O path is told the addresses once");
	sqe.prp2 = cpu_to_le64(G_DATA + 0x5008);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "unaligned EventIdx buffer: Invalid Field");
	is(fake_env_count(&g->env, FAKE_DBBUF, 0xffff), 1,
	   "a refused configuration is not told");
	/* The glue takes it up again from the core after a shutdown. */
	bar_wr32(g, VNVME_REG_CC,
		 bar_rd32(g, VNVME_REG_CC) | 1 << VNVME_CC_SHN_SHIFT);
	ok((bar_rd32(g, VNVME_REG_CSTS) & VNVME_CSTS_SHST_MASK) ==
	   VNVME_CSTS_SHST_CMPLT && vnvme_dbbuf_get(g->c, &db, &ei) &&
	   db == G_DATA + 0x4000 && ei == G_DATA + 0x5000,
	   "kept through a shutdown");
	guest_disable(g);
	ok(!vnvme_dbbuf_get(g->c, &db, &ei), "forgotten on reset");
	guest_enable(g);
}

/* Without shadow doorbells in the I/O path nothing may promise them. */
static void test_dbbuf_not_offered(void)
{
	struct vnvme_params p;
	struct vnvme_sqe sqe;
	struct vnvme_id_ctrl *id;
	struct guest g;
	u64 db, ei;

	guest_default_params(&p);
	p.dbbuf = false;
	guest_init(&g, &p);
	guest_enable(&g);
	is(guest_identify(&g, VNVME_CNS_CTRL, 0, G_DATA), 0, "Identify");
	id = gmem(&g, G_DATA);
	is(le16_to_cpu(id->oacs) & VNVME_CTRL_OACS_DBBUF, 0,
	   "OACS does not offer Doorbell Buffer Config");
	guest_sqe(&sqe, VNVME_ADM_DBBUF_CONFIG);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x4000);
	sqe.prp2 = cpu_to_le64(G_DATA + 0x5000);
	is(guest_admin(&g, &sqe, NULL), ERR(VNVME_SC_INVALID_OPCODE),
	   "Doorbell Buffer Config: Invalid Command Opcode");
	ok(!vnvme_dbbuf_get(g.c, &db, &ei), "no shadow doorbells");
	guest_fini(&g);
}

static void test_no_hooks(void)
{
	struct vnvme_env_ops ops = fake_ops;
	struct guest g;

	guest_init(&g, NULL);
	ops.io_cq_create = NULL;
	ops.io_sq_create = NULL;
	ops.io_sq_delete = NULL;
	ops.io_cq_delete = NULL;
	ops.io_doorbell = NULL;
	ops.dbbuf_config = NULL;
	ops.reset = NULL;
	g.c->ops = &ops;
	guest_enable(&g);
	is(guest_create_cq(&g, 1, 16, 1, true), 0, "CQ without I/O hooks");
	is(guest_create_sq(&g, 1, 16, 1), 0, "SQ without I/O hooks");
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 8, 3);
	is(guest_delete_q(&g, VNVME_ADM_DELETE_SQ, 1), 0, "delete SQ");
	guest_disable(&g);
	ok(1, "reset without hooks");
	guest_fini(&g);
}

/*
 * Which error a create reports when several fields are wrong: the
 * checks run in a fixed order (PC, QID, QSIZE, PRP1, then the vector or
 * the CQ, then the entry size in CC), and the entry size is checked for
 * each kind of queue on its own.  The steps run in order on one
 * controller, enabled with IOSQES and IOCQES 0; @cc, if set, is written
 * to CC before the step.
 */
static void test_create_order(void)
{
	const u32 cqes = VNVME_CQES_LOG2 << VNVME_CC_IOCQES_SHIFT;
	const u32 sqes = VNVME_SQES_LOG2 << VNVME_CC_IOSQES_SHIFT;
	const struct {
		bool cq;
		u32 cc, cdw10, cdw11;
		u64 prp1;
		u16 want;
		const char *what;
	} step[] = {
		{ true, 0, 0, 2 | 9 << 16, G_IOQ + 8, VNVME_SC_INVALID_FIELD,
		  "CQ: PC checked before the rest" },
		{ true, 0, 9, 3 | 9 << 16, G_IOQ + 8, VNVME_SC_QID_INVALID,
		  "CQ: QID checked before QSIZE" },
		{ true, 0, 1, 3 | 9 << 16, G_IOQ + 8, VNVME_SC_QUEUE_SIZE,
		  "CQ: QSIZE checked before PRP1" },
		{ true, 0, 15 << 16 | 1, 3 | 9 << 16, G_IOQ + 8,
		  VNVME_SC_INVALID_PRP_OFFSET, "CQ: PRP1 checked before the vector" },
		{ true, 0, 15 << 16 | 1, 3 | 9 << 16, G_IOQ,
		  VNVME_SC_INVALID_VECTOR, "CQ: vector checked before IOCQES" },
		{ true, 0, 15 << 16 | 1, 3 | 1 << 16, G_IOQ,
		  VNVME_SC_INVALID_FIELD, "CQ: IOCQES 0 refused" },
		{ true, VNVME_CC_EN | cqes, 15 << 16 | 1, 3 | 1 << 16, G_IOQ, 0,
		  "CQ 1 once IOCQES is set, IOSQES still 0" },
		{ false, 0, 0, 0 | 9 << 16, G_IOQ + 8, VNVME_SC_INVALID_FIELD,
		  "SQ: PC checked before the rest" },
		{ false, 0, 9, 1 | 9 << 16, G_IOQ + 8, VNVME_SC_QID_INVALID,
		  "SQ: QID checked before QSIZE" },
		{ false, 0, 1, 1 | 9 << 16, G_IOQ + 8, VNVME_SC_QUEUE_SIZE,
		  "SQ: QSIZE checked before PRP1" },
		{ false, 0, 15 << 16 | 1, 1 | 9 << 16, G_IOQ + 8,
		  VNVME_SC_INVALID_PRP_OFFSET, "SQ: PRP1 checked before the CQ" },
		{ false, 0, 15 << 16 | 1, 1 | 9 << 16, G_IOQ,
		  VNVME_SC_CQ_INVALID, "SQ: CQ checked before IOSQES" },
		{ false, 0, 15 << 16 | 1, 1 | 1 << 16, G_IOQ,
		  VNVME_SC_INVALID_FIELD, "SQ: IOSQES 0 refused" },
		{ false, VNVME_CC_EN | cqes | sqes, 15 << 16 | 1, 1 | 1 << 16,
		  G_IOQ + 0x1000, 0, "SQ 1 once IOSQES is set" },
		{ true, 0, 15 << 16 | 1, 3 | 1 << 16, G_IOQ,
		  VNVME_SC_QID_INVALID, "CQ 1 exists: Invalid Queue Identifier" },
		{ false, 0, 15 << 16 | 1, 1 | 1 << 16, G_IOQ,
		  VNVME_SC_QID_INVALID, "SQ 1 exists: Invalid Queue Identifier" },
		{ false, 0, 15 << 16 | 2, 1 | 1 << 16, G_IOQ + 0x2000, 0,
		  "SQ 2 while CQ 2 does not exist" },
		{ true, 0, 15 << 16 | 2, 3 | 1 << 16, G_IOQ + 0x3000, 0,
		  "CQ 2 while SQ 2 exists" },
	};
	struct guest g;
	u32 i;

	guest_init(&g, NULL);
	is(guest_enable_cc(&g, VNVME_CC_EN), VNVME_CSTS_RDY,
	   "enabled with IOSQES and IOCQES 0");
	for (i = 0; i < ARRAY_SIZE(step); i++) {
		if (step[i].cc)
			bar_wr32(&g, VNVME_REG_CC, step[i].cc);
		is(step[i].cq ?
		   create_cq_raw(&g, step[i].cdw10, step[i].cdw11, step[i].prp1) :
		   create_sq_raw(&g, step[i].cdw10, step[i].cdw11, step[i].prp1),
		   step[i].want ? ERR(step[i].want) : 0, "%s", step[i].what);
	}
	guest_fini(&g);
}

int main(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	test_create_cq(&g);
	test_create_sq(&g);
	test_doorbells(&g);
	test_delete(&g);
	test_reset_drops_queues(&g);
	test_dbbuf(&g);
	guest_fini(&g);
	test_dbbuf_not_offered();
	test_no_hooks();
	test_create_order();
	return tap_done();
}
