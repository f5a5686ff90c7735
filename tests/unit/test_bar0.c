// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR0 controller registers: CAP/VS contents, the CC.EN / CSTS.RDY
 * handshake, enable validation (CSTS.CFS), disable and shutdown, register
 * masks and access sizes.
 */
#include <stdlib.h>

#include "guest.h"
#include "tap.h"

#define CC_OK	(VNVME_CC_EN | 6 << VNVME_CC_IOSQES_SHIFT | \
		 4 << VNVME_CC_IOCQES_SHIFT)

static void test_cap_vs(void)
{
	struct guest g;
	u64 cap;

	guest_init(&g, NULL);
	cap = bar_rd64(&g, VNVME_REG_CAP);
	is(cap & 0xffff, 1023, "CAP.MQES default 1023");
	ok(cap & VNVME_CAP_CQR, "CAP.CQR");
	is((cap >> 24) & 0xff, 20, "CAP.TO = 10 s");
	is((cap >> 32) & 0xf, 0, "CAP.DSTRD = 0");
	ok(cap & VNVME_CAP_CSS_NVM, "CAP.CSS NVM");
	is((cap >> 48) & 0xff, 0, "CAP.MPSMIN = MPSMAX = 0");
	is(bar_rd32(&g, VNVME_REG_CAP + 4), cap >> 32, "CAP upper dword");
	is(bar_rd32(&g, VNVME_REG_VS), 0x00010400, "VS 1.4");
	bar_wr64(&g, VNVME_REG_CAP, 0);
	is(bar_rd64(&g, VNVME_REG_CAP), cap, "CAP read-only");
	bar_wr32(&g, VNVME_REG_VS, 0);
	is(bar_rd32(&g, VNVME_REG_VS), 0x00010400, "VS read-only");
	guest_fini(&g);

	{
		struct vnvme_params p;

		guest_default_params(&p);
		p.max_queue_entries = 256;
		guest_init(&g, &p);
		is(bar_rd32(&g, 0) & 0xffff, 255, "MQES from params");
		guest_fini(&g);
	}
}

static void test_enable(void)
{
	struct guest g;
	u32 csts;

	guest_init(&g, NULL);
	is(bar_rd32(&g, VNVME_REG_CSTS), 0, "CSTS 0 at power-on");
	bar_wr64(&g, VNVME_REG_ASQ, G_ASQ | 0xfff);
	is(bar_rd64(&g, VNVME_REG_ASQ), G_ASQ, "ASQ low 12 bits read-only");
	bar_wr64(&g, VNVME_REG_ACQ, 0x123456789abcdfffULL);
	is(bar_rd64(&g, VNVME_REG_ACQ), 0x123456789abcd000ULL,
	   "ACQ 64-bit, low 12 bits read-only");
	bar_wr32(&g, VNVME_REG_AQA, 0xffffffff);
	is(bar_rd32(&g, VNVME_REG_AQA), 0x0fff0fff, "AQA reserved bits");

	csts = guest_enable(&g);
	is(csts, VNVME_CSTS_RDY, "valid enable: RDY, no CFS");
	is(bar_rd32(&g, VNVME_REG_CC), CC_OK, "CC reads back");
	bar_wr32(&g, VNVME_REG_CC, CC_OK | 1 << VNVME_CC_MPS_SHIFT);
	is(bar_rd32(&g, VNVME_REG_CC), CC_OK, "MPS frozen while enabled");
	bar_wr32(&g, VNVME_REG_CC, 0xff000000 | CC_OK);
	is(bar_rd32(&g, VNVME_REG_CC), CC_OK, "CC reserved bits");

	guest_disable(&g);
	is(bar_rd32(&g, VNVME_REG_CSTS), 0, "disable: RDY clear");
	is(g.env.resets, 1, "disable resets the I/O path");
	is(bar_rd64(&g, VNVME_REG_ASQ), G_ASQ, "ASQ kept across reset");
	guest_fini(&g);
}

