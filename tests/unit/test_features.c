// SPDX-License-Identifier: GPL-2.0-only
/*
 * Get / Set Features: every supported feature, SEL values, SV, the
 * Number of Queues sequencing rule and unsupported identifiers.
 */
#include "guest.h"
#include "tap.h"

static void test_simple(struct guest *g)
{
	static const struct {
		u8 fid;
		u32 val;
		const char *name;
	} feats[] = {
		{ VNVME_FEAT_ARBITRATION, 0x03020107, "Arbitration" },
		{ VNVME_FEAT_ERR_RECOVERY, 0x0010, "Error Recovery" },
		{ VNVME_FEAT_IRQ_COALESCE, 0x0a04, "Interrupt Coalescing" },
		{ VNVME_FEAT_WRITE_ATOMIC, 1, "Write Atomicity Normal" },
		{ VNVME_FEAT_ASYNC_EVENT, 0x11f, "Async Event Config" },
		{ VNVME_FEAT_VOLATILE_WC, 0, "Volatile Write Cache" },
	};
	size_t i;
	u32 r;

	for (i = 0; i < ARRAY_SIZE(feats); i++) {
		is(guest_set_feature(g, feats[i].fid, feats[i].val, NULL), 0,
		   "Set %s", feats[i].name);
		r = 0xdead;
		is(guest_get_feature(g, feats[i].fid, VNVME_SEL_CURRENT, 0,
				     &r), 0, "Get %s", feats[i].name);
		is(r, feats[i].val, "%s current value", feats[i].name);
		r = 0xdead;
		guest_get_feature(g, feats[i].fid, VNVME_SEL_SUPPORTED, 0, &r);
		ok(r & VNVME_FEAT_CAP_CHANGEABLE &&
		   !(r & VNVME_FEAT_CAP_SAVEABLE),
		   "%s: changeable, not saveable", feats[i].name);
	}
	ok(!vnvme_vwc_enabled(g->c), "VWC disabled through the feature");
	guest_get_feature(g, VNVME_FEAT_VOLATILE_WC, VNVME_SEL_DEFAULT, 0, &r);
	is(r, 1, "VWC default enabled");
	guest_get_feature(g, VNVME_FEAT_ERR_RECOVERY, VNVME_SEL_SUPPORTED, 0,
			  &r);
	ok(r & VNVME_FEAT_CAP_NS_SPECIFIC, "Error Recovery is per namespace");
	guest_get_feature(g, VNVME_FEAT_ARBITRATION, VNVME_SEL_SAVED, 0, &r);
	is(r, 0, "saved value = default");
	guest_get_feature(g, VNVME_FEAT_ASYNC_EVENT, VNVME_SEL_CURRENT, 0, &r);
	is(guest_set_feature(g, VNVME_FEAT_ASYNC_EVENT, 0xffffffff, NULL), 0,
	   "Set AEC with unsupported bits");
	guest_get_feature(g, VNVME_FEAT_ASYNC_EVENT, VNVME_SEL_CURRENT, 0, &r);
	is(r, 0x11f, "only supported AEC bits kept");
	is(guest_set_feature(g, VNVME_FEAT_ERR_RECOVERY, 1 << 16, NULL),
	   ERR(VNVME_SC_INVALID_FIELD), "DULBE refused");
}

static void test_power_temp(struct guest *g)
{
	u32 r;

	is(guest_set_feature(g, VNVME_FEAT_POWER_MGMT, 0, NULL), 0,
	   "Power State 0");
	is(guest_set_feature(g, VNVME_FEAT_POWER_MGMT, 1, NULL),
	   ERR(VNVME_SC_INVALID_FIELD), "Power State 1 does not exist");

	guest_get_feature(g, VNVME_FEAT_TEMP_THRESH, VNVME_SEL_CURRENT, 0, &r);
	is(r & 0xffff, 343, "default over-temperature threshold = WCTEMP");
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 350, NULL), 0,
	   "set over threshold");
	guest_get_feature(g, VNVME_FEAT_TEMP_THRESH, VNVME_SEL_CURRENT, 0, &r);
	is(r, 350, "over threshold read back");
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 1 << 20 | 270, NULL),
	   0, "set under threshold");
	guest_get_feature(g, VNVME_FEAT_TEMP_THRESH, VNVME_SEL_CURRENT,
			  1 << 20, &r);
	is(r, 1 << 20 | 270, "under threshold read back");
	guest_get_feature(g, VNVME_FEAT_TEMP_THRESH, VNVME_SEL_DEFAULT,
			  1 << 20, &r);
	is(r, 1 << 20, "under threshold default 0");
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 2 << 20 | 270, NULL),
	   ERR(VNVME_SC_INVALID_FIELD), "THSEL 2 refused");
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 3 << 16 | 270, NULL),
	   ERR(VNVME_SC_INVALID_FIELD), "sensor 3 does not exist");
	is(guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 1 << 20, NULL), 0,
	   "under threshold back to 0");
}

