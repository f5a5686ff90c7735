// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's own admin queue on the physical controller.
 *
 * Admin commands are rare (probe, queue creation and deletion) and their
 * completion is polled: no interrupt vector has to be set up for the
 * physical function.  Several may be in flight, each waited for by the
 * task that submitted it: host->admin_lock is held to submit and to take
 * in completions, never while the controller works, so that a queue
 * deletion that takes seconds on a busy drive holds up no other tenant's
 * queue creation.  Recovery from a controller that stops answering lives
 * here too: reset it, or, failing that, cut it off from memory.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

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

/*
 * The nap while every admin command id is taken: one comes back when a
 * command completes, tens of microseconds to seconds away, and this wait
 * is rare (MNV_ADMIN_MAX_CMDS commands in flight), so it may be longer
 * than the nap for a completion (MNV_CMD_POLL_*).
 */
#define MNV_ADMIN_CID_NAP_MIN_US	100
#define MNV_ADMIN_CID_NAP_MAX_US	200

/*
 * A controller that reads as gone is failed only if it still does this
 * much later: a link that just went down may be about to be reported to
 * the AER driver, whose recovery would bring the controller back.
 */
#define MNV_GONE_CONFIRM_MS	500

/*
 * PCI error recovery that has not reset the function (slot_reset) or
 * ended (resume) after this long has failed: the PCI core waits at most
 * 60 s for a function to come back from a reset, and a failed recovery
 * calls no driver back (Linux 6.1 only sends a uevent).
 */
#define MNV_FROZEN_MAX_MS	90000

/**
 * mnv_host_gone - has the controller left the bus?
 * @host: controller
 *
 * A surprise removal (or a dead link) makes every read return all ones;
 * the PCI core also marks a function it knows to be gone.
 */
bool mnv_host_gone(struct mnv_host *host)
{
	return !pci_device_is_present(host->pdev) ||
	       readl(host->bar + NVME_REG_CSTS) == ~0U;
}

/*
 * Is PCI error recovery still to bring the controller back?  A freeze
 * that outlived any recovery ends here, failing the controller: nobody
 * else would, and its commands would wait for ever.
 */
static bool mnv_host_frozen_locked(struct mnv_host *host)
{
	lockdep_assert_held(&host->admin_lock);
	if (!host->frozen)
		return false;
	if (time_before(jiffies, host->frozen_until))
		return true;
	dev_err(mnv_host_dev(host), "PCI error recovery did not bring the controller back within %u s\n",
		MNV_FROZEN_MAX_MS / 1000);
	host->frozen = false;
	mnv_host_fail_locked(host);
	return false;
}

/*
 * Has the controller left the bus for good?  Not while PCI error recovery
 * runs or is about to (the PCI core marks the function offline before it
 * calls error_detected()), and only once it has read as gone for
 * MNV_GONE_CONFIRM_MS, unless the PCI core knows it is disconnected.
 */
static bool mnv_host_lost_locked(struct mnv_host *host)
{
	pci_channel_state_t state = READ_ONCE(host->pdev->error_state);

	lockdep_assert_held(&host->admin_lock);
	if (mnv_host_frozen_locked(host) || host->dead)
		return false;
	if (!mnv_host_gone(host)) {
		host->gone_since = 0;
		return false;
	}
	if (state == pci_channel_io_perm_failure)
		return true;
	if (state == pci_channel_io_frozen)
		return false;
	if (!host->gone_since) {
		host->gone_since = jiffies;
		return false;
	}
	return time_after(jiffies, host->gone_since +
			  msecs_to_jiffies(MNV_GONE_CONFIRM_MS));
}

/*
 * End every command in flight with @ret: the controller dropped them
 * (disabled) or will never answer (failed, gone).
 */
static void mnv_admin_end_all_locked(struct mnv_host *host, int ret)
{
	struct mnv_admin_cmd *ac;
	unsigned int i;

	lockdep_assert_held(&host->admin_lock);
	for (i = 0; i < MNV_ADMIN_MAX_CMDS; i++) {
		ac = host->admin_cmds[i];
		if (!ac)
			continue;
		ac->ret = ret;
		ac->done = true;
		host->admin_cmds[i] = NULL;
	}
}

/*
 * Hand @cmd to the controller as command @ac.  Return: 0, -ENODEV (the
 * controller is failed) or -EBUSY (every command id is in use: retry).
 */
