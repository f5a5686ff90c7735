// SPDX-License-Identifier: GPL-2.0-only
/*
 * Asynchronous Event Requests: the AERL limit, events for bad doorbell
 * writes, SMART and namespace notices, masking until the log is read,
 * Abort, reset; plus fatal errors of the admin queue itself.
 */
#include "guest.h"
#include "tap.h"

static u16 submit_aer(struct guest *g)
{
	struct vnvme_sqe sqe;
	u16 cid;

	guest_sqe(&sqe, VNVME_ADM_ASYNC_EVENT);
	cid = guest_submit(g, &sqe);
	vnvme_process_admin(g->c);
	return cid;
}

/* reap one CQE, return its status or NO_CQE */
static u16 reap(struct guest *g, u16 *cid, u32 *result)
{
	struct vnvme_cqe cqe;

	if (!guest_reap(g, &cqe))
		return NO_CQE;
	if (cid)
		*cid = le16_to_cpu(cqe.cid);
	if (result)
		*result = le32_to_cpu(cqe.result);
	return le16_to_cpu(cqe.status) >> 1;
}

static void test_limit(struct guest *g)
{
	u16 cids[VNVME_AERL + 2], cid;
	int i;

	for (i = 0; i <= VNVME_AERL; i++)
		cids[i] = submit_aer(g);
	is(reap(g, NULL, NULL), NO_CQE, "AERL + 1 AERs held, no completion");
	cids[i] = submit_aer(g);
	is(reap(g, &cid, NULL), ERR(VNVME_SC_AER_LIMIT),
	   "one more: Asynchronous Event Request Limit Exceeded");
	is(cid, cids[i], "on the extra command");
}

static void test_doorbell_events(struct guest *g)
{
	u32 res = 0;
	u16 cid;

	/* admin SQ tail doorbell beyond the queue */
	bar_wr32(g, VNVME_BAR0_DB_OFF, G_AQ_DEPTH);
	is(reap(g, &cid, &res), 0, "bad doorbell value completes an AER");
	is(res, VNVME_AER_TYPE_ERROR | VNVME_AER_ERR_INVALID_DB_VALUE << 8 |
	   VNVME_LOG_ERROR << 16, "Error / Invalid Doorbell Write Value");
	ok(g->env.irqs[0] > 0, "interrupt raised for the event");

	/* same type again: masked until the error log is read */
	bar_wr32(g, VNVME_BAR0_DB_OFF + 4 * 100, 1);
	is(reap(g, NULL, NULL), NO_CQE, "second error event held (masked)");
	is(guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64, true, G_DATA), 0,
	   "error log read with RAE");
	is(reap(g, NULL, NULL), NO_CQE, "RAE keeps the event masked");
	is(guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64, false, G_DATA), 0,
	   "error log read without RAE");
	is(reap(g, NULL, &res), 0, "held event delivered after the read");
	is(res, VNVME_AER_TYPE_ERROR | VNVME_AER_ERR_INVALID_DB << 8 |
	   VNVME_LOG_ERROR << 16, "Error / Write to Invalid Doorbell");

	/* admin CQ head beyond what was posted */
	guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64, false, G_DATA);
	bar_wr32(g, VNVME_BAR0_DB_OFF + 4, (g->cq_head + 5) % G_AQ_DEPTH);
	is(reap(g, NULL, &res), 0, "CQ head past the tail: event");
	is(res & 0xffff, VNVME_AER_ERR_INVALID_DB_VALUE << 8,
	   "Invalid Doorbell Write Value");
	ok(vnvme_ctrl_ready(g->c), "controller still running");
}

