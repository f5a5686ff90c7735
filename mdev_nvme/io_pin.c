// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest pages for the hardware: pinned through the VFIO container (the
 * mdev has no IOMMU of its own) and mapped for the physical function.
 *
 * This first version pins per command and unpins at completion, so at
 * any time exactly the pages of the commands in flight are pinned; that
 * keeps the .dma_unmap contract simple (see mnv_io_dma_unmap()).
 */
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/vfio.h>

#include "instance.h"
#include "io.h"

/* Guest and host pages are the NVMe page size: one pin per PRP entry. */
static_assert(PAGE_SIZE == MNV_IO_PAGE_SIZE);

/* A page of a range the VMM is unmapping right now must not be pinned. */
static bool mnv_io_unmapping(struct mnv_io *io, u64 iova)
{
	return time_before(jiffies, io->unmap_until) &&
	       iova >= io->unmap_start && iova < io->unmap_end;
}

/**
 * mnv_io_pin_page - pin guest page @iova and map it for the controller
 * @inst: instance; caller holds inst->lock
 * @iova: page aligned guest address
 * @dir: DMA_FROM_DEVICE if the controller writes the page (a Read)
 * @dma: receives the bus address
 *
 * Return: 0, or a negative errno if the guest has no memory there (or
 * maps it without the access needed) or the mapping failed.
 */
int mnv_io_pin_page(struct mnv_instance *inst, u64 iova,
		    enum dma_data_direction dir, dma_addr_t *dma)
{
	struct device *dev = mnv_host_dev(inst->host);
	int prot = dir == DMA_FROM_DEVICE ? IOMMU_WRITE : IOMMU_READ;
	struct page *page;
	int ret;

	lockdep_assert_held(&inst->lock);
	if (mnv_io_unmapping(&inst->io, iova))
		return -EFAULT;
	ret = vfio_pin_pages(&inst->vdev, iova, 1, prot, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	*dma = dma_map_page(dev, page, 0, PAGE_SIZE, dir);
	if (dma_mapping_error(dev, *dma)) {
		vfio_unpin_pages(&inst->vdev, iova, 1);
		return -ENOMEM;
	}
	atomic_long_inc(&inst->io.pinned_pages);
	return 0;
}

void mnv_io_unpin_page(struct mnv_instance *inst, u64 iova, dma_addr_t dma,
		       enum dma_data_direction dir)
{
	dma_unmap_page(mnv_host_dev(inst->host), dma, PAGE_SIZE, dir);
	vfio_unpin_pages(&inst->vdev, iova, 1);
	atomic_long_dec(&inst->io.pinned_pages);
}

/* Release every page of @slot; the controller is done with them. */
void mnv_io_unpin_slot(struct mnv_instance *inst, struct mnv_io_slot *slot)
{
	unsigned int i;

	for (i = 0; i < slot->nr_pages; i++)
		mnv_io_unpin_page(inst, slot->pages[i].iova,
				  slot->pages[i].dma, slot->dir);
	slot->nr_pages = 0;
}
