// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io -s COUNT: reads kept in flight, each checked the moment its
 * completion arrives.
 *
 * A drive that posts a completion twice, or late, names a command the
 * module has already completed; if the module took it for the command
 * its slot runs now, that command would complete before the drive had
 * transferred its data.  Only a command still on the drive can be ended
 * early, and only a check made at its completion sees it: later the
 * drive's transfer lands all the same.  So STALE_DEPTH reads stay in
 * flight on queue pair 1 (on a throttled drive they wait there), each
 * into a buffer zeroed just before, and each buffer is compared with
 * the data written there first as soon as its completion is reaped;
 * the read that completes is replaced at once.  The caller arms the
 * module's fail_stale_cqe fault injection around this run
 * (tests/vm/slow-cases/75-stale-completions.sh).
 */
#include <stdio.h>
#include <string.h>

#include "io_test.h"

/* Reads in flight at once: enough that a slot runs another while one completes. */
#define STALE_DEPTH	8u
/* Distinct pages of known data, read in turn */
#define STALE_PAGES	16u
/* Read buffers in G_BIG, used in turn and zeroed before each read */
#define STALE_BUFS	BIG_PAGES
/* A read waits behind STALE_DEPTH others on a drive of 40 commands a second. */
#define STALE_WAIT_MS	10000u

struct stale_read {
	bool busy;
	uint16_t cid;
	unsigned int page;	/* of the known data */
	uint64_t buf;		/* guest offset of its buffer */
};

struct stale_run {
	struct inst *in;
	struct stale_read rd[STALE_DEPTH];
	unsigned int seq;	/* reads submitted */
	unsigned int done;	/* completions that named a read in flight */
	unsigned int wrong;	/* of which with other data than written */
	unsigned int failed;	/* of which with an error status */
	unsigned int unknown;	/* completions naming no read in flight */
};

static uint64_t stale_lba(unsigned int page)
{
	return BATCH_LBA + (uint64_t)page * (G_PAGE / LBA_SIZE);
}

/* Put read number r->seq into @rd: a fresh zeroed buffer, the next page. */
static void stale_push(struct stale_run *r, struct stale_read *rd)
{
	struct nvme_dev *d = &r->in->dev;
	struct nvme_sqe sqe;

	rd->page = r->seq % STALE_PAGES;
	rd->buf = G_BIG + (uint64_t)(r->seq % STALE_BUFS) * G_PAGE;
	memset(gptr(d, rd->buf), 0, G_PAGE);
	nvme_rw_init(&sqe, NVME_CMD_READ, stale_lba(rd->page),
		     G_PAGE / LBA_SIZE, giova(rd->buf), 0);
	rd->cid = nvme_io_push(d, &r->in->sq[1], &sqe);
	rd->busy = true;
	r->seq++;
}

/*
 * Take one completion and check its read's buffer now.  Returns false
 * if none came in time.
 */
static bool stale_reap(struct stale_run *r, struct stale_read **which)
{
	struct nvme_dev *d = &r->in->dev;
	struct nvme_cqe cqe;
	unsigned int i;

	*which = NULL;
	if (!nvme_io_reap(d, &r->in->cq[1], &cqe, STALE_WAIT_MS))
		return false;
	for (i = 0; i < STALE_DEPTH; i++) {
		struct stale_read *rd = &r->rd[i];

		if (!rd->busy || rd->cid != cqe.cid)
			continue;
		rd->busy = false;
		r->done++;
		if (cqe.status >> 1) {
			if (!r->failed++)
				diag("read of page %u: status 0x%x",
				     rd->page, cqe.status >> 1);
		} else if (memcmp(gptr(d, rd->buf),
				  gptr(d, G_DATA + rd->page * G_PAGE),
				  G_PAGE)) {
			if (!r->wrong++)
				diag("read of page %u (command %u): not the data written when its completion came",
				     rd->page, rd->cid);
		}
		*which = rd;
		return true;
	}
	if (!r->unknown++)
		diag("completion of command %u, SQ %u: no such read in flight",
		     cqe.cid, cqe.sq_id);
	return true;
}

void test_stale_completions(struct inst *in, unsigned int count)
{
	struct nvme_dev *d = &in->dev;
	struct stale_run r = { .in = in };
	struct stale_read *rd;
	unsigned int i, busy;
	bool lost = false;
	int st = 0;

	for (i = 0; i < STALE_PAGES && !st; i++) {
		fill_random(gptr(d, G_DATA + i * G_PAGE), G_PAGE);
		st = io_rw(in, 1, NVME_CMD_WRITE, stale_lba(i),
			   G_PAGE / LBA_SIZE, giova(G_DATA + i * G_PAGE), 0);
	}
	if (!ok(st == 0, "%u pages of known data written (0x%x)",
		STALE_PAGES, st))
		return;

	for (i = 0; i < STALE_DEPTH && i < count; i++)
		stale_push(&r, &r.rd[i]);
	nvme_io_ring(d, &in->sq[1]);
	busy = i;
	while (busy) {
		if (!stale_reap(&r, &rd)) {
			lost = true;
			break;
		}
		if (!rd)
			continue;
		busy--;
		/* Its replacement goes out at once: the slot is taken again. */
		if (r.seq < count) {
			stale_push(&r, rd);
			nvme_io_ring(d, &in->sq[1]);
			busy++;
		}
	}
	ok(!lost && r.done == count,
	   "%u reads, %u kept in flight: every one completed (%u did%s)",
	   count, STALE_DEPTH, r.done, lost ? ", then none for a while" : "");
	ok(r.unknown == 0, "no completion of a read not in flight (%u)",
	   r.unknown);
	ok(r.failed == 0, "every read succeeded (%u failed)", r.failed);
	ok(r.wrong == 0 && r.done,
	   "each read's buffer held the data written when its completion came (%u of %u did not)",
	   r.wrong, r.done);
	still_works(in, "the pipelined reads");
}
