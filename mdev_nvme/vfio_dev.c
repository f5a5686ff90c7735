// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO face of an instance: what a VMM such as QEMU's vfio-pci sees
 * when it opens the mdev.  Regions and interrupts are those of a PCI
 * function; what stands behind them is the emulated controller (vctrl.c).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "core/vnvme.h"
#include "instance.h"
#include "vctrl.h"

/* Region index in the top bits of the file offset, as vfio-pci does. */
#define MNV_REGION_SHIFT	40
#define MNV_REGION_OFFSET_MASK	((1ULL << MNV_REGION_SHIFT) - 1)

static int mnv_vfio_open(struct vfio_device *vdev)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);
	struct mnv_host *host = inst->host;
	struct mnv_extent *spare;
	struct mnv_slice slice;
	int ret;

	/* For a slice opened unscrubbed: see below. */
	spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;
	mutex_lock(&inst->lock);
	mutex_lock(&host->lock);
	slice = inst->slice;
	slice.lba_count = mnv_slice_resolved_count(host, &slice);
	ret = slice.lba_count ? mnv_slice_check_locked(inst, &slice) : -ERANGE;
	if (ret) {
		dev_warn(mnv_instance_dev(inst), "cannot open: slice nsid %u lba %llu+%llu is not usable (%d)\n",
			 slice.nsid, slice.lba_start, slice.lba_count, ret);
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Claimed even if the scrub holds the open back: it scrubs that. */
	inst->slice = slice;
	ret = mnv_scrub_gate_locked(inst);
	if (ret)
		goto out_unlock;
	/*
	 * The parent does not scrub, or the blocks are this instance's own
	 * from before it was created again: they are this instance's now,
	 * as if it had written them, so that they are scrubbed for the next
	 * tenant.
	 */
	if (mnv_dirty_overlaps_locked(host, &slice, NULL)) {
		ret = mnv_dirty_clear_locked(host, &slice, &spare);
		if (ret)
			goto out_unlock;
		inst->wrote = true;
	}
	/* Owed or not, a scrub would now wipe this tenant's own data. */
	inst->scrub.state = MNV_SCRUB_CLEAN;
	inst->open = true;
	mutex_unlock(&host->lock);
	kfree(spare);

	ret = mnv_vctrl_open(inst);
	if (ret) {
		mutex_lock(&host->lock);
		inst->open = false;
		mutex_unlock(&host->lock);
	}
	mutex_unlock(&inst->lock);
	return ret;

out_unlock:
	mutex_unlock(&host->lock);
	mutex_unlock(&inst->lock);
	kfree(spare);
	return ret;
}

static void mnv_irqs_release(struct mnv_instance *inst)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(inst->msix_trigger); i++) {
		if (inst->msix_trigger[i]) {
			eventfd_ctx_put(inst->msix_trigger[i]);
			inst->msix_trigger[i] = NULL;
		}
	}
	if (inst->req_trigger) {
		eventfd_ctx_put(inst->req_trigger);
		inst->req_trigger = NULL;
	}
}

static void mnv_vfio_close(struct vfio_device *vdev)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);

	mutex_lock(&inst->lock);
	mnv_vctrl_close(inst);
	mnv_irqs_release(inst);
	mutex_lock(&inst->host->lock);
	inst->open = false;
	mutex_unlock(&inst->host->lock);
	mutex_unlock(&inst->lock);
}

/* Largest naturally aligned access of at most @count bytes at @pos. */
static size_t mnv_access_size(loff_t pos, size_t count)
{
	size_t size;

	for (size = 8; size > 1; size >>= 1)
		if (count >= size && !(pos & (size - 1)))
			break;
	return size;
}

/*
 * Bytes of a region access handled per hold of inst->lock.  Accesses are
 * register accesses of at most 8 bytes in practice; longer ones are split.
 */
#define MNV_RW_CHUNK	64

/*
 * The accesses of one chunk, between kernel buffers, under inst->lock
 * (taken here).
 * Return: bytes done; *@ret the error that stopped it, if any.
 */
