// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest pages for the hardware: pinned through the VFIO container (the
 * mdev has no IOMMU of its own), mapped for the physical function, and
 * kept in a per-instance cache so that steady-state I/O, which reuses the
 * same buffers, pins and maps nothing new.
 *
 * The same cache serves the I/O command check's reads of guest PRP lists
 * and Dataset Management ranges (mnv_io_pin_read()): they are copied from
 * the kernel's mapping of the pinned page, where vfio_dma_rw() would walk
 * the VMM's page tables for every command.  The device never reads those
 * pages (it gets the module's own copy), so a page is mapped for it only
 * when a command's data first uses it (mnv_io_pin_map()).
 *
 * A cached page is used by the commands in flight that address it
 * (@users); unused pages sit on an LRU list and are released when the
 * cache is over its limit, when the VMM unmaps their range
 * (mnv_io_dma_unmap()) and when the device is closed.
 *
 * A shared poller's turn never unpins (vctrl_poller.c): vfio_unpin_pages()
 * takes type1's iommu->lock and, in a container of mdevs only, the VMM's
 * mmap lock for its locked-memory count, which the VMM may hold.  In a
 * turn the cache is not trimmed, and a page that loses its bounce buffer
 * stays pinned, unused, on @pin_release rather than the LRU: the cache
 * may go over its limit, and keep such pages, until the instance's
 * worker releases them (mnv_io_pins_over(), mnv_io_pins_trim_over()).
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "instance.h"
#include "io.h"

/* Guest and host pages are the NVMe page size: one pin per PRP entry. */
static_assert(PAGE_SIZE == MNV_IO_PAGE_SIZE);

static unsigned int pin_cache_pages = 16384;
module_param(pin_cache_pages, uint, 0644);
MODULE_PARM_DESC(pin_cache_pages,
		 "Guest pages an instance keeps pinned once their I/O is done (0: unpin at completion; read at open)");

/*
 * Bounce buffers (swiotlb) are one pool for the whole host, 64 MiB by
 * default: a tenant keeping hundreds of large commands in flight would
 * take all of it, and every other tenant's mappings, and the host's own,
 * would fail.  So each instance holds at most this many bounced pages at
 * once; its further commands wait in their SQ for its own to complete.
 */
static unsigned int bounce_pages_max = 2048;
module_param(bounce_pages_max, uint, 0644);
MODULE_PARM_DESC(bounce_pages_max,
		 "Bounce-buffer pages an instance may use at once, at least one largest transfer (read at open)");

/* Off: the lists are read through vfio_dma_rw(), as a baseline to compare. */
static bool pinned_list_reads = true;
module_param(pinned_list_reads, bool, 0644);
MODULE_PARM_DESC(pinned_list_reads,
		 "Read guest PRP lists and DSM ranges from pages kept in the pin cache, rather than through VFIO for each command (read at open)");

/**
 * struct mnv_pin - a guest page pinned, and mapped for the controller
 * @iova: page aligned guest address; the cache index is @iova >> PAGE_SHIFT
 * @page: the pinned page; PRP lists and DSM ranges are read through the
 *	kernel's mapping of it
 * @mapped: @dma, @need_sync and @bounced are set: a command's data used the
 *	page (mnv_io_pin_map()).  A page only read for lists is not mapped.
 * @dma: bus address for the physical function
 * @dir: how it is pinned and mapped: DMA_BIDIRECTIONAL, or DMA_TO_DEVICE
 *	for a page the guest mapped read-only
 * @need_sync: the mapping needs dma_sync_*() around each use (bounce
 *	buffers, non-coherent DMA, an IOMMU).  Only the bytes a command
 *	transfers are synced, and unmapping copies nothing back: the page is
 *	the guest's, which may change any byte the device is not working on,
 *	and several commands may use parts of one page at once.
 * @bounced: the device reaches a bounce buffer (swiotlb), not the page
 * @users: commands in flight addressing the page, and a list read while
 *	it copies from it
 * @lru: on mnv_io.pin_lru while @users is 0, or on mnv_io.pin_release
 *
 * Protected by inst->lock, like the rest of struct mnv_io.
 */
struct mnv_pin {
	u64 iova;
	struct page *page;
	bool mapped;
	dma_addr_t dma;
	enum dma_data_direction dir;
	bool need_sync;
	bool bounced;
	unsigned int users;
	struct list_head lru;
};

/*
 * Memory of a range the VMM is unmapping right now must not be pinned:
 * does [@iova, @iova + @len) overlap it?  inst->lock held.
 */
bool mnv_io_unmapping(struct mnv_io *io, u64 iova, u64 len)
{
	lockdep_assert_held(&mnv_io_inst(io)->lock);
	return time_before(jiffies, io->unmap_until) &&
	       iova < io->unmap_end && iova + len > io->unmap_start;
}

/*
 * @max_cmd_pages: the most pages one command may address; its own pages
 * always fit in the instance's bounce share, so a command waiting for
 * that share only waits for others to complete.
 */
void mnv_io_pins_init(struct mnv_io *io, unsigned long max_cmd_pages)
{
	lockdep_assert_held(&mnv_io_inst(io)->lock);
	xa_init(&io->pins);
	INIT_LIST_HEAD(&io->pin_lru);
	INIT_LIST_HEAD(&io->pin_release);
	io->pin_limit = READ_ONCE(pin_cache_pages);
	io->pinned_list_reads = READ_ONCE(pinned_list_reads);
	io->bounce_limit = max_t(unsigned long, READ_ONCE(bounce_pages_max),
				 max_cmd_pages);
	atomic_long_set(&io->pinned_pages, 0);
	io->nr_pins = 0;
	io->nr_bounced = 0;
}

/*
 * Unmap @pin for the physical function, which no command uses: its
 * bounce buffer, if any, goes back.  The page stays pinned.
 */
static void mnv_io_pin_unmap(struct mnv_instance *inst, struct mnv_pin *pin)
{
	lockdep_assert_held(&inst->lock);
	if (!pin->mapped)
		return;
	dma_unmap_page_attrs(mnv_host_dev(inst->host), pin->dma, PAGE_SIZE,
			     pin->dir, DMA_ATTR_SKIP_CPU_SYNC);
	pin->mapped = false;
	if (pin->bounced)
		inst->io.nr_bounced--;
	pin->bounced = false;
	pin->need_sync = false;
}

/*
 * Unmap if mapped, unpin and forget @pin, which no command uses.  Never
 * in a shared poller's turn: see the top of this file.
 */
static void mnv_io_pin_release(struct mnv_instance *inst, struct mnv_pin *pin)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	WARN_ON_ONCE(io->in_turn);
	list_del(&pin->lru);
	xa_erase(&io->pins, pin->iova >> PAGE_SHIFT);
	mnv_io_pin_unmap(inst, pin);
	vfio_unpin_pages(&inst->vdev, pin->iova, 1);
	atomic_long_dec(&io->pinned_pages);
	io->nr_pins--;
	kfree(pin);
}

