// SPDX-License-Identifier: GPL-2.0-only
/*
 * I/O queues of the guest-side NVMe driver: what Linux' nvme driver does
 * on its I/O queues, reduced to one command at a time or explicit batches
 * so that every completion can be matched to what the test submitted.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nvme_io.h"

/* The I/O path completes from a polling thread: allow for a slow VM. */
#define IO_REAP_TIMEOUT_MS	10000

static uint16_t io_next_cid = 1;

static uint64_t io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CAP is constant: read once, not once a doorbell (a trapped access). */
static uint32_t db_stride(struct nvme_dev *d)
{
	uint64_t cap;

	if (d->db_stride)
		return d->db_stride;
	cap = bar_rd64(d, NVME_REG_CAP);
	/* A failed read (all ones) is not cached: stride 4, and again later. */
	if (cap == ~0ULL)
		return 4;
	d->db_stride = 4u << NVME_CAP_DSTRD(cap);
	return d->db_stride;
}

uint32_t nvme_sq_db(struct nvme_dev *d, uint16_t qid)
{
	return NVME_REG_DB + 2u * qid * db_stride(d);
}

uint32_t nvme_cq_db(struct nvme_dev *d, uint16_t qid)
{
	return NVME_REG_DB + (2u * qid + 1) * db_stride(d);
}

int nvme_io_cq_create(struct nvme_dev *d, struct nvme_io_cq *cq, uint16_t qid,
		      uint16_t size, uint64_t off)
{
	return nvme_io_cq_create_irq(d, cq, qid, size, off, -1);
}

int nvme_io_cq_create_irq(struct nvme_dev *d, struct nvme_io_cq *cq,
			  uint16_t qid, uint16_t size, uint64_t off, int vector)
{
	memset(cq, 0, sizeof(*cq));
	cq->qid = qid;
	cq->size = size;
	cq->phase = 1;
	cq->off = off;
	/* Stale entries with a matching phase would read as completions. */
	memset(gptr(d, off), 0, (size_t)size * sizeof(struct nvme_cqe));
	return nvme_create_cq(d, qid, size, giova(off),
			      vector < 0 ? 0 : (uint16_t)vector, vector >= 0, true);
}

int nvme_io_sq_create(struct nvme_dev *d, struct nvme_io_sq *sq, uint16_t qid,
		      uint16_t size, uint64_t off, struct nvme_io_cq *cq)
{
	memset(sq, 0, sizeof(*sq));
	sq->qid = qid;
	sq->size = size;
	sq->off = off;
	sq->cq = cq;
	memset(gptr(d, off), 0, (size_t)size * sizeof(struct nvme_sqe));
	return nvme_create_sq(d, qid, size, giova(off), cq->qid, true);
}

uint16_t nvme_io_push(struct nvme_dev *d, struct nvme_io_sq *sq,
		      struct nvme_sqe *sqe)
{
	struct nvme_sqe *slot = (struct nvme_sqe *)gptr(d, sq->off) + sq->tail;
	uint16_t cid = io_next_cid;

	io_next_cid = cid == 0xfffe ? 1 : cid + 1;
	sqe->cid = htole16(cid);
	memcpy(slot, sqe, sizeof(*slot));
	sq->tail = (uint16_t)((sq->tail + 1) % sq->size);
	return cid;
}

/* The event index test of the NVMe specification (and of Linux) */
static bool db_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/*
 * Doorbell @idx (2 * qid for an SQ tail, 2 * qid + 1 for a CQ head) at
 * register @reg gets @value: through the shadow page when there is one,
 * and through MMIO unless the event index says the device needs no kick.
 */
