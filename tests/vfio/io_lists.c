// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part eight: the PRP lists and Dataset Management ranges the
 * module reads for every command that has them, from guest pages it
 * keeps pinned (module parameter pinned_list_reads, the default) or
 * through VFIO.
 *
 *  - commands with PRP lists and with DSM ranges work either way, and
 *    stats/list_reads, list_reads_rw and list_read_ns say which way they
 *    were read and what it cost;
 *  - a list in memory the VMM mapped read-only for the device is read;
 *  - a list page the VMM unmaps is let go of at once, and the list the
 *    guest puts at that address afterwards is the one used: the old page
 *    is never read again;
 *  - a list where nothing is mapped: Data Transfer Error.
 *
 * The parameter is read when the device is opened: the caller sets it
 * while the device is closed, and the tests read it back.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "io_test.h"

/* Guest LBAs [LIST_LBA, +64) of instance 1 belong to these tests. */
#define LIST_LBA	7200u
/* 16 KiB: PRP1 and a list of three entries */
#define LIST_NLB	(4 * G_PAGE / LBA_SIZE)
/* A mapping of its own for lists: read-only, unmapped, mapped again */
#define L_IOVA		0x15000000ULL
#define L_PAGES		4u

/* Does the module read lists from pinned pages?  -1 if it cannot tell. */
int pinned_list_reads(void)
{
	FILE *f = fopen("/sys/module/mdev_nvme/parameters/pinned_list_reads",
			"r");
	int c = EOF;

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y' || c == '1' ? 1 : c == 'N' || c == '0' ? 0 : -1;
}

struct list_stats {
	long reads;
	long rw;
	long ns;
};

static struct list_stats list_stats(struct inst *in)
{
	struct list_stats s = {
		.reads = stat_of(in, "list_reads"),
		.rw = stat_of(in, "list_reads_rw"),
		.ns = stat_of(in, "list_read_ns"),
	};

	return s;
}

/* At @list, the PRP list of the last three of the four pages at @data */
static void list_put(uint64_t *list, uint64_t data)
{
	unsigned int i;

	for (i = 1; i < 4; i++)
		list[i - 1] = htole64(giova(data + i * G_PAGE));
}

/*
 * 16 KiB from or into the four pages at guest offset @data, described by
 * PRP1 and a list of three entries that this writes at @list (the host's
 * view of IOVA @list_iova).
 */
static int list_rw(struct inst *in, uint8_t opcode, uint64_t lba,
		   uint64_t data, uint64_t *list, uint64_t list_iova)
{
	list_put(list, data);
	return io_rw(in, 1, opcode, lba, LIST_NLB, giova(data), list_iova);
}

/* 16 KiB at @lba, read page by page (no list) into G_BIG: is it @ref? */
static bool lbas_hold(struct inst *in, uint64_t lba, const uint8_t *ref)
{
	uint8_t *got = gptr(&in->dev, G_BIG);
	unsigned int i;

	memset(got, 0, 4 * G_PAGE);
	for (i = 0; i < 4; i++)
		if (io_rw(in, 1, NVME_CMD_READ, lba + i * (G_PAGE / LBA_SIZE),
			  G_PAGE / LBA_SIZE, giova(G_BIG + i * G_PAGE), 0))
			return false;
	return !memcmp(got, ref, 4 * G_PAGE);
}

/* How the counters moved for @n list reads, on the way the module reads */
static void lists_counted(const struct list_stats *a,
			  const struct list_stats *b, long n, int pinned,
			  const char *what)
{
	long reads = b->reads - a->reads, rw = b->rw - a->rw;

	ok(reads == n, "%s: %ld list reads counted (%ld)", what, n, reads);
	if (pinned)
		ok(rw == 0, "%s: none through VFIO (%ld)", what, rw);
	else
		ok(rw == reads, "%s: all through VFIO (%ld of %ld)", what, rw,
		   reads);
	ok(b->ns > a->ns, "%s: their time is counted (%ld ns a read)", what,
	   reads > 0 ? (b->ns - a->ns) / reads : -1);
}