/*
 * Release the pages a shared poller's turn left on @pin_release, then
 * unused pages, oldest first, until at most @keep are pinned.  Not in a
 * turn: the cache then stays over @keep, and the turn hands the instance
 * to its worker (mnv_io_pins_over()).
 */
static void mnv_io_pins_trim(struct mnv_instance *inst, unsigned long keep)
{
	struct mnv_io *io = &inst->io;
	struct mnv_pin *pin, *next;

	lockdep_assert_held(&inst->lock);
	if (io->in_turn)
		return;
	list_for_each_entry_safe(pin, next, &io->pin_release, lru)
		mnv_io_pin_release(inst, pin);
	while (io->nr_pins > keep && !list_empty(&io->pin_lru)) {
		pin = list_first_entry(&io->pin_lru, struct mnv_pin, lru);
		mnv_io_pin_release(inst, pin);
	}
}

/*
 * Pin guest page @iova, read-write if the guest mapped it so (a Read
 * writes it, a Write only reads it, and the same buffer may well serve
 * both), else read-only, and enter it in the cache, unused and not
 * mapped for the device yet.
 */
static struct mnv_pin *mnv_io_pin_new(struct mnv_instance *inst, u64 iova)
{
	struct mnv_io *io = &inst->io;
	struct mnv_pin *pin;
	int ret;

	lockdep_assert_held(&inst->lock);
	pin = kzalloc(sizeof(*pin), GFP_KERNEL);
	if (!pin)
		return ERR_PTR(-ENOMEM);
	pin->iova = iova;
	pin->dir = DMA_BIDIRECTIONAL;
	INIT_LIST_HEAD(&pin->lru);

	ret = vfio_pin_pages(&inst->vdev, iova, 1, IOMMU_READ | IOMMU_WRITE,
			     &pin->page);
	if (ret == -EPERM) {
		pin->dir = DMA_TO_DEVICE;
		ret = vfio_pin_pages(&inst->vdev, iova, 1, IOMMU_READ,
				     &pin->page);
	}
	if (ret != 1) {
		ret = ret < 0 ? ret : -EFAULT;
		goto err_free;
	}
	ret = xa_err(xa_store(&io->pins, iova >> PAGE_SHIFT, pin, GFP_KERNEL));
	if (ret)
		goto err_unpin;
	atomic_long_inc(&io->pinned_pages);
	io->nr_pins++;
	return pin;

err_unpin:
	vfio_unpin_pages(&inst->vdev, iova, 1);
err_free:
	kfree(pin);
	return ERR_PTR(ret);
}

