// SPDX-License-Identifier: GPL-2.0-only
/*
 * No data crosses tenants: an instance whose slice shares LBAs with what
 * an earlier instance wrote (host->dirty, slice.c) cannot be opened until
 * its whole slice has been scrubbed.
 *
 * The scrub runs in a work item, on the instance's own first hardware
 * queue pair, which nobody else uses while the device is closed: one
 * command at a time, each covering at most scrub_chunk_kib, so that a
 * large slice costs its neighbours no more than any tenant's I/O does,
 * and so that a removal or a slice change waits for one chunk at most.
 * Write Zeroes is used (deallocating as it goes when the namespace reads
 * deallocated blocks as zeroes).  Dataset Management Deallocate is not:
 * it is advisory, and a controller may deallocate less than asked and
 * still report success, leaving the old tenant's data readable.
 *
 * Each chunk runs under inst->lock, which the slice attributes take too:
 * no command of the scrub is left on LBAs the instance has given up.
 * Progress is counted under host->lock, with the slice; the dirty record
 * is cleared only once the whole slice is done, so an interrupted scrub
 * leaves the LBAs dirty for whoever gets them next.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/nvme.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "instance.h"

static unsigned int scrub_chunk_kib = 8192;
module_param(scrub_chunk_kib, uint, 0644);
MODULE_PARM_DESC(scrub_chunk_kib,
		 "KiB each scrub command clears at most (default 8192, 1 to 65536)");

/*
 * Bounds of scrub_chunk_kib: 0 would clear nothing, one huge command
 * would outlast the timeout.
 */
#define MNV_SCRUB_CHUNK_MIN_KIB	1
#define MNV_SCRUB_CHUNK_MAX_KIB	65536

/* Write Zeroes counts blocks in 16 bits, 0's based. */
#define MNV_SCRUB_WZ_MAX_LBAS	65536
/* One chunk may take as long as an admin command may. */
#define MNV_SCRUB_TIMEOUT_MS	30000
/*
 * A controller reset under a chunk: tries before the scrub gives up,
 * and the wait between them (a reset takes up to CAP.TO, seconds).
 */
#define MNV_SCRUB_RETRIES	50
#define MNV_SCRUB_RETRY_MS	100
/* Low byte of a chunk's command id: no slot's, nor the flush's. */
#define MNV_SCRUB_CID		(MNV_IO_MAX_SLOTS + 1)
static_assert(MNV_SCRUB_CID < MNV_IO_NR_CIDS);
/* Write Zeroes CDW12 bit 25, Deallocate (NVME_WZ_DEAC since Linux 6.2). */
#define MNV_WZ_DEAC		BIT(9)

/* DLFEAT bits 2:0 = 001b: deallocated blocks read as zeroes. */
static bool mnv_ns_deallocated_zeroes(const struct mnv_namespace *ns)
{
	return (ns->dlfeat & 7) == 1;
}

/*
 * Run @cmd on the instance's first hardware pair and wait for it.
 * Return: 0, -EIO (an error status), -EAGAIN (a controller reset ended
 * it: try again), -ETIMEDOUT or -ENODEV (controller failed).  Whatever
 * it returns, the controller no longer runs the command.
 */
static int mnv_scrub_exec(struct mnv_instance *inst, struct nvme_command *cmd)
{
	struct mnv_host *host = inst->host;
	struct mnv_io_hq *hq = &inst->hq[0];
	struct mnv_hwq *hwq = &hq->hw;
	struct nvme_completion *cqe;
	unsigned int stray;
	u16 status, cid;
	int ret;

	lockdep_assert_held(&inst->lock);
	if (READ_ONCE(host->dead))
		return -ENODEV;
	/* A reset deleted the pair, or creating it failed: (re)create it. */
	if (mnv_hwq_stale(host, hwq))
		mnv_hwq_stop(host, hwq);
	if (!hwq->live) {
		ret = mnv_hwq_start(host, hwq);
		if (ret)
			return ret;
	}

	cid = mnv_io_next_cid(hq->gen, MNV_SCRUB_CID);
	cmd->common.command_id = cid;
	mnv_hwq_push(hwq, cmd);
	if (!mnv_host_ring_sq(host, hwq)) {
		/* A reset runs: the entry must not be rung later by mistake. */
		mnv_hwq_stop(host, hwq);
		return -EAGAIN;
	}

	cqe = mnv_host_wait_cqe(host, hwq, cid, MNV_SCRUB_TIMEOUT_MS,
				&stray);
	inst->stats.stray_cqes += stray;
	if (IS_ERR(cqe)) {
		if (PTR_ERR(cqe) == -ETIMEDOUT) {
			dev_warn(mnv_instance_dev(inst), "scrub command did not complete: deleting its queue pair\n");
			/* The deletion completes or aborts it. */
			mnv_hwq_stop(host, hwq);
		}
		return PTR_ERR(cqe);
	}
	status = mnv_cqe_status(cqe);
	mnv_hwq_pop_cqe(hwq);
	mnv_host_ring_cq(host, hwq);
	if (status) {
		dev_warn(mnv_instance_dev(inst), "scrub command failed (status 0x%x)\n",
			 status);
		return -EIO;
	}
	return 0;
}

