// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part four: how the polling thread waits, per the instance's
 * "mode" attribute (read here from sysfs; set by the caller while the
 * device was closed).  I/O must verify in every mode; an idle instance
 * in adaptive or interrupt mode must make no polling pass at all (no CPU
 * use), its own thread asleep; one in poll mode is served by the shared
 * poller of its CPU, which never sleeps but gives an idle instance no
 * pass, only a check a turn, and counts its idle period; after it, a
 * submission through the shadow doorbells alone completes.  Only poll mode
 * lets the doorbell page be mapped.  With commands in flight, the thread
 * of an instance whose hardware queues all have a vector sleeps until
 * their interrupt (it never naps on the hardware, and interrupts come);
 * one with a queue short of a vector naps and takes no interrupt; poll
 * mode takes none either.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "io_test.h"

/* The instance's attribute @attr (one word), "" if unreadable */
static void read_word(struct inst *in, const char *attr, char *buf,
		      size_t len)
{
	char path[256], fmt[16];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s",
		 in->uuid, attr);
	snprintf(fmt, sizeof(fmt), "%%%zus", len - 1);
	f = fopen(path, "r");
	if (!f || fscanf(f, fmt, buf) != 1)
		buf[0] = '\0';
	if (f)
		fclose(f);
}

/* The instance's "mode" attribute, "" if unreadable */
static void read_mode(struct inst *in, char *mode, size_t len)
{
	read_word(in, "mode", mode, len);
}

/* The shadow doorbell pages of the poll-mode check, a mapping apart. */
#define MODES_DB_IOVA	0x14000000ULL

/*
 * Poll mode, after an idle period: a write and its read back made known
 * through the shadow doorbells only, their event indices set where the
 * client never rings MMIO unless the device moves them.  They complete
 * only if the poller still looks, never having gone to sleep waiting for
 * a doorbell; and it must not ask for one.
 */
static void shadow_only_after_idle(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	unsigned long rung;
	struct nvme_sqe sqe;
	uint32_t *pages;
	long trapped0;
	unsigned int q;
	int st, bad;

	pages = vfio_user_map(&d->vu, MODES_DB_IOVA, 2 * G_PAGE);
	if (!ok(pages != NULL, "mode poll: map the shadow doorbell pages"))
		return;
	for (q = 1; q <= 2; q++) {
		pages[2 * q] = htole32(in->sq[q].tail);
		pages[2 * q + 1] = htole32(in->cq[q].head);
		/* The client rings MMIO when a value passes its index. */
		pages[G_PAGE / 4 + 2 * q] = htole32(in->sq[q].tail + 0x8000);
		pages[G_PAGE / 4 + 2 * q + 1] =
			htole32(in->cq[q].head + 0x8000);
	}
	nvme_sqe_init(&sqe, NVME_ADM_DBBUF);
	sqe.prp1 = htole64(MODES_DB_IOVA);
	sqe.prp2 = htole64(MODES_DB_IOVA + G_PAGE);
	st = nvme_admin(d, &sqe, NULL);
	if (!ok(st == 0, "mode poll: Doorbell Buffer Config (0x%x)", st))
		return;
	d->shadow_db = pages;
	d->event_idx = pages + G_PAGE / 4;
	/* Idle again: the instance costs the poller one check a turn. */
	sleep_ms(300);
	trapped0 = stat_of(in, "mmio_doorbells");
	rung = d->db_rung;
	bad = write_read_back(in, 1, SCRATCH_LBA, 1);
	ok(bad == 0 && d->db_rung == rung &&
	   stat_of(in, "mmio_doorbells") == trapped0,
	   "mode poll, idle 300 ms: a write and read back through the shadow doorbells only complete (%d), no MMIO doorbell (%lu rung, %ld trapped)",
	   bad, d->db_rung - rung, stat_of(in, "mmio_doorbells") - trapped0);
	d->shadow_db = NULL;
	d->event_idx = NULL;
}