static void test_vectors(struct guest *g)
{
	u32 r, thr, us;

	is(guest_set_feature(g, VNVME_FEAT_IRQ_COALESCE, 0, NULL), 0,
	   "coalescing values back to their defaults");
	ok(!vnvme_irq_coalescing(g->c, 1, &thr, &us),
	   "defaults: every completion interrupts");
	is(guest_set_feature(g, VNVME_FEAT_IRQ_COALESCE, 0x0307, NULL), 0,
	   "coalescing: 8 entries or 300 us");
	ok(vnvme_irq_coalescing(g->c, 3, &thr, &us), "vector 3 coalesced");
	is(thr, 8, "threshold is 0's based");
	is(us, 300, "time counts 100 us");
	ok(!vnvme_irq_coalescing(g->c, 0, &thr, &us),
	   "admin vector never coalesced");
	ok(!vnvme_irq_coalescing(g->c, 9, &thr, &us),
	   "vector out of range not coalesced");
	guest_set_feature(g, VNVME_FEAT_IRQ_COALESCE, 0x0007, NULL);
	ok(!vnvme_irq_coalescing(g->c, 3, &thr, &us),
	   "aggregation time 0: no delay, nothing held");
	guest_set_feature(g, VNVME_FEAT_IRQ_COALESCE, 0x0300, NULL);
	ok(!vnvme_irq_coalescing(g->c, 3, &thr, &us),
	   "threshold of one entry: nothing held");
	guest_set_feature(g, VNVME_FEAT_IRQ_COALESCE, 0x0307, NULL);

	is(guest_set_feature(g, VNVME_FEAT_IRQ_CONFIG, 1 << 16 | 3, NULL), 0,
	   "IV config: CD on vector 3");
	is(guest_get_feature(g, VNVME_FEAT_IRQ_CONFIG, VNVME_SEL_CURRENT, 3,
			     &r), 0, "get IV config 3");
	is(r, 1 << 16 | 3, "CD set on vector 3");
	ok(!vnvme_irq_coalescing(g->c, 3, &thr, &us),
	   "CD turns coalescing off for vector 3");
	ok(vnvme_irq_coalescing(g->c, 2, &thr, &us), "but not for vector 2");
	guest_get_feature(g, VNVME_FEAT_IRQ_CONFIG, VNVME_SEL_CURRENT, 2, &r);
	is(r, 2, "CD clear on vector 2");
	is(guest_set_feature(g, VNVME_FEAT_IRQ_CONFIG, 5, NULL),
	   ERR(VNVME_SC_INVALID_FIELD), "vector 5 out of range (4 I/O queues)");
	is(guest_get_feature(g, VNVME_FEAT_IRQ_CONFIG, VNVME_SEL_CURRENT, 9,
			     &r), ERR(VNVME_SC_INVALID_FIELD),
	   "get of vector 9 refused");
}

