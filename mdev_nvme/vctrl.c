// SPDX-License-Identifier: GPL-2.0-only
/*
 * Glue between an instance and its emulated controller.
 *
 * The core (core/) knows NVMe and PCI only; here it is given guest memory
 * through the VFIO DMA API, interrupts through the MSI-X eventfds, and the
 * identity and size of the instance.  The controller exists while a VMM
 * holds the device open: each open starts from power-on state.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/vfio.h>

#include "compat.h"
#include "core/vnvme.h"
#include "io.h"
#include "vctrl.h"

static int mnv_env_dma_read(void *env, u64 iova, void *buf, u32 len)
{
	struct mnv_instance *inst = env;

	lockdep_assert_held(&inst->lock);
	/* May fault or wait on the VMM: never in a poller's turn. */
	WARN_ON_ONCE(inst->io.in_turn);
	return vfio_dma_rw(&inst->vdev, iova, buf, len, false);
}

/* PRP lists and DSM ranges of I/O commands: through the pin cache. */
static int mnv_env_io_read(void *env, u64 iova, void *buf, u32 len)
{
	return mnv_io_pin_read(env, iova, buf, len);
}

static int mnv_env_dma_write(void *env, u64 iova, const void *buf, u32 len)
{
	struct mnv_instance *inst = env;

	lockdep_assert_held(&inst->lock);
	WARN_ON_ONCE(inst->io.in_turn);
	/* vfio_dma_rw() does not write through @buf when writing. */
	return vfio_dma_rw(&inst->vdev, iova, (void *)buf, len, true);
}

static void mnv_env_irq_raise(void *env, u16 vector)
{
	struct mnv_instance *inst = env;

	lockdep_assert_held(&inst->lock);
	if (vector < ARRAY_SIZE(inst->msix_trigger) &&
	    inst->msix_trigger[vector])
		mnv_eventfd_signal(inst->msix_trigger[vector]);
}

/* The I/O queue hooks: the I/O path (io_*.c) runs the guest's I/O queues. */
static u16 mnv_env_io_cq_create(void *env, u16 qid, u64 iova, u16 qsize,
				u16 vector, bool ien)
{
	return mnv_io_cq_create(env, qid, iova, qsize, vector, ien);
}

static u16 mnv_env_io_sq_create(void *env, u16 qid, u64 iova, u16 qsize,
				u16 cqid)
{
	return mnv_io_sq_create(env, qid, iova, qsize, cqid);
}

static void mnv_env_io_sq_delete(void *env, u16 qid)
{
	mnv_io_sq_delete(env, qid);
}

static void mnv_env_io_cq_delete(void *env, u16 qid)
{
	mnv_io_cq_delete(env, qid);
}

static bool mnv_env_io_doorbell(void *env, u16 qid, bool is_cq, u32 value)
{
	int ret = mnv_io_doorbell(env, qid, is_cq, value);

	/* A value recorded is work for the polling thread. */
	if (ret > 0)
		mnv_vctrl_thread_kick(env);
	return ret >= 0;
}

static void mnv_env_dbbuf_config(void *env, u64 db_iova, u64 ei_iova)
{
	mnv_io_dbbuf_config(env, db_iova, ei_iova);
}

static void mnv_env_reset(void *env)
{
	mnv_io_reset(env);
}

static const struct vnvme_env_ops mnv_env_ops = {
	.dma_read = mnv_env_dma_read,
	.io_read = mnv_env_io_read,
	.dma_write = mnv_env_dma_write,
	.irq_raise = mnv_env_irq_raise,
	.io_cq_create = mnv_env_io_cq_create,
	.io_sq_create = mnv_env_io_sq_create,
	.io_sq_delete = mnv_env_io_sq_delete,
	.io_cq_delete = mnv_env_io_cq_delete,
	.io_doorbell = mnv_env_io_doorbell,
	.dbbuf_config = mnv_env_dbbuf_config,
	.reset = mnv_env_reset,
};

/* Optional commands the I/O path passes on, if the controller has them. */
static u16 mnv_guest_oncs(struct mnv_host *host)
{
	return host->oncs & (NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES);
}

/* MDTS for the guest: the host's limit, capped by what the module offers. */
static bool shadow_doorbells = true;
module_param(shadow_doorbells, bool, 0644);
MODULE_PARM_DESC(shadow_doorbells,
		 "Offer guests Doorbell Buffer Config, so that a busy guest rings no MMIO doorbell (read at open)");