static void test_enable_invalid(void)
{
	static const struct {
		u32 cc;
		const char *what;
	} bad[] = {
		{ VNVME_CC_EN | 4 << VNVME_CC_IOCQES_SHIFT |
		  5 << VNVME_CC_IOSQES_SHIFT, "IOSQES 5" },
		{ VNVME_CC_EN | 6 << VNVME_CC_IOSQES_SHIFT |
		  3 << VNVME_CC_IOCQES_SHIFT, "IOCQES 3" },
		{ CC_OK | 1 << VNVME_CC_MPS_SHIFT, "MPS 8 KiB" },
		{ CC_OK | 1 << VNVME_CC_CSS_SHIFT, "CSS 1" },
		{ CC_OK | 1 << 11, "AMS WRR" },
	};
	struct guest g;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		guest_init(&g, NULL);
		is(guest_enable_cc(&g, bad[i].cc), VNVME_CSTS_CFS,
		   "enable with %s: CFS, not ready", bad[i].what);
		guest_disable(&g);
		is(bar_rd32(&g, VNVME_REG_CSTS), 0, "reset clears CFS (%s)",
		   bad[i].what);
		guest_fini(&g);
	}

	guest_init(&g, NULL);
	guest_pci_setup(&g);
	bar_wr32(&g, VNVME_REG_AQA, 0);
	bar_wr32(&g, VNVME_REG_CC, CC_OK);
	is(bar_rd32(&g, VNVME_REG_CSTS), VNVME_CSTS_CFS,
	   "1-entry admin queues refused");
	guest_fini(&g);

	guest_init(&g, NULL);
	is(guest_enable_cc(&g, VNVME_CC_EN), VNVME_CSTS_RDY,
	   "IOSQES/IOCQES 0 at enable accepted");
	is(guest_create_cq(&g, 1, 16, 1, true), ERR(VNVME_SC_INVALID_FIELD),
	   "but I/O CQ creation then refused");
	guest_fini(&g);
}

static void test_shutdown(void)
{
	struct guest g;
	struct vnvme_sqe sqe;

	guest_init(&g, NULL);
	guest_enable(&g);
	is(guest_create_cq(&g, 1, 16, 1, true), 0, "CQ before shutdown");
	bar_wr32(&g, VNVME_REG_CC, CC_OK | 1 << VNVME_CC_SHN_SHIFT);
	is(bar_rd32(&g, VNVME_REG_CSTS) & VNVME_CSTS_SHST_MASK,
	   VNVME_CSTS_SHST_CMPLT, "normal shutdown completes");
	is(g.env.resets, 1, "shutdown quiesces the I/O path");
	ok(!vnvme_ctrl_ready(g.c), "not ready after shutdown");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	is(guest_admin(&g, &sqe, NULL), NO_CQE,
	   "admin queue stopped after shutdown");
	guest_disable(&g);
	is(bar_rd32(&g, VNVME_REG_CSTS), 0, "reset clears SHST");
	is(guest_enable(&g), VNVME_CSTS_RDY, "re-enable after shutdown");
	is(guest_create_cq(&g, 1, 16, 1, true), 0,
	   "queue table empty after shutdown and reset");
	guest_fini(&g);
}

