// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-blk: one block-level step on a vNVMe instance, as a tenant would
 * see its disk, for shell test cases.
 *
 *   vfio-blk UUID open
 *   vfio-blk UUID write LBA NLB TAG
 *   vfio-blk UUID verify LBA NLB TAG
 *   vfio-blk UUID zeroes LBA NLB
 *   vfio-blk UUID run SECONDS TAG
 *   vfio-blk UUID hog SECONDS QUEUES
 *
 * LBAs are the guest's (namespace 1 of the instance, 512-byte blocks).
 * "write" fills each block with TAG, its guest LBA and the instance's
 * slice start, "verify" reads them back and checks every byte, "zeroes"
 * checks that every byte reads as zero.  "run" writes and verifies
 * 8-block pieces of the whole slice in turn, one command at a time, for
 * SECONDS and prints how many commands completed, as "N ios" (a tenant
 * next to others, for fairness checks).  Transfers go through one I/O
 * queue pair, 64 blocks (one PRP list) at a time.  "hog" keeps QUEUES
 * I/O queue pairs as full as they go (queues as deep as CAP.MQES allows,
 * up to 256 entries) with one-page reads for SECONDS, a tenant with deep
 * queues next to others, and prints "N ios".
 *
 * Prints one line saying what happened.  Exit status: 0 done and
 * correct, 1 wrong data or a failed command, 2 bad usage, 3 the device
 * did not open (the line then ends with the errno's text, so that a
 * caller can tell "Resource temporarily unavailable" from the rest).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_guest.h"
#include "nvme_io.h"

#define LBA_SIZE	512u
#define CHUNK_LBAS	64u	/* 32 KiB: eight pages, one PRP list */
#define QD		16

static void usage(void)
{
	fprintf(stderr, "usage: vfio-blk UUID open|write|verify|zeroes [LBA NLB [TAG]]\n"
			"       vfio-blk UUID run SECONDS TAG\n"
			"       vfio-blk UUID hog SECONDS QUEUES\n");
	exit(2);
}

/* What block @lba of a tenant's write holds. */
static void fill_block(uint8_t *b, const char *tag, uint64_t lba,
		       uint64_t slice_start)
{
	unsigned int i;
	int n;

	n = snprintf((char *)b, LBA_SIZE, "%s lba %" PRIu64 " slice %" PRIu64 " ",
		     tag, lba, slice_start);
	for (i = n; i < LBA_SIZE; i++)
		b[i] = (uint8_t)(lba * 31 + i);
}