static size_t mnv_vfio_rw_chunk(struct mnv_instance *inst, unsigned int index,
				u64 off, u8 *buf, size_t len, bool write,
				int *ret)
{
	size_t done = 0, size;
	u64 val;

	mutex_lock(&inst->lock);
	while (done < len) {
		size = mnv_access_size(off + done, len - done);
		if (write)
			memcpy(&val, buf + done, size);
		*ret = mnv_vctrl_access(inst, index, off + done, &val, size,
					write);
		if (*ret)
			break;
		if (!write)
			memcpy(buf + done, &val, size);
		done += size;
	}
	mutex_unlock(&inst->lock);
	return done;
}

/*
 * User memory is copied outside inst->lock, through a bounce buffer: a
 * VMM buffer that faults slowly (userfaultfd, memory being swapped in)
 * must not hold up the polling thread and the unmap callback, which take
 * inst->lock.
 */
static ssize_t mnv_vfio_rw(struct vfio_device *vdev, char __user *ubuf,
			   size_t count, loff_t *ppos, bool write)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);
	unsigned int index = *ppos >> MNV_REGION_SHIFT;
	u64 off = *ppos & MNV_REGION_OFFSET_MASK;
	u8 bounce[MNV_RW_CHUNK];
	size_t done = 0, len, n;
	int ret = 0;

	while (done < count && !ret) {
		len = min(count - done, sizeof(bounce));
		if (write) {
			if (copy_from_user(bounce, ubuf + done, len)) {
				ret = -EFAULT;
				break;
			}
		}
		n = mnv_vfio_rw_chunk(inst, index, off + done, bounce, len,
				      write, &ret);
		if (!write && n && copy_to_user(ubuf + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}

	if (!done)
		return ret;
	*ppos += done;
	return done;
}

static ssize_t mnv_vfio_read(struct vfio_device *vdev, char __user *buf,
			     size_t count, loff_t *ppos)
{
	return mnv_vfio_rw(vdev, buf, count, ppos, false);
}

static ssize_t mnv_vfio_write(struct vfio_device *vdev,
			      const char __user *buf, size_t count,
			      loff_t *ppos)
{
	return mnv_vfio_rw(vdev, (char __user *)buf, count, ppos, true);
}

static long mnv_ioctl_get_info(struct mnv_instance *inst, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * BAR0 of a poll-mode instance: its doorbell page may be mapped (see
 * io_dbpage.c), said with a sparse-mmap capability of one area.  As the
 * VFIO ABI wants, a caller whose buffer is too small for the capability
 * is told the size it needs in @info->argsz.
 */
static int mnv_region_info_dbpage(struct vfio_region_info *info,
				  void __user *arg)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap caps = { };
	size_t size = struct_size(sparse, areas, 1);
	int ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	sparse->areas[0].offset = VNVME_BAR0_DB_OFF;
	sparse->areas[0].size = VNVME_BAR0_MSIX_TABLE - VNVME_BAR0_DB_OFF;
	ret = vfio_info_add_capability(&caps, &sparse->header, size);
	kfree(sparse);
	if (ret)
		return ret;

	info->flags |= VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	if (info->argsz < sizeof(*info) + caps.size) {
		info->argsz = sizeof(*info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(*info));
		if (copy_to_user(arg + sizeof(*info), caps.buf, caps.size))
			ret = -EFAULT;
		info->cap_offset = sizeof(*info);
	}
	kfree(caps.buf);
	return ret;
}

static long mnv_ioctl_get_region_info(struct mnv_instance *inst,
				      void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info.offset = (u64)info.index << MNV_REGION_SHIFT;
	info.size = mnv_vctrl_region_size(inst, info.index);
	info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
				 VFIO_REGION_INFO_FLAG_WRITE : 0;
	info.cap_offset = 0;
	if (info.index == VFIO_PCI_BAR0_REGION_INDEX &&
	    mnv_vctrl_dbpage_offered(inst)) {
		int ret = mnv_region_info_dbpage(&info, arg);

		if (ret)
			return ret;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long mnv_ioctl_get_irq_info(struct mnv_instance *inst,
				   void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	switch (info.index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		/* Vectors are switched on and off as a whole, like vfio-pci. */
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
		info.count = mnv_vctrl_nr_vectors(inst);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		info.count = 1;
		break;
	default:
		/* No INTx (interrupt pin 0), MSI or error reporting. */
		info.flags = 0;
		info.count = 0;
		break;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* Replace *@slot by the eventfd @fd refers to; -1 just clears it. */
static int mnv_set_trigger(struct eventfd_ctx **slot, s32 fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

/*
 * Apply SET_IRQS to the @nr_slots triggers of one index.  The header was
 * validated against @nr_slots by vfio_set_irqs_validate_and_prepare().
 */
static int mnv_set_irqs_triggers(struct vfio_irq_set *hdr, const u8 *data,
				 struct eventfd_ctx **slots,
				 unsigned int nr_slots)
{
	u32 i, flags = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	int ret;

	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;

	/* DATA_NONE with count 0 disables every vector of the index. */
	if (flags == VFIO_IRQ_SET_DATA_NONE && !hdr->count) {
		for (i = 0; i < nr_slots; i++)
			mnv_set_trigger(&slots[i], -1);
		return 0;
	}
	for (i = 0; i < hdr->count; i++) {
		struct eventfd_ctx *ctx = slots[hdr->start + i];

		if (flags == VFIO_IRQ_SET_DATA_EVENTFD) {
			ret = mnv_set_trigger(&slots[hdr->start + i],
					      ((const s32 *)data)[i]);
			if (ret)
				return ret;
		} else if (ctx && (flags == VFIO_IRQ_SET_DATA_NONE ||
				   data[i])) {
			mnv_eventfd_signal(ctx);
		}
	}
	return 0;
}

static long mnv_ioctl_set_irqs(struct mnv_instance *inst, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	int nr_irqs, ret;
	u8 *data = NULL;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	switch (hdr.index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		nr_irqs = mnv_vctrl_nr_vectors(inst);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		nr_irqs = 1;
		break;
	default:
		return -EINVAL;
	}
	ret = vfio_set_irqs_validate_and_prepare(&hdr, nr_irqs,
						 VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mutex_lock(&inst->lock);
	if (hdr.index == VFIO_PCI_MSIX_IRQ_INDEX) {
		ret = mnv_set_irqs_triggers(&hdr, data, inst->msix_trigger,
					    nr_irqs);
		/* Even a failed call may have changed the first vectors. */
		mnv_vctrl_msix_wired(inst);
	} else {
		ret = mnv_set_irqs_triggers(&hdr, data, &inst->req_trigger,
					    nr_irqs);
	}
	mutex_unlock(&inst->lock);
	kfree(data);
	return ret;
}

static long mnv_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mnv_ioctl_get_info(inst, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mnv_ioctl_get_region_info(inst, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mnv_ioctl_get_irq_info(inst, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return mnv_ioctl_set_irqs(inst, uarg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&inst->lock);
		mnv_vctrl_reset(inst);
		mutex_unlock(&inst->lock);
		return 0;
	}
	return -ENOTTY;
}

/* The device is being removed while open: ask the VMM to let go. */
static void mnv_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	struct mnv_instance *inst = vdev_to_instance(vdev);

	mutex_lock(&inst->lock);
	if (inst->req_trigger) {
		if (!count)
			dev_notice(mnv_instance_dev(inst), "asking the user to release the device\n");
		mnv_eventfd_signal(inst->req_trigger);
	} else if (!count) {
		dev_notice(mnv_instance_dev(inst), "removal waits for the user to close the device\n");
	}
	mutex_unlock(&inst->lock);
}

static int mnv_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (pos >> MNV_REGION_SHIFT != VFIO_PCI_BAR0_REGION_INDEX)
		return -EINVAL;
	return mnv_vctrl_mmap_bar0(vdev_to_instance(vdev),
				   pos & MNV_REGION_OFFSET_MASK, vma);
}

static void mnv_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	mnv_vctrl_dma_unmap(vdev_to_instance(vdev), iova, length);
}

const struct vfio_device_ops mnv_vfio_ops = {
	.name = "mdev-nvme",
	.init = mnv_instance_init,
	.release = mnv_instance_release,
	.open_device = mnv_vfio_open,
	.close_device = mnv_vfio_close,
	.read = mnv_vfio_read,
	.write = mnv_vfio_write,
	.ioctl = mnv_vfio_ioctl,
	.mmap = mnv_vfio_mmap,
	.request = mnv_vfio_request,
	.dma_unmap = mnv_vfio_dma_unmap,
	MNV_VFIO_IOMMUFD_OPS
};
