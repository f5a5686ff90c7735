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

static int mnv_hwq_admin(struct mnv_host *host, u8 opcode, u16 qid,
			 u16 depth, u32 dword11, dma_addr_t prp1)
{
	struct nvme_command cmd = { };

	cmd.create_cq.opcode = opcode;
	cmd.create_cq.prp1 = cpu_to_le64(prp1);
	cmd.create_cq.cqid = cpu_to_le16(qid);
	cmd.create_cq.qsize = cpu_to_le16(depth ? depth - 1 : 0);
	cmd.common.cdw11 = cpu_to_le32(dword11);
	return mnv_admin_exec(host, &cmd, NULL);
}

/**
 * mnv_hwq_create - create I/O queue pair @qid on the controller
 * @host: controller
 * @qid: a queue id reserved with mnv_qpool_reserve()
 * @hwq: receives the queue; pass to mnv_hwq_delete() when done
 *
 * The completion queue is created without an interrupt: its owner polls.
 *
 * Return: 0 or a negative errno (an NVMe error status becomes -EIO).
 */
int mnv_hwq_create(struct mnv_host *host, u16 qid, struct mnv_hwq *hwq)
{
	int ret;

	ret = mnv_hwq_alloc_rings(host, qid, host->hwq_depth, hwq);
	if (ret)
		return ret;

	ret = mnv_hwq_admin(host, nvme_admin_create_cq, qid, hwq->depth,
			    NVME_QUEUE_PHYS_CONTIG, hwq->cq_dma);
	if (ret)
		goto err_free;
	ret = mnv_hwq_admin(host, nvme_admin_create_sq, qid, hwq->depth,
			    NVME_QUEUE_PHYS_CONTIG | NVME_SQ_PRIO_MEDIUM |
			    ((u32)qid << 16), hwq->sq_dma);
	if (ret)
		goto err_delete_cq;
	return 0;

err_delete_cq:
	mnv_hwq_admin(host, nvme_admin_delete_cq, qid, 0, 0, 0);
err_free:
	mnv_hwq_free_rings(host, hwq);
	dev_err(mnv_host_dev(host), "cannot create hardware queue pair %u (%d)\n",
		qid, ret);
	return ret < 0 ? ret : -EIO;
}

/*
 * Delete the pair on the controller, then free its rings.  If the
 * controller failed, the commands cannot run; the rings are still freed,
 * which is safe only because a failed controller has been disabled
 * (mnv_host_fail_locked()) and no longer reads or writes them.
 */
void mnv_hwq_delete(struct mnv_host *host, struct mnv_hwq *hwq)
{
	int ret;

	ret = mnv_hwq_admin(host, nvme_admin_delete_sq, hwq->qid, 0, 0, 0);
	if (!ret)
		ret = mnv_hwq_admin(host, nvme_admin_delete_cq, hwq->qid, 0,
				    0, 0);
	if (ret && ret != -ENODEV)
		dev_warn(mnv_host_dev(host), "deleting hardware queue pair %u failed (%d)\n",
			 hwq->qid, ret);
	if (ret && !host->dead) {
		/*
		 * A live controller that refused the deletion may still own
		 * the rings: leak them rather than hand DMA memory back.
		 */
		hwq->sqes = NULL;
		hwq->cqes = NULL;
		return;
	}
	mnv_hwq_free_rings(host, hwq);
}