void test_list_reads(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	int pinned = pinned_list_reads();
	struct list_stats s0, s1;
	unsigned int round, bad = 0;
	int ws, rs;

	if (!ok(pinned >= 0, "pinned_list_reads reads Y or N (%d)", pinned))
		return;
	diag("lists read %s", pinned ? "from pinned pages" : "through VFIO");
	s0 = list_stats(in);
	if (!ok(s0.reads >= 0 && s0.rw >= 0 && s0.ns >= 0,
		"stats/list_reads, list_reads_rw, list_read_ns are there"))
		return;
	/* The same buffers and lists again and again, as a guest does. */
	for (round = 0; round < 8; round++) {
		fill_random(w, 4 * G_PAGE);
		memset(r, 0, 4 * G_PAGE);
		ws = list_rw(in, NVME_CMD_WRITE, LIST_LBA, G_DATA,
			     gptr(d, G_LIST), giova(G_LIST));
		rs = list_rw(in, NVME_CMD_READ, LIST_LBA, G_DATA2,
			     gptr(d, G_LIST + 2048), giova(G_LIST + 2048));
		if (ws || rs || memcmp(w, r, 4 * G_PAGE)) {
			diag("round %u: write 0x%x, read 0x%x", round, ws, rs);
			bad++;
		}
	}
	ok(!bad, "8 rounds of 16 KiB written and read back through PRP lists");
	s1 = list_stats(in);
	lists_counted(&s0, &s1, 16, pinned, "16 commands with a list");

	if (in->oncs & ONCS_DSM) {
		struct nvme_dsm_range *g = gptr(d, G_DATA + 2048);
		struct nvme_sqe sqe;
		unsigned int i;
		int st;

		/* 256 ranges from the middle of a page: PRP2 has the rest. */
		for (i = 0; i < 256; i++) {
			g[i].cattr = 0;
			g[i].nlb = htole32(1);
			g[i].slba = htole64(LIST_LBA + 32 + i % 32);
		}
		memcpy(gptr(d, G_DATA2), gptr(d, G_DATA + G_PAGE), 2048);
		memset(gptr(d, G_DATA + G_PAGE), 0xff, 2048);
		nvme_sqe_init(&sqe, NVME_CMD_DSM);
		sqe.nsid = htole32(1);
		sqe.prp1 = htole64(giova(G_DATA + 2048));
		sqe.prp2 = htole64(giova(G_DATA2));
		sqe.cdw10 = htole32(255);
		sqe.cdw11 = htole32(DSM_ATTR_DEALLOCATE);
		s0 = list_stats(in);
		st = nvme_io_exec(d, &in->sq[1], &sqe, NULL);
		s1 = list_stats(in);
		ok(st == 0, "DSM with 256 ranges across two pages (0x%x)", st);
		lists_counted(&s0, &s1, 2, pinned, "its two pages of ranges");
	}

	/* Where nothing is mapped, either way: read through VFIO, refused. */
	s0 = list_stats(in);
	rs = io_rw(in, 1, NVME_CMD_READ, LIST_LBA, LIST_NLB, giova(G_DATA2),
		   GMEM_HOLE);
	s1 = list_stats(in);
	ok(refused(rs, SC_DATA_XFER_ERROR) && s1.reads - s0.reads == 1 &&
	   s1.rw - s0.rw == 1,
	   "a list in unmapped memory: Data Transfer Error, one read, through VFIO (0x%x)",
	   rs);
	still_works(in, "a list in unmapped memory");
}

/*
 * Lists in a mapping of their own: read-only for the device, then
 * unmapped while the module holds the page, then other memory mapped at
 * the same address.
 */
