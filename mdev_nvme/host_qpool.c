// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool of hardware I/O queue pairs.  Instances reserve queue ids from
 * it when they are created; the queues themselves are created on the
 * controller by their owner and deleted before the ids go back.
 */
#include <linux/bitmap.h>

#include "host.h"

/**
 * mnv_qpool_reserve - take @nr free hardware queue ids
 * @host: controller
 * @nr: number of queue pairs wanted
 * @qids: receives the @nr queue ids
 *
 * Return: 0, or -ENOSPC if fewer than @nr are free (nothing is taken).
 */
int mnv_qpool_reserve(struct mnv_host *host, unsigned int nr, u16 *qids)
{
	unsigned int i, qid = 0;

	mutex_lock(&host->lock);
	if (host->nr_free_qpairs < nr) {
		mutex_unlock(&host->lock);
		return -ENOSPC;
	}
	for (i = 0; i < nr; i++) {
		/* Bit 0 stands for the admin queue and is never free. */
		qid = find_next_zero_bit(host->qid_used, host->nr_qpairs + 1,
					 qid + 1);
		if (WARN_ON(qid > host->nr_qpairs))
			break;
		__set_bit(qid, host->qid_used);
		qids[i] = qid;
	}
	host->nr_free_qpairs -= i;
	mutex_unlock(&host->lock);
	if (i < nr) {
		mnv_qpool_release(host, i, qids);
		return -ENOSPC;
	}
	return 0;
}

void mnv_qpool_release(struct mnv_host *host, unsigned int nr,
		       const u16 *qids)
{
	unsigned int i;

	mutex_lock(&host->lock);
	for (i = 0; i < nr; i++) {
		if (WARN_ON(!__test_and_clear_bit(qids[i], host->qid_used)))
			continue;
		host->nr_free_qpairs++;
	}
	mutex_unlock(&host->lock);
}

/* Create or delete hardware queue @qid of controller epoch @epoch. */
static int mnv_hwq_admin(struct mnv_host *host, u32 epoch, u8 opcode,
			 u16 qid, u16 depth, u32 dword11, dma_addr_t prp1)
{
	struct nvme_command cmd = { };

	cmd.create_cq.opcode = opcode;
	cmd.create_cq.prp1 = cpu_to_le64(prp1);
	cmd.create_cq.cqid = cpu_to_le16(qid);
	cmd.create_cq.qsize = cpu_to_le16(depth ? depth - 1 : 0);
	cmd.common.cdw11 = cpu_to_le32(dword11);
	return mnv_admin_exec_in_epoch(host, epoch, &cmd, NULL);
}

/**
 * mnv_hwq_start - create pair @hwq on the controller, its rings empty
 * @host: controller
 * @hwq: a pair with rings, not live; the controller does not use them
 *
 * The completion queue raises the queue's own MSI-X vector if it has one
 * (host_irq.c), which its owner turns on and off; else its owner polls.
 * Both queues are created in one controller epoch: a reset in between
 * deletes what was created and makes this return -EAGAIN.  The admin
 * lock is not held meanwhile, so that other tenants' queues are created
 * and deleted alongside.
 *
 * Return: 0 or a negative errno (an NVMe error status becomes -EIO).
 */