static void test_nr_queues(struct guest *g)
{
	u32 r = 0;

	is(guest_get_feature(g, VNVME_FEAT_NUM_QUEUES, VNVME_SEL_CURRENT, 0,
			     &r), 0, "Get Number of Queues");
	is(r, 0x00030003, "nr_ioq - 1 in both halves");
	is(guest_set_feature(g, VNVME_FEAT_NUM_QUEUES, 0x003f003f, &r), 0,
	   "ask for 64 pairs");
	is(r, 0x00030003, "granted what the instance has");
	is(guest_set_feature(g, VNVME_FEAT_NUM_QUEUES, 0xffff0000, &r),
	   ERR(VNVME_SC_INVALID_FIELD), "65536 CQs refused");
	is(guest_create_cq(g, 1, 16, 1, true), 0, "create a CQ");
	is(guest_set_feature(g, VNVME_FEAT_NUM_QUEUES, 0, &r),
	   ERR(VNVME_SC_CMD_SEQ_ERROR),
	   "after queue creation: Command Sequence Error");
	is(guest_delete_q(g, VNVME_ADM_DELETE_CQ, 1), 0, "delete it");
	is(guest_set_feature(g, VNVME_FEAT_NUM_QUEUES, 0, &r), 0,
	   "allowed again once no queue exists");
}

static void test_invalid(struct guest *g)
{
	struct vnvme_sqe sqe;
	u32 r;

	is(guest_set_feature(g, 0x03, 0, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "LBA Range Type unsupported");
	is(guest_set_feature(g, 0x0c, 0, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "APST unsupported");
	is(guest_set_feature(g, 0x0f, 0, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "Keep Alive unsupported");
	is(guest_get_feature(g, 0x81, 0, 0, &r), ERR(VNVME_SC_INVALID_FIELD),
	   "Host Identifier unsupported");
	is(guest_get_feature(g, 0, 0, 0, &r), ERR(VNVME_SC_INVALID_FIELD),
	   "FID 0 reserved");
	is(guest_get_feature(g, VNVME_FEAT_ARBITRATION, 4, 0, &r),
	   ERR(VNVME_SC_INVALID_FIELD), "SEL 4 reserved");

	guest_sqe(&sqe, VNVME_ADM_SET_FEATURES);
	sqe.cdw10 = cpu_to_le32(VNVME_FEAT_SV | VNVME_FEAT_ARBITRATION);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_FEAT_NOT_SAVEABLE),
	   "SV = 1: Feature Identifier Not Saveable");

	guest_sqe(&sqe, VNVME_ADM_SET_FEATURES);
	sqe.cdw10 = cpu_to_le32(VNVME_FEAT_ERR_RECOVERY);
	sqe.nsid = cpu_to_le32(7);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_NS),
	   "per-namespace feature on NSID 7: Invalid Namespace");
}

static void test_no_vwc(void)
{
	struct vnvme_params p;
	struct guest g;
	u32 r;

	guest_default_params(&p);
	p.vwc = false;
	guest_init(&g, &p);
	guest_enable(&g);
	is(guest_get_feature(&g, VNVME_FEAT_VOLATILE_WC, 0, 0, &r),
	   ERR(VNVME_SC_INVALID_FIELD), "no VWC: feature 06h unsupported");
	ok(!vnvme_vwc_enabled(g.c), "no VWC: reported disabled");
	guest_fini(&g);
}

static void test_reset_defaults(struct guest *g)
{
	u32 r;

	guest_set_feature(g, VNVME_FEAT_ARBITRATION, 0x7, NULL);
	guest_set_feature(g, VNVME_FEAT_TEMP_THRESH, 300, NULL);
	guest_get_log(g, VNVME_LOG_SMART, 0, 0, 512, false, G_DATA);
	is(*(u8 *)gmem(g, G_DATA), VNVME_SMART_CRIT_TEMP,
	   "threshold below 313 K: temperature warning");
	guest_disable(g);
	guest_enable(g);
	guest_get_feature(g, VNVME_FEAT_ARBITRATION, VNVME_SEL_CURRENT, 0, &r);
	is(r, 0, "controller reset restores defaults");
	ok(vnvme_vwc_enabled(g->c), "VWC enabled again after reset");
	guest_get_log(g, VNVME_LOG_SMART, 0, 0, 512, false, G_DATA);
	is(*(u8 *)gmem(g, G_DATA), 0, "default threshold: warning gone");
}

int main(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	test_simple(&g);
	test_power_temp(&g);
	test_vectors(&g);
	test_nr_queues(&g);
	test_invalid(&g);
	test_reset_defaults(&g);
	guest_fini(&g);
	test_no_vwc();
	return tap_done();
}