static void test_queued_and_notices(struct guest *g)
{
	u32 res;
	int i;

	/* three of the AERL + 1 AERs are used up */
	guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64, false, G_DATA);
	bar_wr32(g, VNVME_BAR0_DB_OFF + 8, 1);	/* SQ 1 does not exist */
	is(reap(g, NULL, NULL), 0, "the last held AER completes");
	guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64, false, G_DATA);
	bar_wr32(g, VNVME_BAR0_DB_OFF + 8, 1);
	is(reap(g, NULL, NULL), NO_CQE, "no AER outstanding: nothing posted");
	submit_aer(g);
	is(reap(g, NULL, &res), 0, "queued event completes the next AER");
	is(res & 0xff07, VNVME_AER_ERR_INVALID_DB << 8, "the doorbell event");

	/* namespace notices need AEC bit 8 */
	for (i = 0; i < 2; i++)
		submit_aer(g);
	vnvme_set_nsze(g->c, 1ULL << 20);
	is(reap(g, NULL, NULL), NO_CQE, "notice disabled in AEC: no event");
	guest_set_feature(g, VNVME_FEAT_ASYNC_EVENT, VNVME_AEC_NS_ATTR |
			  VNVME_SMART_CRIT_TEMP, NULL);
	vnvme_set_nsze(g->c, 1ULL << 19);
	is(reap(g, NULL, &res), 0, "namespace attribute notice");
	is(res, VNVME_AER_TYPE_NOTICE | VNVME_AER_NOTICE_NS_CHANGED << 8 |
	   VNVME_LOG_CHANGED_NS << 16, "Notice / NS changed / log 04h");

	/* SMART temperature: threshold below the current temperature */
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 300, NULL), 0,
	   "over-temperature threshold below current");
	is(reap(g, NULL, &res), 0, "SMART event");
	is(res, VNVME_AER_TYPE_SMART | VNVME_AER_SMART_TEMP_THRESH << 8 |
	   VNVME_LOG_SMART << 16, "SMART / temperature / log 02h");
	guest_get_log(g, VNVME_LOG_SMART, 0xffffffff, 0, 512, false, G_DATA);
	is(((struct vnvme_smart_log *)gmem(g, G_DATA))->critical_warning,
	   VNVME_SMART_CRIT_TEMP, "critical warning: temperature");
	guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 343, NULL);
	guest_get_log(g, VNVME_LOG_SMART, 0xffffffff, 0, 512, false, G_DATA);
	is(((struct vnvme_smart_log *)gmem(g, G_DATA))->critical_warning, 0,
	   "warning gone with a sane threshold");
}

static void test_abort_reset(struct guest *g)
{
	struct vnvme_sqe sqe;
	u16 aer, cid, st;
	u32 res = 0;

	aer = submit_aer(g);
	guest_sqe(&sqe, VNVME_ADM_ABORT);
	sqe.cdw10 = cpu_to_le32((u32)aer << 16 | 0);
	guest_submit(g, &sqe);
	vnvme_process_admin(g->c);
	st = reap(g, &cid, NULL);
	ok(st == (VNVME_SC_ABORT_REQ) && cid == aer,
	   "Abort completes the AER with Abort Requested");
	st = reap(g, NULL, &res);
	ok(st == 0 && (res & 1) == 0, "Abort: command aborted");

	guest_sqe(&sqe, VNVME_ADM_ABORT);
	sqe.cdw10 = cpu_to_le32(0x1234u << 16 | 1);
	is(guest_admin(g, &sqe, &res), 0, "Abort of an I/O command");
	is(res & 1, 1, "not aborted");
	guest_sqe(&sqe, VNVME_ADM_ABORT);
	sqe.cdw10 = cpu_to_le32(0x4321u << 16);
	is(guest_admin(g, &sqe, &res), 0, "Abort of an unknown admin command");
	is(res & 1, 1, "not aborted");

	submit_aer(g);
	submit_aer(g);
	guest_disable(g);
	guest_enable(g);
	is(reap(g, NULL, NULL), NO_CQE, "reset drops AERs silently");
	bar_wr32(g, VNVME_BAR0_DB_OFF, G_AQ_DEPTH + 1);
	submit_aer(g);
	is(reap(g, NULL, NULL), 0,
	   "new AER after reset gets the event queued since");
}

static void test_cq_full(struct guest *g)
{
	struct vnvme_sqe sqe;
	struct vnvme_cqe cqe;
	int i, n = 0;

	/* 31 completions fill the CQ, the next 5 commands must wait */
	for (i = 0; i < G_AQ_DEPTH - 1 + 5; i++) {
		guest_sqe(&sqe, VNVME_ADM_GET_FEATURES);
		sqe.cdw10 = cpu_to_le32(VNVME_FEAT_ARBITRATION);
		guest_submit(g, &sqe);
		vnvme_process_admin(g->c);
	}
	ok(!vnvme_admin_pending(g->c), "CQ full: commands wait, no work");
	ok(guest_reap(g, &cqe), "one completion taken");
	n++;
	ok(vnvme_admin_pending(g->c), "room in the CQ: they are due");
	while (guest_reap(g, &cqe))
		n++;
	is(n, G_AQ_DEPTH - 1, "CQ never overwritten");
	vnvme_process_admin(g->c);
	while (guest_reap(g, &cqe))
		n++;
	is(n, G_AQ_DEPTH - 1 + 5, "the rest complete once the CQ has room");
	ok(!vnvme_admin_pending(g->c), "nothing left");
}