/*
 * Map @pin for the physical function: when a command's data first uses
 * the page.  -EAGAIN: the page needs a bounce buffer and the instance's
 * share of them is in use by its own commands in flight, which give
 * theirs back as they complete.
 */
static int mnv_io_pin_map(struct mnv_instance *inst, struct mnv_pin *pin)
{
	struct device *dev = mnv_host_dev(inst->host);
	struct mnv_io *io = &inst->io;
	dma_addr_t dma;
	bool bounced, need_sync;

	lockdep_assert_held(&inst->lock);
	dma = dma_map_page_attrs(dev, pin->page, 0, PAGE_SIZE, pin->dir,
				 DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, dma)) {
		/*
		 * A full bounce pool: wait if our other commands hold some
		 * (they give them back), not for pages of this one.
		 */
		if (!io->bounced_before_cmd)
			return -ENOMEM;
		inst->stats.bounce_waits++;
		return -EAGAIN;
	}
	need_sync = dma_need_sync(dev, dma);
	/* Without an IOMMU, a bus address elsewhere than the page is swiotlb. */
	bounced = need_sync && !device_iommu_mapped(dev) &&
		  dma_to_phys(dev, dma) != page_to_phys(pin->page);
	if (bounced && io->nr_bounced >= io->bounce_limit) {
		dma_unmap_page_attrs(dev, dma, PAGE_SIZE, pin->dir,
				     DMA_ATTR_SKIP_CPU_SYNC);
		inst->stats.bounce_waits++;
		return -EAGAIN;
	}
	pin->dma = dma;
	pin->need_sync = need_sync;
	pin->bounced = bounced;
	pin->mapped = true;
	if (bounced) {
		io->nr_bounced++;
		if (io->nr_bounced > inst->stats.bounce_peak)
			inst->stats.bounce_peak = io->nr_bounced;
	}
	return 0;
}

/*
 * The cache's entry for guest page @iova, pinned now if it is not there,
 * with a use taken for the caller (mnv_io_pin_put()).  @data: the page is
 * a command's data, counted in the statistics, and worth releasing the
 * unused pages for when the VMM is over its RLIMIT_MEMLOCK.  -EAGAIN:
 * the VMM is unmapping the page.
 */
static struct mnv_pin *mnv_io_pin_get(struct mnv_instance *inst, u64 iova,
				      bool data)
{
	struct mnv_io *io = &inst->io;
	struct mnv_pin *pin;

	lockdep_assert_held(&inst->lock);
	pin = xa_load(&io->pins, iova >> PAGE_SHIFT);
	if (pin) {
		if (data)
			inst->stats.pin_hits++;
	} else {
		if (mnv_io_unmapping(io, iova, PAGE_SIZE) ||
		    mnv_io_would_block(io))
			return ERR_PTR(-EAGAIN);
		/* Make room first: a full cache holds only unused pages. */
		if (io->pin_limit)
			mnv_io_pins_trim(inst, io->pin_limit - 1);
		pin = mnv_io_pin_new(inst, iova);
		/*
		 * Pins count against the VMM's RLIMIT_MEMLOCK (VFIO accounts
		 * them to the task that mapped the memory): pages only kept
		 * for later must not cost it the command at hand.
		 */
		if (data && pin == ERR_PTR(-ENOMEM) &&
		    (!list_empty(&io->pin_lru) ||
		     !list_empty(&io->pin_release))) {
			mnv_io_pins_trim(inst, 0);
			pin = mnv_io_pin_new(inst, iova);
		}
		if (IS_ERR(pin))
			return pin;
		if (data)
			inst->stats.pin_misses++;
	}
	if (!pin->users++)
		list_del_init(&pin->lru);
	return pin;
}

/* Drop a use of @pin; with the last, it waits unused in the cache. */
static void mnv_io_pin_put(struct mnv_instance *inst, struct mnv_pin *pin)
{
	lockdep_assert_held(&inst->lock);
	if (--pin->users)
		return;
	/*
	 * A bounce buffer is a host-wide resource: not kept for later.  In
	 * a shared poller's turn only the buffer goes back, and the page
	 * waits unused in the cache for the worker's trim.
	 */
	if (pin->bounced && !inst->io.in_turn) {
		mnv_io_pin_release(inst, pin);
		return;
	}
	if (pin->bounced) {
		mnv_io_pin_unmap(inst, pin);
		list_add_tail(&pin->lru, &inst->io.pin_release);
		return;
	}
	/* Most recently used last: trimming takes the oldest. */
	list_add_tail(&pin->lru, &inst->io.pin_lru);
}