static void test_access(void)
{
	struct guest g;
	u8 b[8] = { 0 };
	u32 i;

	guest_init(&g, NULL);
	ok(vnvme_bar0_read(g.c, VNVME_BAR0_SIZE - 4, b, 4) == 0,
	   "last dword readable");
	ok(vnvme_bar0_read(g.c, VNVME_BAR0_SIZE - 4, b, 8) == -EINVAL,
	   "read past the end refused");
	ok(vnvme_bar0_write(g.c, VNVME_BAR0_SIZE, b, 1) == -EINVAL,
	   "write at the end refused");
	ok(vnvme_bar0_write(g.c, ~0ULL - 1, b, 4) == -EINVAL,
	   "offset wrap refused");
	ok(vnvme_bar0_read(g.c, 0, b, 16) == -EINVAL, "16-byte access refused");

	ok(vnvme_bar0_read(g.c, VNVME_REG_VS + 1, b, 2) == 0 &&
	   b[0] == 0x04 && b[1] == 0x01, "misaligned 2-byte read of VS");
	ok(vnvme_bar0_read(g.c, VNVME_REG_CAP + 2, b, 4) == 0 && b[0] == 1 &&
	   b[1] == 20 && b[2] == 0x20 && b[3] == 0,
	   "read straddling two dwords of CAP");

	/* CC built from byte writes, enable on the last one */
	guest_pci_setup(&g);
	bar_wr32(&g, VNVME_REG_AQA, 0x001f001f);
	bar_wr64(&g, VNVME_REG_ASQ, G_ASQ);
	bar_wr64(&g, VNVME_REG_ACQ, G_ACQ);
	b[0] = 0x46;
	vnvme_bar0_write(g.c, VNVME_REG_CC + 2, b, 1);
	is(bar_rd32(&g, VNVME_REG_CC), 0x460000, "byte write to CC");
	b[0] = 1;
	vnvme_bar0_write(g.c, VNVME_REG_CC, b, 1);
	is(bar_rd32(&g, VNVME_REG_CSTS), VNVME_CSTS_RDY,
	   "byte write sets EN: ready");

	bar_wr32(&g, VNVME_REG_INTMS, 0x5);
	is(bar_rd32(&g, VNVME_REG_INTMS), 5, "INTMS sets bits");
	bar_wr32(&g, VNVME_REG_INTMC, 0x4);
	is(bar_rd32(&g, VNVME_REG_INTMC), 1, "INTMC clears bits");

	for (i = 0x38; i < 0x1000; i += 4)
		if (bar_rd32(&g, i))
			break;
	is(i, 0x1000, "reserved / optional registers read 0");
	bar_wr32(&g, VNVME_BAR0_DB_OFF + 8, 1);
	is(bar_rd32(&g, VNVME_BAR0_DB_OFF + 8), 0, "doorbells read 0");
	guest_fini(&g);
}

/*
 * Every access size at every offset of CAP and VS (read-only) and of ASQ
 * and ACQ (read-write but for their low 12 bits), against a byte-array
 * model of those registers: an access reads and writes exactly its bytes,
 * whatever dwords it straddles.  Other sizes are refused, change nothing
 * and return no bytes.
 */
#define RW_OFF		VNVME_REG_ASQ	/* ASQ, then ACQ */
#define RW_LEN		16

static bool rw_regs_match(struct guest *g, const u8 *model)
{
	u32 i, want;

	for (i = 0; i < RW_LEN; i += 4) {
		want = model[i] | model[i + 1] << 8 | model[i + 2] << 16 |
		       (u32)model[i + 3] << 24;
		if (bar_rd32(g, RW_OFF + i) != want)
			return false;
	}
	return true;
}

