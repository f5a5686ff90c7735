// SPDX-License-Identifier: GPL-2.0-only
/*
 * Turning a guest I/O command into a hardware one.
 *
 * The guest SQE has been copied once; everything below reads that copy
 * only.  The command sent to the controller is built from scratch: opcode
 * and fields known to be harmless, the LBA moved into the instance's
 * slice, the namespace replaced by the host's, and data pointers that
 * address pinned pages through lists the module wrote itself.  Nothing
 * the guest controls reaches the controller as an address.
 */
#include <linux/nvme.h>
#include <linux/string.h>
#include <linux/vfio.h>

#include "core/nvme_spec.h"
#include "instance.h"
#include "io.h"

#define MNV_IO_PAGE_MASK	((u64)MNV_IO_PAGE_SIZE - 1)
#define MNV_IO_PRPS_PER_PAGE	(MNV_IO_PAGE_SIZE / sizeof(__le64))

/* CDW12 bits passed on for Read, Write and Write Zeroes. */
#define MNV_RW_NLB_MASK		GENMASK(15, 0)
#define MNV_RW_DEAC		BIT(25)		/* Write Zeroes only */
#define MNV_RW_FUA		BIT(30)
#define MNV_RW_LR		BIT(31)
/* CDW13 bits passed on for Read and Write: the access hints. */
#define MNV_RW_DSM_MASK		GENMASK(7, 0)
/* Dataset Management: CDW10 number of ranges, CDW11 attributes. */
#define MNV_DSM_NR_MASK		GENMASK(7, 0)
#define MNV_DSM_ATTR_MASK	GENMASK(2, 0)

struct mnv_dsm_range {
	__le32 cattr;
	__le32 nlb;
	__le64 slba;
};

/* Is [@slba, @slba + @nlb) inside the slice?  No 64-bit wraparound. */
static bool mnv_io_lba_ok(struct mnv_io *io, u64 slba, u64 nlb)
{
	return slba < io->nsze && nlb <= io->nsze - slba;
}

/*
 * Collect the guest page addresses of a PRP-described buffer of @len bytes
 * (NVMe 1.4 section 4.3) into @slot->pages, without pinning them yet.
 * Guest PRP list pages are read into @slot->buf, which is rewritten with
 * host addresses afterwards.
 */
static u16 mnv_io_walk_prps(struct mnv_instance *inst,
			    struct mnv_io_slot *slot, u64 prp1, u64 prp2,
			    u32 len, unsigned int *nr_pages)
{
	u64 off = prp1 & MNV_IO_PAGE_MASK;
	unsigned int n, i = 0, need, avail, take, j, rounds;
	u64 list = prp2;

	if (prp1 & 3)
		return NVME_SC_PRP_INVALID_OFFSET;
	n = DIV_ROUND_UP(off + len, MNV_IO_PAGE_SIZE);
	if (WARN_ON_ONCE(n > MNV_IO_MAX_PAGES))
		return NVME_SC_INTERNAL;
	slot->pages[i++].iova = prp1 - off;
	if (n == 1)
		goto done;
	if (n == 2) {
		if (prp2 & MNV_IO_PAGE_MASK)
			return NVME_SC_PRP_INVALID_OFFSET;
		slot->pages[i++].iova = prp2;
		goto done;
	}

	/* PRP2 points to a list; its offset must be qword aligned. */
	if (list & 7)
		return NVME_SC_PRP_INVALID_OFFSET;
	need = n - 1;
	/* A chained list page starts at offset 0: two rounds suffice. */
	for (rounds = 0; need && rounds < 3; rounds++) {
		avail = (MNV_IO_PAGE_SIZE - (list & MNV_IO_PAGE_MASK)) /
			sizeof(__le64);
		take = need <= avail ? need : avail;
		if (vfio_dma_rw(&inst->vdev, list, slot->buf,
				take * sizeof(__le64), false))
			return NVME_SC_DATA_XFER_ERROR;
		if (need > avail) {
			/* The last entry of the page chains to the next. */
			take--;
			list = le64_to_cpu(slot->buf[take]);
			if (list & MNV_IO_PAGE_MASK)
				return NVME_SC_PRP_INVALID_OFFSET;
		}
		for (j = 0; j < take; j++) {
			u64 e = le64_to_cpu(slot->buf[j]);

			if (e & MNV_IO_PAGE_MASK)
				return NVME_SC_PRP_INVALID_OFFSET;
			slot->pages[i++].iova = e;
		}
		need -= take;
	}
	if (need)
		return NVME_SC_INVALID_FIELD;
done:
	*nr_pages = n;
	return NVME_SC_SUCCESS;
}

