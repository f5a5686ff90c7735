// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O command check (core/io_check.c): every status of the table in
 * Documentation/io-path.rst, the edges of the slice, every PRP form, the
 * Dataset Management ranges, the Write Zeroes and DSM size limits and the
 * write-through the disabled volatile write cache asks for; and that the
 * check reads guest memory through the environment's io_read when it has
 * one, whose failures end a command as dma_read's do.
 */
#include <stdlib.h>

#include "guest.h"
#include "tap.h"

#define PG		4096ULL
#define LBA_START	0xfffff000ULL	/* host SLBAs carry into CDW11 */
#define HOST_NSID	7
#define NSZE		BIT_ULL(20)	/* 4 GiB of 4 KiB blocks */

static const struct vnvme_io_slice slice = {
	.lba_start = LBA_START,
	.host_nsid = HOST_NSID,
};

static u64 out[PG / 8];
static struct vnvme_io_cmd cmd;

static void setup_ops(struct guest *g, const struct vnvme_env_ops *ops,
		      u8 lba_shift, u8 mdts, u16 oncs, bool vwc)
{
	struct vnvme_params p;

	guest_default_params(&p);
	p.nsze = NSZE;
	p.lba_shift = lba_shift;
	p.mdts = mdts;
	p.oncs = oncs;
	p.vwc = vwc;
	if (guest_init_ops(g, &p, ops))
		abort();
}

/* 4 KiB blocks, MDTS 1 MiB (the largest the check takes) */
static void setup(struct guest *g, u8 lba_shift, u8 mdts, u16 oncs, bool vwc)
{
	setup_ops(g, &fake_ops, lba_shift, mdts, oncs, vwc);
}

static u16 check(struct guest *g, const struct vnvme_sqe *sqe)
{
	memset(out, 0xa5, sizeof(out));
	memset(&cmd, 0x5a, sizeof(cmd));
	cmd.buf = out;
	return vnvme_io_check(g->c, &slice, sqe, &cmd);
}

static void rw(struct vnvme_sqe *sqe, u8 opcode, u64 slba, u32 nlb, u64 prp1,
	       u64 prp2)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->cid = cpu_to_le16(0x1234);
	sqe->nsid = cpu_to_le32(1);
	sqe->prp1 = cpu_to_le64(prp1);
	sqe->prp2 = cpu_to_le64(prp2);
	sqe->cdw10 = cpu_to_le32(lower_32_bits(slba));
	sqe->cdw11 = cpu_to_le32(upper_32_bits(slba));
	sqe->cdw12 = cpu_to_le32(nlb - 1);
}

static u16 rw_status(struct guest *g, u8 opcode, u64 slba, u32 nlb, u64 prp1,
		     u64 prp2)
{
	struct vnvme_sqe sqe;

	rw(&sqe, opcode, slba, nlb, prp1, prp2);
	return check(g, &sqe);
}

static void put(struct guest *g, u64 at, u64 val)
{
	__le64 v = cpu_to_le64(val);

	memcpy(gmem(g, at), &v, 8);
}

static u64 host_slba(void)
{
	return (u64)le32_to_cpu(cmd.sqe.cdw11) << 32 |
	       le32_to_cpu(cmd.sqe.cdw10);
}

/* data page i of a transfer is G_DATA + i pages */
static u64 dpage(unsigned int i)
{
	return G_DATA + i * PG;
}

static bool pages_are(unsigned int n, u64 first)
{
	unsigned int i;

	if (cmd.nr_pages != n || out[0] != first)
		return false;
	for (i = 1; i < n; i++)
		if (out[i] != dpage(i))
			return false;
	return true;
}

/* A PRP list at @list for data pages 1..@n-1, chaining at page ends */
static void build_list(struct guest *g, u64 list, unsigned int n)
{
	u64 next = G_LIST + 8 * PG;
	unsigned int i;

	for (i = 1; i < n; i++) {
		if (((list + 8) & (PG - 1)) == 0 && n - i > 1) {
			put(g, list, next);
			list = next;
			next += PG;
		}
		put(g, list, dpage(i));
		list += 8;
	}
}

static void test_opcodes(void)
{
	static const u8 refused[] = { 0x03, 0x04, 0x05, 0x06, 0x0c, 0x0d,
				      0x0e, 0x11, 0x15, 0x7f, 0x80, 0xff };
	struct guest g, bare;
	struct vnvme_sqe sqe;
	unsigned int i;
	int bad = 0;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	setup(&bare, 12, 8, 0, true);

	for (i = 0; i < sizeof(refused); i++)
		bad += rw_status(&g, refused[i], 0, 1, dpage(0), 0) !=
		       VNVME_SC_INVALID_OPCODE;
	is(bad, 0, "Compare, Verify, reserved, vendor...: Invalid Command Opcode");
	is(rw_status(&bare, VNVME_CMD_WRITE_ZEROES, 0, 1, 0, 0),
	   VNVME_SC_INVALID_OPCODE, "Write Zeroes not in ONCS: Invalid Command Opcode");
	is(rw_status(&bare, VNVME_CMD_DSM, 0, 1, dpage(0), 0),
	   VNVME_SC_INVALID_OPCODE, "DSM not in ONCS: Invalid Command Opcode");
	is(rw_status(&bare, VNVME_CMD_READ, 0, 1, dpage(0), 0), 0,
	   "Read needs no ONCS bit");

	/* opcode before anything else */
	rw(&sqe, 0x05, NSZE, 1, dpage(0) + 1, 0);
	sqe.nsid = 0;
	sqe.flags = 0x41;
	is(check(&g, &sqe), VNVME_SC_INVALID_OPCODE,
	   "bad opcode reported before flags, NSID, LBA and PRP");

	rw(&sqe, VNVME_CMD_READ, 0, 1, dpage(0), 0);
	sqe.flags = 1;
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "fused, first: Invalid Field");
	sqe.flags = 2;
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "fused, second: Invalid Field");
	sqe.flags = 0x40;
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "PSDT 01b (SGL): Invalid Field");
	sqe.flags = 0x80;
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "PSDT 10b: Invalid Field");
	sqe.flags = 0x3c;
	is(check(&g, &sqe), 0, "flag bits 5:2 are ignored");
	sqe.flags = 0x40;
	sqe.nsid = cpu_to_le32(2);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "flags before NSID");

	guest_fini(&g);
	guest_fini(&bare);
}

