// SPDX-License-Identifier: GPL-2.0-only
/*
 * Admin command basics and Identify: controller and namespace data,
 * namespace lists and descriptors, invalid CNS / NSID, opcode and
 * command-format errors, and data buffers the guest got wrong.
 */
#include "guest.h"
#include "tap.h"

static void test_ctrl(struct guest *g)
{
	struct vnvme_id_ctrl *id = gmem(g, G_DATA);

	memset(id, 0xee, sizeof(*id));
	is(guest_identify(g, VNVME_CNS_CTRL, 0, G_DATA), 0,
	   "Identify Controller succeeds");
	is(le16_to_cpu(id->vid), VNVME_DEF_VENDOR_ID, "VID");
	is(le16_to_cpu(id->ssvid), VNVME_DEF_SUBSYS_VENDOR_ID, "SSVID");
	ok(!memcmp(id->sn, "VNVME0001           ", 20), "serial space padded");
	ok(!memcmp(id->mn, "mdev_nvme virtual controller            ", 40),
	   "model space padded");
	ok(!memcmp(id->fr, "1.0     ", 8), "firmware space padded");
	is(id->mdts, 5, "MDTS from params");
	is(le16_to_cpu(id->cntlid), 1, "CNTLID");
	is(le32_to_cpu(id->ver), 0x00010400, "VER 1.4");
	is(le16_to_cpu(id->oacs), VNVME_CTRL_OACS_DBBUF,
	   "OACS: Doorbell Buffer Config only");
	is(id->acl, VNVME_ACL, "ACL");
	is(id->aerl, VNVME_AERL, "AERL");
	is(id->frmw, 0x03, "FRMW: 1 slot, read-only");
	is(id->lpa, 0x07, "LPA: SMART per NS, effects, extended data");
	is(id->elpe, VNVME_NR_ERR_LOG - 1, "ELPE");
	is(id->npss, 0, "NPSS");
	is(id->sqes, 0x66, "SQES");
	is(id->cqes, 0x44, "CQES");
	is(le32_to_cpu(id->nn), 1, "NN = 1");
	is(le16_to_cpu(id->oncs),
	   VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES | VNVME_ONCS_SAVE_SELECT,
	   "ONCS from params plus Save/Select");
	is(id->vwc, 1, "VWC present from params");
	is(le32_to_cpu(id->sgls), 0, "no SGLs");
	is(id->cntrltype, 1, "I/O controller");
	ok(!strncmp(id->subnqn, "nqn.2014-08.org.nvmexpress:uuid:", 32) &&
	   !strcmp(id->subnqn + 32, "5a1ce042-7b11-4c3e-9d20-610f8ab32e77"),
	   "subsystem NQN from the UUID");
	ok(le16_to_cpu(id->wctemp) && le16_to_cpu(id->cctemp) >
	   le16_to_cpu(id->wctemp), "temperature thresholds sane");
}

/* FLBAS: bits 6:5 extend the index past 16 formats; checked on NLBAF. */
static void test_flbas(struct guest *g)
{
	struct vnvme_id_ns *ns = gmem(g, G_DATA);

	is(vnvme_flbas_format(0x00, 0), 0, "FLBAS 0, one format: format 0");
	is(vnvme_flbas_format(0x05, 7), 5, "FLBAS 5 of 8 formats: format 5");
	is(vnvme_flbas_format(0x15, 7), 5,
	   "FLBAS bit 4 (extended metadata) is not part of the index");
	is(vnvme_flbas_format(0x08, 7), -1,
	   "FLBAS 8 of 8 formats: beyond NLBAF, refused");
	is(vnvme_flbas_format(0x01, 0), -1,
	   "FLBAS 1 of one format: beyond NLBAF, refused");
	is(vnvme_flbas_format(0x21, 20), 17,
	   "FLBAS 0x21 of 21 formats: bits 6:5 give format 17");
	is(vnvme_flbas_format(0x42, 40), 34,
	   "FLBAS 0x42 of 41 formats: format 34");
	is(vnvme_flbas_format(0x6f, 63), 63, "FLBAS 0x6f of 64 formats: 63");
	is(vnvme_flbas_format(0x6f, 62), -1,
	   "FLBAS 0x6f of 63 formats: beyond NLBAF, refused");
	is(vnvme_flbas_format(0x21, 16), 1,
	   "NLBAF 16: bits 6:5 reserved, ignored: format 1");
	is(vnvme_flbas_format(0x2f, 16), 15,
	   "NLBAF 16: FLBAS 0x2f is format 15");

	memset(ns, 0xee, sizeof(*ns));
	is(guest_identify(g, VNVME_CNS_NS, 1, G_DATA), 0, "Identify NS 1");
	is(vnvme_flbas_format(ns->flbas, ns->nlbaf), 0,
	   "the emulated namespace's FLBAS names a format it lists");
}