/*
 * Build the command that scrubs @nlb LBAs from @slba of @ns, or return
 * -EOPNOTSUPP if the controller has no Write Zeroes.
 */
static int mnv_scrub_cmd(struct mnv_instance *inst,
			 const struct mnv_namespace *ns, u64 slba, u64 nlb,
			 struct nvme_command *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	if (!(inst->host->oncs & NVME_CTRL_ONCS_WRITE_ZEROES))
		return -EOPNOTSUPP;
	cmd->write_zeroes.opcode = nvme_cmd_write_zeroes;
	cmd->write_zeroes.nsid = cpu_to_le32(ns->nsid);
	cmd->write_zeroes.slba = cpu_to_le64(slba);
	cmd->write_zeroes.length = cpu_to_le16(nlb - 1);
	/* Only then may the controller deallocate instead of writing. */
	if (mnv_ns_deallocated_zeroes(ns))
		cmd->write_zeroes.control = cpu_to_le16(MNV_WZ_DEAC);
	return 0;
}

/*
 * LBAs of @ns one command clears at most: scrub_chunk_kib, within the
 * controller's Write Zeroes Size Limit if it has one (MDTS does not bound
 * Write Zeroes, which moves no data).
 */
static u64 mnv_scrub_chunk_lbas(struct mnv_host *host,
				const struct mnv_namespace *ns)
{
	u64 kib = clamp_t(u64, READ_ONCE(scrub_chunk_kib),
			  MNV_SCRUB_CHUNK_MIN_KIB, MNV_SCRUB_CHUNK_MAX_KIB);
	u64 bytes = kib << 10;

	if (host->write_zeroes_limit)
		bytes = min_t(u64, bytes, (u64)SZ_4K <<
			      min_t(u8, host->write_zeroes_limit, 32));
	return clamp_t(u64, bytes >> ns->lba_shift, 1, MNV_SCRUB_WZ_MAX_LBAS);
}

/* The scrub of generation @gen failed with @err; caller holds host->lock. */
static void mnv_scrub_failed_locked(struct mnv_instance *inst, u32 gen,
				    int err)
{
	struct mnv_scrub *sc = &inst->scrub;

	lockdep_assert_held(&inst->host->lock);
	if (sc->gen != gen || sc->state != MNV_SCRUB_PENDING)
		return;
	sc->state = MNV_SCRUB_FAILED;
	dev_warn(mnv_instance_dev(inst), "scrub of nsid %u lba %llu+%llu failed after %llu LBAs (%d): the device stays closed\n",
		 inst->slice.nsid, inst->slice.lba_start, sc->total, sc->done,
		 err);
}

/*
 * One chunk of the scrub.  Return: 1 to go on, 0 once there is nothing
 * (more) to do, -EAGAIN to try the chunk again later.
 */
static int mnv_scrub_step(struct mnv_instance *inst, struct mnv_extent **spare)
{
	struct mnv_host *host = inst->host;
	struct mnv_scrub *sc = &inst->scrub;
	const struct mnv_namespace *ns;
	struct nvme_command cmd;
	struct mnv_slice slice;
	u64 slba, nlb;
	u32 gen;
	int ret;

	lockdep_assert_held(&inst->lock);
	mutex_lock(&host->lock);
	/* Open: the I/O path owns the pair.  total 0: no slice claimed yet. */
	if (sc->stop || inst->open || sc->state != MNV_SCRUB_PENDING ||
	    !host->scrub || !sc->total) {
		sc->running = false;
		mutex_unlock(&host->lock);
		return 0;
	}
	sc->running = true;
	slice = inst->slice;
	gen = sc->gen;
	if (sc->done == sc->total) {
		ret = mnv_dirty_clear_locked(host, &slice, spare);
		if (ret) {
			mnv_scrub_failed_locked(inst, gen, ret);
		} else {
			sc->state = MNV_SCRUB_CLEAN;
			/* Nothing the instance's own tenant wrote is left. */
			inst->wrote = false;
			dev_info(mnv_instance_dev(inst), "slice nsid %u lba %llu+%llu scrubbed\n",
				 slice.nsid, slice.lba_start, slice.lba_count);
		}
		sc->running = false;
		mutex_unlock(&host->lock);
		return 0;
	}
	ns = mnv_host_namespace(host, slice.nsid);
	slba = slice.lba_start + sc->done;
	nlb = ns ? min(sc->total - sc->done, mnv_scrub_chunk_lbas(host, ns)) : 0;
	mutex_unlock(&host->lock);

	ret = ns ? mnv_scrub_cmd(inst, ns, slba, nlb, &cmd) : -ENXIO;
	if (!ret)
		ret = mnv_scrub_exec(inst, &cmd);
	if (ret == -EAGAIN)
		return ret;

	mutex_lock(&host->lock);
	if (ret == -EOPNOTSUPP)
		dev_warn(mnv_instance_dev(inst), "the controller has no Write Zeroes: set the controller's scrub to 0 to use slices unscrubbed\n");
	if (ret)
		mnv_scrub_failed_locked(inst, gen, ret);
	else if (sc->gen == gen)
		sc->done += nlb;
	mutex_unlock(&host->lock);
	return ret ? 0 : 1;
}