static int mnv_admin_submit_locked(struct mnv_host *host,
				   struct mnv_admin_cmd *ac,
				   struct nvme_command *cmd)
{
	struct mnv_hwq *q = &host->adminq;
	unsigned int cid;

	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return -ENODEV;
	for (cid = 0; cid < MNV_ADMIN_MAX_CMDS; cid++)
		if (!host->admin_cmds[cid])
			break;
	if (cid == MNV_ADMIN_MAX_CMDS)
		return -EBUSY;
	ac->done = false;
	ac->ret = 0;
	ac->result = 0;
	ac->deadline = jiffies + msecs_to_jiffies(admin_timeout_ms);
	ac->next_check = jiffies + msecs_to_jiffies(MNV_GONE_CHECK_MS);
	host->admin_cmds[cid] = ac;
	cmd->common.command_id = cid;
	mnv_hwq_push(q, cmd);
	/* Not on a frozen link: the reset that ends the freeze drops it. */
	if (!host->frozen)
		mnv_hwq_ring_sq(q);
	return 0;
}

/* Take in every completion the controller posted, whoever waits for it. */
static void mnv_admin_reap_locked(struct mnv_host *host)
{
	struct mnv_hwq *q = &host->adminq;
	struct nvme_completion *cqe;
	struct mnv_admin_cmd *ac;
	bool seen = false, stray = false;
	unsigned int n = 0;
	u16 cid;

	lockdep_assert_held(&host->admin_lock);
	/* At most a queue's worth: a broken controller may post forever. */
	while (n++ < q->depth && (cqe = mnv_hwq_peek_cqe(q))) {
		cid = READ_ONCE(cqe->command_id);
		ac = cid < MNV_ADMIN_MAX_CMDS ? host->admin_cmds[cid] : NULL;
		if (ac) {
			ac->ret = mnv_cqe_status(cqe);
			ac->result = le32_to_cpu(cqe->result.u32);
			ac->done = true;
			host->admin_cmds[cid] = NULL;
		} else {
			dev_err(mnv_host_dev(host), "admin completion for unknown command id %u\n",
				cid);
			stray = true;
		}
		mnv_hwq_pop_cqe(q);
		seen = true;
	}
	if (seen)
		mnv_hwq_ring_cq(q);
	/* The queue is out of step: only a reset puts it right. */
	if (stray)
		mnv_host_reset_locked(host, "admin queue out of step");
}

/*
 * One look at command @ac (@opcode for the log): take in completions,
 * fail a controller that left the bus, reset one that let the command
 * time out.  Return: whether @ac is over.
 */
static bool mnv_admin_poll_locked(struct mnv_host *host,
				  struct mnv_admin_cmd *ac, u8 opcode)
{
	unsigned int cid;

	lockdep_assert_held(&host->admin_lock);
	if (!ac->done)
		mnv_admin_reap_locked(host);
	if (ac->done)
		return true;
	if (mnv_host_frozen_locked(host)) {
		/* No answer on a frozen link: slot_reset ends the command. */
		ac->deadline = jiffies + msecs_to_jiffies(admin_timeout_ms);
		return false;
	}
	/* Ended by the failure of a freeze that outlived recovery. */
	if (ac->done)
		return true;
	if (time_after(jiffies, ac->next_check)) {
		ac->next_check = jiffies +
				 msecs_to_jiffies(MNV_GONE_CHECK_MS);
		if (mnv_host_lost_locked(host)) {
			dev_err(mnv_host_dev(host), "controller gone during admin command 0x%02x\n",
				opcode);
			/* Ends every command, @ac too, with -ENODEV. */
			mnv_host_fail_locked(host);
			return true;
		}
	}
	if (!time_after(jiffies, ac->deadline))
		return false;
	dev_err(mnv_host_dev(host), "admin command 0x%02x did not complete within %u ms\n",
		opcode, admin_timeout_ms);
	for (cid = 0; cid < MNV_ADMIN_MAX_CMDS; cid++)
		if (host->admin_cmds[cid] == ac)
			host->admin_cmds[cid] = NULL;
	ac->ret = -ETIMEDOUT;
	ac->done = true;
	/* Aborts the command; the others in flight end with -EAGAIN. */
	mnv_host_reset_locked(host, "admin command timed out");
	return true;
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
	if (!mnv_host_gone(host))
		mnv_host_disable(host);
	mnv_host_stop_locked(host);
	dev_err(mnv_host_dev(host), "controller marked failed; unbind it to recover\n");
}