static void test_access_sizes(void)
{
	static const u32 sizes[] = { 1, 2, 4, 8 };
	static const u32 bad_sizes[] = { 0, 3, 5, 6, 7, 16 };
	/* Bits 11:0 of ASQ and ACQ read 0 and ignore writes. */
	static const u8 wmask[8] = { 0x00, 0xf0, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0xff };
	const u64 cap = 1023 | VNVME_CAP_CQR | 20ULL << 24 | VNVME_CAP_CSS_NVM;
	u8 ro[12], model[RW_LEN] = { 0 }, b[16];
	u32 s, off, i, bad = 0, n = 0;
	struct guest g;
	bool same;

	guest_init(&g, NULL);
	for (i = 0; i < 8; i++)
		ro[i] = cap >> (8 * i);
	for (i = 0; i < 4; i++)
		ro[8 + i] = 0x00010400 >> (8 * i);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (off = 0; off + sizes[s] <= sizeof(ro); off++, n++) {
			memset(b, 0xaa, sizeof(b));
			if (vnvme_bar0_read(g.c, off, b, sizes[s]) ||
			    memcmp(b, ro + off, sizes[s]) ||
			    b[sizes[s]] != 0xaa) {
				diag("read of %u bytes at %#x", sizes[s], off);
				bad++;
			}
		}
	}
	is(bad, 0, "CAP, VS: %u reads of 1, 2, 4, 8 bytes at every offset",
	   n);

	bad = 0;
	n = 0;
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (off = 0; off + sizes[s] <= RW_LEN; off++, n++) {
			for (i = 0; i < sizes[s]; i++) {
				u32 pos = off + i;

				b[i] = 0x11 * (s + 1) + 7 * off + 3 * i;
				model[pos] = (model[pos] & ~wmask[pos % 8]) |
					     (b[i] & wmask[pos % 8]);
			}
			if (vnvme_bar0_write(g.c, RW_OFF + off, b, sizes[s]) ||
			    !rw_regs_match(&g, model)) {
				diag("write of %u bytes at %#x", sizes[s],
				     RW_OFF + off);
				bad++;
			}
			memset(b, 0xaa, sizeof(b));
			if (vnvme_bar0_read(g.c, RW_OFF + off, b, sizes[s]) ||
			    memcmp(b, model + off, sizes[s])) {
				diag("read back %u bytes at %#x", sizes[s],
				     RW_OFF + off);
				bad++;
			}
		}
	}
	is(bad, 0, "ASQ, ACQ: %u writes and reads of 1, 2, 4, 8 bytes at every offset",
	   n);

	same = true;
	for (s = 0; s < ARRAY_SIZE(bad_sizes); s++) {
		memset(b, 0x5a, sizeof(b));
		same &= vnvme_bar0_write(g.c, RW_OFF, b, bad_sizes[s]) ==
			-EINVAL;
		same &= vnvme_bar0_read(g.c, RW_OFF, b, bad_sizes[s]) ==
			-EINVAL && b[0] == 0x5a;
	}
	ok(same && rw_regs_match(&g, model),
	   "accesses of 0, 3, 5, 6, 7, 16 bytes refused, nothing changed");
	guest_fini(&g);
}

static void test_params(void)
{
	struct vnvme_params p;
	struct vnvme_ctrl *c = calloc(1, sizeof(*c));
	struct fake_env e;

	fake_env_init(&e, 4096, 2);
	guest_default_params(&p);
	ok(vnvme_init(c, &p, &fake_ops, &e) == 0, "default params accepted");
	p.nr_ioq = 0;
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "nr_ioq 0 refused");
	p.nr_ioq = VNVME_MAX_IOQ + 1;
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "nr_ioq 65 refused");
	guest_default_params(&p);
	p.serial = "123456789012345678901";
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "serial too long");
	guest_default_params(&p);
	p.model = "bad\nmodel";
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "non-printable model");
	guest_default_params(&p);
	memset(p.uuid, 0, sizeof(p.uuid));
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "zero UUID refused");
	guest_default_params(&p);
	p.lba_shift = 8;
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "LBA shift 8 refused");
	guest_default_params(&p);
	p.oncs = VNVME_ONCS_SAVE_SELECT;
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL,
	   "ONCS bits the core owns refused");
	guest_default_params(&p);
	p.firmware = "";
	ok(vnvme_init(c, &p, &fake_ops, &e) == -EINVAL, "empty firmware");
	fake_env_fini(&e);
	free(c);
}

int main(void)
{
	test_cap_vs();
	test_enable();
	test_enable_invalid();
	test_shutdown();
	test_access();
	test_access_sizes();
	test_params();
	return tap_done();
}