/* @sleeps0: the instance's idle_sleeps before the device was opened. */
void test_thread_mode(struct inst *in, long sleeps0)
{
	long vectors = sysfs_long(in->uuid, "hw_vectors");
	long pairs = sysfs_long(in->uuid, "queue_pairs");
	long irqs0 = stat_of(in, "hw_irqs"), naps0 = stat_of(in, "hw_naps");
	long irqs, naps;
	char mode[32], poller[32];
	long p1, p2, s2;
	int bad;

	read_mode(in, mode, sizeof(mode));
	read_word(in, "poller", poller, sizeof(poller));
	if (!strcmp(mode, "poll"))
		ok(!strncmp(poller, "poll", 4) && poller[4] >= '0' &&
		   poller[4] <= '9',
		   "mode poll: served by a shared poller (%s)", poller);
	else
		ok(!strcmp(poller, "thread"),
		   "mode %s: served by a thread of its own (%s)", mode, poller);

	bad = write_read_back(in, 16, SCRATCH_LBA, 1);
	ok(bad == 0, "mode %s: 16 writes read back (%d)", mode, bad);
	irqs = stat_of(in, "hw_irqs") - irqs0;
	naps = stat_of(in, "hw_naps") - naps0;
	if (!strcmp(mode, "poll"))
		ok(irqs == 0 && naps == 0,
		   "mode poll: no drive interrupt (%ld), no nap (%ld)",
		   irqs, naps);
	else if (vectors == pairs)
		ok(irqs > 0 && naps == 0,
		   "mode %s, %ld of %ld pairs with a vector: woken by %ld drive interrupts, no nap on the drive (%ld)",
		   mode, vectors, pairs, irqs, naps);
	else
		ok(vectors >= 0 && vectors < pairs && irqs == 0,
		   "mode %s, %ld of %ld pairs with a vector: polled, no drive interrupt (%ld), %ld naps",
		   mode, vectors, pairs, irqs, naps);

	sleep_ms(300);
	p1 = stat_of(in, "polls");
	sleep_ms(300);
	p2 = stat_of(in, "polls");
	s2 = stat_of(in, "idle_sleeps");
	if (!strcmp(mode, "poll"))
		ok(p1 >= 0 && p2 == p1 && s2 > sleeps0,
		   "mode poll, idle: no pass in 300 ms (%ld), only the poller's check; idle periods %ld",
		   p2 - p1, s2 - sleeps0);
	else
		ok(p1 >= 0 && p2 == p1 && s2 > sleeps0,
		   "mode %s, idle: no polling pass in 300 ms (%ld), the thread sleeps (%ld times so far)",
		   mode, p2 - p1, s2 - sleeps0);
	if (!strcmp(mode, "poll"))
		shadow_only_after_idle(in);
}

/*
 * Queue pair 1 deleted and created again without a reset, then as many
 * commands as its old tail rung with one doorbell: the new queue's tail
 * equals the last value in the page, and must be seen all the same.
 */