static void test_nsid(void)
{
	struct guest g;
	struct vnvme_sqe sqe;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	rw(&sqe, VNVME_CMD_READ, 0, 1, dpage(0), 0);
	sqe.nsid = 0;
	is(check(&g, &sqe), VNVME_SC_INVALID_NS, "Read, NSID 0: Invalid Namespace");
	sqe.nsid = cpu_to_le32(2);
	is(check(&g, &sqe), VNVME_SC_INVALID_NS, "Read, NSID 2: Invalid Namespace");
	sqe.nsid = cpu_to_le32(0xffffffff);
	is(check(&g, &sqe), VNVME_SC_INVALID_NS,
	   "Read, NSID FFFFFFFFh: Invalid Namespace");
	sqe.opcode = VNVME_CMD_WRITE_ZEROES;
	is(check(&g, &sqe), VNVME_SC_INVALID_NS,
	   "Write Zeroes, NSID FFFFFFFFh: Invalid Namespace");

	rw(&sqe, VNVME_CMD_FLUSH, 0, 1, 0, 0);
	is(check(&g, &sqe), 0, "Flush, NSID 1");
	ok(cmd.sqe.opcode == VNVME_CMD_FLUSH &&
	   le32_to_cpu(cmd.sqe.nsid) == HOST_NSID && !cmd.sqe.cdw10 &&
	   !cmd.sqe.cdw12 && !cmd.sqe.cid && !cmd.nr_pages &&
	   cmd.dir == VNVME_IO_DIR_NONE && !cmd.bytes,
	   "Flush: host NSID, nothing else");
	sqe.nsid = cpu_to_le32(0xffffffff);
	is(check(&g, &sqe), 0, "Flush, NSID FFFFFFFFh (all namespaces)");
	is(le32_to_cpu(cmd.sqe.nsid), HOST_NSID,
	   "Flush of all namespaces reaches the host namespace only");
	sqe.nsid = cpu_to_le32(3);
	is(check(&g, &sqe), VNVME_SC_INVALID_NS, "Flush, NSID 3: Invalid Namespace");
	guest_fini(&g);
}

static void test_lba_range(void)
{
	struct guest g;
	struct vnvme_sqe sqe;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0), 0), 0,
	   "first LBA of the slice");
	is(host_slba(), LBA_START, "SLBA 0 becomes the slice start");
	is(rw_status(&g, VNVME_CMD_WRITE, NSZE - 1, 1, dpage(0), 0), 0,
	   "last LBA of the slice");
	is(host_slba(), LBA_START + NSZE - 1,
	   "last LBA moved into the slice, carrying into CDW11");
	is(rw_status(&g, VNVME_CMD_READ, NSZE - 256, 256, dpage(0), G_LIST), 0,
	   "the last 256 blocks (1 MiB)");
	is(rw_status(&g, VNVME_CMD_READ, NSZE, 1, dpage(0), 0),
	   VNVME_SC_LBA_RANGE, "SLBA = NSZE: LBA Out of Range");
	is(rw_status(&g, VNVME_CMD_WRITE, NSZE - 1, 2, dpage(0), dpage(1)),
	   VNVME_SC_LBA_RANGE, "write crossing the end of the slice");
	is(rw_status(&g, VNVME_CMD_READ, ~0ULL, 2, dpage(0), dpage(1)),
	   VNVME_SC_LBA_RANGE, "SLBA 2^64-1");
	is(rw_status(&g, VNVME_CMD_WRITE, ~0ULL - 1, 3, dpage(0), G_LIST),
	   VNVME_SC_LBA_RANGE, "SLBA 2^64-2 + 3 blocks wraps to 1");
	is(rw_status(&g, VNVME_CMD_WRITE, (1ULL << 32) | 8, 1, dpage(0), 0),
	   VNVME_SC_LBA_RANGE, "SLBA 2^32+8: the upper dword counts");
	is(rw_status(&g, VNVME_CMD_READ, NSZE, 257, dpage(0) + 2, 0),
	   VNVME_SC_LBA_RANGE, "LBA range is checked before MDTS and PRPs");

	/* fields dropped or kept */
	rw(&sqe, VNVME_CMD_READ, 5, 2, dpage(0), dpage(1));
	sqe.cdw2 = cpu_to_le32(~0U);
	sqe.cdw3 = cpu_to_le32(~0U);
	sqe.cdw14 = cpu_to_le32(~0U);
	sqe.cdw15 = cpu_to_le32(~0U);
	sqe.mptr = cpu_to_le64(~0ULL);
	sqe.cdw12 = cpu_to_le32(1 | 0xfff0000);	/* PRINFO, STC, DTYPE */
	sqe.cdw13 = cpu_to_le32(0xffffffff);
	is(check(&g, &sqe), 0, "Read with PI, directive and hint fields");
	ok(!cmd.sqe.cdw2 && !cmd.sqe.cdw3 && !cmd.sqe.cdw14 &&
	   !cmd.sqe.cdw15 && !cmd.sqe.mptr && !cmd.sqe.cid &&
	   !cmd.sqe.prp1 && !cmd.sqe.prp2 && !cmd.sqe.flags,
	   "metadata pointer, CDW2-3, CDW14-15, CID and PRPs are not passed on");
	is(le32_to_cpu(cmd.sqe.cdw12), 1, "PRINFO, STC and DTYPE cleared, NLB kept");
	is(le32_to_cpu(cmd.sqe.cdw13), 0xff, "only the access hints of CDW13");
	sqe.cdw12 = cpu_to_le32(1 | VNVME_RW_FUA | VNVME_RW_LR);
	check(&g, &sqe);
	is(le32_to_cpu(cmd.sqe.cdw12), 1 | VNVME_RW_FUA | VNVME_RW_LR,
	   "FUA and Limited Retry kept");
	ok(cmd.dir == VNVME_IO_DIR_FROM_DEVICE && cmd.bytes == 2 * PG &&
	   le32_to_cpu(cmd.sqe.nsid) == HOST_NSID &&
	   cmd.sqe.opcode == VNVME_CMD_READ,
	   "Read: data from the device, 8 KiB, host NSID");
	guest_fini(&g);
}