/**
 * mnv_host_stop_locked - take no more commands: the controller is failed,
 *	shut down or gone
 * @host: controller; caller holds host->admin_lock and has disabled the
 *	controller or cut it off from memory (if it can still be reached)
 *
 * Commands in flight end with -ENODEV and no more are submitted, so that
 * nobody waits for a controller that will not answer any more; instances
 * end their I/O and fail their guests' controllers (CSTS.CFS).
 */
void mnv_host_stop_locked(struct mnv_host *host)
{
	lockdep_assert_held(&host->admin_lock);
	pci_clear_master(host->pdev);
	mnv_admin_end_all_locked(host, -ENODEV);
	/*
	 * Instances release their commands' pages as soon as they see
	 * @dead, without the lock: only once the controller is cut off.
	 */
	smp_store_release(&host->dead, true);
}

/* Bring the controller back after a reset: admin queue, queue count. */
static int mnv_host_restart_locked(struct mnv_host *host)
{
	u32 granted;
	int ret;

	lockdep_assert_held(&host->admin_lock);
	/* The controller dropped what was in flight when it was disabled. */
	mnv_admin_end_all_locked(host, -EAGAIN);
	mnv_hwq_rewind(&host->adminq);
	ret = mnv_host_enable(host);
	if (ret)
		return ret;
	/* Number of Queues is forgotten by a reset: ask for the same again. */
	ret = mnv_host_request_queues_locked(host, &granted);
	if (ret)
		return ret;
	if (granted < host->nr_qpairs) {
		dev_err(mnv_host_dev(host), "after a reset the controller grants %u I/O queue pairs, not %u\n",
			granted, host->nr_qpairs);
		return -EIO;
	}
	return 0;
}

/*
 * A reset is about to stop the controller: from now on the instances
 * ring none of its doorbells (mnv_host_ring_sq()), and once this returns
 * no write of one that looked before is under way.
 */
static void mnv_host_doorbells_off(struct mnv_host *host)
{
	lockdep_assert_held(&host->admin_lock);
	WRITE_ONCE(host->resetting, true);
	synchronize_rcu();
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
	/* PCI error recovery resets it anyway, once the link is back. */
	if (mnv_host_frozen_locked(host))
		return -EAGAIN;
	if (host->dead)
		return -ENODEV;
	/*
	 * Gone from the bus: nothing to reset.  (QEMU answers reads of a
	 * removed device's BAR with zeroes, which look like a controller
	 * that disables at once and then never gets ready.)
	 */
	if (mnv_host_gone(host)) {
		mnv_host_fail_locked(host);
		return -ENODEV;
	}
	if (host->resetting) {
		/* The reset itself got stuck: nothing more to try. */
		mnv_host_fail_locked(host);
		return -ENODEV;
	}
	dev_warn(mnv_host_dev(host), "resetting the controller: %s\n", why);
	mnv_host_doorbells_off(host);
	ret = mnv_host_disable(host);
	if (!ret) {
		/* Disabled: every queue and command of the old epoch is gone. */
		smp_store_release(&host->epoch, host->epoch + 1);
		WRITE_ONCE(host->nr_resets, host->nr_resets + 1);
		ret = mnv_host_restart_locked(host);
	}
	if (ret)
		mnv_host_fail_locked(host);
	/* After the new epoch or the failure: see mnv_host_may_ring(). */
	smp_store_release(&host->resetting, false);
	return ret ? -ENODEV : 0;
}

/**
 * mnv_host_freeze - PCI error recovery found the link frozen
 * @host: controller
 *
 * Until slot_reset() resets the function (mnv_host_reset_prepare()), or
 * the error is found permanent, reads may return all ones and commands
 * get no answer.  Taking that for a gone controller or a timed-out
 * command would fail a controller that recovery is about to bring back:
 * no such verdict is taken meanwhile, and no doorbell is rung, as during
 * a reset.
 */
void mnv_host_freeze(struct mnv_host *host)
{
	mutex_lock(&host->admin_lock);
	if (!host->dead && !host->frozen) {
		host->frozen = true;
		host->frozen_until = jiffies +
				     msecs_to_jiffies(MNV_FROZEN_MAX_MS);
		mnv_host_doorbells_off(host);
	}
	mutex_unlock(&host->admin_lock);
}

