// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_nvme as the PCI driver of a physical NVMe controller.
 *
 * The module binds only to functions an administrator hands it through
 * driver_override (override_only below), so loading it never takes a disk
 * away from the nvme driver by surprise.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/jiffies.h>
#include <linux/pci.h>

#include "host.h"
#include "instance.h"

/* Time allowed for a shutdown notification when CAP gives no hint. */
#define MNV_SHUTDOWN_TIMEOUT_MS	5000

static int mnv_map_bar(struct mnv_host *host)
{
	struct pci_dev *pdev = host->pdev;

	host->bar_len = pci_resource_len(pdev, 0);
	/* Registers, plus admin and at least one I/O queue pair of doorbells. */
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    host->bar_len < NVME_REG_DBS + 4 * sizeof(u32)) {
		dev_err(&pdev->dev, "BAR0 is not a usable NVMe register BAR\n");
		return -ENODEV;
	}
	host->bar = pci_iomap(pdev, 0, 0);
	if (!host->bar)
		return -ENOMEM;

	host->cap = lo_hi_readq(host->bar + NVME_REG_CAP);
	if (host->cap == ~0ULL) {
		dev_err(&pdev->dev, "controller is not responding (CAP reads all ones)\n");
		return -ENODEV;
	}
	host->doorbell_stride = 4U << NVME_CAP_STRIDE(host->cap);
	return 0;
}

/*
 * Tell the controller it is going away so that it can flush its volatile
 * write cache, disable it, and take no admin command after that.  Best
 * effort: a failed controller is not touched, one that left the bus
 * cannot be.  Under the admin lock, so that no reset, queue creation or
 * deletion runs on the controller meanwhile, and those that come later
 * fail at once instead of waiting for a controller that is off.
 */
