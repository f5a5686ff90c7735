// SPDX-License-Identifier: GPL-2.0-only
/*
 * Turning a guest I/O command into a hardware one.
 *
 * The core checks the guest's command and rebuilds it for the host
 * namespace (vnvme_io_check(), core/io_check.c): opcode, namespace, LBA
 * range, transfer size, PRP pointers and lists, Dataset Management ranges.
 * What is left here needs the kernel: pinning and mapping the guest pages
 * the core found, and pointing the hardware command at them through a PRP
 * list the module writes into the slot's own page.  Nothing the guest
 * controls reaches the controller as an address.
 */
#include <linux/nvme.h>

#include "core/vnvme.h"
#include "instance.h"
#include "io.h"

static_assert(MNV_IO_PAGE_SIZE == VNVME_PAGE_SIZE);
static_assert(VNVME_IO_MAX_PAGES * sizeof(u64) <= MNV_IO_PAGE_SIZE);

/*
 * Pin and map the data pages of a Read or Write and point the hardware
 * command at them: PRP1 keeps the guest's offset, PRP2 is the second page
 * or the slot's own list page.
 */
static u16 mnv_io_map_data(struct mnv_instance *inst,
			   struct mnv_io_slot *slot,
			   const struct vnvme_io_cmd *cmd, struct vnvme_sqe *h)
{
	const u64 *iova = cmd->buf;
	unsigned int n = cmd->nr_pages, i;

	u32 left = cmd->bytes, off = cmd->data_off;
	int ret;

	/* The addresses leave the slot's page before the list overwrites it. */
	for (i = 0; i < n; i++) {
		slot->pages[i].iova = iova[i];
		slot->pages[i].off = off;
		slot->pages[i].len = min(left, MNV_IO_PAGE_SIZE - off);
		left -= slot->pages[i].len;
		off = 0;
	}
	/* Bounce buffers held by the commands in flight (io_pin.c). */
	inst->io.bounced_before_cmd = inst->io.nr_bounced;
	for (i = 0; i < n; i++) {
		ret = mnv_io_pin_page(inst, &slot->pages[i], slot->dir);
		if (ret) {
			slot->nr_pages = i;
			mnv_io_unpin_slot(inst, slot, false);
			return ret == -EAGAIN ? MNV_IO_STALL :
			       NVME_SC_DATA_XFER_ERROR;
		}
	}
	slot->nr_pages = n;

	h->prp1 = cpu_to_le64(mnv_io_page_dma(&slot->pages[0]) +
			      cmd->data_off);
	if (n == 2) {
		h->prp2 = cpu_to_le64(mnv_io_page_dma(&slot->pages[1]));
	} else if (n > 2) {
		for (i = 1; i < n; i++)
			slot->buf[i - 1] =
				cpu_to_le64(mnv_io_page_dma(&slot->pages[i]));
		h->prp2 = cpu_to_le64(slot->buf_dma);
	}
	return NVME_SC_SUCCESS;
}

/**
 * mnv_io_cmd_prepare - check a guest I/O command and build the host one
 * @inst: instance; caller holds inst->lock
 * @slot: the hardware slot the command will use; on success it holds the
 *	pages to release at completion
 * @gsqe: the guest's SQE (struct vnvme_sqe), already copied from the guest
 * @hsqe: receives the command for the hardware SQ (without command id)
 *
 * Return: 0, the NVMe status (generic command status type) to complete
 * the command with, or MNV_IO_STALL to fetch it again later; nothing is
 * then left pinned.
 */
u16 mnv_io_cmd_prepare(struct mnv_instance *inst, struct mnv_io_slot *slot,
		       const void *gsqe, void *hsqe)
{
	const struct vnvme_io_slice slice = {
		.lba_start = inst->io.lba_start,
		.host_nsid = inst->io.host_nsid,
	};
	struct vnvme_io_cmd cmd = { .buf = slot->buf };
	struct vnvme_sqe *h = hsqe;
	u16 status;

	lockdep_assert_held(&inst->lock);
	slot->nr_pages = 0;
	slot->bytes = 0;
	slot->is_write = false;
	slot->dir = DMA_NONE;

	status = vnvme_io_check(inst->ctrl, &slice, gsqe, &cmd);
	if (status)
		return status;
	*h = cmd.sqe;

	switch (cmd.dir) {
	case VNVME_IO_DIR_TO_DEVICE:
		slot->dir = DMA_TO_DEVICE;
		slot->is_write = true;
		break;
	case VNVME_IO_DIR_FROM_DEVICE:
		slot->dir = DMA_FROM_DEVICE;
		break;
	default:
		/* The ranges the core checked are in the slot's page. */
		if (h->opcode == nvme_cmd_dsm)
			h->prp1 = cpu_to_le64(slot->buf_dma);
		return NVME_SC_SUCCESS;
	}
	slot->bytes = cmd.bytes;
	return mnv_io_map_data(inst, slot, &cmd, h);
}