static void requeue_same_tail(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint16_t n = in->sq[1].tail, i, done = 0;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	int st;

	st = qpair_recreate(in, 1, QD, G_IOCQ1, G_IOSQ1, -1);
	if (!ok(st == 0 && n > 1, "queue pair 1 deleted and created again, old tail %u (0x%x)",
		n, st))
		return;
	for (i = 0; i < n; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
	while (done < n && nvme_io_reap(d, &in->cq[1], &cqe, 2000) &&
	       !(cqe.status >> 1))
		done++;
	ok(done == n, "%u reads rung at once, tail %u as before the deletion: %u complete",
	   n, in->sq[1].tail, done);
}

/*
 * A bad doorbell value stored in the mapped page (an SQ tail at the
 * queue's size, a CQ head beyond what was posted) completes an
 * outstanding Asynchronous Event Request, a write to the admin CQ that
 * may fault: the poller's turn leaves the slot to the instance's worker,
 * which replays it and posts the event.  The slot is then put back.
 */
static void page_bad_doorbell(struct inst *in, bool cq)
{
	struct nvme_dev *d = &in->dev;
	const char *what = cq ? "CQ 1 head" : "SQ 1 tail";
	struct nvme_cqe cqe = { 0 };
	struct nvme_sqe aer;
	long handoffs0;
	uint16_t cid;
	bool got;

	nvme_sqe_init(&aer, NVME_ADM_AER);
	cid = nvme_submit(d, &aer);
	handoffs0 = stat_of(in, "poller_handoffs");
	if (cq)
		bar_wr32(d, nvme_cq_db(d, 1), (in->cq[1].head + 5) % QD);
	else
		bar_wr32(d, nvme_sq_db(d, 1), QD);
	got = nvme_reap(d, &cqe, 2000);
	if (!ok(got && cqe.cid == cid && !(cqe.status >> 1) &&
		cqe.result == 0x010100,
		"%s bad in the doorbell page: async event Error/Invalid Doorbell Write Value",
		what))
		diag("completion %s: cid %u (AER %u) status 0x%x result 0x%x",
		     got ? "seen" : "missing", cqe.cid, cid, cqe.status >> 1,
		     cqe.result);
	ok(stat_of(in, "poller_handoffs") > handoffs0,
	   "%s bad: replayed by the instance's worker, not in the poller's turn (%ld hand-overs)",
	   what, stat_of(in, "poller_handoffs") - handoffs0);
	/* Reading the log page (RAE clear) re-arms the event type. */
	if (got)
		nvme_get_log(d, LOG_ERROR, 0xffffffff, 0, LOG_ERROR_ENTRY,
			     false, giova(G_DATA2), 0);
	if (cq)
		bar_wr32(d, nvme_cq_db(d, 1), in->cq[1].head);
	else
		bar_wr32(d, nvme_sq_db(d, 1), in->sq[1].tail);
	still_works(in, cq ? "a bad CQ head in the doorbell page" :
			     "a bad SQ tail in the doorbell page");
}

/*
 * Zero-exit doorbells.  A poll-mode instance offers the doorbell page of
 * BAR0 (and only that page) through a sparse-mmap capability; other modes
 * offer nothing to map.  Through the mapping, I/O and admin commands run
 * with no trapped doorbell write at all, bad values raise their event
 * (from the instance's worker), and a controller reset starts
 * the doorbells from zero again.  Ends with the page still mapped in
 * d->db_map if it was offered.
 */
void test_doorbell_page(struct inst *in)
{
	struct vfio_region_sparse_mmap_area area[2];
	struct nvme_dev *d = &in->dev;
	char mode[32];
	long trapped0, reads0, handoffs0;
	unsigned int i, zero;
	uint32_t flags = 0;
	void *map;
	int n, bad, st;
	bool poll;

	read_mode(in, mode, sizeof(mode));
	poll = !strcmp(mode, "poll");
	n = vfio_user_sparse_areas(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, &flags,
				   area, 2);
	if (!poll) {
		ok(n == 0 && !(flags & VFIO_REGION_INFO_FLAG_MMAP),
		   "mode %s: BAR0 has nothing to map (flags 0x%x, %d areas)",
		   mode, flags, n);
		map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX,
				     NVME_REG_DB, G_PAGE, MAP_SHARED);
		ok(map == MAP_FAILED,
		   "mode %s: mmap of the doorbell page refused", mode);
		if (map != MAP_FAILED)
			munmap(map, G_PAGE);
		return;
	}
	ok(n == 1 && flags & VFIO_REGION_INFO_FLAG_MMAP &&
	   area[0].offset == NVME_REG_DB && area[0].size == G_PAGE,
	   "mode poll: BAR0 offers exactly the doorbell page to map (flags 0x%x, %d areas, first %#llx+%#llx)",
	   flags, n, n > 0 ? (unsigned long long)area[0].offset : 0ULL,
	   n > 0 ? (unsigned long long)area[0].size : 0ULL);

	map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, 0, G_PAGE,
			     MAP_SHARED);
	ok(map == MAP_FAILED, "mmap of the register page refused");
	if (map != MAP_FAILED)
		munmap(map, G_PAGE);
	map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, NVME_REG_DB,
			     2 * G_PAGE, MAP_SHARED);
	ok(map == MAP_FAILED,
	   "mmap of the doorbell page with the MSI-X table refused");
	if (map != MAP_FAILED)
		munmap(map, 2 * G_PAGE);
	map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, NVME_REG_DB,
			     G_PAGE, MAP_PRIVATE);
	ok(map == MAP_FAILED, "private mapping of the doorbell page refused");
	if (map != MAP_FAILED)
		munmap(map, G_PAGE);
	map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, NVME_REG_DB,
			     G_PAGE, MAP_SHARED);
	if (!ok(map != MAP_FAILED, "shared mapping of the doorbell page"))
		return;
	d->db_map = map;

	/*
	 * Trapped writes so far were kept in the page for the thread; one
	 * more write and read leave queue 1 away from its starting point.
	 */
	bad = write_read_back(in, 1, SCRATCH_LBA, 1);
	ok(bad == 0 && in->sq[1].tail != 0 &&
	   d->db_map[2] == in->sq[1].tail && d->db_map[3] == in->cq[1].head,
	   "the page holds queue 1's doorbells as last rung (%u %u, want %u %u)",
	   d->db_map[2], d->db_map[3], in->sq[1].tail, in->cq[1].head);

	trapped0 = stat_of(in, "mmio_doorbells");
	reads0 = stat_of(in, "read_cmds");
	bad = write_read_back(in, 32, DATA_LBA, 32);
	ok(bad == 0, "32 writes read back, doorbells rung through the page (%d)",
	   bad);
	handoffs0 = stat_of(in, "poller_handoffs");
	st = nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0);
	ok(st == 0 && get16(gptr(d, G_DATA), ID_CTRL_VID) != 0,
	   "Identify through the admin doorbells in the page (0x%x)", st);
	/* Run by the instance's worker, never in the poller's turn. */
	ok(stat_of(in, "poller_handoffs") > handoffs0,
	   "the admin command was handed from the poller to the instance's worker (%ld hand-overs)",
	   stat_of(in, "poller_handoffs") - handoffs0);
	ok(stat_of(in, "mmio_doorbells") == trapped0 &&
	   stat_of(in, "read_cmds") >= reads0 + 32,
	   "no doorbell write trapped (%ld more), %ld reads done",
	   stat_of(in, "mmio_doorbells") - trapped0,
	   stat_of(in, "read_cmds") - reads0);
	page_bad_doorbell(in, false);
	page_bad_doorbell(in, true);

	/*
	 * Reset with the admin tail at 1: unless the reset cleared the page,
	 * the first command after it (tail 1 again) would never be seen.
	 */
	while (d->sq_tail != 1 && nvme_identify(d, NVME_CNS_CTRL, 0,
						giova(G_DATA), 0) == 0)
		;
	ok(d->sq_tail == 1, "admin SQ tail brought to 1 (%u)", d->sq_tail);
	nvme_disable(d);
	for (i = 0, zero = 0; i < 2 * (d->qpairs + 1); i++)
		zero += d->db_map[i] == 0;
	ok(zero == 2 * (d->qpairs + 1),
	   "controller reset: %u of %u doorbell slots back to 0", zero,
	   2 * (d->qpairs + 1));
	st = !(nvme_enable(d) & NVME_CSTS_CFS) && nvme_ready(d) ?
		nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0) : -1;
	ok(st == 0, "after the reset, the first admin command (tail 1) completes (0x%x)",
	   st);
	st = st ? st : nvme_io_cq_create(d, &in->cq[1], 1, QD, G_IOCQ1);
	st = st ? st : nvme_io_sq_create(d, &in->sq[1], 1, QD, G_IOSQ1,
					 &in->cq[1]);
	bad = st ? -1 : write_read_back(in, 8, DATA_LBA, 8);
	ok(bad == 0, "queue pair 1 recreated; 8 writes read back (%d)", bad);
	requeue_same_tail(in);
}

