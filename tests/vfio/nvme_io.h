/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * I/O queues for the guest-side NVMe driver of nvme_guest.h: create
 * queue pairs in guest memory, submit NVM commands, reap completions.
 * Layouts follow the NVM Express Base Specification 1.4 (section 4 for
 * queues, section 6 of the NVM Command Set for the commands).
 */
#ifndef MNV_TEST_NVME_IO_H
#define MNV_TEST_NVME_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme_guest.h"

/* NVM command set opcodes beyond the ones in nvme_guest.h */
#define NVME_CMD_WRITE_UNCOR	0x04
#define NVME_CMD_COMPARE	0x05
#define NVME_CMD_WRITE_ZEROES	0x08
#define NVME_CMD_DSM		0x09

/* Generic status codes of the NVM command set (Figure 128) */
#define SC_PRP_OFFSET_INVALID	NVME_SF(0, 0x13)
#define SC_LBA_RANGE		NVME_SF(0, 0x80)

/* Identify Controller: Optional NVM Command Support */
#define ID_CTRL_ONCS		520
#define ONCS_DSM		(1u << 2)
#define ONCS_WRITE_ZEROES	(1u << 3)

/* Command Dword 0 flags: FUSE in bits 1:0, PSDT in bits 7:6 */
#define NVME_FLAG_FUSE_FIRST	0x01
#define NVME_FLAG_FUSE_SECOND	0x02
#define NVME_FLAG_PSDT_SGL	0x40
#define NVME_FLAG_PSDT_SGL_MPTR	0x80

/* Dataset Management: attribute Deallocate, and one range (Figure 165) */
#define DSM_ATTR_DEALLOCATE	(1u << 2)
struct nvme_dsm_range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};

_Static_assert(sizeof(struct nvme_dsm_range) == 16, "DSM range is 16 bytes");

struct nvme_io_cq {
	uint16_t qid;
	uint16_t size;
	uint16_t head;
	uint8_t phase;
	uint64_t off;		/* offset of the ring in guest memory */
};

struct nvme_io_sq {
	uint16_t qid;
	uint16_t size;
	uint16_t tail;
	uint64_t off;
	struct nvme_io_cq *cq;
};

/* Doorbell register offsets, from CAP.DSTRD */
uint32_t nvme_sq_db(struct nvme_dev *d, uint16_t qid);
uint32_t nvme_cq_db(struct nvme_dev *d, uint16_t qid);

/*
 * Create CQ @qid (interrupts off, vector 0) of @size entries at guest
 * offset @off, and SQ @qid completing to @cq.  Return the Status Field
 * of the admin command, -1 if it did not complete.
 */
int nvme_io_cq_create(struct nvme_dev *d, struct nvme_io_cq *cq, uint16_t qid,
		      uint16_t size, uint64_t off);
/* The same, interrupting on MSI-X @vector (none if negative) */
int nvme_io_cq_create_irq(struct nvme_dev *d, struct nvme_io_cq *cq,
			  uint16_t qid, uint16_t size, uint64_t off, int vector);
int nvme_io_sq_create(struct nvme_dev *d, struct nvme_io_sq *sq, uint16_t qid,
		      uint16_t size, uint64_t off, struct nvme_io_cq *cq);

/* Place @sqe at the SQ tail (assigning a fresh cid); no doorbell yet. */
uint16_t nvme_io_push(struct nvme_dev *d, struct nvme_io_sq *sq,
		      struct nvme_sqe *sqe);
/* Ring the SQ tail doorbell with the tail the pushes reached. */
void nvme_io_ring(struct nvme_dev *d, struct nvme_io_sq *sq);
/*
 * Consume the next CQE of @cq if the device has written it, without
 * ringing the head: a caller taking several rings once.
 */
bool nvme_io_take(struct nvme_dev *d, struct nvme_io_cq *cq,
		  struct nvme_cqe *cqe);
/* Ring @cq's head doorbell with the head the takes reached. */
void nvme_io_ring_head(struct nvme_dev *d, struct nvme_io_cq *cq);
/* Wait up to @ms for the next CQE of @cq; consume it and ring its head. */
bool nvme_io_reap(struct nvme_dev *d, struct nvme_io_cq *cq,
		  struct nvme_cqe *cqe, unsigned int ms);
/*
 * Submit one command and wait for its completion, which must name it
 * (cid, SQ id, SQ head).  Returns the Status Field (phase tag removed)
 * or -1 when no matching completion came.
 */
int nvme_io_exec(struct nvme_dev *d, struct nvme_io_sq *sq,
		 struct nvme_sqe *sqe, struct nvme_cqe *cqe);

/* Read, Write, Write Zeroes: SLBA in CDW10/11, 0's based NLB in CDW12 */
void nvme_rw_init(struct nvme_sqe *sqe, uint8_t opcode, uint64_t slba,
		  uint32_t nlb, uint64_t prp1, uint64_t prp2);

#endif /* MNV_TEST_NVME_IO_H */