static void test_mdts(void)
{
	struct guest g;

	/* 512-byte blocks, MDTS 5 (128 KiB = 256 blocks) */
	setup(&g, 9, 5, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	build_list(&g, G_LIST, 32);
	is(rw_status(&g, VNVME_CMD_READ, 0, 256, dpage(0), G_LIST), 0,
	   "transfer of exactly MDTS");
	is(cmd.bytes, 128 * 1024, "its length");
	is(rw_status(&g, VNVME_CMD_READ, 0, 257, dpage(0), G_LIST),
	   VNVME_SC_INVALID_FIELD, "one block over MDTS: Invalid Field");
	is(rw_status(&g, VNVME_CMD_WRITE, 0, 65536, dpage(0), G_LIST),
	   VNVME_SC_INVALID_FIELD, "largest NLB: Invalid Field");
	is(rw_status(&g, VNVME_CMD_READ, 0, 257, dpage(0) + 1, G_LIST),
	   VNVME_SC_INVALID_FIELD, "MDTS is checked before the PRPs");
	guest_fini(&g);

	/* MDTS 0 or beyond 1 MiB: the check still stops at 1 MiB */
	setup(&g, 12, 0, 0, true);
	is(rw_status(&g, VNVME_CMD_READ, 0, 256, dpage(0), G_LIST), 0,
	   "no MDTS: 1 MiB accepted");
	is(rw_status(&g, VNVME_CMD_READ, 0, 257, dpage(0), G_LIST),
	   VNVME_SC_INVALID_FIELD, "no MDTS: 1 MiB + 4 KiB refused");
	guest_fini(&g);
	setup(&g, 12, 10, 0, true);
	is(rw_status(&g, VNVME_CMD_READ, 0, 257, dpage(0), G_LIST),
	   VNVME_SC_INVALID_FIELD, "MDTS 4 MiB: the check stops at 1 MiB");
	guest_fini(&g);
}

static void test_prp(void)
{
	struct guest g;
	int i;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);

	/* PRP1 */
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0), 0xdead), 0,
	   "one page: PRP2 ignored");
	ok(pages_are(1, dpage(0)) && cmd.data_off == 0, "one page, no offset");
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0) + 2, 0),
	   VNVME_SC_INVALID_PRP_OFFSET,
	   "PRP1 at offset 2 (not dword aligned): PRP Offset Invalid");
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0) + 1, 0),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 at offset 1: PRP Offset Invalid");
	is(rw_status(&g, VNVME_CMD_WRITE, 0, 1, dpage(0) + 3, 0),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 at offset 3: PRP Offset Invalid");
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0) + 4, dpage(1)), 0,
	   "PRP1 at offset 4: two pages");
	ok(pages_are(2, dpage(0)) && cmd.data_off == 4,
	   "offset 4 kept, the data spills into PRP2");
	is(rw_status(&g, VNVME_CMD_READ, 0, 1, dpage(0) + 4, dpage(1) + 8),
	   VNVME_SC_INVALID_PRP_OFFSET, "and that PRP2 must be page aligned");

	/* PRP2 as the second data page */
	is(rw_status(&g, VNVME_CMD_READ, 0, 2, dpage(0), dpage(1)), 0,
	   "8 KiB: PRP2 is the second page");
	ok(pages_are(2, dpage(0)), "PRP1 and PRP2 pages");
	is(rw_status(&g, VNVME_CMD_READ, 0, 2, dpage(0), dpage(1) + 8),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP2 second page with an offset");
	is(rw_status(&g, VNVME_CMD_READ, 0, 2, dpage(0), G_HOLE), 0,
	   "a data page in unmapped memory is the pinning's business");
	ok(cmd.nr_pages == 2 && out[1] == G_HOLE, "it is still listed");

	/* PRP lists */
	build_list(&g, G_LIST, 4);
	is(rw_status(&g, VNVME_CMD_WRITE, 0, 4, dpage(0), G_LIST), 0,
	   "16 KiB: PRP list of three entries");
	ok(pages_are(4, dpage(0)) && cmd.dir == VNVME_IO_DIR_TO_DEVICE,
	   "four pages, to the device");
	build_list(&g, G_LIST + 0x100, 5);
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0) + 0x200,
		     G_LIST + 0x100), 0, "list pointer with an offset");
	ok(pages_are(5, dpage(0)) && cmd.data_off == 0x200,
	   "16 KiB at offset 0x200 spans five pages");
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_LIST + 4),
	   VNVME_SC_INVALID_PRP_OFFSET, "list pointer not qword aligned");
	build_list(&g, G_LIST, 4);
	put(&g, G_LIST + 8, dpage(2) + 0x200);
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_LIST),
	   VNVME_SC_INVALID_PRP_OFFSET, "list entry with an offset");
	build_list(&g, G_LIST, 4);
	put(&g, G_LIST + 16, dpage(3) + 8);
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_LIST),
	   VNVME_SC_INVALID_PRP_OFFSET, "last list entry with an offset");
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_HOLE + 0x80),
	   VNVME_SC_DATA_XFER_ERROR, "list in unmapped memory: Data Transfer Error");
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_MEM_SIZE),
	   VNVME_SC_DATA_XFER_ERROR, "list past the end of guest memory");

	/* 1 MiB at an offset: 257 pages, the largest command */
	build_list(&g, G_LIST, 257);
	is(rw_status(&g, VNVME_CMD_READ, 0, 256, dpage(0) + 0x800, G_LIST), 0,
	   "1 MiB at offset 0x800: 257 pages");
	ok(pages_are(257, dpage(0)), "all 257 pages in order");

	/* chained lists */
	build_list(&g, G_LIST + PG - 16, 8);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 16), 0,
	   "list of two slots: one entry, then a chain pointer");
	ok(pages_are(8, dpage(0)), "chained list pages in order");
	build_list(&g, G_LIST + PG - 8, 8);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 8), 0,
	   "list whose first page holds the chain pointer only");
	ok(pages_are(8, dpage(0)), "all entries from the second list page");
	build_list(&g, G_LIST + PG - 56, 8);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 56), 0,
	   "last slot of the list page is the last data page: no chain");
	ok(pages_are(8, dpage(0)), "seven entries, no chain");
	build_list(&g, G_LIST + PG - 16, 8);
	put(&g, G_LIST + PG - 8, G_LIST + 8 * PG + 8);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 16),
	   VNVME_SC_INVALID_PRP_OFFSET, "chain pointer with an offset");
	put(&g, G_LIST + PG - 8, G_HOLE);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 16),
	   VNVME_SC_DATA_XFER_ERROR, "chain pointer to unmapped memory");
	build_list(&g, G_LIST + PG - 16, 8);
	put(&g, G_LIST + 8 * PG + 16, dpage(3) + 0x10);
	is(rw_status(&g, VNVME_CMD_READ, 0, 8, dpage(0), G_LIST + PG - 16),
	   VNVME_SC_INVALID_PRP_OFFSET,
	   "entry with an offset on the chained page");
	/* a list chaining to itself still ends */
	for (i = 0; i < 512; i++)
		put(&g, G_LIST + 8 * i, i == 511 ? G_LIST : dpage(1));
	is(rw_status(&g, VNVME_CMD_READ, 0, 256, dpage(0) + 8, G_LIST), 0,
	   "a list chaining to itself: the walk ends");
	is(cmd.nr_pages, 257, "with the transfer's pages");
	guest_fini(&g);
}

