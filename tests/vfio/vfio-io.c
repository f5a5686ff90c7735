// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io: the I/O path of a vNVMe, driven through VFIO as a guest's
 * nvme driver would drive it.
 *
 *   vfio-io [-m LBA] [-t TAG] UUID1 [UUID2]
 *   vfio-io -q UUID1
 *
 * UUID1 needs two queue pairs and a slice of at least 8192 LBAs of
 * 512 bytes; UUID2, another instance on the same controller, at least
 * 64 LBAs.  Checked: data written and read back at sizes from 512 bytes
 * to MDTS through every PRP form (offset in PRP1, PRP2 as the second
 * page, PRP lists, chained lists), batches filling a queue, a second
 * queue pair, Write Zeroes and Dataset Management when the controller
 * offers them, the exact status of each malformed command (and that the
 * instance keeps working after it), bad doorbell values, a controller
 * reset, and that two instances see only their own slice.
 *
 * Placement marks for the caller: on each instance the blocks [0, 8),
 * [LBA, LBA + 8) (-m, default 100) and the last 8 of the slice hold the
 * pattern of tests/vm/lib.sh mnv_pattern_write with tag TAG-1 or TAG-2
 * (-t, default "vfio-io") numbered by host LBA (lba_start + guest LBA),
 * so that mnv_pattern_verify on the raw namespace finds them in place.
 *
 * With -q only the polling thread's mode is checked on UUID1 (see
 * io_modes.c): run it once per mode, set while the device is closed.
 *
 * With -L only the commands that carry PRP lists or Dataset Management
 * ranges are checked on UUID1 (transfers, refused commands, DSM, and the
 * list reads of io_lists.c): run it with the module parameter
 * pinned_list_reads set either way while the device is closed.
 *
 * With -x only MSI-X as VMMs other than QEMU use it is checked on UUID1
 * (io_pins_irqs.c): the client never writes the MSI-X capability and
 * wires its eventfds with VFIO_DEVICE_SET_IRQS alone.
 *
 * With -s COUNT only COUNT reads kept in flight on UUID1 are checked,
 * each at the moment its completion arrives (io_stale.c): the check of
 * a drive posting completions twice, under fault injection.
 *
 * With -f BDF, the isolation tests of io_faults.c run instead: UUID1 is
 * reset, killed and so on with its queues full while UUID2 (another
 * instance on controller BDF) has verified writes in flight.
 *
 * Each group of checks runs on its own open of UUID1 (the fixture of
 * tests/lib/tap.h: open, enable, create the queue pairs; close and check
 * that nothing stays pinned), so that a group which fails or wrecks the
 * controller does not fail the groups after it.  UUID2 stays open
 * throughout as instance 1's neighbour; the marks are written first and
 * read back last, through opens of their own.
 *
 * Output is TAP (tests/lib/tap.h); exit status 0 iff every test passed.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_guest.h"
#include "nvme_io.h"
#include "io_test.h"

bool msix_set_irqs_only;

/* A refused command completes with exactly its status and DNR set. */
bool refused(int sf, unsigned int want)
{
	return sf >= 0 && (unsigned int)sf == (want | NVME_SF_DNR);
}

long file_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

long sysfs_long(const char *uuid, const char *attr)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s", uuid,
		 attr);
	return file_long(path);
}

long stat_of(struct inst *in, const char *name)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "stats/%s", name);
	return sysfs_long(in->uuid, attr);
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* xorshift: reproducible data that differs between transfers */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

void fill_random(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)rng_state;
	}
}

/* --- PRP-described buffers ---------------------------------------------- */

struct xfer {
	uint32_t len;
	uint32_t off;		/* offset in the first page */
	unsigned int npages;
	uint64_t page[BIG_PAGES + 1];	/* guest offsets of the data pages */
	uint64_t prp1;
	uint64_t prp2;
};

/*
 * Describe @len bytes starting at offset @off of the first page.  Data
 * page i is G_BIG page (i * @stride + 1) % 256 (@stride odd: distinct
 * pages).  A PRP list starts at byte @list_off of G_LIST; when it does
 * not fit in the rest of that page, its last entry chains to a page five
 * pages further on, as the specification allows.
 */
static void xfer_build(struct inst *in, struct xfer *x, uint32_t len,
		       uint32_t off, unsigned int stride, uint32_t list_off)
{
	struct nvme_dev *d = &in->dev;
	unsigned int i, left;
	uint64_t pos = G_LIST + list_off;

	x->len = len;
	x->off = off;
	x->npages = (off + len + G_PAGE - 1) / G_PAGE;
	/*
	 * Only commands the device must refuse (over MDTS) are longer; their
	 * description may stop early, the data is never reached.
	 */
	if (x->npages > BIG_PAGES)
		x->npages = BIG_PAGES;
	for (i = 0; i < x->npages; i++)
		x->page[i] = G_BIG + (uint64_t)((i * stride + 1) % BIG_PAGES) *
					     G_PAGE;
	x->prp1 = giova(x->page[0] + off);
	x->prp2 = 0;
	if (x->npages == 2) {
		x->prp2 = giova(x->page[1]);
	} else if (x->npages > 2) {
		x->prp2 = giova(pos);
		for (i = 1, left = x->npages - 1; left; left--, i++) {
			uint64_t *e;

			/* Last slot of a page with more than one to go: chain */
			if ((pos & (G_PAGE - 1)) == G_PAGE - 8 && left > 1) {
				uint64_t next = (pos & ~(uint64_t)(G_PAGE - 1)) +
						5 * G_PAGE;

				e = gptr(d, pos);
				*e = htole64(giova(next));
				pos = next;
			}
			e = gptr(d, pos);
			*e = htole64(giova(x->page[i]));
			pos += 8;
		}
	}
}

static void xfer_copy(struct inst *in, const struct xfer *x, uint8_t *buf,
		      bool to_guest)
{
	uint32_t done = 0, off = x->off;
	unsigned int i;

	for (i = 0; done < x->len; i++) {
		uint32_t n = G_PAGE - off;
		uint8_t *g = gptr(&in->dev, x->page[i] + off);

		if (n > x->len - done)
			n = x->len - done;
		if (to_guest)
			memcpy(g, buf + done, n);
		else
			memcpy(buf + done, g, n);
		done += n;
		off = 0;
	}
}

/* Every byte of the data pages outside the buffer still holds @fill. */
static bool xfer_margins_hold(struct inst *in, const struct xfer *x,
			      uint8_t fill)
{
	const uint8_t *first = gptr(&in->dev, x->page[0]);
	const uint8_t *last = gptr(&in->dev, x->page[x->npages - 1]);
	uint32_t end = (x->off + x->len - 1) % G_PAGE + 1;
	uint32_t i;

	for (i = 0; i < x->off; i++)
		if (first[i] != fill)
			return false;
	for (i = end; i < G_PAGE; i++)
		if (last[i] != fill)
			return false;
	return true;
}

int io_rw(struct inst *in, unsigned int q, uint8_t opcode,
		 uint64_t slba, uint32_t nlb, uint64_t prp1, uint64_t prp2)
{
	struct nvme_sqe sqe;

	nvme_rw_init(&sqe, opcode, slba, nlb, prp1, prp2);
	return nvme_io_exec(&in->dev, &in->sq[q], &sqe, NULL);
}