static int rw(struct nvme_dev *d, struct nvme_io_sq *sq, uint8_t opcode,
	      uint64_t lba, unsigned int nlb)
{
	uint64_t *list = gptr(d, G_LIST);
	unsigned int pages = (nlb * LBA_SIZE + G_PAGE - 1) / G_PAGE, i;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	uint64_t prp2 = 0;

	if (pages == 2)
		prp2 = giova(G_BIG + G_PAGE);
	else if (pages > 2) {
		for (i = 1; i < pages; i++)
			list[i - 1] = giova(G_BIG + (uint64_t)i * G_PAGE);
		prp2 = giova(G_LIST);
	}
	nvme_rw_init(&sqe, opcode, lba, nlb, giova(G_BIG), prp2);
	return nvme_io_exec(d, sq, &sqe, &cqe);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * "run": write a piece, read it back and check it, next piece, until
 * @secs are over.  Each piece's blocks carry @tag and the pass number,
 * so that a read returning an older pass's data is caught too.
 */
static int run(struct nvme_dev *d, struct nvme_io_sq *sq, const char *uuid,
	       double secs, const char *tag, uint64_t slice_start)
{
	const unsigned int n = 8;
	uint64_t ios = 0, lba = 0, pass = 0;
	double end = now_s() + secs;
	uint8_t want[LBA_SIZE];
	char ptag[64];
	unsigned int i;
	int st;

	if (d->lba_count < n) {
		printf("%s: run: slice too small\n", uuid);
		return 1;
	}
	while (now_s() < end) {
		snprintf(ptag, sizeof(ptag), "%s.%" PRIu64, tag, pass);
		for (i = 0; i < n; i++)
			fill_block(gptr(d, G_BIG + i * LBA_SIZE), ptag, lba + i,
				   slice_start);
		st = rw(d, sq, NVME_CMD_WRITE, lba, n);
		if (!st) {
			memset(gptr(d, G_BIG), 0xa5, n * LBA_SIZE);
			st = rw(d, sq, NVME_CMD_READ, lba, n);
		}
		if (st) {
			printf("%s: run: I/O at LBA %" PRIu64 " ended with status 0x%x after %" PRIu64 " ios\n",
			       uuid, lba, st, ios);
			return 1;
		}
		ios += 2;
		for (i = 0; i < n; i++) {
			fill_block(want, ptag, lba + i, slice_start);
			if (memcmp(gptr(d, G_BIG + i * LBA_SIZE), want,
				   LBA_SIZE)) {
				printf("%s: run: LBA %" PRIu64 " read back wrong after %" PRIu64 " ios\n",
				       uuid, lba + i, ios);
				return 1;
			}
		}
		lba += n;
		if (lba + n > d->lba_count) {
			lba = 0;
			pass++;
		}
	}
	printf("%s: run: %" PRIu64 " ios\n", uuid, ios);
	return 0;
}

#define HOG_MAX_QUEUES	4
#define HOG_DEPTH	256u

/*
 * "hog": @nq queue pairs kept full of reads for @secs.  The SQs are laid
 * out 64 KiB apart in the area of SQ 1, the CQs 16 KiB apart in that of
 * CQ 1: both have room for four.
 */
static int hog(struct nvme_dev *d, const char *uuid, double secs,
	       unsigned int nq)
{
	static struct nvme_io_cq cq[HOG_MAX_QUEUES];
	static struct nvme_io_sq sq[HOG_MAX_QUEUES];
	unsigned int depth, q, out[HOG_MAX_QUEUES] = { 0 }, left;
	double end = now_s() + secs;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	uint64_t ios = 0;

	depth = NVME_CAP_MQES(bar_rd64(d, NVME_REG_CAP)) + 1;
	if (depth > HOG_DEPTH)
		depth = HOG_DEPTH;
	for (q = 0; q < nq; q++) {
		if (nvme_io_cq_create(d, &cq[q], q + 1, depth,
				      G_IOCQ1 + q * 0x4000) ||
		    nvme_io_sq_create(d, &sq[q], q + 1, depth,
				      G_IOSQ1 + q * 0x10000, &cq[q])) {
			printf("%s: hog: queue pair %u not created\n", uuid, q + 1);
			return 1;
		}
	}
	for (;;) {
		bool more = now_s() < end;
		uint64_t before = ios;

		left = 0;
		for (q = 0; q < nq; q++) {
			/* A full SQ holds depth - 1 entries. */
			while (more && out[q] < depth - 1) {
				nvme_rw_init(&sqe, NVME_CMD_READ, 0, 8,
					     giova(G_BIG), 0);
				nvme_io_push(d, &sq[q], &sqe);
				out[q]++;
			}
			if (more)
				nvme_io_ring(d, &sq[q]);
			while (out[q] && nvme_io_reap(d, &cq[q], &cqe,
						      more ? 0 : 5000)) {
				if (cqe.status >> 1) {
					printf("%s: hog: read ended with status 0x%x after %" PRIu64 " ios\n",
					       uuid, cqe.status >> 1, ios);
					return 1;
				}
				out[q]--;
				ios++;
				if (more)
					break;
			}
			left += out[q];
		}
		if (!more && !left)
			break;
		if (!more) {
			printf("%s: hog: %u reads never completed\n", uuid, left);
			return 1;
		}
		/*
		 * Nothing came back: the queues are full anyway, and the
		 * other tenants' clients share this CPU.
		 */
		if (ios == before)
			usleep(1000);
	}
	printf("%s: hog: %" PRIu64 " ios\n", uuid, ios);
	return 0;
}

int main(int argc, char **argv)
{
	static struct nvme_dev d;
	struct nvme_io_cq cq;
	struct nvme_io_sq sq;
	const char *uuid, *op, *tag = "";
	uint64_t lba = 0, nlb = 0, done, slice_start = 0, bad = 0, first_bad = 0;
	double secs = 0;
	uint8_t want[LBA_SIZE];
	unsigned int n, i, nq = 0;
	int ret, st;

	if (argc < 3)
		usage();
	uuid = argv[1];
	op = argv[2];
	if (!strcmp(op, "run") || !strcmp(op, "hog")) {
		if (argc != 5)
			usage();
		secs = strtod(argv[3], NULL);
		tag = argv[4];
		nq = strtoul(argv[4], NULL, 0);
		if (secs <= 0 || (!strcmp(op, "hog") &&
				  (nq < 1 || nq > HOG_MAX_QUEUES)))
			usage();
	} else if (strcmp(op, "open")) {
		if (argc < 5)
			usage();
		lba = strtoull(argv[3], NULL, 0);
		nlb = strtoull(argv[4], NULL, 0);
		if (!strcmp(op, "write") || !strcmp(op, "verify")) {
			if (argc != 6)
				usage();
			tag = argv[5];
		} else if (strcmp(op, "zeroes") || argc != 5) {
			usage();
		}
	} else if (argc != 3) {
		usage();
	}

	ret = nvme_dev_open(&d, uuid);
	if (ret) {
		printf("%s: open: %s\n", uuid, strerror(-ret));
		return 3;
	}
	if (!strcmp(op, "open")) {
		printf("%s: opened, slice of %" PRIu64 " LBAs\n", uuid,
		       d.lba_count);
		nvme_dev_close(&d);
		return 0;
	}
	{
		FILE *f;
		char path[256];

		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/lba_start",
			 uuid);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%" SCNu64, &slice_start) != 1) {
			printf("%s: cannot read lba_start\n", uuid);
			return 1;
		}
		fclose(f);
	}
	if (lba + nlb > d.lba_count) {
		printf("%s: [%" PRIu64 ", +%" PRIu64 ") is outside the slice of %" PRIu64 " LBAs\n",
		       uuid, lba, nlb, d.lba_count);
		return 1;
	}
	nvme_pci_setup(&d);
	if (!strcmp(op, "hog")) {
		if (nvme_enable(&d) & NVME_CSTS_CFS || !nvme_ready(&d)) {
			printf("%s: controller setup failed\n", uuid);
			return 1;
		}
		ret = hog(&d, uuid, secs, nq);
		nvme_disable(&d);
		nvme_dev_close(&d);
		return ret;
	}
	if (nvme_enable(&d) & NVME_CSTS_CFS || !nvme_ready(&d) ||
	    nvme_io_cq_create(&d, &cq, 1, QD, G_IOCQ1) ||
	    nvme_io_sq_create(&d, &sq, 1, QD, G_IOSQ1, &cq)) {
		printf("%s: controller or I/O queue setup failed\n", uuid);
		return 1;
	}
	if (!strcmp(op, "run")) {
		ret = run(&d, &sq, uuid, secs, tag, slice_start);
		nvme_disable(&d);
		nvme_dev_close(&d);
		return ret;
	}

	for (done = 0; done < nlb; done += n) {
		n = nlb - done < CHUNK_LBAS ? nlb - done : CHUNK_LBAS;
		if (!strcmp(op, "write")) {
			for (i = 0; i < n; i++)
				fill_block(gptr(&d, G_BIG + i * LBA_SIZE), tag,
					   lba + done + i, slice_start);
			st = rw(&d, &sq, NVME_CMD_WRITE, lba + done, n);
		} else {
			memset(gptr(&d, G_BIG), 0xa5, n * LBA_SIZE);
			st = rw(&d, &sq, NVME_CMD_READ, lba + done, n);
		}
		if (st) {
			printf("%s: %s of [%" PRIu64 ", +%u) ended with status 0x%x\n",
			       uuid, op, lba + done, n, st);
			return 1;
		}
		if (!strcmp(op, "write"))
			continue;
		for (i = 0; i < n; i++) {
			if (!strcmp(op, "verify"))
				fill_block(want, tag, lba + done + i, slice_start);
			else
				memset(want, 0, sizeof(want));
			if (memcmp(gptr(&d, G_BIG + i * LBA_SIZE), want,
				   LBA_SIZE)) {
				if (!bad++)
					first_bad = lba + done + i;
			}
		}
	}
	nvme_disable(&d);
	nvme_dev_close(&d);
	if (bad) {
		printf("%s: %s: %" PRIu64 " of %" PRIu64 " blocks wrong, first at LBA %" PRIu64 "\n",
		       uuid, op, bad, nlb, first_bad);
		return 1;
	}
	printf("%s: %s of [%" PRIu64 ", +%" PRIu64 ") done\n", uuid, op, lba,
	       nlb);
	return 0;
}
