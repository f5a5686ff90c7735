// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fake environment for the vNVMe core, see fake_env.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fake_env.h"

static void fake_violation(struct fake_env *e, const char *what)
{
	if (!e->strict)
		return;
	fprintf(stderr, "fake_env: core violated its contract: %s\n", what);
	abort();
}

static bool fake_range_ok(const struct fake_env *e, u64 iova, u32 len)
{
	int i;

	if (iova >= e->size || len > e->size - iova)
		return false;
	for (i = 0; i < e->nr_holes; i++)
		if (iova < e->holes[i].end && iova + len > e->holes[i].start)
			return false;
	return true;
}

static int fake_dma_read(void *env, u64 iova, void *buf, u32 len)
{
	struct fake_env *e = env;

	e->dma_reads++;
	if (!len)
		fake_violation(e, "zero-length DMA read");
	if (!fake_range_ok(e, iova, len)) {
		e->dma_faults++;
		return -EFAULT;
	}
	memcpy(buf, e->mem + iova, len);
	return 0;
}

/* Guest memory as dma_read sees it, unless @io_read_err says otherwise */
static int fake_io_read(void *env, u64 iova, void *buf, u32 len)
{
	struct fake_env *e = env;

	if (!len)
		fake_violation(e, "zero-length I/O read");
	if (e->io_read_err && e->io_reads >= e->io_read_err_after) {
		e->io_reads++;
		return e->io_read_err;
	}
	e->io_reads++;
	if (!fake_range_ok(e, iova, len)) {
		e->dma_faults++;
		return -EFAULT;
	}
	memcpy(buf, e->mem + iova, len);
	return 0;
}

static int fake_dma_write(void *env, u64 iova, const void *buf, u32 len)
{
	struct fake_env *e = env;

	e->dma_writes++;
	if (!len)
		fake_violation(e, "zero-length DMA write");
	if (!fake_range_ok(e, iova, len)) {
		e->dma_faults++;
		return -EFAULT;
	}
	memcpy(e->mem + iova, buf, len);
	return 0;
}

static void fake_irq_raise(void *env, u16 vector)
{
	struct fake_env *e = env;

	if (vector >= e->nr_vectors) {
		fake_violation(e, "interrupt vector out of range");
		return;
	}
	e->irqs[vector]++;
	e->irq_total++;
}

static struct fake_call *fake_record(struct fake_env *e,
				     enum fake_call_type type, u16 qid)
{
	static struct fake_call overflow;
	struct fake_call *call;

	if (e->nr_calls == FAKE_MAX_CALLS)
		call = &overflow;
	else
		call = &e->calls[e->nr_calls++];
	memset(call, 0, sizeof(*call));
	call->type = type;
	call->qid = qid;
	return call;
}

static u16 fake_io_cq_create(void *env, u16 qid, u64 iova, u16 qsize,
			     u16 vector, bool ien)
{
	struct fake_env *e = env;
	struct fake_call *call = fake_record(e, FAKE_CQ_CREATE, qid);

	call->iova = iova;
	call->qsize = qsize;
	call->arg = vector;
	call->flag = ien;
	if (!qid || qid > VNVME_MAX_IOQ || e->cq[qid].valid || qsize < 2 ||
	    (ien && vector >= e->nr_vectors)) {
		fake_violation(e, "bad CQ creation");
		return VNVME_SC_INTERNAL;
	}
	if (e->cq_create_status)
		return e->cq_create_status;
	e->cq[qid].valid = true;
	e->cq[qid].size = qsize;
	return 0;
}

static u16 fake_io_sq_create(void *env, u16 qid, u64 iova, u16 qsize,
			     u16 cqid)
{
	struct fake_env *e = env;
	struct fake_call *call = fake_record(e, FAKE_SQ_CREATE, qid);

	call->iova = iova;
	call->qsize = qsize;
	call->arg = cqid;
	if (!qid || qid > VNVME_MAX_IOQ || e->sq[qid].valid || qsize < 2 ||
	    !cqid || cqid > VNVME_MAX_IOQ || !e->cq[cqid].valid) {
		fake_violation(e, "bad SQ creation");
		return VNVME_SC_INTERNAL;
	}
	if (e->sq_create_status)
		return e->sq_create_status;
	e->sq[qid].valid = true;
	e->sq[qid].size = qsize;
	return 0;
}

