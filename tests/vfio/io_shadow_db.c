// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part three: shadow doorbells (Doorbell Buffer Config).
 *
 * The client turns them on for its I/O queues and from then on rings the
 * MMIO doorbells only when the event index asks for it, as Linux does
 * (nvme_io.c).  Checked: the idle polling thread arms the event index at
 * the tail it has seen; I/O keeps working and verifies, with CQ heads
 * reported only through the shadow page for most completions (a device
 * that ignored them would find the CQ full and stall); a tail beyond the
 * queue in the shadow page is ignored; a queue created again without a
 * reset starts from tail 0 whatever its shadow entry held; a guest whose
 * submissions cannot be fetched (bus mastering off, CQ full) costs no
 * polling while it waits and is served once it can be; and shadow pages
 * the VMM unmaps fail this controller (CSTS.CFS) rather than leave it
 * waiting.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "io_test.h"

/* The two pages, in a mapping of their own so that it can go away. */
#define DB_IOVA		0x13000000ULL

/* Is the instance in poll mode (served by a shared poller)? */
static bool poll_mode(struct inst *in)
{
	char path[256], mode[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mode",
		 in->uuid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%15s", mode) != 1)
			mode[0] = '\0';
		fclose(f);
	}
	return !strcmp(mode, "poll");
}

static int dbbuf_config(struct nvme_dev *d, uint64_t db, uint64_t ei)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_DBBUF);
	sqe.prp1 = htole64(db);
	sqe.prp2 = htole64(ei);
	return nvme_admin(d, &sqe, NULL);
}

/* Stale commands left in a ring: a device fetching them is caught. */
#define STALE_CID	0xa000u
#define STALE_N		7u

/*
 * Queue pair 1 deleted and created again without a reset (as SPDK does),
 * the shadow page still holding a tail of STALE_N for its SQ and Reads
 * in the ring: the new queue starts from tail 0, so nothing is fetched
 * until the guest rings, and then exactly its commands complete.
 */
static void stale_shadow_tail(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_sqe sqe, *ring;
	struct nvme_cqe cqe = { 0 };
	uint16_t cids[3];
	bool seen[3] = { false };
	unsigned int i, n = 0, stale = 0, wrong = 0;
	int st;

	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, 1);
	st = st ? st : nvme_delete_q(d, NVME_ADM_DELETE_CQ, 1);
	st = st ? st : nvme_io_cq_create(d, &in->cq[1], 1, QD, G_IOCQ1);
	if (!ok(st == 0, "stale tail: queue pair 1 deleted, CQ 1 created again (0x%x)",
		st))
		return;
	/* The SQ by hand: nvme_io_sq_create() would clear the ring. */
	memset(&in->sq[1], 0, sizeof(in->sq[1]));
	in->sq[1].qid = 1;
	in->sq[1].size = QD;
	in->sq[1].off = G_IOSQ1;
	in->sq[1].cq = &in->cq[1];
	ring = (struct nvme_sqe *)gptr(d, G_IOSQ1);
	for (i = 0; i < STALE_N; i++) {
		nvme_rw_init(&ring[i], NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		ring[i].cid = htole16(STALE_CID + i);
	}
	d->shadow_db[2] = htole32(STALE_N);
	d->event_idx[2] = htole32(STALE_N);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	st = nvme_create_sq(d, 1, QD, giova(G_IOSQ1), 1, true);
	if (!ok(st == 0, "SQ 1 created again, its shadow tail still %u (0x%x)",
		STALE_N, st))
		return;
	sleep_ms(100);
	ok(!nvme_io_reap(d, &in->cq[1], &cqe, 0),
	   "nothing fetched from the new SQ before the guest rings (got cid 0x%x status 0x%x)",
	   cqe.cid, cqe.status >> 1);
	ok(le32toh(d->shadow_db[2]) == 0,
	   "the new SQ's shadow tail reads 0 (%u)", le32toh(d->shadow_db[2]));

	/* Back to a proper queue: the commands overwrite the stale ones. */
	in->cq[1].head = 0;
	in->cq[1].phase = 1;
	memset(gptr(d, G_IOCQ1), 0, QD * sizeof(struct nvme_cqe));
	for (i = 0; i < 3; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		cids[i] = nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
	/* Completions come in any order; then wait a little for extras. */
	while (n + stale + wrong < 3 + STALE_N &&
	       nvme_io_reap(d, &in->cq[1], &cqe, n < 3 ? 5000 : 300)) {
		for (i = 0; i < 3; i++)
			if (!seen[i] && cqe.cid == cids[i])
				break;
		if (cqe.cid >= STALE_CID && cqe.cid < STALE_CID + STALE_N) {
			stale++;
		} else if (i < 3 && !(cqe.status >> 1)) {
			seen[i] = true;
			n++;
		} else {
			wrong++;
		}
	}
	ok(n == 3 && !stale && !wrong,
	   "the 3 commands rung complete exactly once, no stale one fetched (%u ok, %u stale, %u other)",
	   n, stale, wrong);
	st = qpair_recreate(in, 1, QD, G_IOCQ1, G_IOSQ1, -1);
	ok(st == 0, "queue pair 1 created again cleanly (0x%x)", st);
	still_works(in, "a queue created again over a stale shadow tail");
}

/*
 * A new queue's shadow entries start from zero, as a guest driver sets
 * them (the device does too, but this test is not about that).
 */
static int shadow_qpair_recreate(struct inst *in, uint16_t q,
				 uint16_t cq_entries, uint64_t cq_off,
				 uint64_t sq_off)
{
	struct nvme_dev *d = &in->dev;
	int st;

	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, q);
	st = st ? st : nvme_delete_q(d, NVME_ADM_DELETE_CQ, q);
	d->shadow_db[2 * q] = 0;
	d->shadow_db[2 * q + 1] = 0;
	d->event_idx[2 * q] = 0;
	d->event_idx[2 * q + 1] = 0;
	st = st ? st : nvme_io_cq_create(d, &in->cq[q], q, cq_entries, cq_off);
	return st ? st : nvme_io_sq_create(d, &in->sq[q], q, QD, sq_off,
					   &in->cq[q]);
}

