// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part five: the I/O queue rings, which the module keeps pinned
 * and mapped into the kernel for as long as their queue exists.
 *
 * Queue pair 2 moves into the spare mapping (G_SPARE): its two ring
 * pages are pinned on creation, before any I/O, I/O on it verifies, and
 * deleting the queues releases them.  Then the spare mapping is unmapped
 * under live queues: the unmap must complete and release the rings' pins
 * (VFIO requires it), and the queue's next doorbell, its ring gone,
 * fails the controller (CSTS.CFS) rather than reach memory the guest no
 * longer has.  A controller reset brings it back.
 */
#include <string.h>

#include "io_test.h"

#define RING_CQ		G_SPARE			/* QD CQEs: 512 bytes */
#define RING_SQ		(G_SPARE + G_PAGE)	/* QD SQEs: 2 KiB */

/* One page written and read back through queue pair 2; true if equal */
static bool qpair2_works(struct inst *in)
{
	struct nvme_dev *d = &in->dev;

	fill_random(gptr(d, G_DATA), G_PAGE);
	memset(gptr(d, G_DATA2), 0, G_PAGE);
	return io_rw(in, 2, NVME_CMD_WRITE, SCRATCH_LBA, G_PAGE / LBA_SIZE,
		     giova(G_DATA), 0) == 0 &&
	       io_rw(in, 2, NVME_CMD_READ, SCRATCH_LBA, G_PAGE / LBA_SIZE,
		     giova(G_DATA2), 0) == 0 &&
	       !memcmp(gptr(d, G_DATA), gptr(d, G_DATA2), G_PAGE);
}

void test_ring_pins(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_sqe sqe;
	long p0, p1, p2;
	uint32_t csts;
	int st, bad;

	/* Queue pair 2 out of the way first: its rings are elsewhere. */
	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, 2);
	st = st ? st : nvme_delete_q(d, NVME_ADM_DELETE_CQ, 2);
	p0 = sysfs_long(in->uuid, "pinned_pages");
	st = st ? st : nvme_io_cq_create(d, &in->cq[2], 2, QD, RING_CQ);
	st = st ? st : nvme_io_sq_create(d, &in->sq[2], 2, QD, RING_SQ,
					 &in->cq[2]);
	p1 = sysfs_long(in->uuid, "pinned_pages");
	ok(st == 0 && p1 == p0 + 2,
	   "queue pair 2 in the spare mapping: its 2 ring pages pinned at creation (%ld -> %ld, 0x%x)",
	   p0, p1, st);
	ok(qpair2_works(in), "a page written and read back through it");

	p1 = sysfs_long(in->uuid, "pinned_pages");
	st = qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, -1);
	p2 = sysfs_long(in->uuid, "pinned_pages");
	/* The ring pages at G_IOCQ2 and G_IOSQ2 replace those at G_SPARE. */
	ok(st == 0 && p2 == p1, "moved back: 2 ring pages let go, 2 pinned (%ld -> %ld, 0x%x)",
	   p1, p2, st);

	/* The rings go away under live queues. */
	st = qpair_recreate(in, 2, QD, RING_CQ, RING_SQ, -1);
	ok(st == 0 && qpair2_works(in),
	   "queue pair 2 in the spare mapping again, working (0x%x)", st);
	p1 = sysfs_long(in->uuid, "pinned_pages");
	st = vfio_user_unmap(&d->vu, giova(G_SPARE), G_SPARE_SIZE);
	p2 = sysfs_long(in->uuid, "pinned_pages");
	ok(st == 0 && p2 == p1 - 2,
	   "spare mapping unmapped under the rings: done, their 2 pins released (%ld -> %ld)",
	   p1, p2);
	nvme_rw_init(&sqe, NVME_CMD_READ, SCRATCH_LBA, 8, giova(G_DATA2), 0);
	nvme_io_push(d, &in->sq[2], &sqe);
	nvme_io_ring(d, &in->sq[2]);
	csts = nvme_wait_csts(d, NVME_CSTS_CFS, NVME_CSTS_CFS, 2000);
	ok(csts != ~0u && (csts & NVME_CSTS_CFS),
	   "a doorbell of the queue without its ring: CSTS.CFS (0x%x)", csts);

	/* The guest's recovery: memory back, controller reset, queues anew. */
	st = vfio_user_map_va(&d->vu, giova(G_SPARE), gptr(d, G_SPARE),
			      G_SPARE_SIZE, true);
	ok(st == 0, "spare mapping mapped again");
	csts = nvme_disable(d);
	csts = csts & NVME_CSTS_RDY ? csts : nvme_enable(d);
	st = !(csts & NVME_CSTS_CFS) && nvme_ready(d) ? 0 : -1;
	st = st ? st : nvme_io_cq_create(d, &in->cq[1], 1, QD, G_IOCQ1);
	st = st ? st : nvme_io_sq_create(d, &in->sq[1], 1, QD, G_IOSQ1,
					 &in->cq[1]);
	st = st ? st : nvme_io_cq_create(d, &in->cq[2], 2, QD, G_IOCQ2);
	st = st ? st : nvme_io_sq_create(d, &in->sq[2], 2, QD, G_IOSQ2,
					 &in->cq[2]);
	bad = st ? -1 : write_read_back(in, 4, SCRATCH_LBA, 1);
	ok(bad == 0 && qpair2_works(in),
	   "after a reset both queue pairs work (CSTS 0x%x, %d)", csts, bad);
}