/**
 * mnv_host_thaw - PCI error recovery is over
 * @host: controller
 *
 * Normally slot_reset() has reset the function and ended the frozen state
 * already.  If it did not run, the controller is reset now: its link went
 * through a reset either way.
 */
void mnv_host_thaw(struct mnv_host *host)
{
	bool frozen;

	mutex_lock(&host->admin_lock);
	frozen = host->frozen;
	mutex_unlock(&host->admin_lock);
	if (frozen) {
		/* The link was reset: config space is the power-on one. */
		pci_restore_state(host->pdev);
		mnv_host_reset_prepare(host);
		host->frozen = false;
		mnv_host_reset_done(host, "PCI error recovery without slot reset");
	}
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
	mnv_host_doorbells_off(host);
	if (!mnv_host_gone(host))
		mnv_host_disable(host);
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
		 * One gone from the bus (reading zeroes under QEMU) looks
		 * disabled but would never get ready: fail it at once.
		 */
		ret = mnv_host_gone(host) ? -ENODEV : mnv_host_disable(host);
		if (!ret) {
			/* Pairs with mnv_hwq_stale(): seen disabled first. */
			smp_store_release(&host->epoch, host->epoch + 1);
			WRITE_ONCE(host->nr_resets, host->nr_resets + 1);
			pci_set_master(host->pdev);
			ret = mnv_host_restart_locked(host);
		}
		if (ret)
			mnv_host_fail_locked(host);
		else
			pci_save_state(host->pdev);
		/* After the new epoch or the failure: mnv_host_may_ring(). */
		smp_store_release(&host->resetting, false);
	}
	__release(&host->admin_lock);
	mutex_unlock(&host->admin_lock);
	return ret ? -ENODEV : 0;
}

/* Log what went wrong with a command; return what the caller gets. */
static int mnv_admin_result(struct mnv_host *host, struct mnv_admin_cmd *ac,
			    const struct nvme_command *cmd, u32 *result)
{
	if (result)
		*result = ac->result;
	/* -EAGAIN: a reset came in between, the caller decides. */
	if (ac->ret < 0 && ac->ret != -EAGAIN)
		dev_err(mnv_host_dev(host), "admin command 0x%02x failed (%d)\n",
			cmd->common.opcode, ac->ret);
	return ac->ret;
}

/**
 * mnv_admin_exec_locked - run one admin command, holding the admin lock
 * @host: the controller; caller holds host->admin_lock
 * @cmd: command; its command id is assigned here
 * @result: if not NULL, receives dword 0 of the completion
 *
 * For the reset path, which must keep every other command out until the
 * controller is back.  Everyone else uses mnv_admin_exec().
 *
 * Return: 0 on success, a positive NVMe status (status field without the
 * phase bit) if the controller rejected the command, or a negative errno
 * if it could not be run: -ENODEV (controller failed or gone), -EAGAIN (a
 * reset aborted it), -ETIMEDOUT (it timed out and the controller was
 * reset, or failed if that did not work), -EBUSY (no command id free).
 */
int mnv_admin_exec_locked(struct mnv_host *host, struct nvme_command *cmd,
			  u32 *result)
{
	struct mnv_admin_cmd ac;
	int ret;

	lockdep_assert_held(&host->admin_lock);
	ret = mnv_admin_submit_locked(host, &ac, cmd);
	if (ret)
		return ret;
	while (!mnv_admin_poll_locked(host, &ac, cmd->common.opcode))
		mnv_cmd_poll_nap();
	return mnv_admin_result(host, &ac, cmd, result);
}

/*
 * Submit @cmd unless the controller was reset since @epoch (NULL: any
 * epoch), then wait for it with host->admin_lock taken only for each look.
 */
