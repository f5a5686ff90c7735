// SPDX-License-Identifier: GPL-2.0-only
/*
 * One hardware submission/completion queue pair: its rings, the
 * arithmetic of its indices and doorbells.  The module's admin queue and
 * every instance's I/O queue pairs go through these helpers, so that
 * submitting and reaping are written once.
 *
 * The helpers do no locking: a pair has one owner at a time (the admin
 * path under host->admin_lock, or one instance under its inst->lock).
 * Nothing here checks for room in the SQ: owners never have more
 * commands outstanding than depth - 1 (the admin path one per entry of
 * host->admin_cmds, the I/O path one per slot).
 */
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "host.h"

static u32 __iomem *mnv_doorbell(struct mnv_host *host, u16 qid, bool cq)
{
	return host->bar + NVME_REG_DBS +
	       (2 * qid + (cq ? 1 : 0)) * host->doorbell_stride;
}

/**
 * mnv_hwq_alloc_rings - allocate the rings of a queue pair
 * @host: controller the queue belongs to
 * @qid: queue id on the controller
 * @depth: entries of each ring
 * @hwq: queue to fill in
 */
int mnv_hwq_alloc_rings(struct mnv_host *host, u16 qid, u16 depth,
			struct mnv_hwq *hwq)
{
	struct device *dev = mnv_host_dev(host);

	memset(hwq, 0, sizeof(*hwq));
	hwq->qid = qid;
	hwq->depth = depth;
	hwq->sqes = dma_alloc_coherent(dev, depth * sizeof(*hwq->sqes),
				       &hwq->sq_dma, GFP_KERNEL);
	if (!hwq->sqes)
		return -ENOMEM;
	hwq->cqes = dma_alloc_coherent(dev, depth * sizeof(*hwq->cqes),
				       &hwq->cq_dma, GFP_KERNEL);
	if (!hwq->cqes) {
		dma_free_coherent(dev, depth * sizeof(*hwq->sqes), hwq->sqes,
				  hwq->sq_dma);
		hwq->sqes = NULL;
		return -ENOMEM;
	}
	hwq->sq_doorbell = mnv_doorbell(host, qid, false);
	hwq->cq_doorbell = mnv_doorbell(host, qid, true);
	mnv_hwq_rewind(hwq);
	return 0;
}

/* Caller guarantees the controller no longer uses the rings. */
void mnv_hwq_free_rings(struct mnv_host *host, struct mnv_hwq *hwq)
{
	struct device *dev = mnv_host_dev(host);

	if (!hwq->sqes)
		return;
	dma_free_coherent(dev, hwq->depth * sizeof(*hwq->cqes), hwq->cqes,
			  hwq->cq_dma);
	dma_free_coherent(dev, hwq->depth * sizeof(*hwq->sqes), hwq->sqes,
			  hwq->sq_dma);
	hwq->sqes = NULL;
	hwq->cqes = NULL;
}

/*
 * Back to the state of a pair just created on the controller: empty
 * rings, indices at 0, phase 1.  The controller must not be using it.
 */
void mnv_hwq_rewind(struct mnv_hwq *hwq)
{
	memset(hwq->cqes, 0, hwq->depth * sizeof(*hwq->cqes));
	hwq->sq_tail = 0;
	hwq->cq_head = 0;
	hwq->cq_phase = VNVME_CQE_PHASE;
}

/* Copy @cmd to the tail of the SQ; mnv_hwq_ring_sq() hands it over. */
void mnv_hwq_push(struct mnv_hwq *hwq, const struct nvme_command *cmd)
{
	memcpy(&hwq->sqes[hwq->sq_tail], cmd, sizeof(*cmd));
	if (++hwq->sq_tail == hwq->depth)
		hwq->sq_tail = 0;
}

void mnv_hwq_ring_sq(struct mnv_hwq *hwq)
{
	/* The SQEs must be visible to the device before the doorbell. */
	wmb();
	writel(hwq->sq_tail, hwq->sq_doorbell);
}

/**
 * mnv_hwq_peek_cqe - the next completion, if the controller posted it
 * @hwq: the pair
 *
 * Return: the entry, to be read before mnv_hwq_pop_cqe(), or NULL.
 */
struct nvme_completion *mnv_hwq_peek_cqe(struct mnv_hwq *hwq)
{
	struct nvme_completion *cqe = &hwq->cqes[hwq->cq_head];
	u16 status = le16_to_cpu(READ_ONCE(cqe->status));

	if ((status & VNVME_CQE_PHASE) != hwq->cq_phase)
		return NULL;
	/* The phase tag is written last: read the rest only after it. */
	dma_rmb();
	return cqe;
}

void mnv_hwq_pop_cqe(struct mnv_hwq *hwq)
{
	if (++hwq->cq_head == hwq->depth) {
		hwq->cq_head = 0;
		hwq->cq_phase ^= VNVME_CQE_PHASE;
	}
}

/* Tell the controller the entries up to the head are consumed. */
void mnv_hwq_ring_cq(struct mnv_hwq *hwq)
{
	writel(hwq->cq_head, hwq->cq_doorbell);
}

