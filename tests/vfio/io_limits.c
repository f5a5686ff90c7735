// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part seven: host-wide resources a tenant must not be able to
 * take from the others.
 *
 *  - Pinned memory is charged to the VMM's RLIMIT_MEMLOCK, as VFIO does
 *    for every pin of a mediated device: a VMM without CAP_IPC_LOCK gets
 *    no more than its limit, and the commands that would need more end
 *    with Data Transfer Error.  Pages the instance only keeps cached must
 *    not count against the commands at hand.
 *  - Bounce buffers (swiotlb) are one pool for the whole host: an
 *    instance with many large commands in flight uses at most its share
 *    (module parameter bounce_pages_max) and its further commands wait
 *    for its own to complete instead of failing.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "io_test.h"

bool swiotlb_forced(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	bool forced = false;
	char *w;

	if (f && fgets(line, sizeof(line), f))
		for (w = strtok(line, " \n"); w; w = strtok(NULL, " \n"))
			forced |= !strncmp(w, "swiotlb=", 8) &&
				  strstr(w, "force");
	if (f)
		fclose(f);
	return forced;
}

/* Guest LBAs these tests write: 2048 of them, one page each 8. */
#define LIMITS_LBA	BATCH_LBA

/* Guest LBA of data page @page of G_BIG */
static uint64_t big_lba(unsigned int page)
{
	return LIMITS_LBA + (uint64_t)page * (G_PAGE / LBA_SIZE);
}

int memlock_limit(unsigned long pages)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[2];
	unsigned int w = CAP_IPC_LOCK / 32;
	uint32_t bit = 1u << (CAP_IPC_LOCK % 32);
	struct rlimit rl = {
		.rlim_cur = pages * G_PAGE,
		.rlim_max = pages * G_PAGE,
	};

	/*
	 * VFIO does not charge a task that may lock memory anyway: drop
	 * CAP_IPC_LOCK for good, as an unprivileged VMM runs.
	 */
	if (syscall(SYS_capget, &hdr, caps))
		return -errno;
	caps[w].effective &= ~bit;
	caps[w].permitted &= ~bit;
	caps[w].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, caps))
		return -errno;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	return 0;
}

/*
 * Ring SQ 1 for the @n commands pushed with ids @cids, and take in their
 * completions: Status Field of each in @st, -1 for one that never came.
 */
static void ring_and_reap(struct inst *in, const uint16_t *cids,
			  unsigned int n, int *st)
{
	struct nvme_cqe cqe;
	unsigned int i, j;

	for (i = 0; i < n; i++)
		st[i] = -1;
	nvme_io_ring(&in->dev, &in->sq[1]);
	for (i = 0; i < n; i++) {
		if (!nvme_io_reap(&in->dev, &in->cq[1], &cqe, 10000))
			break;
		for (j = 0; j < n && cids[j] != cqe.cid; j++)
			;
		if (j < n)
			st[j] = cqe.status >> 1;
	}
}

/*
 * Write data pages [@first, @first + @n) of G_BIG with one two-page
 * command each, all with one doorbell; statuses in @st (-1: none came).
 */
static void write_pairs(struct inst *in, unsigned int first, unsigned int n,
			int *st)
{
	struct nvme_dev *d = &in->dev;
	uint16_t cids[QD];
	struct nvme_sqe sqe;
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int p = first + 2 * i;

		nvme_rw_init(&sqe, NVME_CMD_WRITE, big_lba(p),
			     2 * G_PAGE / LBA_SIZE, giova(G_BIG + p * G_PAGE),
			     giova(G_BIG + (p + 1) * G_PAGE));
		cids[i] = nvme_io_push(d, &in->sq[1], &sqe);
	}
	ring_and_reap(in, cids, n, st);
}

/* Does page @p of G_BIG read back from its LBAs?  (through G_DATA) */
static bool big_page_reads_back(struct inst *in, unsigned int p)
{
	uint8_t *r = gptr(&in->dev, G_DATA);

	memset(r, 0, G_PAGE);
	return io_rw(in, 1, NVME_CMD_READ, big_lba(p), G_PAGE / LBA_SIZE,
		     giova(G_DATA), 0) == 0 &&
	       !memcmp(r, gptr(&in->dev, G_BIG + p * G_PAGE), G_PAGE);
}