static void mnv_scrub_work(struct work_struct *work)
{
	struct mnv_instance *inst = container_of(work, struct mnv_instance,
						 scrub.work);
	struct mnv_extent *spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	unsigned int again = 0;
	u32 gen;
	int ret;

	do {
		mutex_lock(&inst->lock);
		ret = mnv_scrub_step(inst, &spare);
		mutex_unlock(&inst->lock);
		if (ret != -EAGAIN) {
			again = 0;
			cond_resched();
			continue;
		}
		if (++again > MNV_SCRUB_RETRIES) {
			mutex_lock(&inst->host->lock);
			gen = inst->scrub.gen;
			mnv_scrub_failed_locked(inst, gen, ret);
			inst->scrub.running = false;
			mutex_unlock(&inst->host->lock);
			break;
		}
		msleep(MNV_SCRUB_RETRY_MS);
	} while (ret);

	kfree(spare);
}

void mnv_scrub_init(struct mnv_instance *inst)
{
	INIT_WORK(&inst->scrub.work, mnv_scrub_work);
	inst->scrub.state = MNV_SCRUB_CLEAN;
}

/**
 * mnv_scrub_restart_locked - the slice changed, or a scrub is asked for
 * @inst: instance; caller holds host->lock
 * @force: scrub even if the slice holds nothing known of another tenant
 *
 * Starts the scrub over for the slice as it is now; without @force only
 * if the slice shares LBAs with a former tenant's.  An open-ended slice
 * (lba_count 0) is scrubbed once an open claims it.
 */
void mnv_scrub_restart_locked(struct mnv_instance *inst, bool force)
{
	struct mnv_host *host = inst->host;
	struct mnv_scrub *sc = &inst->scrub;

	lockdep_assert_held(&host->lock);
	sc->gen++;
	sc->done = 0;
	sc->total = inst->slice.lba_count;
	if (!force && !(sc->total &&
			mnv_dirty_overlaps_locked(host, &inst->slice,
						  mnv_instance_uuid(inst)))) {
		sc->state = MNV_SCRUB_CLEAN;
		return;
	}
	sc->state = MNV_SCRUB_PENDING;
	if (host->scrub && sc->total && !sc->stop)
		queue_work(system_unbound_wq, &sc->work);
}

/**
 * mnv_scrub_resume_locked - the parent's scrub was turned back on
 * @inst: instance; caller holds host->lock
 *
 * A scrub that paused while it was off goes on without waiting for an
 * open to ask for it.
 */
void mnv_scrub_resume_locked(struct mnv_instance *inst)
{
	struct mnv_scrub *sc = &inst->scrub;

	lockdep_assert_held(&inst->host->lock);
	if (sc->state == MNV_SCRUB_PENDING && sc->total && !sc->stop)
		queue_work(system_unbound_wq, &sc->work);
}

/**
 * mnv_scrub_gate_locked - may the device open, as far as scrubbing goes?
 * @inst: instance being opened, its slice claimed and resolved; caller
 *	holds inst->lock and host->lock
 *
 * Return: 0; -EAGAIN while the slice is being scrubbed; -EIO if the last
 * scrub failed (another one starts).
 */
int mnv_scrub_gate_locked(struct mnv_instance *inst)
{
	struct mnv_host *host = inst->host;
	struct mnv_scrub *sc = &inst->scrub;

	lockdep_assert_held(&inst->lock);
	lockdep_assert_held(&host->lock);
	if (!host->scrub)
		return 0;
	/* Resolved by this open, or a former tenant's LBAs came in. */
	if (sc->total != inst->slice.lba_count ||
	    (sc->state == MNV_SCRUB_CLEAN &&
	     mnv_dirty_overlaps_locked(host, &inst->slice,
				       mnv_instance_uuid(inst))))
		mnv_scrub_restart_locked(inst, sc->state != MNV_SCRUB_CLEAN);

	switch (sc->state) {
	case MNV_SCRUB_CLEAN:
		return 0;
	case MNV_SCRUB_FAILED:
		mnv_scrub_restart_locked(inst, true);
		dev_warn_ratelimited(mnv_instance_dev(inst), "cannot open: the scrub of the slice failed; trying again\n");
		return -EIO;
	default:
		/* Started already unless the parent's scrub was off then. */
		queue_work(system_unbound_wq, &sc->work);
		dev_info_ratelimited(mnv_instance_dev(inst), "cannot open yet: slice being scrubbed (%llu of %llu LBAs)\n",
				     sc->done, sc->total);
		return -EAGAIN;
	}
}

/*
 * The instance goes away: stop the scrub after the chunk in flight (its
 * command completed or aborted) and wait for the worker to be done.
 */
void mnv_scrub_cancel(struct mnv_instance *inst)
{
	mutex_lock(&inst->host->lock);
	inst->scrub.stop = true;
	mutex_unlock(&inst->host->lock);
	cancel_work_sync(&inst->scrub.work);
}