/*
 * Write @len random bytes at @slba through layout @w, read them back
 * through layout @r (into pages prefilled with FILL_READ) and compare;
 * bytes around the read buffer must be untouched.
 */
static void rw_case(struct inst *in, const char *name, uint64_t slba,
		    uint32_t len, uint32_t woff, unsigned int wstride,
		    uint32_t wlist, uint32_t roff, unsigned int rstride,
		    uint32_t rlist)
{
	uint8_t *ref = malloc(len), *got = malloc(len);
	struct xfer w, r;
	int ws, rs;
	bool data = false, margins = false;

	if (!ref || !got) {
		ok(false, "%s: out of memory", name);
		goto out;
	}
	fill_random(ref, len);
	memset(gptr(&in->dev, G_BIG), FILL_WRITE, BIG_PAGES * G_PAGE);
	xfer_build(in, &w, len, woff, wstride, wlist);
	xfer_copy(in, &w, ref, true);
	ws = io_rw(in, 1, NVME_CMD_WRITE, slba, len / LBA_SIZE, w.prp1,
		   w.prp2);

	memset(gptr(&in->dev, G_BIG), FILL_READ, BIG_PAGES * G_PAGE);
	xfer_build(in, &r, len, roff, rstride, rlist);
	rs = io_rw(in, 1, NVME_CMD_READ, slba, len / LBA_SIZE, r.prp1, r.prp2);
	if (rs == 0) {
		xfer_copy(in, &r, got, false);
		data = !memcmp(ref, got, len);
		margins = xfer_margins_hold(in, &r, FILL_READ);
	}
	if (!ok(ws == 0 && rs == 0 && data && margins, "%s", name))
		diag("write status 0x%x, read status 0x%x, data %s, bytes around the buffer %s",
		     ws, rs, data ? "matches" : "differs",
		     margins ? "intact" : "overwritten");
out:
	free(ref);
	free(got);
}

/* --- the pattern of tests/vm/lib.sh mnv_pattern_gen --------------------- */

static void pattern_block(uint8_t *blk, const char *tag, uint64_t host_lba)
{
	char unit[128];
	int n = snprintf(unit, sizeof(unit), "mnv tag=%s lba=%llu |", tag,
			 (unsigned long long)host_lba);
	uint32_t i;

	for (i = 0; i < LBA_SIZE - 1; i++)
		blk[i] = (uint8_t)unit[i % (uint32_t)n];
	blk[LBA_SIZE - 1] = '\n';
}

/* MARK_NLB pattern blocks for guest LBA @slba into guest page G_DATA. */
static void pattern_fill(struct inst *in, const char *tag, uint64_t slba,
			 uint64_t off)
{
	uint8_t *p = gptr(&in->dev, off);
	unsigned int i;

	for (i = 0; i < MARK_NLB; i++)
		pattern_block(p + i * LBA_SIZE, tag, in->lba_start + slba + i);
}

static int mark_write(struct inst *in, const char *tag, uint64_t slba)
{
	pattern_fill(in, tag, slba, G_DATA);
	return io_rw(in, 1, NVME_CMD_WRITE, slba, MARK_NLB, giova(G_DATA), 0);
}

static bool mark_matches(struct inst *in, const char *tag, uint64_t slba)
{
	int st;

	pattern_fill(in, tag, slba, G_DATA);
	memset(gptr(&in->dev, G_DATA2), 0, G_PAGE);
	st = io_rw(in, 1, NVME_CMD_READ, slba, MARK_NLB, giova(G_DATA2), 0);
	if (st) {
		diag("read of LBA %llu: status 0x%x", (unsigned long long)slba,
		     st);
		return false;
	}
	if (memcmp(gptr(&in->dev, G_DATA), gptr(&in->dev, G_DATA2),
		   MARK_NLB * LBA_SIZE)) {
		diag("LBA %llu holds: %.40s", (unsigned long long)slba,
		     (const char *)gptr(&in->dev, G_DATA2));
		return false;
	}
	return true;
}

/* --- instance set-up ------------------------------------------------------ */

int inst_setup(struct inst *in, const char *uuid, unsigned int idx,
	       unsigned int nq)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *id;
	uint8_t mdts, lbads;
	unsigned int q;
	long v;
	int ret;

	memset(in, 0, sizeof(*in));
	in->uuid = uuid;
	in->idx = idx;
	ret = nvme_dev_open(d, uuid);
	if (ret) {
		diag("cannot open %s: %s", uuid, strerror(-ret));
		return -1;
	}
	d->msix_set_irqs_only = msix_set_irqs_only;
	in->nsze = d->lba_count;
	v = sysfs_long(uuid, "lba_start");
	if (v < 0)
		return -1;
	in->lba_start = (uint64_t)v;
	if (nvme_enable(d) & NVME_CSTS_CFS || !nvme_ready(d)) {
		diag("%s: controller did not become ready", uuid);
		return -1;
	}
	id = gptr(d, G_DATA);
	if (nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0))
		return -1;
	mdts = id[ID_CTRL_MDTS];
	in->oncs = get16(id, ID_CTRL_ONCS);
	/* The module always limits MDTS; 0 (unlimited) would be a bug. */
	in->max_bytes = mdts ? G_PAGE << mdts : 0;
	if (nvme_identify(d, NVME_CNS_NS, 1, giova(G_DATA), 0))
		return -1;
	lbads = id[ID_NS_LBAF0 + 4 * (id[ID_NS_FLBAS] & 0xf) + 2];
	if (get64(id, ID_NS_NSZE) != in->nsze || (1u << lbads) != LBA_SIZE) {
		diag("%s: NSZE %llu (sysfs %llu), LBA size %u: need %u bytes",
		     uuid, (unsigned long long)get64(id, ID_NS_NSZE),
		     (unsigned long long)in->nsze, 1u << lbads, LBA_SIZE);
		return -1;
	}
	for (q = 1; q <= nq; q++) {
		if (nvme_io_cq_create(d, &in->cq[q], q, QD,
				      q == 1 ? G_IOCQ1 : G_IOCQ2) ||
		    nvme_io_sq_create(d, &in->sq[q], q, QD,
				      q == 1 ? G_IOSQ1 : G_IOSQ2, &in->cq[q])) {
			diag("%s: cannot create I/O queue pair %u", uuid, q);
			return -1;
		}
	}
	diag("instance %u: %s, slice [%llu, +%llu), MDTS %u bytes, ONCS 0x%x",
	     idx, uuid, (unsigned long long)in->lba_start,
	     (unsigned long long)in->nsze, in->max_bytes, in->oncs);
	return 0;
}

/* --- after a refused command: the instance still does I/O ---------------- */

int write_read_back(struct inst *in, unsigned int n, uint64_t lba,
		    unsigned int span)
{
	struct nvme_dev *d = &in->dev;
	unsigned int i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		uint64_t w = G_DATA + (i % 16) * G_PAGE;
		uint64_t r = G_DATA2 + (i % 16) * G_PAGE;
		uint64_t at = lba + 8 * (i % span);

		fill_random(gptr(d, w), G_PAGE);
		memset(gptr(d, r), 0, G_PAGE);
		if (io_rw(in, 1, NVME_CMD_WRITE, at, 8, giova(w), 0) ||
		    io_rw(in, 1, NVME_CMD_READ, at, 8, giova(r), 0))
			return -1;
		bad += !!memcmp(gptr(d, w), gptr(d, r), G_PAGE);
	}
	return bad;
}