static void test_ns(struct guest *g)
{
	struct vnvme_id_ns *ns = gmem(g, G_DATA);
	u8 *d = gmem(g, G_DATA);
	__le32 *list = gmem(g, G_DATA);

	memset(ns, 0xee, sizeof(*ns));
	is(guest_identify(g, VNVME_CNS_NS, 1, G_DATA), 0, "Identify NS 1");
	is(le64_to_cpu(ns->nsze), 1ULL << 21, "NSZE = slice");
	is(le64_to_cpu(ns->ncap), 1ULL << 21, "NCAP = slice");
	is(le64_to_cpu(ns->nuse), 1ULL << 21, "NUSE = slice");
	is(ns->nlbaf, 0, "one LBA format");
	is(ns->flbas, 0, "format 0 in use");
	is(ns->lbaf[0].lbads, 9, "LBADS = host LBA size");
	is(ns->lbaf[1].lbads, 0, "no second format");
	is(ns->dlfeat, 0x09, "DLFEAT: the host's read behaviour and DEAC");
	ok(!memcmp(ns->nguid, g->p.uuid, 16), "NGUID from the UUID");
	ok((ns->eui64[0] & 3) == 2, "EUI-64 local unicast");
	is(ns->vs[0], 0, "vendor area zeroed");

	is(guest_identify(g, VNVME_CNS_NS, 2, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "NSID 2: Invalid Namespace");
	is(guest_identify(g, VNVME_CNS_NS, 0, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "NSID 0: Invalid Namespace");
	is(guest_identify(g, VNVME_CNS_NS, 0xffffffff, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "NSID all: Invalid Namespace");

	memset(list, 0xee, 4096);
	is(guest_identify(g, VNVME_CNS_NS_ACTIVE_LIST, 0, G_DATA), 0,
	   "active NS list from 0");
	ok(le32_to_cpu(list[0]) == 1 && !list[1], "lists NSID 1 only");
	is(guest_identify(g, VNVME_CNS_NS_ACTIVE_LIST, 1, G_DATA), 0,
	   "active NS list above 1");
	is(le32_to_cpu(list[0]), 0, "empty");
	is(guest_identify(g, VNVME_CNS_NS_ACTIVE_LIST, 0xfffffffe, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "list from FFFFFFFEh refused");

	memset(d, 0xee, 4096);
	is(guest_identify(g, VNVME_CNS_NS_DESC_LIST, 1, G_DATA), 0,
	   "NS descriptor list");
	ok(d[0] == VNVME_NIDT_EUI64 && d[1] == 8, "EUI-64 descriptor");
	ok(d[12] == VNVME_NIDT_NGUID &&
	   d[13] == 16 && !memcmp(d + 16, g->p.uuid, 16), "NGUID descriptor");
	ok(d[32] == VNVME_NIDT_UUID && d[33] == 16 &&
	   !memcmp(d + 36, g->p.uuid, 16), "UUID descriptor");
	is(d[52], 0, "list terminated");
	is(guest_identify(g, VNVME_CNS_NS_DESC_LIST, 5, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "descriptors of NSID 5 refused");
}

static void test_eui_stable(struct guest *g)
{
	struct vnvme_id_ns *ns = gmem(g, G_DATA);
	u8 *d = gmem(g, G_DATA + 0x2000);
	u8 eui[8];

	guest_identify(g, VNVME_CNS_NS, 1, G_DATA);
	memcpy(eui, ns->eui64, 8);
	guest_identify(g, VNVME_CNS_NS_DESC_LIST, 1, G_DATA + 0x2000);
	ok(!memcmp(d + 4, eui, 8), "descriptor EUI-64 = Identify NS EUI-64");
	vnvme_flr(g->c);
	guest_enable(g);
	guest_identify(g, VNVME_CNS_NS, 1, G_DATA);
	ok(!memcmp(ns->eui64, eui, 8), "EUI-64 stable across FLR");
}

static void test_errors(struct guest *g)
{
	struct vnvme_sqe sqe;
	u8 *d = gmem(g, G_DATA);

	is(guest_identify(g, 0x10, 0, G_DATA), ERR(VNVME_SC_INVALID_FIELD),
	   "CNS 10h: Invalid Field");
	is(guest_identify(g, 0xff, 0, G_DATA), ERR(VNVME_SC_INVALID_FIELD),
	   "CNS FFh: Invalid Field");

	guest_sqe(&sqe, 0x80);	/* Format NVM */
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_OPCODE),
	   "Format NVM: Invalid Opcode");
	guest_sqe(&sqe, 0xc1);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_OPCODE),
	   "vendor opcode: Invalid Opcode");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(1);
	sqe.prp1 = cpu_to_le64(G_DATA);
	sqe.flags = 1;
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "fused admin command: Invalid Field");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(1);
	sqe.prp1 = cpu_to_le64(G_DATA);
	sqe.flags = 0x40;
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "PSDT = SGL: Invalid Field");

	/* Data buffer at an offset: spills into the page in PRP2. */
	memset(gmem(g, G_DATA), 0xee, 0x3000);
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x800);
	sqe.prp2 = cpu_to_le64(G_DATA + 0x2000);
	is(guest_admin(g, &sqe, NULL), 0, "PRP1 with offset, PRP2 page");
	ok(!memcmp(d + 0x800 + 4, "VNVME0001", 9), "first part at PRP1");
	is(d[0x800 + 512], 0x66, "SQES in the first page");
	is(d[0x2000] | d[0x2001] << 8, 2500,
	   "PSD0 (byte 2048) at the start of the PRP2 page");
	ok(d[0x7ff] == 0xee && d[0x1000] == 0xee && d[0x2800] == 0xee,
	   "nothing written outside the 4 KiB described");

	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_HOLE);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_DATA_XFER_ERROR),
	   "PRP1 unmapped: Data Transfer Error");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x800);
	sqe.prp2 = cpu_to_le64(G_HOLE + 0x1000);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_DATA_XFER_ERROR),
	   "PRP2 unmapped: Data Transfer Error");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x800);
	sqe.prp2 = cpu_to_le64(G_DATA + 0x2010);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_PRP_OFFSET),
	   "PRP2 with an offset: Invalid PRP Offset");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_DATA + 2);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_INVALID_PRP_OFFSET),
	   "PRP1 not dword aligned: Invalid PRP Offset");
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
	sqe.prp1 = cpu_to_le64(G_MEM_SIZE - 0x800);
	sqe.prp2 = cpu_to_le64(G_MEM_SIZE);
	is(guest_admin(g, &sqe, NULL), ERR(VNVME_SC_DATA_XFER_ERROR),
	   "PRP2 beyond guest memory: Data Transfer Error");
	ok(vnvme_ctrl_ready(g->c), "controller still fine after all that");
}