/*
 * An instance's pair is rung through these.  While a reset stops the
 * controller (host->resetting), no doorbell may reach it: the disable
 * deletes the queues (a doorbell of a missing queue is an Invalid
 * Doorbell error), and during a function reset the PCI core turns memory
 * decoding off (a write is then an Unsupported Request).  The reset sets
 * the flag and waits for an RCU grace period before it touches the
 * controller (mnv_host_doorbells_off()), so a write that saw the flag
 * clear is over by then.  Nor is a pair rung that a reset deleted (stale)
 * and that is not created again yet.  What is pushed but not rung is
 * ended with the rest of the pair's commands once the new epoch shows.
 *
 * Return: true if the doorbell was rung.
 */
static bool mnv_host_may_ring(struct mnv_host *host,
			      const struct mnv_hwq *hwq)
{
	/*
	 * A whole reset may have run since the caller last looked: the
	 * flag is cleared after the new epoch is published (release), so
	 * seeing it clear (acquire) means the epoch read next is current.
	 */
	return !smp_load_acquire(&host->resetting) && hwq->live &&
	       !mnv_hwq_stale(host, hwq) && !READ_ONCE(host->dead);
}

bool mnv_host_ring_sq(struct mnv_host *host, struct mnv_hwq *hwq)
{
	bool ring;

	rcu_read_lock();
	ring = mnv_host_may_ring(host, hwq);
	if (ring)
		mnv_hwq_ring_sq(hwq);
	rcu_read_unlock();
	return ring;
}

bool mnv_host_ring_cq(struct mnv_host *host, struct mnv_hwq *hwq)
{
	bool ring;

	rcu_read_lock();
	ring = mnv_host_may_ring(host, hwq);
	if (ring)
		mnv_hwq_ring_cq(hwq);
	rcu_read_unlock();
	return ring;
}

/*
 * A flush or a scrub chunk may take from microseconds to seconds: the
 * first MNV_WAIT_SHORT_MS are polled at the pace of any single command,
 * the rest with naps that cost a sleeping task a few hundred wakeups a
 * second rather than thousands, for at most a millisecond more.
 */
#define MNV_WAIT_SHORT_MS		2
#define MNV_WAIT_LONG_NAP_MIN_US	500
#define MNV_WAIT_LONG_NAP_MAX_US	1000

/**
 * mnv_host_wait_cqe - wait for the one command on an instance's pair
 * @host: controller of the pair
 * @hwq: the pair, with one command rung and no other outstanding;
 *	the caller holds neither host->admin_lock nor anything it orders
 *	after it
 * @cid: the command's id
 * @timeout_ms: how long the command may take
 * @stray: set to the number of completions of other ids taken off the
 *	CQ meanwhile, for the owner's statistics
 *
 * For the waits of a recovery or a scrub, which hold the instance while
 * they wait.  A removed controller completes nothing, and nothing but a
 * look at the bus would tell: without one the waiter would sit out the
 * whole timeout, and every other user of the instance with it.
 *
 * The caller has no other command outstanding, but a drive may post a
 * completion late or twice: such an entry is no answer to the wait.  It
 * is taken off the CQ (and the CQ head rung, so that the drive keeps
 * room to post the answer) and the wait goes on.
 *
 * Return: the completion of @cid, to be read before mnv_hwq_pop_cqe(), or
 * ERR_PTR(-ENODEV) (the controller failed or is gone), ERR_PTR(-EAGAIN)
 * (a controller reset deleted the pair and so ended the command) or
 * ERR_PTR(-ETIMEDOUT) (the command may still run: the caller deletes the
 * pair to end it).
 */
struct nvme_completion *mnv_host_wait_cqe(struct mnv_host *host,
					  struct mnv_hwq *hwq, u16 cid,
					  unsigned int timeout_ms,
					  unsigned int *stray)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	unsigned long next_check = jiffies + msecs_to_jiffies(MNV_GONE_CHECK_MS);
	unsigned long long_wait = jiffies + msecs_to_jiffies(MNV_WAIT_SHORT_MS);
	struct nvme_completion *cqe;

	/* Else mnv_host_check_gone() never gets the lock: a 30 s wait again. */
	lockdep_assert_not_held(&host->admin_lock);
	*stray = 0;
	for (;;) {
		unsigned int n;

		/*
		 * At most a queue's worth of other completions per round: a
		 * broken drive may post for ever, and the checks below must
		 * still run.
		 */
		for (n = 0; n < hwq->depth && (cqe = mnv_hwq_peek_cqe(hwq)); n++) {
			/* Opaque to the drive: compared as it was written. */
			if (READ_ONCE(cqe->command_id) == cid)
				return cqe;
			mnv_hwq_pop_cqe(hwq);
			(*stray)++;
		}
		if (n)
			mnv_host_ring_cq(host, hwq);
		/* Failed: bus mastering is off.  Stale: the reset aborted it. */
		if (READ_ONCE(host->dead))
			return ERR_PTR(-ENODEV);
		if (mnv_hwq_stale(host, hwq))
			return ERR_PTR(-EAGAIN);
		if (time_after(jiffies, deadline))
			return ERR_PTR(-ETIMEDOUT);
		if (time_after(jiffies, next_check)) {
			next_check = jiffies +
				     msecs_to_jiffies(MNV_GONE_CHECK_MS);
			/* Fails the controller: @dead is seen next time. */
			mnv_host_check_gone(host);
		}
		if (time_after(jiffies, long_wait))
			usleep_range(MNV_WAIT_LONG_NAP_MIN_US,
				     MNV_WAIT_LONG_NAP_MAX_US);
		else
			mnv_cmd_poll_nap();
	}
}