void test_memlock(struct inst *in, unsigned long limit)
{
	struct nvme_dev *d = &in->dev;
	unsigned int i, failed = 0, good = 0, bad = 0, wrong = 0;
	int st[QD];
	long pinned;

	/*
	 * Sequential I/O over 1 MiB of buffers, four times the limit: the
	 * cache fills up to the limit, then must give pages back for the
	 * next command instead of failing it.
	 */
	fill_random(gptr(d, G_BIG), BIG_PAGES * G_PAGE);
	for (i = 0; i < BIG_PAGES; i += 2) {
		int s = io_rw(in, 1, NVME_CMD_WRITE, big_lba(i),
			      2 * G_PAGE / LBA_SIZE, giova(G_BIG + i * G_PAGE),
			      giova(G_BIG + (i + 1) * G_PAGE));

		if (s) {
			diag("write of pages %u-%u: status 0x%x", i, i + 1, s);
			failed++;
		}
	}
	for (i = 0; i < BIG_PAGES; i++)
		wrong += !big_page_reads_back(in, i);
	ok(!failed && !wrong,
	   "RLIMIT_MEMLOCK %lu pages: %u pages written one command at a time all succeed and read back (%u failed, %u differ)",
	   limit, BIG_PAGES, failed, wrong);
	pinned = sysfs_long(in->uuid, "pinned_pages");
	ok(pinned >= 0 && (unsigned long)pinned <= limit,
	   "pinned_pages %ld within the VMM's limit of %lu", pinned, limit);

	/*
	 * QD - 1 commands of two fresh pages at once need more than the
	 * limit: those beyond it end with Data Transfer Error, the others
	 * succeed and read back.
	 */
	fill_random(gptr(d, G_BIG), BIG_PAGES * G_PAGE);
	failed = 0;
	write_pairs(in, 0, QD - 1, st);
	for (i = 0; i < QD - 1; i++) {
		if (st[i] == 0 && big_page_reads_back(in, 2 * i) &&
		    big_page_reads_back(in, 2 * i + 1))
			good++;
		else if (refused(st[i], SC_DATA_XFER_ERROR))
			failed++;
		else
			bad++;
	}
	if (!ok(good && failed && !bad && 2 * good <= limit,
		"%u two-page writes at once over a %lu-page limit: %u succeed and read back, %u Data Transfer Error, %u otherwise",
		QD - 1, limit, good, failed, bad))
		for (i = 0; i < QD - 1; i++)
			diag("write %u: status 0x%x", i, st[i]);
	still_works(in, "commands over RLIMIT_MEMLOCK");
}

/*
 * Guest page @i of the 288 the bounce test writes: the 256 of G_BIG, then
 * the 16 of G_DATA and the 16 of G_DATA2.  More than the 257 pages of a
 * largest transfer of 1 MiB that may start anywhere in a page.
 */
#define SHARE_PAGES	(BIG_PAGES + 32)
static uint64_t share_page(unsigned int i)
{
	if (i < BIG_PAGES)
		return G_BIG + (uint64_t)i * G_PAGE;
	i -= BIG_PAGES;
	return (i < 16 ? G_DATA : G_DATA2 - 16 * G_PAGE) + (uint64_t)i * G_PAGE;
}

void test_bounce_share(struct inst *in, bool bounced)
{
	struct nvme_dev *d = &in->dev;
	unsigned int per_cmd = 16, n = SHARE_PAGES / per_cmd, i, j;
	unsigned int good = 0, wrong = 0;
	long peak, waits, share = in->max_bytes / G_PAGE + 1;
	uint16_t cids[SHARE_PAGES / 16];
	int st[SHARE_PAGES / 16];
	uint8_t *copy = malloc(SHARE_PAGES * G_PAGE);
	struct nvme_sqe sqe;

	if (!copy || share >= SHARE_PAGES) {
		ok(false, "bounce share test possible (MDTS %u bytes)",
		   in->max_bytes);
		free(copy);
		return;
	}
	/*
	 * 18 commands of 16 pages with one doorbell: 288 pages, more than
	 * the share of one largest transfer that bounce_pages_max=1 leaves.
	 * Their PRP lists share the first page of G_LIST, 128 bytes each.
	 */
	for (i = 0; i < n; i++) {
		uint64_t *list = gptr(d, G_LIST + i * 128);
		unsigned int p = i * per_cmd;

		for (j = 0; j < per_cmd; j++) {
			fill_random(gptr(d, share_page(p + j)), G_PAGE);
			memcpy(copy + (p + j) * G_PAGE,
			       gptr(d, share_page(p + j)), G_PAGE);
		}
		for (j = 1; j < per_cmd; j++)
			list[j - 1] = htole64(giova(share_page(p + j)));
		nvme_rw_init(&sqe, NVME_CMD_WRITE, big_lba(p),
			     per_cmd * G_PAGE / LBA_SIZE, giova(share_page(p)),
			     giova(G_LIST + i * 128));
		cids[i] = nvme_io_push(d, &in->sq[1], &sqe);
	}
	ring_and_reap(in, cids, n, st);
	for (i = 0; i < n; i++)
		good += st[i] == 0;
	/* Each page read back where it was written from, one at a time. */
	for (i = 0; i < SHARE_PAGES; i++) {
		memset(gptr(d, share_page(i)), 0, G_PAGE);
		wrong += io_rw(in, 1, NVME_CMD_READ, big_lba(i),
			       G_PAGE / LBA_SIZE, giova(share_page(i)), 0) ||
			 memcmp(gptr(d, share_page(i)), copy + i * G_PAGE,
				G_PAGE);
	}
	free(copy);
	ok(good == n && !wrong,
	   "%u writes of %u pages at once all succeed and read back (%u ok, %u pages differ)",
	   n, per_cmd, good, wrong);

	peak = stat_of(in, "bounce_peak");
	waits = stat_of(in, "bounce_waits");
	if (!bounced) {
		ok(peak == 0 && waits == 0,
		   "no bounce buffers on this kernel command line: bounce_peak %ld, bounce_waits %ld",
		   peak, waits);
		tap_skip("needs swiotlb=force",
			 "at most one largest transfer bounced at once");
		return;
	}
	ok(peak > 0 && peak <= share && waits > 0,
	   "swiotlb=force: at most one largest transfer (%ld pages) bounced at once: bounce_peak %ld, bounce_waits %ld",
	   share, peak, waits);
}