static void dsm(struct vnvme_sqe *sqe, u32 nr, u64 prp1, u64 prp2)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = VNVME_CMD_DSM;
	sqe->nsid = cpu_to_le32(1);
	sqe->prp1 = cpu_to_le64(prp1);
	sqe->prp2 = cpu_to_le64(prp2);
	sqe->cdw10 = cpu_to_le32(nr - 1);
	sqe->cdw11 = cpu_to_le32(0xfffffffc);	/* AD and reserved bits */
}

static void range(struct guest *g, u64 at, u64 slba, u32 nlb)
{
	struct vnvme_dsm_range r = {
		.cattr = cpu_to_le32(0x12345678),
		.nlb = cpu_to_le32(nlb),
		.slba = cpu_to_le64(slba),
	};

	memcpy(gmem(g, at), &r, sizeof(r));
}

static void test_dsm(void)
{
	const struct vnvme_dsm_range *r = (const void *)out;
	struct guest g;
	struct vnvme_sqe sqe;
	u32 max, i;
	int bad = 0;

	/* 4 KiB blocks: 32 MiB = 8192 blocks */
	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	max = 8192;
	range(&g, G_DATA, 10, 8);
	range(&g, G_DATA + 16, NSZE - 1, 1);
	dsm(&sqe, 2, G_DATA, 0);
	is(check(&g, &sqe), 0, "DSM, two ranges, the last block included");
	ok(le64_to_cpu(r[0].slba) == LBA_START + 10 &&
	   le32_to_cpu(r[0].nlb) == 8 &&
	   le32_to_cpu(r[0].cattr) == 0x12345678 &&
	   le64_to_cpu(r[1].slba) == LBA_START + NSZE - 1,
	   "ranges copied and moved into the slice");
	ok(le32_to_cpu(cmd.sqe.cdw10) == 1 && le32_to_cpu(cmd.sqe.cdw11) == 4 &&
	   !cmd.sqe.prp1 && !cmd.nr_pages && cmd.dir == VNVME_IO_DIR_NONE &&
	   le32_to_cpu(cmd.sqe.nsid) == HOST_NSID,
	   "CDW10 ranges, CDW11 attributes only, PRP1 left to the glue");

	/* 256 ranges (4 KiB) from the middle of a page: PRP2 holds the rest */
	for (i = 0; i < 256; i++)
		range(&g, G_DATA + 2048 + 16 * i, i * 16, 1 + i % 16);
	dsm(&sqe, 256, G_DATA + 2048, G_LIST);
	memcpy(gmem(&g, G_LIST), gmem(&g, G_DATA + 4096), 2048);
	is(check(&g, &sqe), 0, "256 ranges across two pages");
	for (i = 0; i < 256; i++)
		bad += le64_to_cpu(r[i].slba) != LBA_START + i * 16 ||
		       le32_to_cpu(r[i].nlb) != 1 + i % 16;
	is(bad, 0, "all 256 ranges read from both pages and rebased");
	is(le32_to_cpu(cmd.sqe.cdw10), 255, "CDW10: 255 (0's based)");
	is(check(&g, (dsm(&sqe, 256, G_DATA + 2048, G_LIST + 8), &sqe)),
	   VNVME_SC_INVALID_PRP_OFFSET, "ranges' second page with an offset");
	is(check(&g, (dsm(&sqe, 256, G_DATA + 2048, G_HOLE), &sqe)),
	   VNVME_SC_DATA_XFER_ERROR, "ranges' second page unmapped");
	is(check(&g, (dsm(&sqe, 1, G_HOLE, 0), &sqe)),
	   VNVME_SC_DATA_XFER_ERROR, "ranges in unmapped memory");
	is(check(&g, (dsm(&sqe, 1, G_DATA + 2, 0), &sqe)),
	   VNVME_SC_INVALID_PRP_OFFSET, "ranges at a PRP1 not dword aligned");

	range(&g, G_DATA, 10, 8);
	range(&g, G_DATA + 16, NSZE, 1);
	dsm(&sqe, 2, G_DATA, 0);
	is(check(&g, &sqe), VNVME_SC_LBA_RANGE, "range past the slice");
	range(&g, G_DATA + 16, NSZE - 4, 8);
	is(check(&g, &sqe), VNVME_SC_LBA_RANGE, "range crossing the slice end");
	range(&g, G_DATA + 16, ~0ULL - 1, 4);
	is(check(&g, &sqe), VNVME_SC_LBA_RANGE, "range wrapping 2^64");
	range(&g, G_DATA + 16, NSZE, 0);
	is(check(&g, &sqe), VNVME_SC_LBA_RANGE, "empty range at NSZE");
	range(&g, G_DATA + 16, NSZE - 1, 0);
	is(check(&g, &sqe), 0, "empty range inside the slice");
	dsm(&sqe, 1, G_DATA, 0);
	sqe.cdw10 = cpu_to_le32(0xffffff00);
	is(check(&g, &sqe), 0, "CDW10 bits above NR ignored");
	is(le32_to_cpu(cmd.sqe.cdw10), 0, "and not passed on");

	/* size limits: DMRSL per range, DMSL per command */
	range(&g, G_DATA, 0, max);
	dsm(&sqe, 1, G_DATA, 0);
	is(check(&g, &sqe), 0, "range of exactly DMRSL blocks");
	range(&g, G_DATA, 0, max + 1);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "range of DMRSL + 1 blocks: Invalid Field");
	range(&g, G_DATA, 0, NSZE);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "range of the whole slice: Invalid Field");
	range(&g, G_DATA, NSZE, max + 1);
	is(check(&g, &sqe), VNVME_SC_LBA_RANGE,
	   "out of the slice and too big: LBA Out of Range first");
	range(&g, G_DATA, 0, max / 2);
	range(&g, G_DATA + 16, max, max / 2);
	dsm(&sqe, 2, G_DATA, 0);
	is(check(&g, &sqe), 0, "two ranges adding up to DMSL");
	range(&g, G_DATA + 16, max, max / 2 + 1);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "two ranges adding up to DMSL + 1: Invalid Field");
	for (i = 0; i < 256; i++)
		range(&g, G_DATA + 16 * i, 0, max);
	dsm(&sqe, 256, G_DATA, G_DATA + PG);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "256 ranges of DMRSL blocks: Invalid Field");
	guest_fini(&g);

	/* 512-byte blocks: the limit is in bytes, 65536 blocks */
	setup(&g, 9, 5, VNVME_ONCS_DSM, true);
	range(&g, G_DATA, 0, 65536);
	dsm(&sqe, 1, G_DATA, 0);
	is(check(&g, &sqe), 0, "512-byte blocks: 65536 blocks per range");
	range(&g, G_DATA, 0, 65537);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD, "65537: Invalid Field");
	guest_fini(&g);
}