static void io_doorbell(struct nvme_dev *d, unsigned int idx, uint32_t reg,
			uint16_t value)
{
	if (d->shadow_db) {
		uint16_t old = (uint16_t)le32toh(d->shadow_db[idx]);

		__atomic_store_n(&d->shadow_db[idx], htole32(value),
				 __ATOMIC_RELEASE);
		/* The device reads the event index, then our value: full fence. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!db_need_event((uint16_t)le32toh(d->event_idx[idx]), value,
				   old)) {
			d->db_skipped++;
			return;
		}
	}
	d->db_rung++;
	bar_wr32(d, reg, value);
}

void nvme_io_ring(struct nvme_dev *d, struct nvme_io_sq *sq)
{
	/* The SQEs must be in memory before the device can fetch them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	io_doorbell(d, 2u * sq->qid, nvme_sq_db(d, sq->qid), sq->tail);
}

bool nvme_io_take(struct nvme_dev *d, struct nvme_io_cq *cq,
		  struct nvme_cqe *cqe)
{
	struct nvme_cqe *slot = (struct nvme_cqe *)gptr(d, cq->off) + cq->head;

	if ((le16toh(__atomic_load_n(&slot->status, __ATOMIC_ACQUIRE)) & 1) !=
	    cq->phase)
		return false;
	cqe->result = le32toh(slot->result);
	cqe->dw1 = le32toh(slot->dw1);
	cqe->sq_head = le16toh(slot->sq_head);
	cqe->sq_id = le16toh(slot->sq_id);
	cqe->cid = le16toh(slot->cid);
	cqe->status = le16toh(slot->status);
	if (++cq->head == cq->size) {
		cq->head = 0;
		cq->phase ^= 1;
	}
	return true;
}

void nvme_io_ring_head(struct nvme_dev *d, struct nvme_io_cq *cq)
{
	io_doorbell(d, 2u * cq->qid + 1, nvme_cq_db(d, cq->qid), cq->head);
}

bool nvme_io_reap(struct nvme_dev *d, struct nvme_io_cq *cq,
		  struct nvme_cqe *cqe, unsigned int ms)
{
	uint64_t end = io_now_ms() + ms;
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 50000 };

	while (!nvme_io_take(d, cq, cqe)) {
		if (io_now_ms() > end)
			return false;
		nanosleep(&pause, NULL);
	}
	nvme_io_ring_head(d, cq);
	return true;
}

int nvme_io_exec(struct nvme_dev *d, struct nvme_io_sq *sq,
		 struct nvme_sqe *sqe, struct nvme_cqe *cqe)
{
	struct nvme_cqe local;
	uint16_t cid;

	if (!cqe)
		cqe = &local;
	cid = nvme_io_push(d, sq, sqe);
	nvme_io_ring(d, sq);
	if (!nvme_io_reap(d, sq->cq, cqe, IO_REAP_TIMEOUT_MS)) {
		printf("# no completion for I/O opcode 0x%02x cid %u on SQ %u\n",
		       sqe->opcode, cid, sq->qid);
		return -1;
	}
	if (cqe->cid != cid || cqe->sq_id != sq->qid ||
	    cqe->sq_head != sq->tail) {
		printf("# completion mismatch for I/O opcode 0x%02x: cid %u (want %u) sqid %u (want %u)",
		       sqe->opcode, cqe->cid, cid, cqe->sq_id, sq->qid);
		printf(" sqhd %u (want %u)\n", cqe->sq_head, sq->tail);
		return -1;
	}
	return cqe->status >> 1;
}

void nvme_rw_init(struct nvme_sqe *sqe, uint8_t opcode, uint64_t slba,
		  uint32_t nlb, uint64_t prp1, uint64_t prp2)
{
	nvme_sqe_init(sqe, opcode);
	sqe->nsid = htole32(1);
	sqe->prp1 = htole64(prp1);
	sqe->prp2 = htole64(prp2);
	sqe->cdw10 = htole32((uint32_t)slba);
	sqe->cdw11 = htole32((uint32_t)(slba >> 32));
	sqe->cdw12 = htole32((nlb - 1) & 0xffff);
}