static u8 mnv_guest_mdts(struct mnv_host *host)
{
	u32 pages;

	if (!host->max_transfer_bytes)
		return VNVME_IO_MDTS_MAX;
	pages = host->max_transfer_bytes >> VNVME_PAGE_SHIFT;
	return min_t(u32, ilog2(pages), VNVME_IO_MDTS_MAX);
}

int mnv_vctrl_open(struct mnv_instance *inst)
{
	struct mnv_host *host = inst->host;
	struct mdev_device *mdev = to_mdev_device(inst->vdev.dev);
	const struct mnv_namespace *ns;
	struct vnvme_params p = { };
	char serial[21];
	uuid_t uuid;
	int ret;

	lockdep_assert_held(&inst->lock);
	ns = mnv_host_namespace(host, inst->slice.nsid);
	if (WARN_ON(!ns))
		return -ENXIO;
	/* The mdev core names the device by its UUID. */
	if (WARN_ON(uuid_parse(dev_name(&mdev->dev), &uuid)))
		return -EINVAL;

	inst->ctrl = kzalloc(sizeof(*inst->ctrl), GFP_KERNEL);
	if (!inst->ctrl)
		return -ENOMEM;

	/*
	 * Stable per instance: serial and identifiers come from the UUID as
	 * written (mdev->uuid is a guid_t, its first fields byte-swapped).
	 */
	memcpy(serial, "MNV", 3);
	*(char *)bin2hex(serial + 3, uuid.b, 8) = '\0';
	p.serial = serial;
	p.model = "mdev_nvme virtual controller";
	p.firmware = "1.0";
	p.nr_ioq = inst->nr_qpairs;
	p.nsze = inst->slice.lba_count;
	p.lba_shift = ns->lba_shift;
	p.dlfeat = ns->dlfeat;
	p.mdts = mnv_guest_mdts(host);
	/* Beyond VNVME_IO_MDTS_MAX a WZSL bounds nothing the guest may do. */
	p.wzsl = min_t(u8, host->write_zeroes_limit, VNVME_IO_MDTS_MAX);
	p.dmrl = host->dsm_max_ranges;
	p.dmrsl = host->dsm_range_max_lbas;
	p.dmsl = host->dsm_max_lbas;
	p.vwc = host->volatile_write_cache;
	/* NVME_CTRL_ONCS_* and VNVME_ONCS_* are the Identify bits alike. */
	p.oncs = mnv_guest_oncs(host);
	memcpy(p.uuid, uuid.b, sizeof(p.uuid));
	/* Shadow doorbells: see io_doorbell.c. */
	p.dbbuf = READ_ONCE(shadow_doorbells);
	/*
	 * MSI-X as vfio-pci offers it: SET_IRQS wires the vectors, the VMM
	 * masks them itself (mnv_vctrl_msix_wired()).
	 */
	p.msix_vfio = true;

	ret = vnvme_init(inst->ctrl, &p, &mnv_env_ops, inst);
	if (ret)
		goto err_free;
	ret = mnv_io_open(inst, p.mdts, p.oncs);
	if (ret)
		goto err_free;
	mnv_vctrl_io_sync(inst);
	ret = mnv_vctrl_thread_start(inst);
	if (ret)
		goto err_io_close;
	return 0;

err_io_close:
	mnv_io_close(inst);
err_free:
	kfree(inst->ctrl);
	inst->ctrl = NULL;
	return ret;
}

void mnv_vctrl_close(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->ctrl)
		return;
	/* Drops inst->lock while the polling thread exits. */
	mnv_vctrl_thread_stop(inst);
	/* Quiesces the I/O path through the reset callback. */
	vnvme_flr(inst->ctrl);
	mnv_vctrl_io_sync(inst);
	mnv_io_close(inst);
	kfree(inst->ctrl);
	inst->ctrl = NULL;
}

int mnv_vctrl_access(struct mnv_instance *inst, unsigned int index, u64 off,
		     void *buf, size_t size, bool write)
{
	struct vnvme_ctrl *c = inst->ctrl;
	int ret;

	lockdep_assert_held(&inst->lock);
	if (!c)
		return -ENODEV;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (off >= VNVME_CFG_SIZE)
			return -EINVAL;
		if (!write)
			return vnvme_cfg_read(c, off, buf, size);
		ret = vnvme_cfg_write(c, off, buf, size);
		/*
		 * Bus mastering may be back: I/O the polling thread left
		 * alone without it is due now.
		 */
		if (!ret)
			mnv_vctrl_thread_kick(inst);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		if (!write)
			return vnvme_bar0_read(c, off, buf, size);
		if (off >= VNVME_BAR0_DB_OFF && off < VNVME_BAR0_MSIX_TABLE) {
			inst->stats.mmio_doorbells++;
			/* Doorbells mapped for the VMM: see io_dbpage.c. */
			if (mnv_io_dbpage_write(inst, off, buf, size)) {
				mnv_vctrl_thread_kick(inst);
				return 0;
			}
		}
		ret = vnvme_bar0_write(c, off, buf, size);
		break;
	default:
		return -EINVAL;
	}
	if (!ret)
		mnv_vctrl_run_admin(inst);
	return ret;
}