/*
 * With io_read in the environment, PRP lists and DSM ranges are read
 * through it alone, one read per list page or piece of the ranges; data
 * pages are never read; without it, dma_read does the same work.
 */
static void test_io_read(void)
{
	const struct vnvme_dsm_range *r = (const void *)out;
	struct guest g, old;
	struct vnvme_sqe sqe;
	u64 reads;
	u32 i;
	int bad = 0;

	setup(&old, 12, 8, VNVME_ONCS_DSM, true);
	build_list(&old, G_LIST, 4);
	is(rw_status(&old, VNVME_CMD_READ, 0, 4, dpage(0), G_LIST), 0,
	   "no io_read: 16 KiB through a PRP list");
	ok(old.env.dma_reads == 1 && !old.env.io_reads,
	   "no io_read: the list is read through dma_read");
	guest_fini(&old);

	setup_ops(&g, &fake_io_ops, 12, 8, VNVME_ONCS_DSM, true);
	build_list(&g, G_LIST, 4);
	is(rw_status(&g, VNVME_CMD_READ, 0, 4, dpage(0), G_LIST), 0,
	   "io_read: 16 KiB through a PRP list");
	ok(pages_are(4, dpage(0)) && g.env.io_reads == 1 && !g.env.dma_reads,
	   "io_read: the list is read through io_read alone");
	build_list(&g, G_LIST + PG - 16, 8);
	reads = g.env.io_reads;
	is(rw_status(&g, VNVME_CMD_WRITE, 0, 8, dpage(0), G_LIST + PG - 16), 0,
	   "io_read: a list chained over two pages");
	ok(pages_are(8, dpage(0)) && g.env.io_reads == reads + 2 &&
	   !g.env.dma_reads, "one io_read per list page");
	reads = g.env.io_reads;
	is(rw_status(&g, VNVME_CMD_READ, 0, 2, dpage(0), dpage(1)), 0,
	   "io_read: 8 KiB, PRP2 the second page");
	is(g.env.io_reads, reads, "data pages are never read");

	for (i = 0; i < 256; i++)
		range(&g, G_DATA + 2048 + 16 * i, i * 16, 1 + i % 16);
	memcpy(gmem(&g, G_LIST), gmem(&g, G_DATA + PG), 2048);
	dsm(&sqe, 256, G_DATA + 2048, G_LIST);
	reads = g.env.io_reads;
	is(check(&g, &sqe), 0, "io_read: 256 DSM ranges across two pages");
	for (i = 0; i < 256; i++)
		bad += le64_to_cpu(r[i].slba) != LBA_START + i * 16 ||
		       le32_to_cpu(r[i].nlb) != 1 + i % 16;
	ok(!bad && g.env.io_reads == reads + 2 && !g.env.dma_reads,
	   "the ranges are read through io_read, a read a page, and rebased");

	guest_enable(&g);
	reads = g.env.io_reads;
	is(guest_identify(&g, VNVME_CNS_CTRL, 0, G_DATA), 0,
	   "io_read: an admin command");
	ok(g.env.dma_reads && g.env.io_reads == reads,
	   "the admin queue is still read through dma_read");
	guest_fini(&g);
}