/*
 * Close the device as a VMM would, but with the doorbell page still
 * mapped: the mapping holds the device file, so the instance stays open
 * until it is unmapped, and then closes with nothing left pinned.
 */
void test_doorbell_page_close(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	void *map = (void *)d->db_map;
	long open = -1;
	int i;

	d->db_map = NULL;
	nvme_disable(d);
	nvme_dev_close(d);
	if (!map)
		return;
	ok(sysfs_long(in->uuid, "open") == 1,
	   "device closed with the doorbell page mapped: still open");
	munmap(map, G_PAGE);
	for (i = 0; i < 100; i++) {
		open = sysfs_long(in->uuid, "open");
		if (open == 0)
			break;
		sleep_ms(10);
	}
	ok(open == 0 && sysfs_long(in->uuid, "pinned_pages") == 0,
	   "unmapped: the instance closes (open %ld), nothing pinned", open);
}

/*
 * Adaptive mode, and a guest that stops reading its CQ: commands stay in
 * flight, completed by the hardware, until the guest makes room.  The
 * thread must wait for that without spinning, then post them all.
 */
void test_adaptive_stall(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	unsigned int i, done = 0;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	char mode[32];
	long p1, p2;
	int st;

	read_mode(in, mode, sizeof(mode));
	if (strcmp(mode, "adaptive"))
		return;
	/* Queue pair 2 with a CQ of 4 entries: 3 completions fill it. */
	st = qpair_recreate(in, 2, 4, G_IOCQ2, G_IOSQ2, -1);
	if (!ok(st == 0, "queue pair 2 with a 4-entry CQ (0x%x)", st))
		return;
	fill_random(gptr(d, G_DATA), G_PAGE);
	for (i = 0; i < 8; i++) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE, SCRATCH_LBA, 8,
			     giova(G_DATA), 0);
		nvme_io_push(d, &in->sq[2], &sqe);
	}
	nvme_io_ring(d, &in->sq[2]);
	sleep_ms(200);
	p1 = stat_of(in, "polls");
	sleep_ms(300);
	p2 = stat_of(in, "polls");
	/* Spinning makes hundreds of thousands of passes in that time. */
	ok(p1 >= 0 && p2 - p1 < 20000,
	   "mode adaptive, guest CQ full, commands in flight: no spinning (%ld passes in 300 ms)",
	   p2 - p1);
	while (done < 8 && nvme_io_reap(d, &in->cq[2], &cqe, 5000) &&
	       !(cqe.status >> 1))
		done++;
	ok(done == 8, "once the guest reads its CQ, all 8 writes complete (%u)",
	   done);
	st = qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, -1);
	ok(st == 0, "queue pair 2 back to its usual size (0x%x)", st);
}
