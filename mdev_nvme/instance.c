// SPDX-License-Identifier: GPL-2.0-only
/*
 * Life cycle of a vNVMe instance: creation through the mdev core, its
 * hardware queue pairs, its namespace slice, and removal.
 */
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "compat.h"
#include "instance.h"

/* LBAs of @slice once "0 = to the end of the namespace" is resolved. */
u64 mnv_slice_resolved_count(struct mnv_host *host,
			     const struct mnv_slice *slice)
{
	const struct mnv_namespace *ns = mnv_host_namespace(host, slice->nsid);

	if (slice->lba_count)
		return slice->lba_count;
	if (!ns || slice->lba_start >= ns->lba_count)
		return 0;
	return ns->lba_count - slice->lba_start;
}

static bool mnv_slices_overlap(u64 a_start, u64 a_count, u64 b_start,
			       u64 b_count)
{
	return a_start < b_start + b_count && b_start < a_start + a_count;
}

/**
 * mnv_slice_check_locked - may @inst use @slice?
 * @inst: the instance that wants the slice
 * @slice: proposed slice; lba_count 0 claims nothing yet
 *
 * Caller holds host->lock.  Only slices with a non-zero lba_count take
 * part in overlap checks, so that the attributes can be written one by one
 * (see Documentation/sysfs.rst).
 *
 * Return: 0, -ENXIO (no such namespace), -ERANGE (not inside the
 * namespace) or -EEXIST (overlaps another instance's slice).
 */
int mnv_slice_check_locked(struct mnv_instance *inst,
			   const struct mnv_slice *slice)
{
	struct mnv_host *host = inst->host;
	const struct mnv_namespace *ns;
	struct mnv_instance *other;

	lockdep_assert_held(&host->lock);

	ns = mnv_host_namespace(host, slice->nsid);
	if (!ns)
		return -ENXIO;
	if (slice->lba_start >= ns->lba_count)
		return -ERANGE;
	if (!slice->lba_count)
		return 0;
	if (slice->lba_count > ns->lba_count - slice->lba_start)
		return -ERANGE;

	list_for_each_entry(other, &host->instances, host_node) {
		if (other == inst || other->slice.nsid != slice->nsid ||
		    !other->slice.lba_count)
			continue;
		if (mnv_slices_overlap(slice->lba_start, slice->lba_count,
				       other->slice.lba_start,
				       other->slice.lba_count))
			return -EEXIST;
	}
	return 0;
}

/* The slice of an instance nobody configured, without a parent policy. */
void mnv_slice_default(struct mnv_host *host, struct mnv_slice *slice)
{
	slice->nsid = host->nr_namespaces ? host->namespaces[0].nsid : 1;
	slice->lba_start = 0;
	slice->lba_count = 0;
}

static void mnv_instance_delete_hwqs(struct mnv_instance *inst,
				     unsigned int nr)
{
	while (nr--)
		mnv_hwq_delete(inst->host, &inst->hq[nr].hw);
}