/*
 * A command whose list or ranges cannot be read: in the environment
 * without io_read, through memory that is not there (@old_*); in the one
 * with io_read, through an io_read that fails after @reads_ok others.
 */
struct io_read_case {
	const char *name;
	u8 opcode;
	u32 nlb;		/* DSM: ranges */
	u64 prp1, prp2;
	u64 reads_ok;
	u64 old_prp1, old_prp2;
	u64 old_hole_at;	/* != 0: this qword points into the hole */
};

static u16 io_read_case_check(struct guest *g, const struct io_read_case *t,
			      u64 prp1, u64 prp2, u64 hole_at)
{
	struct vnvme_sqe sqe;

	build_list(g, G_LIST + PG - 16, 8);
	build_list(g, G_LIST, 4);
	range(g, G_DATA, 0, 1);
	if (hole_at)
		put(g, hole_at, G_HOLE);
	if (t->opcode != VNVME_CMD_DSM)
		return rw_status(g, t->opcode, 0, t->nlb, prp1, prp2);
	dsm(&sqe, t->nlb, prp1, prp2);
	return check(g, &sqe);
}

/*
 * An io_read that fails, for whatever reason the environment has (the
 * module: a page it can neither pin nor read otherwise), ends the
 * command with the status a dma_read failure gives: Data Transfer Error.
 * The core does not try dma_read instead.
 */
static void test_io_read_fails(void)
{
	static const int errs[] = { -EFAULT, -ENOMEM, -EAGAIN, -EINVAL,
				    -EPERM };
	static const struct io_read_case cases[] = {
		{ "PRP list", VNVME_CMD_READ, 4, G_DATA, G_LIST, 0,
		  G_DATA, G_HOLE, 0 },
		{ "PRP list of a write", VNVME_CMD_WRITE, 4, G_DATA, G_LIST, 0,
		  G_DATA, G_HOLE, 0 },
		{ "second page of a chained list", VNVME_CMD_READ, 8, G_DATA,
		  G_LIST + PG - 16, 1, G_DATA, G_LIST + PG - 16,
		  G_LIST + PG - 8 },
		{ "DSM ranges", VNVME_CMD_DSM, 1, G_DATA, 0, 0, G_HOLE, 0, 0 },
		{ "second page of the DSM ranges", VNVME_CMD_DSM, 256,
		  G_DATA + 2048, G_LIST, 1, G_DATA + 2048, G_HOLE, 0 },
	};
	struct guest g, old;
	unsigned int i, e;
	u16 want, st;
	int bad;

	setup(&old, 12, 8, VNVME_ONCS_DSM, true);
	setup_ops(&g, &fake_io_ops, 12, 8, VNVME_ONCS_DSM, true);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct io_read_case *t = &cases[i];

		want = io_read_case_check(&old, t, t->old_prp1, t->old_prp2,
					  t->old_hole_at);
		is(want, VNVME_SC_DATA_XFER_ERROR,
		   "no io_read, %s unreachable: Data Transfer Error", t->name);
		bad = 0;
		for (e = 0; e < ARRAY_SIZE(errs); e++) {
			g.env.io_reads = 0;
			g.env.io_read_err = errs[e];
			g.env.io_read_err_after = t->reads_ok;
			st = io_read_case_check(&g, t, t->prp1, t->prp2, 0);
			if (st == want && g.env.io_reads == t->reads_ok + 1 &&
			    !g.env.dma_reads)
				continue;
			diag("%s, io_read %d: status 0x%x after %llu reads, %llu through dma_read",
			     t->name, errs[e], st,
			     (unsigned long long)g.env.io_reads,
			     (unsigned long long)g.env.dma_reads);
			bad++;
		}
		is(bad, 0, "io_read failing on the %s: the same status, no dma_read",
		   t->name);
	}
	g.env.io_read_err = 0;
	is(io_read_case_check(&g, &cases[0], G_DATA, G_LIST, 0), 0,
	   "io_read working again: the next command goes through");
	is(io_read_case_check(&g, &cases[0], G_DATA, G_HOLE, 0),
	   VNVME_SC_DATA_XFER_ERROR,
	   "io_read of a list in unmapped memory: Data Transfer Error");
	guest_fini(&g);
	guest_fini(&old);
}