/**
 * mnv_io_pin_page - get guest page @pg->iova ready for a command
 * @inst: instance; caller holds inst->lock
 * @pg: page of the command; receives its pin (mnv_io_page_dma())
 * @dir: DMA_FROM_DEVICE if the controller writes the page (a Read)
 *
 * Return: 0, -EAGAIN while the VMM is unmapping the page (try again
 * after the hold-off) or while the instance's bounce buffers are all in
 * use (try again after completions), or a negative errno if the guest has
 * no memory there (or maps it without the access needed), is over its
 * RLIMIT_MEMLOCK, or the mapping failed.  On success the page stays
 * pinned at least until mnv_io_unpin_slot().
 */
int mnv_io_pin_page(struct mnv_instance *inst, struct mnv_io_page *pg,
		    enum dma_data_direction dir)
{
	struct mnv_io *io = &inst->io;
	struct mnv_pin *pin;
	int ret;

	lockdep_assert_held(&inst->lock);
	pin = mnv_io_pin_get(inst, pg->iova, true);
	if (IS_ERR(pin))
		return PTR_ERR(pin);
	if (dir == DMA_FROM_DEVICE && pin->dir != DMA_BIDIRECTIONAL) {
		/* The controller would write a page the guest mapped read-only. */
		mnv_io_pin_put(inst, pin);
		return -EFAULT;
	}
	if (!pin->mapped) {
		ret = mnv_io_pin_map(inst, pin);
		/*
		 * Unused pages hold IOMMU space too: the same, but not in a
		 * shared poller's turn, which leaves the command to the
		 * worker.
		 */
		if (ret == -ENOMEM && !list_empty(&io->pin_lru) &&
		    mnv_io_would_block(io))
			ret = -EAGAIN;
		if (ret == -ENOMEM && !list_empty(&io->pin_lru)) {
			mnv_io_pins_trim(inst, 0);
			ret = mnv_io_pin_map(inst, pin);
		}
		if (ret) {
			mnv_io_pin_put(inst, pin);
			return ret;
		}
	}
	if (pin->need_sync && pg->len)
		dma_sync_single_range_for_device(mnv_host_dev(inst->host),
						 pin->dma, pg->off, pg->len, dir);
	pg->pin = pin;
	return 0;
}

/*
 * mnv_io_pin_read() with pinned_list_reads: [@iova, @iova + @len) into
 * @buf page by page, from the cache; @rw set if vfio_dma_rw() read a page
 * that could not be pinned.
 */
static int mnv_io_pin_copy(struct mnv_instance *inst, u64 iova, u8 *buf,
			   u32 len, bool *rw)
{
	int ret = 0;

	lockdep_assert_held(&inst->lock);
	while (len && !ret) {
		u32 off = iova & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - off);
		struct mnv_pin *pin = mnv_io_pin_get(inst, iova - off, false);

		/*
		 * A reserved or device page may be another device's registers
		 * (a VM_PFNMAP range the VMM mapped in the container, such as
		 * a passed-through device's BAR), which the kernel's direct
		 * map does not cover: only the VMM's own mapping may read it.
		 */
		if (!IS_ERR(pin) && (PageReserved(pin->page) ||
				     is_zone_device_page(pin->page))) {
			mnv_io_pin_put(inst, pin);
			pin = ERR_PTR(-EFAULT);
		}
		if (IS_ERR(pin) && mnv_io_would_block(&inst->io)) {
			ret = -EAGAIN;
		} else if (IS_ERR(pin)) {
			*rw = true;
			ret = vfio_dma_rw(&inst->vdev, iova, buf, n, false);
		} else {
			memcpy_from_page(buf, pin->page, off, n);
			mnv_io_pin_put(inst, pin);
		}
		iova += n;
		buf += n;
		len -= n;
	}
	/* pin_cache_pages 0: nothing stays pinned after its use. */
	mnv_io_pins_trim(inst, inst->io.pin_limit);
	return ret;
}