/* Polling passes of the instance in 300 ms, after 200 ms to settle. */
static long polls_in_300ms(struct inst *in)
{
	long p1, p2;

	sleep_ms(200);
	p1 = stat_of(in, "polls");
	sleep_ms(300);
	p2 = stat_of(in, "polls");
	return p1 < 0 || p2 < 0 ? -1 : p2 - p1;
}

/* A thread that spins makes hundreds of thousands of passes in 300 ms. */
#define BLOCKED_MAX_POLLS	50

/*
 * Submissions the device cannot act on while shadow doorbells are on:
 * the thread must sleep, not spin over the unfetched entries, and must
 * still serve them once the guest lets it.
 */
static void blocked_no_spin(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint32_t cmd = cfg_rd(d, PCI_COMMAND, 2);
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	unsigned int i, done = 0;
	long polls;
	int st;

	/* Bus mastering off: the SQEs are out of the device's reach. */
	cfg_wr(d, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	for (i = 0; i < 4; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
	polls = polls_in_300ms(in);
	ok(polls >= 0 && polls < BLOCKED_MAX_POLLS,
	   "shadow doorbells, bus mastering off, 4 SQEs unfetched: no spinning (%ld passes in 300 ms)",
	   polls);
	cfg_wr(d, PCI_COMMAND, cmd | PCI_COMMAND_MASTER, 2);
	while (done < 4 && nvme_io_reap(d, &in->cq[1], &cqe, 10000) &&
	       !(cqe.status >> 1))
		done++;
	ok(done == 4, "bus mastering back: all 4 commands complete (%u)",
	   done);

	/* Guest CQ full, nothing in flight: nowhere to complete to. */
	st = shadow_qpair_recreate(in, 2, 4, G_IOCQ2, G_IOSQ2);
	if (!ok(st == 0, "queue pair 2 with a 4-entry CQ (0x%x)", st))
		return;
	for (i = 0; i < 3; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		nvme_io_push(d, &in->sq[2], &sqe);
	}
	nvme_io_ring(d, &in->sq[2]);
	/* The 3 completions fill the CQ; the guest leaves them there. */
	sleep_ms(200);
	for (i = 0; i < 2; i++) {
		nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8,
			     giova(G_DATA2), 0);
		nvme_io_push(d, &in->sq[2], &sqe);
	}
	nvme_io_ring(d, &in->sq[2]);
	polls = polls_in_300ms(in);
	ok(polls >= 0 && polls < BLOCKED_MAX_POLLS,
	   "shadow doorbells, guest CQ full, 2 SQEs unfetched: no spinning (%ld passes in 300 ms)",
	   polls);
	done = 0;
	while (done < 5 && nvme_io_reap(d, &in->cq[2], &cqe, 10000) &&
	       !(cqe.status >> 1))
		done++;
	ok(done == 5,
	   "once the guest reads its CQ (heads in the shadow page), all 5 commands complete (%u)",
	   done);
	st = shadow_qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2);
	ok(st == 0, "queue pair 2 back to its usual size (0x%x)", st);
}