void still_works(struct inst *in, const char *after)
{
	uint8_t *w = gptr(&in->dev, G_DATA), *r = gptr(&in->dev, G_DATA2);
	int ws, rs;

	fill_random(w, G_PAGE);
	memset(r, 0, G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, SCRATCH_LBA, G_PAGE / LBA_SIZE,
		   giova(G_DATA), 0);
	rs = io_rw(in, 1, NVME_CMD_READ, SCRATCH_LBA, G_PAGE / LBA_SIZE,
		   giova(G_DATA2), 0);
	if (!ok(ws == 0 && rs == 0 && !memcmp(w, r, G_PAGE),
		"after %s: write and read back still work", after))
		diag("write 0x%x read 0x%x", ws, rs);
}

/* Submit @sqe on SQ 1, expect @want (with DNR), then check I/O works. */
static void hostile(struct inst *in, struct nvme_sqe *sqe, unsigned int want,
		    const char *name)
{
	int st = nvme_io_exec(&in->dev, &in->sq[1], sqe, NULL);

	if (!ok(refused(st, want), "%s: status 0x%03x", name, want))
		diag("got status field 0x%x", st);
	still_works(in, name);
}

static void hostile_rw(struct inst *in, uint8_t opcode, uint64_t slba,
		       uint32_t nlb, uint64_t prp1, uint64_t prp2,
		       unsigned int want, const char *name)
{
	struct nvme_sqe sqe;

	nvme_rw_init(&sqe, opcode, slba, nlb, prp1, prp2);
	hostile(in, &sqe, want, name);
}

/* --- the test groups ------------------------------------------------------- */

static void test_transfers(struct inst *in)
{
	uint32_t max = in->max_bytes;
	uint32_t mid = G_PAGE - 8 * 10;	/* a list with 10 slots left */

	rw_case(in, "512 B, PRP1 only", DATA_LBA, 512, 0, 1, 0, 0, 3, 0);
	rw_case(in, "512 B at PRP1 offset 3584 (ends at the page end)",
		DATA_LBA + 1, 512, 3584, 1, 0, 3584, 5, 0);
	rw_case(in, "512 B across a page: PRP2 is the second page",
		DATA_LBA + 2, 512, 3840, 1, 0, 3840, 7, 0);
	rw_case(in, "4 KiB, PRP1 only", DATA_LBA, 4096, 0, 1, 0, 0, 9, 0);
	rw_case(in, "4 KiB at PRP1 offset 512: PRP2 second page", DATA_LBA,
		4096, 512, 3, 0, 1024, 11, 0);
	rw_case(in, "8 KiB: PRP2 second page", DATA_LBA, 8192, 0, 5, 0, 0, 13,
		0);
	rw_case(in, "16 KiB through a PRP list", DATA_LBA, 16384, 0, 7, 0,
		0, 15, 64);
	rw_case(in, "16 KiB at dword offset 4 (5 pages, list of 4)",
		DATA_LBA + 40, 16384, 4, 9, 0, 2048, 17, 128);
	rw_case(in, "128 KiB through a PRP list", DATA_LBA, 131072, 0, 11, 0,
		0, 19, 0);
	rw_case(in, "128 KiB at offset 1024, read through a chained list",
		DATA_LBA + 256, 131072, 1024, 13, 0, 512, 21, mid);
	if (!ok(max >= 131072 && max <= 1048576,
		"MDTS offered to the guest is 128 KiB..1 MiB (%u bytes)",
		max))
		return;
	rw_case(in, "max transfer (MDTS) through a PRP list", DATA_LBA, max,
		0, 23, 0, 0, 25, 0);
	/* With an offset, the transfer spans one page more than MDTS. */
	if (max / G_PAGE + 1 <= BIG_PAGES)
		rw_case(in, "max transfer at offset 512: one page more, chained list",
			DATA_LBA, max, 512, 27, mid, 4092, 29, 8);
	else
		rw_case(in, "max transfer less a page at offset 512: chained list",
			DATA_LBA, max - G_PAGE, 512, 27, mid, 4092, 29, 8);

	/*
	 * A 4 KiB read inside the last transfer finds the bytes the
	 * transfer had at that distance: LBAs map to buffer offsets.
	 */
	{
		uint8_t *ref = malloc(max);
		struct xfer w;
		int ws, rs = -1;

		if (!ref) {
			ok(false, "LBA offsets inside a transfer: no memory");
			return;
		}
		fill_random(ref, max);
		xfer_build(in, &w, max, 0, 31, 0);
		xfer_copy(in, &w, ref, true);
		ws = io_rw(in, 1, NVME_CMD_WRITE, DATA_LBA, max / LBA_SIZE,
			   w.prp1, w.prp2);
		memset(gptr(&in->dev, G_DATA2), 0, G_PAGE);
		if (!ws)
			rs = io_rw(in, 1, NVME_CMD_READ, DATA_LBA + 200, 8,
				   giova(G_DATA2), 0);
		ok(ws == 0 && rs == 0 &&
		   !memcmp(gptr(&in->dev, G_DATA2), ref + 200 * LBA_SIZE,
			   G_PAGE),
		   "4 KiB read at LBA +200 of a max transfer finds its bytes (w 0x%x r 0x%x)",
		   ws, rs);
		free(ref);
	}
}