/* vfio_device_ops.init: reserve and create the hardware queue pairs. */
int mnv_instance_init(struct vfio_device *vdev)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct mnv_type *type = container_of(mdev->type, struct mnv_type,
					     mtype);
	struct mnv_host *host = container_of(mdev->type->parent,
					     struct mnv_host, parent);
	unsigned int i;
	int ret;

	inst->host = host;
	inst->type = type;
	guid_copy(&inst->uuid, &mdev->uuid);
	inst->nr_qpairs = type->qpairs;
	inst->cpu = MNV_CPU_ANY;
	inst->poller_cpu = MNV_POLLER_NONE;
	inst->mode = MNV_IO_ADAPTIVE;
	inst->idle_us = MNV_IDLE_US_DEFAULT;
	mnv_slice_default(host, &inst->slice);
	mnv_scrub_init(inst);
	mutex_init(&inst->lock);
	/* Dropped at release, which may come after the controller's remove. */
	mnv_host_get(host);

	/* Taken at release, where the slice may have to be recorded dirty. */
	inst->spare = kzalloc(sizeof(*inst->spare), GFP_KERNEL);
	if (!inst->spare) {
		ret = -ENOMEM;
		goto err_mutex;
	}
	ret = mnv_qpool_reserve(host, inst->nr_qpairs, inst->qids);
	if (ret) {
		dev_info(&mdev->dev, "not enough free hardware queue pairs for type %s\n",
			 type->mtype.pretty_name);
		goto err_mutex;
	}
	for (i = 0; i < inst->nr_qpairs; i++) {
		ret = mnv_hwq_create(host, inst->qids[i], &inst->hq[i].hw);
		if (ret)
			goto err_delete;
	}

	/* Carving and joining the list at once: no other creation between. */
	mutex_lock(&host->lock);
	if (host->default_slice_bytes) {
		ret = mnv_slice_carve_locked(host, &inst->slice);
		if (ret) {
			mutex_unlock(&host->lock);
			dev_info(&mdev->dev, "no free space for a default slice of %llu bytes\n",
				 host->default_slice_bytes);
			goto err_delete;
		}
		inst->slice_auto = true;
	}
	list_add_tail(&inst->host_node, &host->instances);
	/* A former tenant's LBAs: scrubbed right away, before any open. */
	mnv_scrub_restart_locked(inst, false);
	mutex_unlock(&host->lock);
	return 0;

err_delete:
	mnv_instance_delete_hwqs(inst, i);
	mnv_qpool_release(host, inst->nr_qpairs, inst->qids);
err_mutex:
	kfree(inst->spare);
	mutex_destroy(&inst->lock);
	mnv_host_put(host);
	return ret;
}

/* vfio_device_ops.release: the last reference is gone. */
void mnv_instance_release(struct vfio_device *vdev)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);
	struct mnv_host *host = inst->host;

	/* No scrub command on the pairs once this returns. */
	mnv_scrub_cancel(inst);
	mutex_lock(&host->lock);
	list_del(&inst->host_node);
	/* What the tenant wrote stays until the next instance scrubs it. */
	if (inst->wrote)
		mnv_dirty_add_locked(host, &inst->slice, mnv_instance_uuid(inst),
				     &inst->spare);
	mutex_unlock(&host->lock);
	kfree(inst->spare);

	mnv_instance_delete_hwqs(inst, inst->nr_qpairs);
	mnv_qpool_release(host, inst->nr_qpairs, inst->qids);
	mutex_destroy(&inst->lock);
	mnv_compat_vfio_free_device(vdev);
	mnv_host_put(host);
}

static int mnv_mdev_probe(struct mdev_device *mdev)
{
	struct mnv_instance *inst;
	int ret;

	inst = vfio_alloc_device(mnv_instance, vdev, &mdev->dev,
				 &mnv_vfio_ops);
	if (IS_ERR(inst))
		return PTR_ERR(inst);

	ret = vfio_register_emulated_iommu_dev(&inst->vdev);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, inst);
	/*
	 * Added here rather than through driver.dev_groups: when adding them
	 * fails, the 6.1 driver core removes the groups it never added, and
	 * warns.
	 */
	ret = device_add_groups(&mdev->dev, mnv_instance_groups);
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	vfio_unregister_group_dev(&inst->vdev);
err_put:
	vfio_put_device(&inst->vdev);
	return ret;
}

static void mnv_mdev_remove(struct mdev_device *mdev)
{
	struct mnv_instance *inst = dev_get_drvdata(&mdev->dev);

	/* Waits until a VMM holding the device has closed it. */
	vfio_unregister_group_dev(&inst->vdev);
	/* The counters stay readable while a VMM is asked to let go. */
	device_remove_groups(&mdev->dev, mnv_instance_groups);
	vfio_put_device(&inst->vdev);
}

struct mdev_driver mnv_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = MNV_DRIVER_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = mnv_mdev_probe,
	.remove = mnv_mdev_remove,
	.get_available = mnv_mdev_get_available,
	.show_description = mnv_mdev_show_description,
};