/*
 * Pin and map the data buffer of a Read or Write and point the hardware
 * command at it: PRP1 keeps the guest's offset, PRP2 is the second page or
 * the slot's own list page.
 */
static u16 mnv_io_map_data(struct mnv_instance *inst,
			   struct mnv_io_slot *slot,
			   const struct vnvme_sqe *g, struct vnvme_sqe *h,
			   u32 len)
{
	u64 prp1 = le64_to_cpu(g->prp1);
	unsigned int n, i;
	u16 status;

	status = mnv_io_walk_prps(inst, slot, prp1, le64_to_cpu(g->prp2),
				  len, &n);
	if (status)
		return status;

	for (i = 0; i < n; i++) {
		if (mnv_io_pin_page(inst, &slot->pages[i], slot->dir)) {
			slot->nr_pages = i;
			mnv_io_unpin_slot(inst, slot);
			return NVME_SC_DATA_XFER_ERROR;
		}
	}
	slot->nr_pages = n;

	h->prp1 = cpu_to_le64(mnv_io_page_dma(&slot->pages[0]) +
			      (prp1 & MNV_IO_PAGE_MASK));
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

static u16 mnv_io_prep_rw(struct mnv_instance *inst, struct mnv_io_slot *slot,
			  const struct vnvme_sqe *g, struct vnvme_sqe *h)
{
	struct mnv_io *io = &inst->io;
	u64 slba = (u64)le32_to_cpu(g->cdw11) << 32 | le32_to_cpu(g->cdw10);
	u32 cdw12 = le32_to_cpu(g->cdw12);
	u32 nlb = (cdw12 & MNV_RW_NLB_MASK) + 1;
	u64 len = (u64)nlb << io->lba_shift;

	if (!mnv_io_lba_ok(io, slba, nlb))
		return NVME_SC_LBA_RANGE;
	if (len > io->max_bytes)
		return NVME_SC_INVALID_FIELD;

	slot->is_write = g->opcode == nvme_cmd_write;
	slot->dir = slot->is_write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	slot->bytes = len;
	slba += io->lba_start;
	h->cdw10 = cpu_to_le32(lower_32_bits(slba));
	h->cdw11 = cpu_to_le32(upper_32_bits(slba));
	/* No protection information or directives: the slice has neither. */
	h->cdw12 = cpu_to_le32(cdw12 & (MNV_RW_NLB_MASK | MNV_RW_FUA |
					MNV_RW_LR));
	h->cdw13 = cpu_to_le32(le32_to_cpu(g->cdw13) & MNV_RW_DSM_MASK);
	return mnv_io_map_data(inst, slot, g, h, len);
}

static u16 mnv_io_prep_write_zeroes(struct mnv_instance *inst,
				    const struct vnvme_sqe *g,
				    struct vnvme_sqe *h)
{
	struct mnv_io *io = &inst->io;
	u64 slba = (u64)le32_to_cpu(g->cdw11) << 32 | le32_to_cpu(g->cdw10);
	u32 cdw12 = le32_to_cpu(g->cdw12);

	if (!mnv_io_lba_ok(io, slba, (cdw12 & MNV_RW_NLB_MASK) + 1))
		return NVME_SC_LBA_RANGE;
	slba += io->lba_start;
	h->cdw10 = cpu_to_le32(lower_32_bits(slba));
	h->cdw11 = cpu_to_le32(upper_32_bits(slba));
	h->cdw12 = cpu_to_le32(cdw12 & (MNV_RW_NLB_MASK | MNV_RW_DEAC |
					MNV_RW_FUA | MNV_RW_LR));
	return NVME_SC_SUCCESS;
}

/* Copy @len bytes (at most one page) described by PRP1/PRP2 into @buf. */
static u16 mnv_io_read_prp_data(struct mnv_instance *inst,
				const struct vnvme_sqe *g, void *buf, u32 len)
{
	u64 prp1 = le64_to_cpu(g->prp1);
	u64 prp2 = le64_to_cpu(g->prp2);
	u32 first = min_t(u32, len,
			  MNV_IO_PAGE_SIZE - (prp1 & MNV_IO_PAGE_MASK));

	if (prp1 & 3)
		return NVME_SC_PRP_INVALID_OFFSET;
	if (vfio_dma_rw(&inst->vdev, prp1, buf, first, false))
		return NVME_SC_DATA_XFER_ERROR;
	if (first == len)
		return NVME_SC_SUCCESS;
	if (prp2 & MNV_IO_PAGE_MASK)
		return NVME_SC_PRP_INVALID_OFFSET;
	if (vfio_dma_rw(&inst->vdev, prp2, buf + first, len - first, false))
		return NVME_SC_DATA_XFER_ERROR;
	return NVME_SC_SUCCESS;
}

/*
 * Dataset Management: the ranges are copied into the slot's page, checked
 * and moved into the slice there; the controller reads that page only.
 */
static u16 mnv_io_prep_dsm(struct mnv_instance *inst, struct mnv_io_slot *slot,
			   const struct vnvme_sqe *g, struct vnvme_sqe *h)
{
	struct mnv_io *io = &inst->io;
	struct mnv_dsm_range *r = (struct mnv_dsm_range *)slot->buf;
	u32 nr = (le32_to_cpu(g->cdw10) & MNV_DSM_NR_MASK) + 1;
	u16 status;
	u32 i;

	BUILD_BUG_ON(256 * sizeof(*r) != MNV_IO_PAGE_SIZE);
	status = mnv_io_read_prp_data(inst, g, r, nr * sizeof(*r));
	if (status)
		return status;
	for (i = 0; i < nr; i++) {
		u64 slba = le64_to_cpu(r[i].slba);

		if (!mnv_io_lba_ok(io, slba, le32_to_cpu(r[i].nlb)))
			return NVME_SC_LBA_RANGE;
		r[i].slba = cpu_to_le64(slba + io->lba_start);
	}
	h->cdw10 = cpu_to_le32(nr - 1);
	h->cdw11 = cpu_to_le32(le32_to_cpu(g->cdw11) & MNV_DSM_ATTR_MASK);
	h->prp1 = cpu_to_le64(slot->buf_dma);
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
 * Return: 0, or the NVMe status (generic command status type) to complete
 * the command with; nothing is then left pinned.
 */
u16 mnv_io_cmd_prepare(struct mnv_instance *inst, struct mnv_io_slot *slot,
		       const void *gsqe, void *hsqe)
{
	const struct vnvme_sqe *g = gsqe;
	struct vnvme_sqe *h = hsqe;
	struct mnv_io *io = &inst->io;
	u32 nsid = le32_to_cpu(g->nsid);

	memset(h, 0, sizeof(*h));
	slot->nr_pages = 0;
	slot->bytes = 0;
	slot->is_write = false;
	slot->dir = DMA_NONE;

	switch (g->opcode) {
	case nvme_cmd_flush:
	case nvme_cmd_write:
	case nvme_cmd_read:
		break;
	case nvme_cmd_write_zeroes:
		if (!(io->oncs & NVME_CTRL_ONCS_WRITE_ZEROES))
			return NVME_SC_INVALID_OPCODE;
		break;
	case nvme_cmd_dsm:
		if (!(io->oncs & NVME_CTRL_ONCS_DSM))
			return NVME_SC_INVALID_OPCODE;
		break;
	default:
		return NVME_SC_INVALID_OPCODE;
	}
	if (g->flags & (VNVME_SQE_FUSE_MASK | VNVME_SQE_PSDT_MASK))
		return NVME_SC_INVALID_FIELD;
	if (nsid != 1 && !(g->opcode == nvme_cmd_flush && nsid == U32_MAX))
		return NVME_SC_INVALID_NS;

	h->opcode = g->opcode;
	h->nsid = cpu_to_le32(io->host_nsid);

	switch (g->opcode) {
	case nvme_cmd_flush:
		return NVME_SC_SUCCESS;
	case nvme_cmd_write_zeroes:
		return mnv_io_prep_write_zeroes(inst, g, h);
	case nvme_cmd_dsm:
		return mnv_io_prep_dsm(inst, slot, g, h);
	default:
		return mnv_io_prep_rw(inst, slot, g, h);
	}
}