static void test_batches(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint16_t cids[QD];
	bool seen[QD] = { false };
	unsigned int i, n = QD - 1, good = 0, bad = 0;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;

	/* A full queue in one doorbell: QD - 1 writes of distinct data. */
	for (i = 0; i < n; i++) {
		uint64_t page = G_BIG + (uint64_t)i * G_PAGE;

		fill_random(gptr(d, page), G_PAGE);
		nvme_rw_init(&sqe, NVME_CMD_WRITE, BATCH_LBA + 8 * i, 8,
			     giova(page), 0);
		cids[i] = nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
	for (i = 0; i < n; i++) {
		unsigned int j;

		if (!nvme_io_reap(d, &in->cq[1], &cqe, 10000))
			break;
		for (j = 0; j < n && cids[j] != cqe.cid; j++)
			;
		if (j < n && !seen[j] && cqe.sq_id == 1 && !(cqe.status >> 1)) {
			seen[j] = true;
			good++;
		} else {
			bad++;
		}
	}
	if (!ok(good == n && !bad,
		"%u writes submitted with one doorbell all complete once, successfully",
		n))
		diag("%u good, %u bad or duplicate completions", good, bad);

	/* Read them back in a second full batch into other pages. */
	memset(gptr(d, G_BIG + 128 * G_PAGE), 0, 64 * G_PAGE);
	for (i = 0; i < n; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, BATCH_LBA + 8 * i, 8,
			     giova(G_BIG + (128 + (uint64_t)i) * G_PAGE), 0);
		nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
	good = 0;
	for (i = 0; i < n; i++) {
		if (!nvme_io_reap(d, &in->cq[1], &cqe, 10000))
			break;
		good += !(cqe.status >> 1);
	}
	for (bad = 0, i = 0; i < n; i++)
		bad += !!memcmp(gptr(d, G_BIG + (uint64_t)i * G_PAGE),
				gptr(d, G_BIG + (128 + (uint64_t)i) * G_PAGE),
				G_PAGE);
	ok(good == n && !bad,
	   "a batch of %u reads returns what the batch of writes wrote (%u ok, %u differ)",
	   n, good, bad);
}

static void test_second_queue(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	int ws, rs, st;

	fill_random(w, G_PAGE);
	memset(r, 0, G_PAGE);
	ws = io_rw(in, 2, NVME_CMD_WRITE, SCRATCH_LBA, 8, giova(G_DATA), 0);
	rs = io_rw(in, 1, NVME_CMD_READ, SCRATCH_LBA, 8, giova(G_DATA2), 0);
	ok(ws == 0 && rs == 0 && !memcmp(w, r, G_PAGE),
	   "queue pair 2: its write is read back on queue pair 1 (w 0x%x r 0x%x)",
	   ws, rs);

	/* SQ 2 completing to CQ 1: completions name the SQ they came from. */
	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, 2);
	if (!st)
		st = nvme_io_sq_create(d, &in->sq[2], 2, QD, G_IOSQ2,
				       &in->cq[1]);
	memset(r, 0, G_PAGE);
	rs = st ? -1 : io_rw(in, 2, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
	ok(st == 0 && rs == 0 && !memcmp(w, r, G_PAGE),
	   "SQ 2 completing to CQ 1 (admin 0x%x, read 0x%x)", st, rs);
}

static void test_refused(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint64_t nsze = in->nsze, *list = gptr(d, G_LIST);
	uint32_t max_nlb = in->max_bytes / LBA_SIZE;
	struct nvme_sqe sqe;
	struct xfer x;

	/* Guest memory the controller cannot reach */
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 1, GMEM_HOLE, 0,
		   SC_DATA_XFER_ERROR, "read to unmapped PRP1");
	hostile_rw(in, NVME_CMD_WRITE, SCRATCH_LBA, 1, GMEM_HOLE, 0,
		   SC_DATA_XFER_ERROR, "write from unmapped PRP1");
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 16, giova(G_DATA),
		   GMEM_HOLE, SC_DATA_XFER_ERROR,
		   "8 KiB read with PRP2 page unmapped");
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 32, giova(G_DATA),
		   GMEM_HOLE, SC_DATA_XFER_ERROR,
		   "16 KiB read with the PRP list in unmapped memory");
	xfer_build(in, &x, 16384, 0, 1, 0);
	list[2] = htole64(GMEM_HOLE);
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 32, x.prp1, x.prp2,
		   SC_DATA_XFER_ERROR, "PRP list entry in unmapped memory");
	/* A chain pointer to unmapped memory: the rest of the list is lost. */
	xfer_build(in, &x, 131072, 0, 1, G_PAGE - 16);
	*(uint64_t *)gptr(d, G_LIST + G_PAGE - 8) = htole64(GMEM_HOLE);
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 256, x.prp1, x.prp2,
		   SC_DATA_XFER_ERROR, "chained PRP list page unmapped");

	/* Misaligned pointers */
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 1, giova(G_DATA) + 2, 0,
		   SC_PRP_OFFSET_INVALID, "PRP1 not dword aligned");
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 16, giova(G_DATA),
		   giova(G_DATA2) + 8, SC_PRP_OFFSET_INVALID,
		   "PRP2 second page with an offset");
	xfer_build(in, &x, 16384, 0, 1, 0);
	list[1] |= htole64(512);
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 32, x.prp1, x.prp2,
		   SC_PRP_OFFSET_INVALID, "PRP list entry with an offset");
	xfer_build(in, &x, 16384, 0, 1, 0);
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 32, x.prp1, x.prp2 + 4,
		   SC_PRP_OFFSET_INVALID, "PRP list pointer not qword aligned");
	xfer_build(in, &x, 131072, 0, 1, G_PAGE - 16);
	*(uint64_t *)gptr(d, G_LIST + G_PAGE - 8) |= htole64(8);
	hostile_rw(in, NVME_CMD_READ, SCRATCH_LBA, 256, x.prp1, x.prp2,
		   SC_PRP_OFFSET_INVALID, "chain pointer with an offset");

	/* LBA ranges outside the slice; writes would land in a neighbour */
	hostile_rw(in, NVME_CMD_READ, nsze, 1, giova(G_DATA), 0, SC_LBA_RANGE,
		   "read at SLBA = NSZE");
	hostile_rw(in, NVME_CMD_WRITE, nsze, 1, giova(G_DATA), 0,
		   SC_LBA_RANGE, "write at SLBA = NSZE");
	hostile_rw(in, NVME_CMD_WRITE, nsze - 1, 2, giova(G_DATA), 0,
		   SC_LBA_RANGE, "write crossing the end of the slice");
	hostile_rw(in, NVME_CMD_READ, ~0ULL, 2, giova(G_DATA), 0,
		   SC_LBA_RANGE, "SLBA 2^64-1");
	hostile_rw(in, NVME_CMD_WRITE, ~0ULL - 1, 3, giova(G_DATA), 0,
		   SC_LBA_RANGE, "SLBA 2^64-2 + 3 blocks wraps to 1");
	hostile_rw(in, NVME_CMD_WRITE, (1ULL << 32) | 8, 1, giova(G_DATA), 0,
		   SC_LBA_RANGE, "SLBA 2^32+8: upper dword counts");

	/* Namespace, opcode, command dword 0 */
	nvme_rw_init(&sqe, NVME_CMD_READ, 0, 1, giova(G_DATA2), 0);
	sqe.nsid = 0;
	hostile(in, &sqe, SC_INVALID_NS, "read with NSID 0");
	nvme_rw_init(&sqe, NVME_CMD_WRITE, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.nsid = htole32(2);
	hostile(in, &sqe, SC_INVALID_NS, "write with NSID 2");
	nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.nsid = htole32(0xffffffff);
	hostile(in, &sqe, SC_INVALID_NS, "read with NSID FFFFFFFFh");
	nvme_rw_init(&sqe, 0x7f, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	hostile(in, &sqe, SC_INVALID_OPCODE, "opcode 7Fh");
	nvme_rw_init(&sqe, NVME_CMD_WRITE_UNCOR, SCRATCH_LBA, 1, 0, 0);
	hostile(in, &sqe, SC_INVALID_OPCODE, "Write Uncorrectable (04h)");
	nvme_rw_init(&sqe, NVME_CMD_COMPARE, SCRATCH_LBA, 1, giova(G_DATA2),
		     0);
	hostile(in, &sqe, SC_INVALID_OPCODE, "Compare (05h)");
	nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.flags = NVME_FLAG_FUSE_FIRST;
	hostile(in, &sqe, SC_INVALID_FIELD, "fused, first command");
	nvme_rw_init(&sqe, NVME_CMD_WRITE, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.flags = NVME_FLAG_FUSE_SECOND;
	hostile(in, &sqe, SC_INVALID_FIELD, "fused, second command");
	nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.flags = NVME_FLAG_PSDT_SGL;
	hostile(in, &sqe, SC_INVALID_FIELD, "PSDT 01b (SGL)");
	nvme_rw_init(&sqe, NVME_CMD_WRITE, SCRATCH_LBA, 1, giova(G_DATA2), 0);
	sqe.flags = NVME_FLAG_PSDT_SGL_MPTR;
	hostile(in, &sqe, SC_INVALID_FIELD, "PSDT 10b (SGL, MPTR SGL)");

	/* Transfer size */
	xfer_build(in, &x, in->max_bytes + G_PAGE, 0, 1, 0);
	hostile_rw(in, NVME_CMD_READ, DATA_LBA, max_nlb + 1, x.prp1, x.prp2,
		   SC_INVALID_FIELD, "one block over MDTS");
	xfer_build(in, &x, in->max_bytes + G_PAGE, 0, 1, 0);
	hostile_rw(in, NVME_CMD_WRITE, 0, max_nlb * 2, x.prp1, x.prp2,
		   SC_INVALID_FIELD, "write of twice MDTS");

	/* Flush: NSID 1 and all namespaces are both this one namespace */
	nvme_sqe_init(&sqe, NVME_CMD_FLUSH);
	sqe.nsid = htole32(1);
	ok(nvme_io_exec(d, &in->sq[1], &sqe, NULL) == 0, "flush, NSID 1");
	nvme_sqe_init(&sqe, NVME_CMD_FLUSH);
	sqe.nsid = htole32(0xffffffff);
	ok(nvme_io_exec(d, &in->sq[1], &sqe, NULL) == 0,
	   "flush, NSID FFFFFFFFh");
	nvme_sqe_init(&sqe, NVME_CMD_FLUSH);
	sqe.nsid = htole32(3);
	hostile(in, &sqe, SC_INVALID_NS, "flush with NSID 3");
}

static void test_write_zeroes(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	static const uint8_t zero[4 * LBA_SIZE];
	struct nvme_sqe sqe;
	int ws, zs, rs;

	if (!(in->oncs & ONCS_WRITE_ZEROES)) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE_ZEROES, ZERO_LBA, 1, 0, 0);
		hostile(in, &sqe, SC_INVALID_OPCODE,
			"Write Zeroes not offered (ONCS)");
		return;
	}
	fill_random(w, G_PAGE);
	memset(r, 0xa5, G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, ZERO_LBA, 8, giova(G_DATA), 0);
	nvme_rw_init(&sqe, NVME_CMD_WRITE_ZEROES, ZERO_LBA + 2, 4, 0, 0);
	zs = nvme_io_exec(d, &in->sq[1], &sqe, NULL);
	rs = io_rw(in, 1, NVME_CMD_READ, ZERO_LBA, 8, giova(G_DATA2), 0);
	ok(ws == 0 && zs == 0 && rs == 0 &&
	   !memcmp(r, w, 2 * LBA_SIZE) &&
	   !memcmp(r + 2 * LBA_SIZE, zero, sizeof(zero)) &&
	   !memcmp(r + 6 * LBA_SIZE, w + 6 * LBA_SIZE, 2 * LBA_SIZE),
	   "Write Zeroes clears exactly its 4 blocks (w 0x%x z 0x%x r 0x%x)",
	   ws, zs, rs);
	nvme_rw_init(&sqe, NVME_CMD_WRITE_ZEROES, in->nsze - 1, 2, 0, 0);
	hostile(in, &sqe, SC_LBA_RANGE, "Write Zeroes crossing the slice end");
	nvme_rw_init(&sqe, NVME_CMD_WRITE_ZEROES, ~0ULL, 2, 0, 0);
	hostile(in, &sqe, SC_LBA_RANGE, "Write Zeroes at SLBA 2^64-1");
}