static void fake_io_sq_delete(void *env, u16 qid)
{
	struct fake_env *e = env;

	fake_record(e, FAKE_SQ_DELETE, qid);
	if (!qid || qid > VNVME_MAX_IOQ || !e->sq[qid].valid) {
		fake_violation(e, "bad SQ deletion");
		return;
	}
	e->sq[qid].valid = false;
}

static void fake_io_cq_delete(void *env, u16 qid)
{
	struct fake_env *e = env;

	fake_record(e, FAKE_CQ_DELETE, qid);
	if (!qid || qid > VNVME_MAX_IOQ || !e->cq[qid].valid) {
		fake_violation(e, "bad CQ deletion");
		return;
	}
	e->cq[qid].valid = false;
}

static bool fake_io_doorbell(void *env, u16 qid, bool is_cq, u32 value)
{
	struct fake_env *e = env;
	struct fake_call *call = fake_record(e, FAKE_DOORBELL, qid);
	struct fake_queue *q;

	call->flag = is_cq;
	call->value = value;
	if (!qid || qid > VNVME_MAX_IOQ) {
		fake_violation(e, "doorbell for a bad queue ID");
		return true;
	}
	q = is_cq ? &e->cq[qid] : &e->sq[qid];
	if (!q->valid || value >= q->size)
		fake_violation(e, "doorbell for a missing queue or too big");
	return e->doorbell_verdict;
}

static void fake_dbbuf_config(void *env, u64 db_iova, u64 ei_iova)
{
	struct fake_env *e = env;
	struct fake_call *call = fake_record(e, FAKE_DBBUF, 0);

	call->iova = db_iova;
	call->iova2 = ei_iova;
	if ((db_iova | ei_iova) & (VNVME_PAGE_SIZE - 1))
		fake_violation(e, "shadow doorbell pages not page aligned");
}

static void fake_reset(void *env)
{
	struct fake_env *e = env;

	fake_record(e, FAKE_RESET, 0);
	e->resets++;
	memset(e->sq, 0, sizeof(e->sq));
	memset(e->cq, 0, sizeof(e->cq));
}

#define FAKE_OPS							\
	.dma_read = fake_dma_read,					\
	.dma_write = fake_dma_write,					\
	.irq_raise = fake_irq_raise,					\
	.io_cq_create = fake_io_cq_create,				\
	.io_sq_create = fake_io_sq_create,				\
	.io_sq_delete = fake_io_sq_delete,				\
	.io_cq_delete = fake_io_cq_delete,				\
	.io_doorbell = fake_io_doorbell,				\
	.dbbuf_config = fake_dbbuf_config,				\
	.reset = fake_reset

const struct vnvme_env_ops fake_ops = { FAKE_OPS };

const struct vnvme_env_ops fake_io_ops = {
	FAKE_OPS,
	.io_read = fake_io_read,
};

int fake_env_init(struct fake_env *e, u64 size, u16 nr_vectors)
{
	memset(e, 0, sizeof(*e));
	e->doorbell_verdict = true;
	e->mem = calloc(1, size);
	if (!e->mem)
		return -ENOMEM;
	e->size = size;
	e->nr_vectors = nr_vectors;
	return 0;
}

void fake_env_fini(struct fake_env *e)
{
	free(e->mem);
	e->mem = NULL;
}

void fake_env_add_hole(struct fake_env *e, u64 start, u64 len)
{
	if (e->nr_holes == FAKE_MAX_HOLES)
		abort();
	e->holes[e->nr_holes].start = start;
	e->holes[e->nr_holes].end = start + len;
	e->nr_holes++;
}

void fake_env_clear_log(struct fake_env *e)
{
	e->nr_calls = 0;
	memset(e->irqs, 0, sizeof(e->irqs));
	e->irq_total = 0;
}

int fake_env_count(const struct fake_env *e, enum fake_call_type type,
		   u16 qid)
{
	int i, n = 0;

	for (i = 0; i < e->nr_calls; i++)
		if (e->calls[i].type == type &&
		    (qid == 0xffff || e->calls[i].qid == qid))
			n++;
	return n;
}

const struct fake_call *fake_env_last(const struct fake_env *e,
				      enum fake_call_type type)
{
	int i;

	for (i = e->nr_calls - 1; i >= 0; i--)
		if (e->calls[i].type == type)
			return &e->calls[i];
	return NULL;
}
