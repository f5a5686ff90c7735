// SPDX-License-Identifier: GPL-2.0-only
/*
 * PRP walking (NVMe 1.4 section 4.3) exercised directly: offsets in PRP1,
 * PRP2 as data pointer or list, lists chained over several pages, zero
 * fill, and every kind of bad pointer.
 */
#include <stdlib.h>

#include "guest.h"
#include "tap.h"
#include "../../mdev_nvme/core/vnvme_priv.h"

#define PG	4096ULL
#define DATA0	0x400000ULL	/* 3 MiB of data pages, used backwards */
#define NPAGES	768

static u8 *src;

static u16 xfer(struct guest *g, u64 prp1, u64 prp2, u32 buf_len, u64 len,
		u16 *loc)
{
	struct vnvme_req req;
	u16 st;

	memset(&req, 0, sizeof(req));
	req.param_loc = VNVME_LOC_NONE;
	req.cmd.prp1 = cpu_to_le64(prp1);
	req.cmd.prp2 = cpu_to_le64(prp2);
	st = vnvme_prp_to_guest(g->c, &req, src, buf_len, len);
	if (loc)
		*loc = req.param_loc;
	return st;
}

/* data page @i of the transfer lives at DATA0 + (NPAGES - 1 - i) pages */
static u64 page_of(int i)
{
	return DATA0 + (NPAGES - 1 - i) * PG;
}

static void put_entry(struct guest *g, u64 at, u64 val)
{
	__le64 v = cpu_to_le64(val);

	memcpy(gmem(g, at), &v, 8);
}

/*
 * Build the PRP list for data pages 1..n-1 starting at @list (any qword
 * offset), chaining to fresh list pages at G_LIST + k * 4 KiB.
 */
static void build_list(struct guest *g, u64 list, int n)
{
	u64 next = G_LIST + 16 * PG;
	int i;

	for (i = 1; i < n; i++) {
		if (((list + 8) & (PG - 1)) == 0 && n - i > 1) {
			put_entry(g, list, next);
			list = next;
			next += PG;
		}
		put_entry(g, list, page_of(i));
		list += 8;
	}
}

static bool check_pages(struct guest *g, u32 off, u64 len, u32 buf_len)
{
	u64 pos = 0;
	int i = 0;

	while (pos < len) {
		u64 at = i ? page_of(i) : page_of(0) + off;
		u64 n = i ? PG : PG - off;
		u64 k;

		if (n > len - pos)
			n = len - pos;
		for (k = 0; k < n; k++) {
			u8 want = pos + k < buf_len ? src[pos + k] : 0;

			if (*(u8 *)gmem(g, at + k) != want)
				return false;
		}
		pos += n;
		i++;
	}
	return true;
}

static void test_good(struct guest *g)
{
	u64 len;

	len = 100;
	memset(gmem(g, DATA0), 0xee, NPAGES * PG);
	is(xfer(g, page_of(0) + 0x40, 0, len, len, NULL), 0,
	   "small transfer inside PRP1's page");
	ok(check_pages(g, 0x40, len, len), "data in place");
	ok(*(u8 *)gmem(g, page_of(0) + 0x40 + len) == 0xee, "no overrun");

	len = PG + 0x800;
	is(xfer(g, page_of(0) + 0x800, page_of(1), len, len, NULL), 0,
	   "PRP1 offset + PRP2 data page");
	ok(check_pages(g, 0x800, len, len), "both pages right");

	/* Dword alignment is all PRP1 needs: offset 4 is not qword aligned. */
	memset(gmem(g, DATA0), 0xee, NPAGES * PG);
	len = PG;
	is(xfer(g, page_of(0) + 0xffc, page_of(1), len, len, NULL), 0,
	   "PRP1 at a dword (not qword) offset, 4 bytes before the page end");
	ok(check_pages(g, 0xffc, len, len), "4 bytes in PRP1's page, the rest in PRP2's");
	len = 12;
	is(xfer(g, page_of(0) + 0x104, 0, len, len, NULL), 0,
	   "PRP1 at offset 0x104");
	ok(check_pages(g, 0x104, len, len), "data at offset 0x104");

	len = 3 * PG;
	build_list(g, G_LIST + 0x100, 4);
	is(xfer(g, page_of(0) + 0x200, G_LIST + 0x100, len, len, NULL), 0,
	   "PRP list with an offset");
	ok(check_pages(g, 0x200, len, len), "four pages right");

	/* 2.5 MiB: 640 data pages, two chained list pages */
	len = 640 * PG - 0x300;
	build_list(g, G_LIST + PG - 24, 640);
	is(xfer(g, page_of(0) + 0x300, G_LIST + PG - 24, len, len, NULL), 0,
	   "chained PRP list, first list page nearly full");
	ok(check_pages(g, 0x300, len, len), "every page of 2.5 MiB right");

	/* Exactly 512 data pages after PRP1: the last slot is data */
	len = 513 * PG;
	build_list(g, G_LIST, 513);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL), 0,
	   "list page whose last entry is the last data page");
	ok(check_pages(g, 0, len, len), "513 pages right");

	/* zero fill beyond the source */
	memset(gmem(g, DATA0), 0xee, NPAGES * PG);
	len = 5 * PG;
	build_list(g, G_LIST, 5);
	is(xfer(g, page_of(0), G_LIST, 1000, len, NULL), 0,
	   "short source, long transfer");
	ok(check_pages(g, 0, len, 1000), "source then zeroes");
	is(xfer(g, 0xdead000, 0xbeef000, 0, 0, NULL), 0,
	   "zero length touches nothing");
}

