/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fake environment for the vNVMe core: guest memory is a byte array at
 * IOVA 0..size with deliberately unmapped holes; interrupts and I/O queue
 * hooks are recorded so tests can check what the core asked for.
 *
 * In strict mode (the fuzzer) every request the core must never make --
 * an out-of-range vector, a doorbell for a queue that does not exist or
 * with a value past its end, a queue created twice -- aborts the program.
 */
#ifndef FAKE_ENV_H
#define FAKE_ENV_H

#include "../../mdev_nvme/core/vnvme.h"
#include "../../mdev_nvme/core/nvme_spec.h"

#define FAKE_MAX_HOLES	8
#define FAKE_MAX_CALLS	256

enum fake_call_type {
	FAKE_CQ_CREATE,
	FAKE_SQ_CREATE,
	FAKE_SQ_DELETE,
	FAKE_CQ_DELETE,
	FAKE_DOORBELL,
	FAKE_DBBUF,
	FAKE_RESET,
};

struct fake_call {
	enum fake_call_type type;
	u16 qid;
	u64 iova;	/* queue; shadow doorbell page for FAKE_DBBUF */
	u64 iova2;	/* EventIdx page for FAKE_DBBUF */
	u16 qsize;
	u16 arg;	/* vector for CQs, cqid for SQs */
	bool flag;	/* ien for CQs, is_cq for doorbells */
	u32 value;	/* doorbell value */
};

struct fake_queue {
	bool valid;
	u16 size;
};

struct fake_env {
	u8 *mem;
	u64 size;
	struct { u64 start, end; } holes[FAKE_MAX_HOLES];
	int nr_holes;
	bool strict;
	u16 nr_vectors;

	u64 dma_reads;
	u64 dma_writes;
	u64 dma_faults;
	/*
	 * fake_io_ops only: the I/O check's reads, and the errno they
	 * return once there were @io_read_err_after of them (0: none)
	 */
	u64 io_reads;
	int io_read_err;
	u64 io_read_err_after;
	u32 irqs[VNVME_MAX_VECTORS];
	u32 irq_total;

	struct fake_call calls[FAKE_MAX_CALLS];
	int nr_calls;
	u32 resets;

	/* the I/O path's verdict on doorbell values (false = invalid) */
	bool doorbell_verdict;

	/* status returned by the create hooks, 0 = success */
	u16 cq_create_status;
	u16 sq_create_status;

	struct fake_queue sq[VNVME_MAX_IOQ + 1];
	struct fake_queue cq[VNVME_MAX_IOQ + 1];
};

extern const struct vnvme_env_ops fake_ops;
/* The same with io_read: the I/O check reads guest memory through it */
extern const struct vnvme_env_ops fake_io_ops;

int fake_env_init(struct fake_env *e, u64 size, u16 nr_vectors);
void fake_env_fini(struct fake_env *e);
void fake_env_add_hole(struct fake_env *e, u64 start, u64 len);
void fake_env_clear_log(struct fake_env *e);
/* number of recorded calls of @type (and @qid, unless it is 0xffff) */
int fake_env_count(const struct fake_env *e, enum fake_call_type type,
		   u16 qid);
const struct fake_call *fake_env_last(const struct fake_env *e,
				      enum fake_call_type type);

#endif /* FAKE_ENV_H */
