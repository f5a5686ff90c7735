// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest I/O queue rings mapped into the kernel.
 *
 * Every command is one SQE read and every completion one CQE write.
 * Through vfio_dma_rw() each of those looks the address up in the VFIO
 * container and switches the polling thread onto the VMM's mm and back;
 * so each ring is pinned once, when its queue is created, and vmapped:
 * an entry is then a plain load or store.
 *
 * A ring that cannot be pinned (not mapped, or mapped read-only) or is
 * too large is left unmapped, and its entries go through vfio_dma_rw()
 * as before.  A ring the VMM unmaps while the queue exists is let go
 * at once (VFIO requires it); its queue then falls back to vfio_dma_rw(),
 * which fails on the unmapped range and so fails the controller.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "core/nvme_spec.h"
#include "instance.h"
#include "io.h"

static bool map_rings = true;
module_param(map_rings, bool, 0644);
MODULE_PARM_DESC(map_rings,
		 "Keep guest I/O queue rings pinned and mapped into the kernel, rather than copying each entry through VFIO (read at queue creation)");

/* The largest ring: 4096 SQEs of 64 bytes. */
#define MNV_IO_RING_MAX_PAGES	64

/*
 * Pin and map the @bytes of guest memory at @iova that hold a ring.  On
 * failure the ring stays unmapped (@ring->va NULL); that is not an error.
 */
void mnv_io_ring_map(struct mnv_instance *inst, struct mnv_io_ring *ring,
		     u64 iova, size_t bytes)
{
	unsigned int n = DIV_ROUND_UP(offset_in_page(iova) + bytes, PAGE_SIZE);
	struct page **pages;
	void *va;
	int ret;

	lockdep_assert_held(&inst->lock);
	memset(ring, 0, sizeof(*ring));
	if (!READ_ONCE(map_rings) || n > MNV_IO_RING_MAX_PAGES ||
	    mnv_io_unmapping(&inst->io, iova, bytes))
		return;
	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	ret = vfio_pin_pages(&inst->vdev, iova & PAGE_MASK, n,
			     IOMMU_READ | IOMMU_WRITE, pages);
	if (ret != n) {
		/* vfio_pin_pages() pins all or nothing. */
		kfree(pages);
		return;
	}
	va = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kfree(pages);
	if (!va) {
		vfio_unpin_pages(&inst->vdev, iova & PAGE_MASK, n);
		return;
	}
	ring->va = va + offset_in_page(iova);
	ring->iova = iova & PAGE_MASK;
	ring->nr_pages = n;
	atomic_long_add(n, &inst->io.pinned_pages);
}

/* Let go of a ring; nothing if it is not mapped. */
void mnv_io_ring_unmap(struct mnv_instance *inst, struct mnv_io_ring *ring)
{
	lockdep_assert_held(&inst->lock);
	if (!ring->va)
		return;
	vunmap((void *)((unsigned long)ring->va & PAGE_MASK));
	vfio_unpin_pages(&inst->vdev, ring->iova, ring->nr_pages);
	atomic_long_sub(ring->nr_pages, &inst->io.pinned_pages);
	memset(ring, 0, sizeof(*ring));
}

/* Does @ring hold a page of [@start, @end) (@end 0: to the top)? */
static bool mnv_io_ring_in(const struct mnv_io_ring *ring, u64 start, u64 end)
{
	u64 last = end ? end - 1 : U64_MAX;

	return ring->va && ring->iova <= last &&
	       ring->iova + ((u64)ring->nr_pages << PAGE_SHIFT) > start;
}

/* Let go of every ring in [@start, @end) (@end 0: to the top). */
void mnv_io_rings_drop(struct mnv_instance *inst, u64 start, u64 end)
{
	struct mnv_io *io = &inst->io;
	unsigned int q;

	lockdep_assert_held(&inst->lock);
	for (q = 1; q <= MNV_INSTANCE_MAX_QPAIRS; q++) {
		if (mnv_io_ring_in(&io->sq[q].ring, start, end))
			mnv_io_ring_unmap(inst, &io->sq[q].ring);
		if (mnv_io_ring_in(&io->cq[q].ring, start, end))
			mnv_io_ring_unmap(inst, &io->cq[q].ring);
	}
}

/*
 * Copy SQE @head of @sq into @sqe.  The guest may rewrite the entry at
 * any time: everything after this works on the copy.  Return: 0 or
 * -errno if the guest memory is not there.
 */
int mnv_io_sqe_read(struct mnv_instance *inst, struct mnv_io_sq *sq,
		    u16 head, void *sqe, size_t size)
{
	lockdep_assert_held(&inst->lock);
	if (sq->ring.va) {
		memcpy(sqe, sq->ring.va + (size_t)head * size, size);
		return 0;
	}
	return vfio_dma_rw(&inst->vdev, sq->iova + (u64)head * size, sqe,
			   size, false);
}

/*
 * Write CQE @tail of @cq: all but the status word, then the status word
 * with its phase tag, which tells the guest the entry is complete.
 * Return: 0 or -errno if the guest memory is not there.
 */
int mnv_io_cqe_write(struct mnv_instance *inst, struct mnv_io_cq *cq,
		     u16 tail, const struct vnvme_cqe *cqe)
{
	u64 iova = cq->iova + (u64)tail * sizeof(*cqe);
	struct vnvme_cqe *slot;

	lockdep_assert_held(&inst->lock);
	if (cq->ring.va) {
		slot = cq->ring.va + (size_t)tail * sizeof(*cqe);
		memcpy(slot, cqe, offsetof(struct vnvme_cqe, status));
		/* The guest reads the phase tag first, then the rest. */
		smp_wmb();
		WRITE_ONCE(slot->status, cqe->status);
		return 0;
	}
	if (vfio_dma_rw(&inst->vdev, iova, (void *)cqe,
			offsetof(struct vnvme_cqe, status), true))
		return -EFAULT;
	return vfio_dma_rw(&inst->vdev,
			   iova + offsetof(struct vnvme_cqe, status),
			   (void *)&cqe->status, sizeof(cqe->status), true);
}

/*
 * Are the rings of every queue in use mapped?  One that is not is read
 * and written through vfio_dma_rw(), which may fault guest memory in and
 * sleep: not in a shared poller's turn.  Caller holds inst->lock.
 */
bool mnv_io_rings_pinned(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int q;

	lockdep_assert_held(&inst->lock);
	for (q = 1; q <= inst->nr_qpairs; q++)
		if ((io->sq[q].valid && !io->sq[q].ring.va) ||
		    (io->cq[q].valid && !io->cq[q].ring.va))
			return false;
	return true;
}