static void test_fatal(void)
{
	struct vnvme_sqe sqe;
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	bar_wr64(&g, VNVME_REG_ASQ, G_HOLE);
	guest_disable(&g);
	guest_pci_setup(&g);
	bar_wr32(&g, VNVME_REG_CC, VNVME_CC_EN | 0x460000);
	is(bar_rd32(&g, VNVME_REG_CSTS), VNVME_CSTS_RDY,
	   "enable with ASQ in a hole (not touched yet)");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	bar_wr32(&g, VNVME_BAR0_DB_OFF, 1);
	vnvme_process_admin(g.c);
	ok(bar_rd32(&g, VNVME_REG_CSTS) & VNVME_CSTS_CFS,
	   "unreadable admin SQ: CSTS.CFS");
	ok(!vnvme_admin_pending(g.c) && !vnvme_ctrl_ready(g.c),
	   "admin queue stopped");
	guest_disable(&g);
	is(bar_rd32(&g, VNVME_REG_CSTS), 0, "reset clears CFS");
	bar_wr64(&g, VNVME_REG_ASQ, G_ASQ);
	bar_wr64(&g, VNVME_REG_ACQ, G_HOLE);
	bar_wr32(&g, VNVME_REG_CC, VNVME_CC_EN | 0x460000);
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	memcpy(gmem(&g, G_ASQ), &sqe, 64);
	bar_wr32(&g, VNVME_BAR0_DB_OFF, 1);
	vnvme_process_admin(g.c);
	ok(bar_rd32(&g, VNVME_REG_CSTS) & VNVME_CSTS_CFS,
	   "unwritable admin CQ: CSTS.CFS");
	vnvme_fatal(g.c);
	ok(!vnvme_ctrl_ready(g.c), "vnvme_fatal() keeps it failed");
	guest_fini(&g);
}

/* A CQ head only the I/O path can judge (beyond what it posted). */
static void test_io_path_refuses_doorbell(void)
{
	struct guest g;
	u32 res = 0;

	guest_init(&g, NULL);
	guest_enable(&g);
	is(guest_create_cq(&g, 1, 16, 1, true), 0, "I/O CQ 1");
	submit_aer(&g);
	g.env.doorbell_verdict = true;
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 3 * 4, 0);
	is(reap(&g, NULL, NULL), NO_CQE, "accepted CQ head: no event");
	g.env.doorbell_verdict = false;
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 3 * 4, 5);
	is(reap(&g, NULL, &res), 0, "refused CQ head completes the AER");
	is(res, VNVME_AER_TYPE_ERROR | VNVME_AER_ERR_INVALID_DB_VALUE << 8 |
	   VNVME_LOG_ERROR << 16, "Error / Invalid Doorbell Write Value");
	ok(vnvme_ctrl_ready(g.c), "controller still running");
	guest_fini(&g);
}

/*
 * vnvme_io_doorbell_ok() says which doorbell writes complete no event:
 * those the I/O path may replay where guest memory must not be touched.
 */
static void test_io_doorbell_ok(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	is(guest_create_cq(&g, 1, 16, 1, true), 0, "I/O CQ 1");
	is(guest_create_sq(&g, 1, 8, 1), 0, "I/O SQ 1");
	submit_aer(&g);
	ok(vnvme_io_doorbell_ok(g.c, 1, false, 7), "SQ tail below the size");
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 2 * 4, 7);
	is(reap(&g, NULL, NULL), NO_CQE, "taken: no event");
	ok(vnvme_io_doorbell_ok(g.c, 1, true, 15), "CQ head below the size");
	ok(!vnvme_io_doorbell_ok(g.c, 1, false, 8), "SQ tail at the size");
	ok(!vnvme_io_doorbell_ok(g.c, 1, true, 16), "CQ head at the size");
	ok(!vnvme_io_doorbell_ok(g.c, 2, false, 0), "queue that does not exist");
	ok(!vnvme_io_doorbell_ok(g.c, VNVME_MAX_IOQ + 1, true, 0),
	   "queue beyond the controller's");
	ok(!vnvme_io_doorbell_ok(g.c, 0, false, 1), "admin SQ tail");
	ok(!vnvme_io_doorbell_ok(g.c, 0, true, 0), "admin CQ head");
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 4 * 4, 0);
	is(reap(&g, NULL, NULL), 0, "one refused completes the AER");
	guest_disable(&g);
	ok(vnvme_io_doorbell_ok(g.c, 2, false, 0),
	   "disabled: doorbells ignored");
	guest_fini(&g);
}

int main(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	test_limit(&g);
	test_doorbell_events(&g);
	test_queued_and_notices(&g);
	test_abort_reset(&g);
	test_cq_full(&g);
	guest_fini(&g);
	test_fatal();
	test_io_path_refuses_doorbell();
	test_io_doorbell_ok();
	return tap_done();
}