static void test_write_zeroes(void)
{
	struct guest g;
	struct vnvme_sqe sqe;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	rw(&sqe, VNVME_CMD_WRITE_ZEROES, 100, 4, 0xdead, 0xbeef);
	sqe.cdw12 = cpu_to_le32(3 | VNVME_RW_DEAC | VNVME_RW_LR | 0x0c000000);
	sqe.cdw13 = cpu_to_le32(0xff);
	is(check(&g, &sqe), 0, "Write Zeroes of 4 blocks");
	ok(host_slba() == LBA_START + 100 &&
	   le32_to_cpu(cmd.sqe.cdw12) == (3 | VNVME_RW_DEAC | VNVME_RW_LR) &&
	   !cmd.sqe.cdw13 && !cmd.sqe.prp1 && !cmd.sqe.prp2 &&
	   !cmd.nr_pages && cmd.dir == VNVME_IO_DIR_NONE && !cmd.bytes,
	   "rebased, DEAC and LR kept, PRINFO and pointers dropped");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, NSZE - 1, 2, 0, 0),
	   VNVME_SC_LBA_RANGE, "Write Zeroes crossing the slice end");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, ~0ULL, 2, 0, 0),
	   VNVME_SC_LBA_RANGE, "Write Zeroes at SLBA 2^64-1");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, NSZE - 256, 256, 0, 0), 0,
	   "Write Zeroes of WZSL (1 MiB), ending at the last block");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 257, 0, 0),
	   VNVME_SC_INVALID_FIELD, "Write Zeroes of WZSL + 1 block: Invalid Field");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 65536, 0, 0),
	   VNVME_SC_INVALID_FIELD, "Write Zeroes of 65536 blocks (256 MiB)");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, NSZE - 1, 300, 0, 0),
	   VNVME_SC_LBA_RANGE, "out of the slice and too big: LBA first");
	guest_fini(&g);

	setup(&g, 9, 5, VNVME_ONCS_WRITE_ZEROES, true);
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 256, 0, 0), 0,
	   "MDTS 128 KiB, 512-byte blocks: 256 blocks");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 257, 0, 0),
	   VNVME_SC_INVALID_FIELD, "257 blocks: Invalid Field");
	guest_fini(&g);
}

static bool fua_of(struct guest *g, u8 opcode)
{
	rw_status(g, opcode, 0, 1, dpage(0), 0);
	return le32_to_cpu(cmd.sqe.cdw12) & VNVME_RW_FUA;
}

static void test_vwc(void)
{
	struct guest g;
	u32 res;

	setup(&g, 12, 8, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	guest_enable(&g);
	ok(!fua_of(&g, VNVME_CMD_WRITE) && !fua_of(&g, VNVME_CMD_WRITE_ZEROES),
	   "write cache enabled (default): no FUA added");
	is(guest_set_feature(&g, VNVME_FEAT_VOLATILE_WC, 0, NULL), 0,
	   "guest disables the volatile write cache");
	ok(fua_of(&g, VNVME_CMD_WRITE), "Write then carries FUA");
	ok(fua_of(&g, VNVME_CMD_WRITE_ZEROES), "Write Zeroes then carries FUA");
	ok(!fua_of(&g, VNVME_CMD_READ), "Read does not");
	rw_status(&g, VNVME_CMD_WRITE, 0, 1, dpage(0), 0);
	is(le32_to_cpu(cmd.sqe.cdw12), VNVME_RW_FUA, "NLB untouched");
	is(guest_set_feature(&g, VNVME_FEAT_VOLATILE_WC, 1, NULL), 0,
	   "guest enables it again");
	ok(!fua_of(&g, VNVME_CMD_WRITE), "Write without FUA again");
	guest_set_feature(&g, VNVME_FEAT_VOLATILE_WC, 0, NULL);
	guest_disable(&g);
	guest_enable(&g);
	is(guest_get_feature(&g, VNVME_FEAT_VOLATILE_WC, 0, 0, &res), 0,
	   "after a reset");
	ok(res == 1 && !fua_of(&g, VNVME_CMD_WRITE),
	   "the cache is enabled and writes go without FUA");
	guest_fini(&g);

	setup(&g, 12, 8, 0, false);
	guest_enable(&g);
	ok(!fua_of(&g, VNVME_CMD_WRITE), "no volatile write cache: no FUA");
	guest_fini(&g);
}

static void test_identify_nvm(void)
{
	struct vnvme_id_ctrl_nvm id;
	struct vnvme_sqe sqe;
	struct guest g;

	setup(&g, 12, 6, VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES, true);
	guest_enable(&g);
	memset(gmem(&g, G_DATA), 0xff, PG);
	is(guest_identify(&g, VNVME_CNS_CS_CTRL, 0, G_DATA), 0,
	   "Identify CNS 06h, CSI 0 (NVM)");
	memcpy(&id, gmem(&g, G_DATA), sizeof(id));
	is(id.wzsl, 6, "WZSL = MDTS (256 KiB)");
	is(le32_to_cpu(id.dmrsl), 8192, "DMRSL: 32 MiB of 4 KiB blocks");
	is(le64_to_cpu(id.dmsl), 8192, "DMSL: 32 MiB of 4 KiB blocks");
	ok(!id.vsl && !id.wusl && !id.dmrl, "VSL, WUSL, DMRL: no limit");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 64, 0, 0), 0,
	   "Write Zeroes of WZSL accepted");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 65, 0, 0),
	   VNVME_SC_INVALID_FIELD, "one block more refused");

	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.prp1 = cpu_to_le64(G_DATA);
	sqe.cdw10 = cpu_to_le32(VNVME_CNS_CS_CTRL);
	sqe.cdw11 = cpu_to_le32(2 << 24);
	is(guest_admin(&g, &sqe, NULL), ERR(VNVME_SC_INVALID_FIELD),
	   "CNS 06h for CSI 2 (zoned): Invalid Field");
	guest_fini(&g);

	setup(&g, 9, 0, VNVME_ONCS_DSM, true);
	guest_enable(&g);
	is(guest_identify(&g, VNVME_CNS_CS_CTRL, 0, G_DATA), 0,
	   "512-byte blocks, no MDTS");
	memcpy(&id, gmem(&g, G_DATA), sizeof(id));
	ok(id.wzsl == 8 && le32_to_cpu(id.dmrsl) == 65536,
	   "WZSL 1 MiB, DMRSL 65536 blocks");
	guest_fini(&g);
}

