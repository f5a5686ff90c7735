// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's own admin queue on the physical controller.
 *
 * Admin commands are rare (probe, queue creation and deletion), so they are
 * issued one at a time under host->admin_lock and their completion is
 * polled: no interrupt vector has to be set up for the physical function.
 * Recovery from a controller that stops answering lives here too: reset
 * it, or, failing that, cut it off from memory.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>

#include "host.h"

/*
 * Deleting a queue completes only once the controller has finished or
 * aborted its commands, which on a busy or throttled drive takes seconds:
 * as in the nvme driver, a timeout means a broken controller, not a slow
 * one, and leads to a controller reset.
 */
static unsigned int admin_timeout_ms = 30000;
module_param(admin_timeout_ms, uint, 0644);
MODULE_PARM_DESC(admin_timeout_ms,
		 "Time an admin command may take before the controller is reset (ms)");

int mnv_admin_queue_alloc(struct mnv_host *host)
{
	return mnv_hwq_alloc_rings(host, 0, MNV_ADMIN_QUEUE_DEPTH,
				  &host->adminq);
}

void mnv_admin_queue_free(struct mnv_host *host)
{
	mnv_hwq_free_rings(host, &host->adminq);
}

/* Controller gone from the bus: every read returns all ones. */
static bool mnv_ctrl_gone(struct mnv_host *host)
{
	return readl(host->bar + NVME_REG_CSTS) == ~0U;
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
	u16 status, id;

	while (!(cqe = mnv_hwq_peek_cqe(q))) {
		if (time_after(jiffies, deadline))
			return mnv_ctrl_gone(host) ? -ENODEV : -ETIMEDOUT;
		usleep_range(20, 100);
	}
	status = le16_to_cpu(cqe->status);
	id = cqe->command_id;
	if (result)
		*result = le32_to_cpu(cqe->result.u32);
	mnv_hwq_pop_cqe(q);
	mnv_hwq_ring_cq(q);

	if (id != cid) {
		dev_err(mnv_host_dev(host),
			"admin completion for unknown command id %u (expected %u)\n",
			id, cid);
		return -EIO;
	}
	return status >> 1;
}

/**
 * mnv_host_fail_locked - stop using a controller that cannot be recovered
 * @host: controller; caller holds host->admin_lock
 *
 * Bus mastering is turned off so that the device can no longer reach host
 * memory, and the controller is disabled if it still answers: queue and
 * guest memory may then be released even though the controller never
 * acknowledged the deletion of its queues.  Instances see @dead and fail
 * their guests' controllers (CSTS.CFS).
 */
void mnv_host_fail_locked(struct mnv_host *host)
{
	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return;
	pci_clear_master(host->pdev);
	if (pci_device_is_present(host->pdev))
		mnv_ctrl_disable(host);
	/*
	 * Instances release their commands' pages as soon as they see
	 * @dead, without the lock: only once the controller is cut off.
	 */
	smp_store_release(&host->dead, true);
	dev_err(mnv_host_dev(host), "controller marked failed; unbind it to recover\n");
}

/* Bring the controller back after a reset: admin queue, queue count. */
static int mnv_host_restart_locked(struct mnv_host *host)
{
	u32 granted;
	int ret;

	mnv_hwq_rewind(&host->adminq);
	ret = mnv_ctrl_enable(host);
	if (ret)
		return ret;
	/* Number of Queues is forgotten by a reset: ask for the same again. */
	ret = mnv_ctrl_request_queues_locked(host, &granted);
	if (ret)
		return ret;
	if (granted < host->nr_qpairs) {
		dev_err(mnv_host_dev(host), "after a reset the controller grants %u I/O queue pairs, not %u\n",
			granted, host->nr_qpairs);
		return -EIO;
	}
	return 0;
}

/**
 * mnv_host_reset_locked - reset the controller to recover from a fault
 * @host: controller; caller holds host->admin_lock
 * @why: for the log
 *
 * Disabling the controller (CC.EN = 0, confirmed by CSTS.RDY = 0) aborts
 * every command and deletes every I/O queue: nothing is in flight any
 * more, so @epoch moves on and each instance, when it next looks,
 * completes its commands with a status the guest retries and creates its
 * queue pairs again (mnv_hwq_stale()).  If the controller cannot be
 * disabled or enabled again it is failed instead.
 *
 * Return: 0, or -ENODEV if the controller is failed now.
 */