void test_shadow_doorbells(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *id = gptr(d, G_DATA);
	uint32_t *pages, csts = 0;
	unsigned long skipped, rung;
	unsigned int q, waited;
	uint32_t ei0;
	int st, bad;

	st = nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0);
	if (!ok(st == 0 && (get16(id, ID_CTRL_OACS) & OACS_DBBUF),
		"Identify: Doorbell Buffer Config offered (OACS bit 8)"))
		return;
	pages = vfio_user_map(&d->vu, DB_IOVA, 2 * G_PAGE);
	if (!ok(pages != NULL, "map the shadow doorbell and event index pages"))
		return;
	/*
	 * The queues exist already: the shadow page starts from their state,
	 * and the event indices ask for a kick on the next submission.
	 */
	for (q = 1; q <= 2; q++) {
		pages[2 * q] = htole32(in->sq[q].tail);
		pages[2 * q + 1] = htole32(in->cq[q].head);
		pages[G_PAGE / 4 + 2 * q] = htole32(in->sq[q].tail);
	}
	ei0 = in->sq[1].tail;
	st = dbbuf_config(d, DB_IOVA, DB_IOVA + G_PAGE);
	ok(st == 0, "Doorbell Buffer Config (0x%x)", st);
	d->shadow_db = pages;
	d->event_idx = pages + G_PAGE / 4;

	st = write_read_back(in, 4, ZERO_LBA, 2);
	ok(st == 0, "I/O through shadow doorbells (%d)", st);
	/*
	 * Idle now: the thread goes to sleep and arms the event index; a
	 * shared poller (poll mode) never sleeps and leaves it as it was.
	 */
	sleep_ms(100);
	if (poll_mode(in))
		ok(le32toh(d->event_idx[2]) == ei0,
		   "mode poll: the poller armed no event index (%u, as written %u)",
		   le32toh(d->event_idx[2]), ei0);
	else
		ok(le32toh(d->event_idx[2]) == in->sq[1].tail,
		   "idle thread armed SQ 1's event index at its tail (%u, tail %u)",
		   le32toh(d->event_idx[2]), in->sq[1].tail);

	skipped = d->db_skipped;
	rung = d->db_rung;
	bad = write_read_back(in, 40, ZERO_LBA, 2);
	ok(bad == 0,
	   "80 commands, CQ 1 wrapping with heads in the shadow page only: all complete, data verified (%d)",
	   bad);
	skipped = d->db_skipped - skipped;
	rung = d->db_rung - rung;
	ok(skipped >= 40, "doorbell writes that needed no MMIO: %lu of %lu",
	   skipped, skipped + rung);

	/* A shadow tail beyond the queue: ignored, the queue goes on. */
	d->shadow_db[2] = htole32(5000);
	bar_wr32(d, nvme_sq_db(d, 1), in->sq[1].tail);
	sleep_ms(50);
	d->shadow_db[2] = htole32(in->sq[1].tail);
	ok(!(bar_rd32(d, NVME_REG_CSTS) & NVME_CSTS_CFS),
	   "shadow SQ tail 5000 (queue of %u): no fatal status", QD);
	still_works(in, "a shadow SQ tail beyond the queue");

	blocked_no_spin(in);
	stale_shadow_tail(in);

	/* The pages vanish under the controller: it fails, visibly. */
	st = vfio_user_unmap(&d->vu, DB_IOVA, 2 * G_PAGE);
	for (waited = 0; waited < 2000; waited += 20) {
		csts = bar_rd32(d, NVME_REG_CSTS);
		if (csts & NVME_CSTS_CFS)
			break;
		sleep_ms(20);
	}
	ok(st == 0 && (csts & NVME_CSTS_CFS),
	   "shadow doorbell pages unmapped: unmap done, CSTS.CFS set (0x%x)",
	   csts);
	d->shadow_db = NULL;
	d->event_idx = NULL;
	munmap(pages, 2 * G_PAGE);
}