static void mnv_host_shutdown_locked(struct mnv_host *host)
{
	unsigned long deadline;
	u32 cc, csts;

	lockdep_assert_held(&host->admin_lock);
	if (host->dead)
		return;
	if (mnv_host_gone(host))
		goto stop;
	cc = readl(host->bar + NVME_REG_CC);
	if (cc & NVME_CC_ENABLE) {
		writel((cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL,
		       host->bar + NVME_REG_CC);
		deadline = jiffies + msecs_to_jiffies(MNV_SHUTDOWN_TIMEOUT_MS);
		for (;;) {
			csts = readl(host->bar + NVME_REG_CSTS);
			if (csts == ~0U ||
			    (csts & NVME_CSTS_SHST_MASK) == NVME_CSTS_SHST_CMPLT)
				break;
			if (time_after(jiffies, deadline)) {
				dev_warn(mnv_host_dev(host), "shutdown notification not acknowledged\n");
				break;
			}
			msleep(MNV_CSTS_POLL_MS);
		}
	}
	mnv_host_disable(host);
stop:
	mnv_host_stop_locked(host);
}

void mnv_host_get(struct mnv_host *host)
{
	kref_get(&host->ref);
}

static void mnv_host_free(struct kref *ref)
{
	struct mnv_host *host = container_of(ref, struct mnv_host, ref);

	/* Every instance is released: the record is complete. */
	mnv_dirty_keep(host);
	mnv_dirty_free(host);
	mutex_destroy(&host->lock);
	mutex_destroy(&host->admin_lock);
	lockdep_unregister_key(&host->admin_lock_key);
	pci_dev_put(host->pdev);
	kfree(host);
}

/*
 * Drop a reference: the binding's at remove, an instance's at its
 * release.  An instance released after its controller was unbound finds
 * it stopped (no command reaches the hardware) but still in memory.
 */
void mnv_host_put(struct mnv_host *host)
{
	kref_put(&host->ref, mnv_host_free);
}

static int mnv_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mnv_host *host;
	int ret;

	/* driver_override matches any function: check it is NVMe here. */
	if (pdev->class != PCI_CLASS_STORAGE_EXPRESS) {
		dev_err(&pdev->dev, "not an NVMe controller (class 0x%06x)\n",
			pdev->class);
		return -ENODEV;
	}

	host = kzalloc(sizeof(*host), GFP_KERNEL);
	if (!host)
		return -ENOMEM;
	kref_init(&host->ref);
	host->pdev = pci_dev_get(pdev);
	mutex_init(&host->admin_lock);
	/*
	 * A bus reset of several controllers holds each one's admin lock
	 * at once (reset_prepare to reset_done): one lock class per
	 * controller, or lockdep would take that for recursion.
	 */
	lockdep_register_key(&host->admin_lock_key);
	lockdep_set_class(&host->admin_lock, &host->admin_lock_key);
	mutex_init(&host->lock);
	INIT_LIST_HEAD(&host->instances);
	INIT_LIST_HEAD(&host->dirty);
	INIT_LIST_HEAD(&host->bound_node);
	/* Safe by default: no tenant reads another's blocks. */
	host->scrub = true;
	pci_set_drvdata(pdev, host);

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_free;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_disable;
	ret = pci_request_mem_regions(pdev, MNV_DRIVER_NAME);
	if (ret)
		goto err_disable;
	ret = mnv_map_bar(host);
	if (ret)
		goto err_release;

	/*
	 * Whoever had the controller before may have left it running with
	 * queues in memory that is not theirs any more: no bus mastering
	 * until it is disabled.
	 */
	pci_clear_master(pdev);
	ret = mnv_host_disable(host);
	if (ret)
		goto err_unmap;
	ret = mnv_admin_queue_alloc(host);
	if (ret)
		goto err_unmap;
	pci_set_master(pdev);
	ret = mnv_host_enable(host);
	if (ret)
		goto err_free_adminq;
	ret = mnv_host_identify(host);
	if (ret)
		goto err_host_disable;
	ret = mnv_host_negotiate_queues(host);
	if (ret)
		goto err_host_disable;
	ret = mnv_host_irqs_setup(host);
	if (ret)
		goto err_host_disable;

	/* Before any instance can claim LBAs a former tenant wrote. */
	ret = mnv_dirty_restore(host);
	if (ret)
		goto err_irqs;
	ret = mnv_mdev_parent_register(host);
	if (ret)
		goto err_irqs;

	/* What a reset from outside restores (PCI error recovery). */
	pci_save_state(pdev);
	dev_info(&pdev->dev, "%s (fw %s): %u namespace(s), %u I/O queue pairs of %u entries, %u with a vector\n",
		 host->model, host->firmware, host->nr_namespaces,
		 host->nr_qpairs, host->hwq_depth, host->nr_irq_qpairs);
	return 0;

err_irqs:
	mnv_host_irqs_teardown(host);
err_host_disable:
	mnv_host_disable(host);
err_free_adminq:
	/* Disabled or not, it must not reach the rings once they are freed. */
	pci_clear_master(pdev);
	mnv_admin_queue_free(host);
err_unmap:
	pci_iounmap(pdev, host->bar);
err_release:
	pci_release_mem_regions(pdev);
err_disable:
	pci_clear_master(pdev);
	pci_disable_device(pdev);
err_free:
	mnv_host_put(host);
	dev_err(&pdev->dev, "cannot take over the controller (%d)\n", ret);
	return ret;
}

static void mnv_pci_remove(struct pci_dev *pdev)
{
	struct mnv_host *host = pci_get_drvdata(pdev);

	/*
	 * Surprise removal: the function reads all ones.  Commands in flight
	 * end at once and instances fail their guests' controllers, so that
	 * VMMs see it and close; a gone device cannot DMA any more.
	 */
	mutex_lock(&host->admin_lock);
	/* Removed during error recovery: no slot_reset will come. */
	if (host->frozen) {
		host->frozen = false;
		mnv_host_fail_locked(host);
	}
	if (!host->dead && mnv_host_gone(host)) {
		dev_warn(&pdev->dev, "controller removed from the bus\n");
		mnv_host_fail_locked(host);
	}
	mutex_unlock(&host->admin_lock);

	/*
	 * Removes every instance, waiting for VMMs to close them; each
	 * deletes its hardware queues (unless the controller is failed).
	 */
	mnv_mdev_parent_unregister(host);

	/*
	 * Disabled or cut off from memory, and no admin command after
	 * this: only then may the admin queue go.
	 */
	mutex_lock(&host->admin_lock);
	mnv_host_shutdown_locked(host);
	mutex_unlock(&host->admin_lock);
	/* No instance is left to attach to a vector. */
	mnv_host_irqs_teardown(host);
	mnv_admin_queue_free(host);
	pci_iounmap(pdev, host->bar);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
	mnv_host_put(host);
}