static void dsm_init(struct nvme_sqe *sqe, unsigned int nr, uint64_t prp1,
		     uint64_t prp2)
{
	nvme_sqe_init(sqe, NVME_CMD_DSM);
	sqe->nsid = htole32(1);
	sqe->prp1 = htole64(prp1);
	sqe->prp2 = htole64(prp2);
	sqe->cdw10 = htole32(nr - 1);
	sqe->cdw11 = htole32(DSM_ATTR_DEALLOCATE);
}

static void dsm_range(struct nvme_dsm_range *r, uint64_t slba, uint32_t nlb)
{
	r->cattr = 0;
	r->nlb = htole32(nlb);
	r->slba = htole64(slba);
}

static void test_dsm(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_dsm_range *r;
	struct nvme_sqe sqe;
	unsigned int i;
	int st;

	if (!(in->oncs & ONCS_DSM)) {
		dsm_init(&sqe, 1, giova(G_DATA), 0);
		hostile(in, &sqe, SC_INVALID_OPCODE,
			"Dataset Management not offered (ONCS)");
		return;
	}
	r = gptr(d, G_DATA);
	memset(r, 0, G_PAGE);
	dsm_range(&r[0], ZERO_LBA + 8, 8);
	dsm_init(&sqe, 1, giova(G_DATA), 0);
	st = nvme_io_exec(d, &in->sq[1], &sqe, NULL);
	ok(st == 0, "DSM deallocate of one range in the slice (0x%x)", st);

	/* 256 ranges (4 KiB) from the middle of a page: PRP2 holds the rest */
	r = gptr(d, G_DATA + 2048);
	for (i = 0; i < 256; i++)
		dsm_range(&r[i], ZERO_LBA + 8 + i % 8, 1);
	dsm_init(&sqe, 256, giova(G_DATA + 2048), giova(G_DATA2));
	memcpy(gptr(d, G_DATA2), gptr(d, G_DATA + G_PAGE), 2048);
	/* Ranges read from the page after PRP1's instead would be refused. */
	memset(gptr(d, G_DATA + G_PAGE), 0xff, 2048);
	st = nvme_io_exec(d, &in->sq[1], &sqe, NULL);
	ok(st == 0, "DSM with 256 ranges across two pages (0x%x)", st);

	r = gptr(d, G_DATA);
	dsm_range(&r[0], ZERO_LBA + 8, 1);
	dsm_range(&r[1], in->nsze, 1);
	dsm_init(&sqe, 2, giova(G_DATA), 0);
	hostile(in, &sqe, SC_LBA_RANGE, "DSM with a range past the slice");
	dsm_range(&r[0], in->nsze - 4, 8);
	dsm_init(&sqe, 1, giova(G_DATA), 0);
	hostile(in, &sqe, SC_LBA_RANGE, "DSM range crossing the slice end");
	dsm_range(&r[0], ~0ULL - 1, 4);
	dsm_init(&sqe, 1, giova(G_DATA), 0);
	hostile(in, &sqe, SC_LBA_RANGE, "DSM range wrapping 2^64");
	dsm_init(&sqe, 1, GMEM_HOLE, 0);
	hostile(in, &sqe, SC_DATA_XFER_ERROR, "DSM ranges in unmapped memory");
	dsm_init(&sqe, 1, giova(G_DATA) + 2, 0);
	hostile(in, &sqe, SC_PRP_OFFSET_INVALID,
		"DSM ranges at a PRP1 not dword aligned");
}

/*
 * A doorbell value at or beyond the queue size is an invalid doorbell
 * write (NVMe 1.4 section 4.1): the core ignores the value and reports
 * an asynchronous event of type Error, information Invalid Doorbell Write
 * Value (01h), log page Error Information (01h), with an error log entry
 * for the queue.
 */