/*
 * A backing controller with limits of its own below the module's: the
 * guest is told the smaller ones, and the check holds it to them, so the
 * hardware never sees a command it would refuse.
 */
static void test_backing_limits(void)
{
	struct vnvme_id_ctrl_nvm id;
	struct vnvme_params p;
	struct vnvme_sqe sqe;
	struct guest g;
	u32 i;

	guest_default_params(&p);
	p.nsze = NSZE;
	p.lba_shift = 12;
	p.mdts = 8;
	p.oncs = VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES;
	p.wzsl = 4;		/* 64 KiB */
	p.dmrl = 4;
	p.dmrsl = 100;
	p.dmsl = 300;
	if (guest_init(&g, &p))
		abort();
	guest_enable(&g);
	is(guest_identify(&g, VNVME_CNS_CS_CTRL, 0, G_DATA), 0,
	   "backing limits: Identify CNS 06h");
	memcpy(&id, gmem(&g, G_DATA), sizeof(id));
	ok(id.wzsl == 4 && id.dmrl == 4 && le32_to_cpu(id.dmrsl) == 100 &&
	   le64_to_cpu(id.dmsl) == 300,
	   "the guest is told WZSL 4, DMRL 4, DMRSL 100, DMSL 300");

	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 16, 0, 0), 0,
	   "Write Zeroes of the backing WZSL (16 blocks)");
	is(rw_status(&g, VNVME_CMD_WRITE_ZEROES, 0, 17, 0, 0),
	   VNVME_SC_INVALID_FIELD, "one block more: Invalid Field");
	build_list(&g, G_LIST, 256);
	is(rw_status(&g, VNVME_CMD_WRITE, 0, 256, G_DATA, G_LIST), 0,
	   "a Write of MDTS still passes: WZSL bounds Write Zeroes only");

	for (i = 0; i < 5; i++)
		range(&g, G_DATA + 16 * i, 1000 * i, 10);
	dsm(&sqe, 4, G_DATA, 0);
	is(check(&g, &sqe), 0, "DSM of DMRL ranges");
	dsm(&sqe, 5, G_DATA, 0);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "DMRL + 1 ranges: Invalid Field");
	range(&g, G_DATA, 0, 100);
	dsm(&sqe, 1, G_DATA, 0);
	is(check(&g, &sqe), 0, "a range of DMRSL blocks");
	range(&g, G_DATA, 0, 101);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "DMRSL + 1 blocks: Invalid Field");
	range(&g, G_DATA, 0, 100);
	range(&g, G_DATA + 16, 200, 100);
	range(&g, G_DATA + 32, 400, 100);
	range(&g, G_DATA + 48, 600, 1);
	dsm(&sqe, 3, G_DATA, 0);
	is(check(&g, &sqe), 0, "ranges adding up to DMSL");
	dsm(&sqe, 4, G_DATA, 0);
	is(check(&g, &sqe), VNVME_SC_INVALID_FIELD,
	   "DMSL + 1 blocks: Invalid Field");
	guest_fini(&g);

	/* Limits above the module's own change nothing. */
	guest_default_params(&p);
	p.nsze = NSZE;
	p.lba_shift = 12;
	p.mdts = 6;
	p.oncs = VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES;
	p.wzsl = 9;
	p.dmrsl = 1U << 30;
	p.dmsl = 1ULL << 40;
	if (guest_init(&g, &p))
		abort();
	guest_enable(&g);
	is(guest_identify(&g, VNVME_CNS_CS_CTRL, 0, G_DATA), 0,
	   "loose backing limits: Identify CNS 06h");
	memcpy(&id, gmem(&g, G_DATA), sizeof(id));
	ok(id.wzsl == 6 && le32_to_cpu(id.dmrsl) == 8192 &&
	   le64_to_cpu(id.dmsl) == 8192 && !id.dmrl,
	   "the module's own: WZSL = MDTS, 32 MiB, no DMRL");
	guest_fini(&g);

	/* DMSL below DMRSL: a Linux guest reads DMRSL only. */
	guest_default_params(&p);
	p.nsze = NSZE;
	p.lba_shift = 12;
	p.oncs = VNVME_ONCS_DSM;
	p.dmrsl = 100;
	p.dmsl = 50;
	if (guest_init(&g, &p))
		abort();
	guest_enable(&g);
	is(guest_identify(&g, VNVME_CNS_CS_CTRL, 0, G_DATA), 0,
	   "DMSL 50 under DMRSL 100: Identify CNS 06h");
	memcpy(&id, gmem(&g, G_DATA), sizeof(id));
	ok(le32_to_cpu(id.dmrsl) == 50 && le64_to_cpu(id.dmsl) == 50,
	   "the guest is told DMRSL 50, DMSL 50");
	guest_fini(&g);

	guest_default_params(&p);
	p.wzsl = 16;
	ok(guest_init(&g, &p) != 0, "a WZSL above 2^15 pages is refused");
}

int main(void)
{
	test_opcodes();
	test_nsid();
	test_lba_range();
	test_mdts();
	test_prp();
	test_dsm();
	test_io_read();
	test_io_read_fails();
	test_write_zeroes();
	test_vwc();
	test_identify_nvm();
	test_backing_limits();
	return tap_done();
}
