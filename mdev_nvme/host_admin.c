// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's own admin queue on the physical controller.
 *
 * Admin commands are rare (probe, queue creation and deletion), so they are
 * issued one at a time under host->admin_lock and their completion is
 * polled: no interrupt vector has to be set up for the physical function.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>

#include "host.h"

static unsigned int admin_timeout_ms = 5000;
module_param(admin_timeout_ms, uint, 0644);
MODULE_PARM_DESC(admin_timeout_ms,
		 "Time an admin command may take before the controller is declared failed (ms)");

static u32 __iomem *mnv_doorbell(struct mnv_host *host, u16 qid, bool cq)
{
	return host->bar + NVME_REG_DBS +
	       (2 * qid + (cq ? 1 : 0)) * host->doorbell_stride;
}

/**
 * mnv_hwq_alloc_rings - allocate the rings of a queue pair and reset indices
 * @host: controller the queue belongs to
 * @qid: queue id on the controller
 * @depth: entries of each ring
 * @hwq: queue to fill in
 */
int mnv_hwq_alloc_rings(struct mnv_host *host, u16 qid, u16 depth,
			struct mnv_hwq *hwq)
{
	struct device *dev = mnv_host_dev(host);

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
	hwq->sq_tail = 0;
	hwq->cq_head = 0;
	hwq->cq_phase = 1;
	return 0;
}

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

int mnv_admin_queue_alloc(struct mnv_host *host)
{
	return mnv_hwq_alloc_rings(host, 0, MNV_ADMIN_QUEUE_DEPTH,
				  &host->adminq);
}

void mnv_admin_queue_free(struct mnv_host *host)
{
	mnv_hwq_free_rings(host, &host->adminq);
}

/* Controller gone (all-ones reads) or reporting a fatal status. */
static bool mnv_ctrl_failed(struct mnv_host *host)
{
	u32 csts = readl(host->bar + NVME_REG_CSTS);

	return csts == ~0U || (csts & NVME_CSTS_CFS);
}

/*
 * Wait for the completion of the only command in flight.  Returns the
 * completion's status field or -ETIMEDOUT / -ENODEV.
 */
static int mnv_admin_wait(struct mnv_host *host, u16 cid, u32 *result)
{
	struct mnv_hwq *q = &host->adminq;
	unsigned long deadline = jiffies + msecs_to_jiffies(admin_timeout_ms);
	struct nvme_completion *cqe;
	u16 status;

	for (;;) {
		cqe = &q->cqes[q->cq_head];
		status = le16_to_cpu(READ_ONCE(cqe->status));
		if ((status & 1) == q->cq_phase)
			break;
		if (time_after(jiffies, deadline))
			return mnv_ctrl_failed(host) ? -ENODEV : -ETIMEDOUT;
		usleep_range(20, 100);
	}
	/* The phase bit is written last: read the rest only after it. */
	dma_rmb();

	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
	}
	writel(q->cq_head, q->cq_doorbell);

	if (cqe->command_id != cid) {
		dev_err(mnv_host_dev(host),
			"admin completion for unknown command id %u (expected %u)\n",
			cqe->command_id, cid);
		return -EIO;
	}
	if (result)
		*result = le32_to_cpu(cqe->result.u32);
	return status >> 1;
}

/**
 * mnv_host_fail_locked - stop using a controller that misbehaved
 * @host: controller; caller holds host->admin_lock
 *
 * Bus mastering is turned off so that the device can no longer reach host
 * memory: queue memory may then be freed even though the controller never
 * acknowledged the deletion of its queues.
 */
void mnv_host_fail_locked(struct mnv_host *host)
{
	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return;
	host->dead = true;
	pci_clear_master(host->pdev);
	dev_err(mnv_host_dev(host), "controller marked failed; unbind it to recover\n");
}

/**
 * mnv_admin_exec - run one admin command on the physical controller
 * @host: the controller
 * @cmd: command; its command id is assigned here
 * @result: if not NULL, receives dword 0 of the completion
 *
 * Return: 0 on success, a positive NVMe status (status field without the
 * phase bit) if the controller rejected the command, or a negative errno
 * if it could not be run.  A timeout marks the controller failed: with a
 * command of unknown fate in flight the admin queue can no longer be
 * trusted, and every later command fails with -ENODEV.
 */
int mnv_admin_exec(struct mnv_host *host, struct nvme_command *cmd,
		   u32 *result)
{
	struct mnv_hwq *q = &host->adminq;
	int ret;

	mutex_lock(&host->admin_lock);
	if (host->dead) {
		ret = -ENODEV;
		goto out;
	}

	cmd->common.command_id = ++host->admin_cid;
	memcpy(&q->sqes[q->sq_tail], cmd, sizeof(*cmd));
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	/* The SQE must be visible to the device before the doorbell. */
	wmb();
	writel(q->sq_tail, q->sq_doorbell);

	ret = mnv_admin_wait(host, cmd->common.command_id, result);
	if (ret < 0) {
		dev_err(mnv_host_dev(host), "admin command 0x%02x failed (%d)\n",
			cmd->common.opcode, ret);
		mnv_host_fail_locked(host);
	}
out:
	mutex_unlock(&host->admin_lock);
	return ret;
}