static void bad_doorbell(struct inst *in, bool cq)
{
	struct nvme_dev *d = &in->dev;
	const char *what = cq ? "CQ 1 head" : "SQ 1 tail";
	uint8_t *log = gptr(d, G_DATA2);
	struct nvme_cqe cqe = { 0 };
	struct nvme_sqe aer;
	uint16_t cid;
	bool got;
	int st;

	nvme_sqe_init(&aer, NVME_ADM_AER);
	cid = nvme_submit(d, &aer);
	bar_wr32(d, cq ? nvme_cq_db(d, 1) : nvme_sq_db(d, 1), QD);
	got = nvme_reap(d, &cqe, 2000);
	if (!ok(got && cqe.cid == cid && !(cqe.status >> 1) &&
		cqe.result == 0x010100,
		"%s doorbell = queue size: async event Error/Invalid Doorbell Write Value",
		what))
		diag("completion %s: cid %u (AER %u) status 0x%x result 0x%x",
		     got ? "seen" : "missing", cqe.cid, cid, cqe.status >> 1,
		     cqe.result);
	/* Reading the log page (RAE clear) re-arms the event type. */
	memset(log, 0xff, LOG_ERROR_ENTRY);
	st = nvme_get_log(d, LOG_ERROR, 0xffffffff, 0, LOG_ERROR_ENTRY, false,
			  giova(G_DATA2), 0);
	ok(st == 0 && get16(log, 8) == (cq ? 0xffff : 1) &&
	   get16(log, 10) == 0xffff,
	   "%s: error log entry names the queue (status 0x%x, SQID %u, CID 0x%x)",
	   what, st, get16(log, 8), get16(log, 10));
	still_works(in, cq ? "a bad CQ head doorbell" :
			     "a bad SQ tail doorbell");
}

/*
 * A CQ head doorbell that moves over entries the controller never posted
 * is an invalid doorbell write value as well (the admin CQ is checked so
 * by the core): expect the same event, then put the real head back.
 */
static void cq_head_beyond_tail(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_cqe cqe = { 0 };
	struct nvme_sqe aer;
	uint16_t cid;
	bool got;

	nvme_sqe_init(&aer, NVME_ADM_AER);
	cid = nvme_submit(d, &aer);
	/* Nothing is outstanding on CQ 1: any other head is beyond its tail. */
	bar_wr32(d, nvme_cq_db(d, 1), (in->cq[1].head + 5) % QD);
	got = nvme_reap(d, &cqe, 2000);
	if (!ok(got && cqe.cid == cid && !(cqe.status >> 1) &&
		cqe.result == 0x010100,
		"CQ 1 head doorbell beyond the posted entries: async event Invalid Doorbell Write Value"))
		diag("completion %s: cid %u (AER %u) status 0x%x result 0x%x",
		     got ? "seen" : "missing", cqe.cid, cid, cqe.status >> 1,
		     cqe.result);
	if (got)
		nvme_get_log(d, LOG_ERROR, 0, 0, LOG_ERROR_ENTRY, false,
			     giova(G_DATA2), 0);
	bar_wr32(d, nvme_cq_db(d, 1), in->cq[1].head);
	still_works(in, "a CQ head doorbell beyond the tail");
}

static void test_reset(struct inst *in, const char *tag, uint64_t mark)
{
	struct nvme_dev *d = &in->dev;
	uint32_t csts = nvme_disable(d);
	bool up;

	ok(!(csts & (NVME_CSTS_RDY | NVME_CSTS_CFS)),
	   "controller disable with idle queues (CSTS 0x%x)", csts);
	csts = nvme_enable(d);
	up = !(csts & NVME_CSTS_CFS) && nvme_ready(d) &&
	     !nvme_io_cq_create(d, &in->cq[1], 1, QD, G_IOCQ1) &&
	     !nvme_io_sq_create(d, &in->sq[1], 1, QD, G_IOSQ1, &in->cq[1]);
	ok(up, "re-enable and recreate queue pair 1 (CSTS 0x%x)", csts);
	ok(up && mark_matches(in, tag, mark),
	   "after the reset the mark at LBA %llu reads back",
	   (unsigned long long)mark);
}

int qpair_recreate(struct inst *in, uint16_t q, uint16_t cq_entries,
		   uint64_t cq_off, uint64_t sq_off, int vector)
{
	struct nvme_dev *d = &in->dev;
	int st;

	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, q);
	st = st ? st : nvme_delete_q(d, NVME_ADM_DELETE_CQ, q);
	st = st ? st : nvme_io_cq_create_irq(d, &in->cq[q], q, cq_entries,
					     cq_off, vector);
	return st ? st : nvme_io_sq_create(d, &in->sq[q], q, QD, sq_off,
					   &in->cq[q]);
}

/* --- independent groups of checks ------------------------------------------ */

/* What the command line says, for the groups */
static struct {
	const char *uuid1;
	const char *tag1;
	uint64_t mark;
	long sleeps0;	/* idle_sleeps before the first open */
	unsigned int nq;	/* queue pairs each fixture creates */
} opt;

/*
 * The fixture of every group: instance 1 opened, enabled and with its I/O
 * queue pairs, as a guest driver leaves it after probing.  A group that
 * breaks it (fails the controller, leaves queues half-deleted) breaks only
 * itself: the next group opens the device afresh.
 */
static bool inst1_setup(void *self, const struct tap_variant *v,
			const char *test)
{
	(void)v;
	(void)test;
	return inst_setup(self, opt.uuid1, 1, opt.nq) == 0;
}

/* Close as a VMM would; whatever the group did, nothing stays pinned. */
static void inst1_teardown(void *self, const struct tap_variant *v,
			   const char *test)
{
	struct inst *in = self;

	if (in->dev.opened)
		nvme_disable(&in->dev);
	nvme_dev_close(&in->dev);
	ok(sysfs_long(opt.uuid1, "pinned_pages") == 0 &&
	   sysfs_long(opt.uuid1, "open") == 0,
	   "%s%s%s%s: instance 1 closed: open 0, pinned_pages 0", test,
	   *v->name ? " (" : "", v->name, *v->name ? ")" : "");
}

static const struct tap_fixture inst1 = {
	.name = "instance 1",
	.size = sizeof(struct inst),
	.setup = inst1_setup,
	.teardown = inst1_teardown,
};

/* A group that is one function of struct inst * */
#define INST1_TEST(fn)							\
	static void fn##_f(void *self, const struct tap_variant *v)	\
	{								\
		(void)v;						\
		fn(self);						\
	}

static void thread_mode(struct inst *in)
{
	test_thread_mode(in, opt.sleeps0);
}

/* Mapped in poll mode, the doorbell page must hold the device open. */
static void doorbell_page_and_close(struct inst *in)
{
	test_doorbell_page(in);
	test_doorbell_page_close(in);
}

static void bad_sq_doorbell(struct inst *in)
{
	bad_doorbell(in, false);
}

static void bad_cq_doorbell(struct inst *in)
{
	bad_doorbell(in, true);
}

static void reset_keeps_data(struct inst *in)
{
	test_reset(in, opt.tag1, opt.mark);
}