/*
 * Tell the I/O path the state of the controller it works from (struct
 * mnv_io_vstate): it does not ask the core.  Called before each pass of
 * the polling thread, before admin commands run (their env ops use it),
 * and after open and FLR.
 */
void mnv_vctrl_io_sync(struct mnv_instance *inst)
{
	struct mnv_io_vstate *vs = &inst->io.vstate;

	lockdep_assert_held(&inst->lock);
	if (!inst->ctrl)
		return;
	vs->bus_master = vnvme_cfg_bus_master(inst->ctrl);
	vs->ctrl_ready = vnvme_ctrl_ready(inst->ctrl);
	/*
	 * A shutdown quiesces the I/O path through ops->reset, which drops
	 * the shadow doorbells, but the configuration outlives it in the
	 * core: the guest that enables again rings through the same pages.
	 */
	vs->dbbuf = vnvme_dbbuf_get(inst->ctrl, &vs->dbbuf_db_iova,
				    &vs->dbbuf_ei_iova);
}

/*
 * Act on what the I/O path found and recorded, since it calls nothing of
 * the core (io_complete.c): fail the guest's controller, add completed
 * I/O to the SMART log, raise the interrupts that are due.  After each
 * pass of the polling thread and after an unmap; inst->lock held.
 */
void mnv_vctrl_io_apply(struct mnv_instance *inst)
{
	struct vnvme_ctrl *c = inst->ctrl;
	u32 cmds, threshold, time_us;
	u64 bytes, now = 0;
	bool coalescing;
	unsigned int q;
	int vector;

	lockdep_assert_held(&inst->lock);
	if (!c)
		return;
	if (mnv_io_take_failure(inst))
		vnvme_fatal(c);
	cmds = mnv_io_take_stats(inst, false, &bytes);
	if (cmds)
		vnvme_stats_add(c, false, cmds, bytes);
	cmds = mnv_io_take_stats(inst, true, &bytes);
	if (cmds)
		vnvme_stats_add(c, true, cmds, bytes);
	for (q = 1; q <= MNV_INSTANCE_MAX_QPAIRS; q++) {
		vector = mnv_io_irq_pending(&inst->io, q);
		if (vector < 0)
			continue;
		coalescing = vnvme_irq_coalescing(c, vector, &threshold,
						  &time_us);
		if (mnv_io_irq_due(inst, q, coalescing, threshold, time_us,
				   &now))
			vnvme_irq_raise(c, vector);
	}
}

/*
 * Admin commands are rare and may sleep on guest memory: they run in the
 * context that made them due, a doorbell write (trapped, or replayed by
 * the polling thread from the mapped doorbell page) or the config write
 * that turned bus mastering back on.
 */
void mnv_vctrl_run_admin(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	mnv_vctrl_io_sync(inst);
	if (!vnvme_admin_pending(inst->ctrl))
		return;
	vnvme_process_admin(inst->ctrl);
	/*
	 * A command may have changed what the polling thread works from
	 * (queues, Doorbell Buffer Config): one pass picks it up.
	 */
	mnv_vctrl_thread_kick(inst);
}

/*
 * May doorbell @slot of the mapped page be replayed with @val where
 * nothing may block?  Only a write to an I/O queue the controller and
 * the I/O path take as it is: the admin doorbells run commands and
 * events, and a bad value completes an Asynchronous Event Request, both
 * written to the guest's admin CQ through vfio_dma_rw(), which may fault
 * the page in or wait on the VMM.
 */
static bool mnv_vctrl_db_nonblocking(struct mnv_instance *inst,
				     unsigned int slot, u32 val)
{
	u16 qid = slot / 2;
	bool is_cq = slot & 1;

	return qid && vnvme_io_doorbell_ok(inst->ctrl, qid, is_cq, val) &&
	       !mnv_io_doorbell_refused(inst, qid, is_cq, val);
}

/*
 * Replay every doorbell of the mapped doorbell page (io_dbpage.c) that
 * changed since the last pass into the controller, as if the write had
 * trapped, then run the admin commands that made due.  In a shared
 * poller's turn (see mnv_io_would_block()) only the doorbells that
 * cannot block are: the others stay unseen, and the instance's worker
 * replays them.  Returns true if anything was replayed.  Polling
 * thread, inst->lock held.
 */