int mnv_hwq_start(struct mnv_host *host, struct mnv_hwq *hwq)
{
	u32 cq_flags = NVME_QUEUE_PHYS_CONTIG;
	int ret, del;

	if (WARN_ON(hwq->live))
		return -EBUSY;
	/* Vector N is queue N's. */
	if (mnv_host_qid_has_irq(host, hwq->qid))
		cq_flags |= NVME_CQ_IRQ_ENABLED | ((u32)hwq->qid << 16);
	mnv_hwq_rewind(hwq);
	/* Pairs with the release of a new epoch: the controller is enabled. */
	hwq->epoch = smp_load_acquire(&host->epoch);
	ret = mnv_hwq_admin(host, hwq->epoch, nvme_admin_create_cq, hwq->qid,
			    hwq->depth, cq_flags, hwq->cq_dma);
	if (!ret) {
		ret = mnv_hwq_admin(host, hwq->epoch, nvme_admin_create_sq,
				    hwq->qid, hwq->depth,
				    NVME_QUEUE_PHYS_CONTIG | NVME_SQ_PRIO_MEDIUM |
				    ((u32)hwq->qid << 16), hwq->sq_dma);
		/*
		 * A CQ left behind would make the queue id unusable; if the
		 * SQ creation failed otherwise than by a reset or failure,
		 * the CQ is still there.
		 */
		if (ret > 0 || ret == -EBUSY) {
			del = mnv_hwq_admin(host, hwq->epoch,
					    nvme_admin_delete_cq, hwq->qid, 0, 0,
					    0);
			if (del && del != -EAGAIN && del != -ENODEV)
				mnv_host_reset_in_epoch(host, hwq->epoch,
							"a queue could not be deleted");
		}
	}
	/* A reset right after the creation deleted it already. */
	if (!ret && READ_ONCE(host->epoch) != hwq->epoch)
		ret = -EAGAIN;
	hwq->live = !ret;
	if (ret && ret != -EAGAIN)
		dev_err(mnv_host_dev(host), "cannot create hardware queue pair %u (%d)\n",
			hwq->qid, ret);
	return ret < 0 ? ret : ret ? -EIO : 0;
}

/**
 * mnv_hwq_stop - delete pair @hwq on the controller
 * @host: controller
 * @hwq: the pair
 *
 * Deleting the SQ makes the controller complete or abort each of its
 * commands before it acknowledges (NVMe 1.4, 5.6): once this returns, the
 * controller touches neither the rings nor the memory of any command
 * submitted to the pair, and completions it posted before the deletion
 * are still in the CQ ring for the owner to read.  If the deletion fails
 * the controller is reset (or failed, bus mastering off), which gives the
 * same guarantee for every pair; so does a reset or failure that comes
 * in between.  Sleeps; on a busy drive, for as long as the pair's
 * commands take, without holding up other tenants' admin commands.
 */
void mnv_hwq_stop(struct mnv_host *host, struct mnv_hwq *hwq)
{
	int ret;

	if (!hwq->live)
		return;
	hwq->live = false;
	ret = mnv_hwq_admin(host, hwq->epoch, nvme_admin_delete_sq, hwq->qid,
			    0, 0, 0);
	if (!ret)
		ret = mnv_hwq_admin(host, hwq->epoch, nvme_admin_delete_cq,
				    hwq->qid, 0, 0, 0);
	/*
	 * -EAGAIN, -ENODEV: a reset deleted the pair, or the controller is
	 * cut off.  Otherwise a controller that refuses to delete a queue it
	 * created may still run its commands (a timeout reset it already).
	 */
	if (ret && ret != -EAGAIN && ret != -ENODEV) {
		dev_warn(mnv_host_dev(host), "deleting hardware queue pair %u failed (%d)\n",
			 hwq->qid, ret);
		mnv_host_reset_in_epoch(host, hwq->epoch,
					"a queue pair could not be deleted");
	}
}

/* Reserved queue @qid: allocate its rings and create it on the controller. */
int mnv_hwq_create(struct mnv_host *host, u16 qid, struct mnv_hwq *hwq)
{
	int ret;

	ret = mnv_hwq_alloc_rings(host, qid, host->hwq_depth, hwq);
	if (ret)
		return ret;
	ret = mnv_hwq_start(host, hwq);
	if (ret)
		mnv_hwq_free_rings(host, hwq);
	return ret;
}

/* Delete the pair on the controller, then free its rings. */
void mnv_hwq_delete(struct mnv_host *host, struct mnv_hwq *hwq)
{
	mnv_hwq_stop(host, hwq);
	mnv_hwq_free_rings(host, hwq);
}