static int mnv_admin_run(struct mnv_host *host, const u32 *epoch,
			 struct nvme_command *cmd, u32 *result)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(admin_timeout_ms);
	struct mnv_admin_cmd ac;
	bool done;
	int ret;

	for (;;) {
		mutex_lock(&host->admin_lock);
		if (epoch && *epoch != host->epoch)
			ret = host->dead ? -ENODEV : -EAGAIN;
		else
			ret = mnv_admin_submit_locked(host, &ac, cmd);
		/* Command ids come back only once recovery resets it. */
		if (ret == -EBUSY && mnv_host_frozen_locked(host))
			deadline = jiffies + msecs_to_jiffies(admin_timeout_ms);
		mutex_unlock(&host->admin_lock);
		/* All command ids taken: wait for one to come back. */
		if (ret != -EBUSY || time_after(jiffies, deadline))
			break;
		usleep_range(MNV_ADMIN_CID_NAP_MIN_US, MNV_ADMIN_CID_NAP_MAX_US);
	}
	if (ret)
		return ret;
	for (;;) {
		mutex_lock(&host->admin_lock);
		done = mnv_admin_poll_locked(host, &ac, cmd->common.opcode);
		if (done)
			ret = mnv_admin_result(host, &ac, cmd, result);
		mutex_unlock(&host->admin_lock);
		if (done)
			return ret;
		mnv_cmd_poll_nap();
	}
}

/**
 * mnv_admin_exec - run one admin command on the physical controller
 * @host: the controller; caller does not hold host->admin_lock
 * @cmd: command; its command id is assigned here
 * @result: if not NULL, receives dword 0 of the completion
 *
 * Other commands may run meanwhile.  Return: as mnv_admin_exec_locked().
 */
int mnv_admin_exec(struct mnv_host *host, struct nvme_command *cmd,
		   u32 *result)
{
	lockdep_assert_not_held(&host->admin_lock);
	return mnv_admin_run(host, NULL, cmd, result);
}

/**
 * mnv_admin_exec_in_epoch - run an admin command about queues of @epoch
 * @host: the controller; caller does not hold host->admin_lock
 * @epoch: the controller reset the command's queue was created after
 * @cmd: command; its command id is assigned here
 * @result: if not NULL, receives dword 0 of the completion
 *
 * A reset deletes every queue: a command about a queue of an earlier
 * epoch would act on nothing, or on a queue created since by someone
 * else.  So it is not submitted once the epoch moved on (-EAGAIN, or
 * -ENODEV if the controller is failed), and a reset while it runs aborts
 * it (-EAGAIN).  Return: otherwise as mnv_admin_exec_locked().
 */
int mnv_admin_exec_in_epoch(struct mnv_host *host, u32 epoch,
			    struct nvme_command *cmd, u32 *result)
{
	lockdep_assert_not_held(&host->admin_lock);
	return mnv_admin_run(host, &epoch, cmd, result);
}

/**
 * mnv_host_reset_in_epoch - reset the controller unless a reset already did
 * @host: controller; caller does not hold host->admin_lock
 * @epoch: the epoch in which the controller misbehaved
 * @why: for the log
 */
void mnv_host_reset_in_epoch(struct mnv_host *host, u32 epoch,
			     const char *why)
{
	int ret = 0;

	lockdep_assert_not_held(&host->admin_lock);
	for (;;) {
		mutex_lock(&host->admin_lock);
		if (host->epoch == epoch && !host->dead)
			ret = mnv_host_reset_locked(host, why);
		mutex_unlock(&host->admin_lock);
		/*
		 * Deferred to PCI error recovery: callers release what the
		 * controller may use once this returns, so only after the
		 * recovery's reset, or the failure of the freeze.
		 */
		if (ret != -EAGAIN)
			return;
		msleep(MNV_GONE_CHECK_MS);
		ret = 0;
	}
}

/**
 * mnv_host_check_gone - fail the controller if it has left the bus
 * @host: controller; caller does not hold host->admin_lock
 *
 * For the I/O path and the waits of a recovery or a scrub
 * (mnv_host_wait_cqe()), whose commands a removed controller never
 * completes and which have no other way to learn of it.  It never waits for the
 * admin lock: whoever holds it is talking to the controller and finds
 * out as well.
 */
void mnv_host_check_gone(struct mnv_host *host)
{
	/* A holder's own trylock fails: the check would never run. */
	lockdep_assert_not_held(&host->admin_lock);
	if (!mutex_trylock(&host->admin_lock))
		return;
	if (mnv_host_lost_locked(host)) {
		dev_err(mnv_host_dev(host), "controller gone from the bus: commands get no completion\n");
		mnv_host_fail_locked(host);
	}
	mutex_unlock(&host->admin_lock);
}