static void mnv_pci_shutdown(struct pci_dev *pdev)
{
	struct mnv_host *host = pci_get_drvdata(pdev);

	mutex_lock(&host->admin_lock);
	if (host->frozen) {
		host->frozen = false;
		mnv_host_fail_locked(host);
	}
	mnv_host_shutdown_locked(host);
	mutex_unlock(&host->admin_lock);
}

/*
 * A reset of the function from outside (sysfs reset, VFIO of a sibling,
 * the PCI core): the controller loses its queues.  The admin lock is held
 * from prepare to done, so that no admin command runs meanwhile; each
 * instance then finds its queue pairs stale and makes them again.
 */
static void mnv_pci_reset_prepare(struct pci_dev *pdev)
{
	mnv_host_reset_prepare(pci_get_drvdata(pdev));
}

static void mnv_pci_reset_done(struct pci_dev *pdev)
{
	mnv_host_reset_done(pci_get_drvdata(pdev), "function reset");
}

static pci_ers_result_t mnv_pci_error_detected(struct pci_dev *pdev,
					       pci_channel_state_t state)
{
	struct mnv_host *host = pci_get_drvdata(pdev);

	dev_warn(&pdev->dev, "PCI error (channel state %d)\n", state);
	/* Failed already: its vote must not hold up the other functions. */
	if (READ_ONCE(host->dead))
		return PCI_ERS_RESULT_NONE;
	/* The link still works: nothing to reset for the tenants. */
	if (state == pci_channel_io_normal)
		return PCI_ERS_RESULT_CAN_RECOVER;
	if (state == pci_channel_io_perm_failure) {
		mutex_lock(&host->admin_lock);
		host->frozen = false;
		mnv_host_fail_locked(host);
		mutex_unlock(&host->admin_lock);
		return PCI_ERS_RESULT_DISCONNECT;
	}
	/* Frozen: the link is reset next, then slot_reset. */
	mnv_host_freeze(host);
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t mnv_pci_slot_reset(struct pci_dev *pdev)
{
	struct mnv_host *host = pci_get_drvdata(pdev);

	if (READ_ONCE(host->dead))
		return PCI_ERS_RESULT_NONE;
	pci_restore_state(pdev);
	mnv_host_reset_prepare(host);
	/* From here on the reset itself answers for the controller. */
	host->frozen = false;
	if (mnv_host_reset_done(host, "PCI error recovery"))
		return PCI_ERS_RESULT_DISCONNECT;
	return PCI_ERS_RESULT_RECOVERED;
}

static void mnv_pci_resume(struct pci_dev *pdev)
{
	mnv_host_thaw(pci_get_drvdata(pdev));
}

static const struct pci_error_handlers mnv_pci_err_handlers = {
	.error_detected = mnv_pci_error_detected,
	.slot_reset = mnv_pci_slot_reset,
	.resume = mnv_pci_resume,
	.reset_prepare = mnv_pci_reset_prepare,
	.reset_done = mnv_pci_reset_done,
};

static const struct pci_device_id mnv_pci_ids[] = {
	{
		.vendor = PCI_ANY_ID, .device = PCI_ANY_ID,
		.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
		.class = PCI_CLASS_STORAGE_EXPRESS, .class_mask = 0xffffff,
		.override_only = 1,
	},
	{ }
};

struct pci_driver mnv_pci_driver = {
	.name = MNV_DRIVER_NAME,
	.id_table = mnv_pci_ids,
	.probe = mnv_pci_probe,
	.remove = mnv_pci_remove,
	.shutdown = mnv_pci_shutdown,
	.err_handler = &mnv_pci_err_handlers,
	.dev_groups = mnv_host_groups,
};