/**
 * mnv_io_pin_read - read guest memory for the I/O command check
 * @inst: instance; caller holds inst->lock
 * @iova: guest address of a PRP list or of Dataset Management ranges
 * @buf: where to copy them
 * @len: bytes
 *
 * The check reads the list of every command that has one.  With
 * pinned_list_reads (at open), each page is taken from the pin cache, or
 * pinned into it as a data page would be, and copied from the kernel's
 * mapping of it; it is not mapped for the device.  A page that cannot be
 * pinned (nothing mapped there, the VMM unmapping it, RLIMIT_MEMLOCK:
 * the unused pages of the cache are not given up for a list, which can
 * do without) is read through vfio_dma_rw(), as every list is without
 * pinned_list_reads.  Counted in stats list_reads, list_reads_rw (those
 * read through vfio_dma_rw(), at least in part) and list_read_ns.
 *
 * In a shared poller's turn a page not in the cache is neither pinned
 * nor read (mnv_io_would_block()): -EAGAIN, and the command is fetched
 * again by the instance's worker.
 *
 * Return: 0, -EAGAIN (put off), or a negative errno if the guest has no
 * memory there.
 */
int mnv_io_pin_read(struct mnv_instance *inst, u64 iova, void *buf, u32 len)
{
	struct mnv_io *io = &inst->io;
	u64 start = ktime_get_ns();
	bool rw = false;
	int ret;

	lockdep_assert_held(&inst->lock);
	/* The guest's address space ends at 2^64: so does what it reads. */
	if (len && iova + (len - 1) < iova) {
		ret = -EFAULT;
	} else if (io->pinned_list_reads) {
		ret = mnv_io_pin_copy(inst, iova, buf, len, &rw);
	} else if (mnv_io_would_block(io)) {
		ret = -EAGAIN;
	} else {
		rw = true;
		ret = vfio_dma_rw(&inst->vdev, iova, buf, len, false);
	}
	/* Put off: counted when the worker reads it (io_submit.c). */
	if (io->turn_blocked)
		return -EAGAIN;
	inst->stats.list_reads++;
	if (rw)
		inst->stats.list_reads_rw++;
	inst->stats.list_read_ns += ktime_get_ns() - start;
	return ret;
}

/* Bus address of a page mnv_io_pin_page() got ready. */
dma_addr_t mnv_io_page_dma(const struct mnv_io_page *pg)
{
	return pg->pin->dma;
}

/*
 * The controller is done with the pages of @slot, or (@submitted false)
 * never got the command: then nothing it wrote is to be copied back.
 */
void mnv_io_unpin_slot(struct mnv_instance *inst, struct mnv_io_slot *slot,
		       bool submitted)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	for (i = 0; i < slot->nr_pages; i++) {
		struct mnv_pin *pin = slot->pages[i].pin;

		if (submitted && pin->need_sync && slot->pages[i].len)
			dma_sync_single_range_for_cpu(mnv_host_dev(inst->host),
						      pin->dma,
						      slot->pages[i].off,
						      slot->pages[i].len,
						      slot->dir);
		mnv_io_pin_put(inst, pin);
	}
	slot->nr_pages = 0;
	mnv_io_pins_trim(inst, io->pin_limit);
}

/*
 * Release the unused pages in [@start, @end) (page aligned, @end
 * exclusive; 0 means up to the top of the address space).  Return: pages
 * still in use there.
 */
unsigned long mnv_io_pins_drop(struct mnv_instance *inst, u64 start, u64 end)
{
	struct mnv_io *io = &inst->io;
	unsigned long last = end ? (end - 1) >> PAGE_SHIFT : ULONG_MAX;
	unsigned long idx, busy = 0;
	struct mnv_pin *pin;

	lockdep_assert_held(&inst->lock);
	xa_for_each_range(&io->pins, idx, pin, start >> PAGE_SHIFT, last) {
		if (pin->users)
			busy++;
		else
			mnv_io_pin_release(inst, pin);
	}
	return busy;
}

/*
 * Has a shared poller's turn left pages to release: bounced ones, or
 * unused ones over the cache's limit?  Caller holds inst->lock.
 */
bool mnv_io_pins_over(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;

	lockdep_assert_held(&inst->lock);
	if (!io->ready)
		return false;
	return !list_empty(&io->pin_release) ||
	       (io->nr_pins > io->pin_limit && !list_empty(&io->pin_lru));
}

/*
 * Release what a shared poller's turn left to release, and bring the
 * cache back to its limit, where unpinning may block.
 */
void mnv_io_pins_trim_over(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	if (inst->io.ready)
		mnv_io_pins_trim(inst, inst->io.pin_limit);
}

/* Closing: nothing is in flight; every page goes. */
void mnv_io_pins_destroy(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	WARN_ON(mnv_io_pins_drop(inst, 0, 0));
	xa_destroy(&inst->io.pins);
}