static void test_cid_and_head(struct guest *g)
{
	struct vnvme_sqe sqe;
	struct vnvme_cqe cqe;
	int i;
	u16 cid = 0;

	/* More commands than the queue depth, in batches, with wrap. */
	for (i = 0; i < 3 * G_AQ_DEPTH; i++) {
		guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
		sqe.cdw10 = cpu_to_le32(VNVME_CNS_CTRL);
		sqe.prp1 = cpu_to_le64(G_DATA);
		cid = guest_submit(g, &sqe);
		if (i % 7 == 6) {
			vnvme_process_admin(g->c);
			while (guest_reap(g, &cqe))
				;
		}
	}
	vnvme_process_admin(g->c);
	while (guest_reap(g, &cqe)) {
		if (le16_to_cpu(cqe.cid) == cid)
			break;
	}
	is(le16_to_cpu(cqe.cid), cid, "last CID completed after wrapping");
	is(le16_to_cpu(cqe.sq_head), g->sq_tail, "SQ head reported");
	is(le16_to_cpu(cqe.sq_id), 0, "SQ ID 0");
	ok(g->env.irqs[0] > 0, "vector 0 raised for admin completions");
}

int main(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	test_ctrl(&g);
	test_ns(&g);
	test_flbas(&g);
	test_eui_stable(&g);
	test_errors(&g);
	test_cid_and_head(&g);
	guest_fini(&g);
	return tap_done();
}