int mnv_host_reset_locked(struct mnv_host *host, const char *why)
{
	int ret;

	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return -ENODEV;
	if (host->resetting) {
		/* The reset itself got stuck: nothing more to try. */
		mnv_host_fail_locked(host);
		return -ENODEV;
	}
	dev_warn(mnv_host_dev(host), "resetting the controller: %s\n", why);
	host->resetting = true;
	ret = mnv_ctrl_disable(host);
	if (!ret) {
		/* Disabled: every queue and command of the old epoch is gone. */
		smp_store_release(&host->epoch, host->epoch + 1);
		host->nr_resets++;
		ret = mnv_host_restart_locked(host);
	}
	host->resetting = false;
	if (ret) {
		mnv_host_fail_locked(host);
		return -ENODEV;
	}
	return 0;
}

/**
 * mnv_host_reset_prepare - the function is about to be reset from outside
 * @host: controller
 *
 * Takes host->admin_lock, released by mnv_host_reset_done(): no admin
 * command may run while the function resets.  The controller is disabled
 * first, so that nothing is in flight when the reset hits it.
 */
void mnv_host_reset_prepare(struct mnv_host *host)
	__acquires(&host->admin_lock)
{
	mutex_lock(&host->admin_lock);
	/* For sparse, which does not follow mutexes. */
	__acquire(&host->admin_lock);
	if (host->dead)
		return;
	host->resetting = true;
	if (pci_device_is_present(host->pdev))
		mnv_ctrl_disable(host);
}

/**
 * mnv_host_reset_done - the function was reset: bring the controller back
 * @host: controller, after mnv_host_reset_prepare()
 * @why: for the log
 *
 * Return: 0, or -ENODEV if the controller is failed now.
 */
int mnv_host_reset_done(struct mnv_host *host, const char *why)
	__releases(&host->admin_lock)
{
	int ret = -ENODEV;

	lockdep_assert_held(&host->admin_lock);
	if (!host->dead) {
		dev_warn(mnv_host_dev(host), "controller reset: %s\n", why);
		/*
		 * The reset may have failed, or the controller ignored it:
		 * only a controller seen disabled has let go of its queues.
		 */
		ret = mnv_ctrl_disable(host);
		if (!ret) {
			/* Pairs with mnv_hwq_stale(): seen disabled first. */
			smp_store_release(&host->epoch, host->epoch + 1);
			host->nr_resets++;
			pci_set_master(host->pdev);
			ret = mnv_host_restart_locked(host);
		}
		host->resetting = false;
		if (ret)
			mnv_host_fail_locked(host);
		else
			pci_save_state(host->pdev);
	}
	__release(&host->admin_lock);
	mutex_unlock(&host->admin_lock);
	return ret ? -ENODEV : 0;
}

/**
 * mnv_admin_exec_locked - run one admin command on the physical controller
 * @host: the controller; caller holds host->admin_lock
 * @cmd: command; its command id is assigned here
 * @result: if not NULL, receives dword 0 of the completion
 *
 * Return: 0 on success, a positive NVMe status (status field without the
 * phase bit) if the controller rejected the command, or a negative errno
 * if it could not be run.  A command that does not complete in time
 * leaves the admin queue in an unknown state: the controller is reset
 * (which aborts the command), or failed if that does not work.
 */
int mnv_admin_exec_locked(struct mnv_host *host, struct nvme_command *cmd,
			  u32 *result)
{
	struct mnv_hwq *q = &host->adminq;
	int ret;

	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return -ENODEV;

	cmd->common.command_id = ++host->admin_cid;
	mnv_hwq_push(q, cmd);
	mnv_hwq_ring_sq(q);

	ret = mnv_admin_wait(host, cmd->common.command_id, result);
	if (ret == -ETIMEDOUT) {
		dev_err(mnv_host_dev(host), "admin command 0x%02x did not complete within %u ms\n",
			cmd->common.opcode, admin_timeout_ms);
		mnv_host_reset_locked(host, "admin command timed out");
	} else if (ret < 0) {
		dev_err(mnv_host_dev(host), "admin command 0x%02x failed (%d)\n",
			cmd->common.opcode, ret);
		if (ret == -ENODEV)
			mnv_host_fail_locked(host);
		else
			mnv_host_reset_locked(host, "admin queue out of step");
	}
	return ret;
}

/* mnv_admin_exec_locked() for callers not holding host->admin_lock. */
int mnv_admin_exec(struct mnv_host *host, struct nvme_command *cmd,
		   u32 *result)
{
	int ret;

	mutex_lock(&host->admin_lock);
	ret = mnv_admin_exec_locked(host, cmd, result);
	mutex_unlock(&host->admin_lock);
	return ret;
}