bool mnv_vctrl_dbpage_replay(struct mnv_instance *inst)
{
	unsigned int slot = 0;
	bool work = false;
	__le32 val;

	lockdep_assert_held(&inst->lock);
	for (; mnv_io_dbpage_next(inst, &slot, &val); slot++) {
		if (!mnv_vctrl_db_nonblocking(inst, slot, le32_to_cpu(val)) &&
		    mnv_io_would_block(&inst->io))
			continue;
		mnv_io_dbpage_take(inst, slot, val);
		vnvme_bar0_write(inst->ctrl, VNVME_BAR0_DB_OFF + 4 * slot,
				 &val, sizeof(val));
		work = true;
	}
	/*
	 * Admin commands wait on guest memory and the controller: in a
	 * shared poller's turn they are left to the instance's worker.
	 */
	if (work && !(vnvme_admin_pending(inst->ctrl) &&
		      mnv_io_would_block(&inst->io)))
		mnv_vctrl_run_admin(inst);
	return work;
}

/**
 * mnv_vctrl_pass - one round of an instance's I/O work
 * @inst: instance; caller holds inst->lock
 * @budget: guest SQEs to fetch at most (mnv_io_poll_locked())
 *
 * Doorbells of the mapped page replayed, the controller's state handed
 * to the I/O path, its queues polled, and what it found handed back to
 * the core.  Run by the instance's thread or its shared poller.
 *
 * Return: true if anything was fetched, completed or replayed.
 */
bool mnv_vctrl_pass(struct mnv_instance *inst, unsigned int budget)
{
	bool work;

	lockdep_assert_held(&inst->lock);
	work = mnv_vctrl_dbpage_replay(inst);
	mnv_vctrl_io_sync(inst);
	work |= mnv_io_poll_locked(inst, budget);
	mnv_vctrl_io_apply(inst);
	inst->stats.polls++;
	return work;
}

/*
 * VFIO_DEVICE_SET_IRQS changed the MSI-X eventfds: tell the core which
 * vectors have one.  A wired eventfd is the VMM's "enabled and unmasked"
 * for its vector, whatever the emulated capability and table say: VMMs
 * other than QEMU never write them to the device (see core/msix.c).
 */
void mnv_vctrl_msix_wired(struct mnv_instance *inst)
{
	unsigned int v, n;

	lockdep_assert_held(&inst->lock);
	if (!inst->ctrl)
		return;
	n = min_t(unsigned int, mnv_vctrl_nr_vectors(inst),
		  ARRAY_SIZE(inst->msix_trigger));
	for (v = 0; v < n; v++)
		vnvme_msix_wire(inst->ctrl, v, !!inst->msix_trigger[v]);
}

void mnv_vctrl_reset(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	if (!inst->ctrl)
		return;
	vnvme_flr(inst->ctrl);
	mnv_vctrl_io_sync(inst);
}

/* Does the VMM get BAR0's doorbell page?  Constant while the device is open. */
bool mnv_vctrl_dbpage_offered(struct mnv_instance *inst)
{
	return mnv_io_dbpage_offered(inst);
}

/* mmap() of BAR0: its doorbell page only (io_dbpage.c; no inst->lock). */
int mnv_vctrl_mmap_bar0(struct mnv_instance *inst, u64 region_off,
			struct vm_area_struct *vma)
{
	return mnv_io_dbpage_mmap(inst, region_off, vma);
}

u64 mnv_vctrl_region_size(struct mnv_instance *inst, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return VNVME_CFG_SIZE;
	case VFIO_PCI_BAR0_REGION_INDEX:
		return VNVME_BAR0_SIZE;
	}
	return 0;
}

unsigned int mnv_vctrl_nr_vectors(struct mnv_instance *inst)
{
	return inst->nr_qpairs + 1;
}

/*
 * The VMM unmaps guest memory: every page pinned in the range must be
 * unpinned before returning.  Unlike the rest of this file, called
 * without inst->lock (VFIO .dma_unmap), which it takes.
 */
void mnv_vctrl_dma_unmap(struct mnv_instance *inst, u64 iova, u64 length)
{
	mutex_lock(&inst->lock);
	if (mnv_io_dma_unmap(inst, iova, length)) {
		mnv_vctrl_io_apply(inst);
		/* Completions taken in above are the thread's to post. */
		mnv_vctrl_thread_kick(inst);
	}
	mutex_unlock(&inst->lock);
}