void test_list_remap(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	uint8_t *ro, *rw = NULL, ref[4 * G_PAGE];
	int pinned = pinned_list_reads();
	long cache = file_long("/sys/module/mdev_nvme/parameters/pin_cache_pages");
	struct list_stats s0, s1;
	long before, after;
	int ws, rs, st;

	ro = vfio_user_map_prot(&d->vu, L_IOVA, L_PAGES * G_PAGE, false);
	if (!ok(ro != NULL, "map %u pages read-only at 0x%llx", L_PAGES,
		(unsigned long long)L_IOVA))
		return;
	fill_random(w, 4 * G_PAGE);
	memcpy(ref, w, sizeof(ref));
	memset(r, 0, 4 * G_PAGE);
	s0 = list_stats(in);
	ws = list_rw(in, NVME_CMD_WRITE, LIST_LBA, G_DATA, (uint64_t *)ro,
		     L_IOVA);
	rs = list_rw(in, NVME_CMD_READ, LIST_LBA, G_DATA2,
		     (uint64_t *)(ro + 1024), L_IOVA + 1024);
	s1 = list_stats(in);
	ok(ws == 0 && rs == 0 && !memcmp(r, ref, sizeof(ref)),
	   "PRP lists in memory mapped read-only for the device (w 0x%x r 0x%x)",
	   ws, rs);
	ok(pinned >= 0 && s1.rw - s0.rw == (pinned ? 0 : 2),
	   "read %s (%ld of %ld through VFIO)",
	   pinned ? "from the page pinned read-only" : "through VFIO",
	   s1.rw - s0.rw, s1.reads - s0.reads);

	before = sysfs_long(in->uuid, "pinned_pages");
	st = vfio_user_unmap(&d->vu, L_IOVA, L_PAGES * G_PAGE);
	after = sysfs_long(in->uuid, "pinned_pages");
	/* With pin_cache_pages 0, nothing stays pinned after its use. */
	pinned = pinned && cache != 0;
	ok(st == 0 && (pinned ? after == before - 1 : after == before),
	   "unmap of the list page: done, %s (%ld -> %ld)",
	   pinned ? "its pin released" : "it was not pinned", before, after);
	s0 = list_stats(in);
	rs = list_rw(in, NVME_CMD_READ, LIST_LBA, G_DATA2,
		     (uint64_t *)ro, L_IOVA);
	s1 = list_stats(in);
	ok(refused(rs, SC_DATA_XFER_ERROR) && s1.rw - s0.rw == 1,
	   "a list where the memory was unmapped: Data Transfer Error, read through VFIO (0x%x)",
	   rs);

	/*
	 * Past the hold-off on the range: other memory at the same
	 * address, with a list naming other data pages.  The old page,
	 * still in this process, names the first ones: the module must not
	 * read it.
	 */
	sleep_ms(200);
	rw = vfio_user_map(&d->vu, L_IOVA, L_PAGES * G_PAGE);
	if (!ok(rw != NULL, "map new memory at 0x%llx",
		(unsigned long long)L_IOVA))
		goto out;
	list_put((uint64_t *)ro, G_DATA);
	fill_random(r, 4 * G_PAGE);
	memcpy(ref, r, sizeof(ref));
	ws = list_rw(in, NVME_CMD_WRITE, LIST_LBA, G_DATA2, (uint64_t *)rw,
		     L_IOVA);
	ok(ws == 0 && lbas_hold(in, LIST_LBA, ref),
	   "a write through the list of the new memory takes the pages it names (0x%x)",
	   ws);
	/* The guest rewrites the list, in the page now cached (pinned). */
	r += 4 * G_PAGE;
	fill_random(r, 4 * G_PAGE);
	memcpy(ref, r, sizeof(ref));
	ws = list_rw(in, NVME_CMD_WRITE, LIST_LBA, G_DATA2 + 4 * G_PAGE,
		     (uint64_t *)rw, L_IOVA);
	ok(ws == 0 && lbas_hold(in, LIST_LBA, ref),
	   "the guest rewrites that list: the next write takes the pages it names now (0x%x)",
	   ws);
	vfio_user_unmap(&d->vu, L_IOVA, L_PAGES * G_PAGE);
	munmap(rw, L_PAGES * G_PAGE);
out:
	munmap(ro, L_PAGES * G_PAGE);
	still_works(in, "lists in a mapping unmapped and mapped again");
}