static void test_bad(struct guest *g)
{
	u16 loc;
	u64 len = 4 * PG;

	is(xfer(g, page_of(0) + 1, 0, 8, 8, &loc),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 not dword aligned");
	is(loc, 24, "error location PRP1");
	/* Bit 1 alone breaks the dword alignment too (a mask of 1 misses it). */
	is(xfer(g, page_of(0) + 2, 0, 8, 8, &loc),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 at offset 2: not dword aligned");
	is(loc, 24, "error location PRP1 (offset 2)");
	is(xfer(g, page_of(0) + 0x7fe, page_of(1), PG, PG, &loc),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 at offset 0x7fe: not dword aligned");
	is(xfer(g, page_of(0) + 3, 0, 8, 8, NULL),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP1 at offset 3: not dword aligned");
	is(xfer(g, page_of(0), page_of(1) + 4, 2 * PG, 2 * PG, &loc),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP2 data pointer with offset");
	is(loc, 32, "error location PRP2");
	is(xfer(g, page_of(0), G_LIST + 4, len, len, &loc),
	   VNVME_SC_INVALID_PRP_OFFSET, "PRP list not qword aligned");

	build_list(g, G_LIST, 4);
	put_entry(g, G_LIST + 8, page_of(2) + 0x10);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL),
	   VNVME_SC_INVALID_PRP_OFFSET, "list entry with an offset");

	build_list(g, G_LIST, 4);
	put_entry(g, G_LIST + 16, G_HOLE);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "list entry in a hole");

	is(xfer(g, page_of(0), G_HOLE + 0x80, len, len, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "PRP list itself unmapped");
	is(xfer(g, G_HOLE, page_of(1), 2 * PG, 2 * PG, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "PRP1 unmapped");
	is(xfer(g, G_MEM_SIZE - 8, G_MEM_SIZE, 64, 64, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "PRP2 past the end of guest memory");
	is(xfer(g, ~0ULL - 4095, 0, 64, 64, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "PRP1 at the top of the address space");

	/* chain pointer with an offset */
	len = 600 * PG;
	build_list(g, G_LIST, 600);
	put_entry(g, G_LIST + PG - 8, G_LIST + 16 * PG + 8);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL),
	   VNVME_SC_INVALID_PRP_OFFSET, "chain pointer with an offset");

	/* a list that chains to itself still ends: 511 data entries a lap */
	build_list(g, G_LIST, 600);
	put_entry(g, G_LIST + PG - 8, G_LIST);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL), 0,
	   "self-referencing list terminates");
	put_entry(g, G_LIST + PG - 8, G_HOLE);
	is(xfer(g, page_of(0), G_LIST, len, len, NULL),
	   VNVME_SC_DATA_XFER_ERROR, "chain into a hole");
}

/*
 * An environment whose I/O check reads through io_read: the admin
 * commands' walk still reads its lists through dma_read.
 */
static void test_admin_reader(void)
{
	struct guest g;
	u64 len = 4 * PG;

	guest_init_ops(&g, NULL, &fake_io_ops);
	build_list(&g, G_LIST, 4);
	is(xfer(&g, page_of(0), G_LIST, len, len, NULL), 0,
	   "admin transfer through a PRP list, io_read set");
	ok(g.env.dma_reads == 1 && !g.env.io_reads,
	   "its list is read through dma_read, not io_read");
	guest_fini(&g);
}

int main(void)
{
	struct guest g;
	u32 i;

	src = malloc(NPAGES * PG);
	for (i = 0; i < NPAGES * PG; i++)
		src[i] = (i * 7 + (i >> 12)) % 251 + 1;
	guest_init(&g, NULL);
	test_good(&g);
	test_bad(&g);
	guest_fini(&g);
	test_admin_reader();
	free(src);
	return tap_done();
}