INST1_TEST(thread_mode)
INST1_TEST(doorbell_page_and_close)
INST1_TEST(test_doorbell_page)
INST1_TEST(test_adaptive_stall)
INST1_TEST(test_transfers)
INST1_TEST(test_batches)
INST1_TEST(test_second_queue)
INST1_TEST(test_refused)
INST1_TEST(test_write_zeroes)
INST1_TEST(test_dsm)
INST1_TEST(bad_sq_doorbell)
INST1_TEST(bad_cq_doorbell)
INST1_TEST(cq_head_beyond_tail)
INST1_TEST(test_pin_cache)
INST1_TEST(test_remap)
INST1_TEST(test_release_keeps_data)
INST1_TEST(test_remap_at_once)
INST1_TEST(test_readonly_map)
INST1_TEST(test_coalescing)
INST1_TEST(test_bus_master)
INST1_TEST(test_uffd_region)
INST1_TEST(test_ring_pins)
INST1_TEST(test_shadow_doorbells)
INST1_TEST(reset_keeps_data)
INST1_TEST(test_msix_set_irqs)
INST1_TEST(test_list_reads)
INST1_TEST(test_list_remap)

/* The data path on instance 1 (default run), each group on its own open */
static const struct tap_test io_tests[] = {
	{ "polling thread mode", thread_mode_f },
	{ "doorbell page", test_doorbell_page_f },
	{ "adaptive mode, CQ full", test_adaptive_stall_f },
	{ "transfers", test_transfers_f },
	{ "batches", test_batches_f },
	{ "second queue pair", test_second_queue_f },
	{ "refused commands", test_refused_f },
	{ "Write Zeroes", test_write_zeroes_f },
	{ "Dataset Management", test_dsm_f },
	{ "PRP lists and DSM ranges read", test_list_reads_f },
	{ "lists unmapped and mapped again", test_list_remap_f },
	{ "SQ tail doorbell out of range", bad_sq_doorbell_f },
	{ "CQ head doorbell out of range", bad_cq_doorbell_f },
	{ "CQ head beyond the tail", cq_head_beyond_tail_f },
	{ "pin cache", test_pin_cache_f },
	{ "remap", test_remap_f },
	{ "released pages keep data", test_release_keeps_data_f },
	{ "remap at once", test_remap_at_once_f },
	{ "read-only mapping", test_readonly_map_f },
	{ "interrupt coalescing", test_coalescing_f },
	{ "bus master", test_bus_master_f },
	{ "userfaultfd region", test_uffd_region_f },
	{ "ring pins", test_ring_pins_f },
	{ "shadow doorbells", test_shadow_doorbells_f },
	{ "controller reset", reset_keeps_data_f },
};

/* -q: what the polling thread's mode decides */
static const struct tap_test mode_tests[] = {
	{ "polling thread mode", thread_mode_f },
	{ "doorbell page, closed while mapped", doorbell_page_and_close_f },
};

/* -L: the commands with PRP lists or DSM ranges, one way of reading them */
static const struct tap_test list_tests[] = {
	{ "transfers", test_transfers_f },
	{ "refused commands", test_refused_f },
	{ "Dataset Management", test_dsm_f },
	{ "PRP lists and DSM ranges read", test_list_reads_f },
	{ "lists unmapped and mapped again", test_list_remap_f },
};

/* -x: MSI-X wired by VFIO_DEVICE_SET_IRQS alone */
static const struct tap_test msix_tests[] = {
	{ "MSI-X by SET_IRQS alone", test_msix_set_irqs_f },
};

/* "mode NAME" of instance @uuid's polling thread */
static void mode_name(const char *uuid, char *buf, size_t len)
{
	char path[256], mode[32] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mode", uuid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%31s", mode) != 1)
			strcpy(mode, "?");
		fclose(f);
	}
	snprintf(buf, len, "mode %s", mode);
}

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void usage(void)
{
	fprintf(stderr, "usage: vfio-io [-m LBA] [-t TAG] UUID1 [UUID2]\n"
		"       vfio-io -q UUID1\n"
		"       vfio-io -L UUID1         (PRP lists and DSM ranges)\n"
		"       vfio-io -x UUID1         (MSI-X by SET_IRQS alone)\n"
		"       vfio-io -f BDF [-e CMD] UUID1 UUID2   (-e: CMD reports a PCI error)\n"
		"       vfio-io -l PAGES UUID1   (RLIMIT_MEMLOCK of PAGES)\n"
		"       vfio-io -b UUID1         (bounce_pages_max=1 at open)\n"
		"       vfio-io -s COUNT UUID1   (COUNT reads kept in flight)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct inst in1, in2;
	const char *tag = "vfio-io", *fault_bdf = NULL, *inject = NULL;
	char tag1[64], tag2[64];
	uint64_t mark = 100;
	unsigned long memlock = 0, stale = 0;
	bool two, modes_only = false, bounce = false, lists_only = false;
	int opt_c, st;

	while ((opt_c = getopt(argc, argv, "be:f:l:Lm:qs:t:x")) != -1) {
		switch (opt_c) {
		case 'b':
			bounce = true;
			break;
		case 'L':
			lists_only = true;
			break;
		case 'e':
			inject = optarg;
			break;
		case 'l':
			memlock = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			fault_bdf = optarg;
			break;
		case 'q':
			modes_only = true;
			break;
		case 'm':
			mark = strtoull(optarg, NULL, 0);
			break;
		case 's':
			stale = strtoul(optarg, NULL, 0);
			if (!stale || stale > 100000)
				usage();
			break;
		case 't':
			tag = optarg;
			break;
		case 'x':
			msix_set_irqs_only = true;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || argc - optind > 2)
		usage();
	two = argc - optind == 2;
	snprintf(tag1, sizeof(tag1), "%s-1", tag);
	snprintf(tag2, sizeof(tag2), "%s-2", tag);
	setvbuf(stdout, NULL, _IOLBF, 0);
	opt.uuid1 = argv[optind];
	opt.tag1 = tag1;
	opt.mark = mark;
	opt.nq = 2;

	if (fault_bdf || inject) {
		if (!two || !fault_bdf)
			usage();
		if (!ok(inst_setup(&in1, argv[optind], 1, 2) == 0 &&
			inst_setup(&in2, argv[optind + 1], 2, 1) == 0,
			"instances 1 and 2: open, enable, their I/O queue pairs"))
			tap_bail("instances unusable");
		if (inject)
			test_parent_reset(&in1, &in2, fault_bdf, inject);
		else
			test_faults(&in1, &in2, fault_bdf);
		nvme_disable(&in1.dev);
		nvme_dev_close(&in1.dev);
		nvme_disable(&in2.dev);
		nvme_dev_close(&in2.dev);
		ok(sysfs_long(in1.uuid, "pinned_pages") == 0 &&
		   sysfs_long(in2.uuid, "pinned_pages") == 0,
		   "both instances closed: pinned_pages 0");
		return tap_done();
	}

	if (memlock || bounce) {
		if (two)
			usage();
		/* Before the device is opened: VFIO charges at DMA map time. */
		if (memlock && !ok(memlock_limit(memlock) == 0,
				   "no CAP_IPC_LOCK, RLIMIT_MEMLOCK %lu pages",
				   memlock))
			tap_bail("cannot set the limit");
		if (!ok(inst_setup(&in1, argv[optind], 1, 1) == 0,
			"instance: open, enable, one I/O queue pair"))
			tap_bail("instance unusable");
		if (memlock)
			test_memlock(&in1, memlock);
		else
			test_bounce_share(&in1, swiotlb_forced());
		nvme_disable(&in1.dev);
		nvme_dev_close(&in1.dev);
		ok(sysfs_long(in1.uuid, "pinned_pages") == 0,
		   "instance closed: pinned_pages 0");
		return tap_done();
	}

	if (stale) {
		if (two)
			usage();
		if (!ok(inst_setup(&in1, argv[optind], 1, 1) == 0,
			"instance: open, enable, one I/O queue pair"))
			tap_bail("instance unusable");
		test_stale_completions(&in1, stale);
		nvme_disable(&in1.dev);
		nvme_dev_close(&in1.dev);
		ok(sysfs_long(in1.uuid, "pinned_pages") == 0,
		   "instance closed: pinned_pages 0");
		return tap_done();
	}

	if (msix_set_irqs_only) {
		if (two)
			usage();
		if (!ok(inst_setup(&in1, argv[optind], 1, 2) == 0,
			"instance: open, enable, two I/O queue pairs, MSI-X capability untouched"))
			tap_bail("instance unusable");
		nvme_disable(&in1.dev);
		nvme_dev_close(&in1.dev);
		tap_run_fixture(&inst1, NULL, 0, msix_tests,
				ARRAY_SIZE(msix_tests));
		ok(sysfs_long(in1.uuid, "pinned_pages") == 0,
		   "instance closed: pinned_pages 0");
		return tap_done();
	}

	if (lists_only) {
		int pinned = pinned_list_reads();
		struct tap_variant how = {
			.name = pinned < 0 ? "pinned_list_reads ?" :
				pinned ? "pinned_list_reads Y" :
					 "pinned_list_reads N",
		};

		if (two)
			usage();
		tap_run_fixture(&inst1, &how, 1, list_tests,
				ARRAY_SIZE(list_tests));
		return tap_done();
	}

	opt.sleeps0 = sysfs_long(argv[optind], "stats/idle_sleeps");
	if (modes_only) {
		char mode[48];
		struct tap_variant in_force = { .name = mode };

		if (two)
			usage();
		if (!ok(inst_setup(&in1, argv[optind], 1, 2) == 0,
			"instance: open, enable, two I/O queue pairs"))
			tap_bail("instance unusable");
		nvme_disable(&in1.dev);
		nvme_dev_close(&in1.dev);
		/* The variant: the mode the caller set while it was closed. */
		mode_name(argv[optind], mode, sizeof(mode));
		tap_run_fixture(&inst1, &in_force, 1, mode_tests,
				ARRAY_SIZE(mode_tests));
		return tap_done();
	}

	if (!ok(inst_setup(&in1, argv[optind], 1, 2) == 0,
		"instance 1: open, enable, two I/O queue pairs") ||
	    !ok(in1.nsze >= MIN_SLICE1 && mark >= MARK_NLB &&
		mark + 2 * MARK_NLB <= SCRATCH_LBA,
		"instance 1: slice of %llu LBAs, mark LBA %llu usable",
		(unsigned long long)in1.nsze, (unsigned long long)mark))
		tap_bail("instance 1 unusable");
	if (two && (!ok(inst_setup(&in2, argv[optind + 1], 2, 1) == 0,
			"instance 2: open, enable, one I/O queue pair") ||
		    !ok(in2.nsze >= MIN_SLICE2 && mark + MARK_NLB <=
			in2.nsze - MARK_NLB,
			"instance 2: slice of %llu LBAs",
			(unsigned long long)in2.nsze)))
		tap_bail("instance 2 unusable");

	/*
	 * Marks first, on both instances: anything the groups below write
	 * outside instance 1's slice would land on instance 2's marks or on
	 * the caller's guards.  Instance 2 stays open throughout, as a
	 * neighbour with I/O queues of its own.
	 */
	st = mark_write(&in1, tag1, 0);
	st = st ? st : mark_write(&in1, tag1, mark);
	st = st ? st : mark_write(&in1, tag1, in1.nsze - MARK_NLB);
	ok(st == 0, "instance 1: marks written at LBAs 0, %llu, %llu (0x%x)",
	   (unsigned long long)mark,
	   (unsigned long long)(in1.nsze - MARK_NLB), st);
	if (two) {
		st = mark_write(&in2, tag2, 0);
		st = st ? st : mark_write(&in2, tag2, mark);
		st = st ? st : mark_write(&in2, tag2, in2.nsze - MARK_NLB);
		ok(st == 0, "instance 2: marks written (0x%x)", st);
	}
	nvme_disable(&in1.dev);
	nvme_dev_close(&in1.dev);
	ok(sysfs_long(in1.uuid, "pinned_pages") == 0 &&
	   sysfs_long(in1.uuid, "open") == 0,
	   "marks: instance 1 closed: open 0, pinned_pages 0");

	tap_run_fixture(&inst1, NULL, 0, io_tests, ARRAY_SIZE(io_tests));

	/* The marks, through a fresh open: each instance sees only its own. */
	if (!ok(inst_setup(&in1, argv[optind], 1, 2) == 0,
		"instance 1: open again for the marks"))
		tap_bail("instance 1 unusable");
	if (two) {
		/* Same guest LBAs, different data: each sees only its own. */
		ok(mark_matches(&in1, tag1, 0) &&
		   mark_matches(&in1, tag1, mark) &&
		   mark_matches(&in1, tag1, in1.nsze - MARK_NLB),
		   "instance 1 reads its own marks");
		ok(mark_matches(&in2, tag2, 0) &&
		   mark_matches(&in2, tag2, mark) &&
		   mark_matches(&in2, tag2, in2.nsze - MARK_NLB),
		   "instance 2 reads its own marks, not instance 1's");
		st = io_rw(&in2, 1, NVME_CMD_READ, in2.nsze, 1, giova(G_DATA),
			   0);
		ok(refused(st, SC_LBA_RANGE),
		   "instance 2: read just beyond its slice: LBA Out of Range (0x%x)",
		   st);
		st = io_rw(&in2, 1, NVME_CMD_WRITE, in2.nsze - 1, 2,
			   giova(G_DATA), 0);
		ok(refused(st, SC_LBA_RANGE),
		   "instance 2: write crossing its slice end: LBA Out of Range (0x%x)",
		   st);
		ok(mark_matches(&in2, tag2, in2.nsze - MARK_NLB),
		   "instance 2: last blocks intact after the refused write");
	} else {
		ok(mark_matches(&in1, tag1, 0) &&
		   mark_matches(&in1, tag1, mark) &&
		   mark_matches(&in1, tag1, in1.nsze - MARK_NLB),
		   "instance 1 reads its marks back");
	}

	nvme_disable(&in1.dev);
	nvme_dev_close(&in1.dev);
	if (two) {
		nvme_disable(&in2.dev);
		nvme_dev_close(&in2.dev);
	}
	ok(sysfs_long(in1.uuid, "pinned_pages") == 0 &&
	   sysfs_long(in1.uuid, "open") == 0,
	   "instance 1 closed: open 0, pinned_pages 0");
	if (two)
		ok(sysfs_long(in2.uuid, "pinned_pages") == 0 &&
		   sysfs_long(in2.uuid, "open") == 0,
		   "instance 2 closed: open 0, pinned_pages 0");
	return tap_done();
}
