// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part two: what the I/O path keeps between commands and what
 * the guest's PCI and interrupt settings change.
 *
 *  - the pin cache: repeated I/O on the same buffers pins nothing new,
 *    and a range the VMM unmaps is let go of at once; memory mapped
 *    again at the same address is the memory used from then on;
 *  - a page the module lets go of keeps what the guest wrote to it;
 *  - guest memory the VMM mapped read-only is never written;
 *  - Interrupt Coalescing holds interrupts back but never loses one;
 *  - without Bus Master Enable the function touches no guest memory.
 */
#include <endian.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "io_test.h"

/* Guest LBAs [PIN_LBA, +64) of instance 1 belong to these tests. */
#define PIN_LBA		7000u
/* Extra mappings, outside the main guest memory */
#define X_IOVA		0x11000000ULL	/* unmapped and mapped again */
#define Y_IOVA		0x12000000ULL	/* read-only for the device */
#define Z_IOVA		0x14000000ULL	/* pages released after a change */
/* The rings of instance 1's two queue pairs of QD entries: a page each. */
#define RING_PAGES	4
#define XY_PAGES	4u

#define FEAT_IRQ_COALESCE	0x08

static long pin_cache_limit(void)
{
	return file_long("/sys/module/mdev_nvme/parameters/pin_cache_pages");
}

/*
 * Does the kernel bounce all DMA (swiotlb=force on its command line)?
 * Then the module keeps no page pinned after its command (a bounce
 * buffer is a host-wide resource), which the pin cache tests expect.
 */
static bool bounce_forced(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	char *p;

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	for (p = strstr(line, "swiotlb="); p; p = strstr(p + 1, "swiotlb=")) {
		char word[128];

		snprintf(word, sizeof(word), "%.*s", (int)strcspn(p, " \n"), p);
		if (strstr(word, "force"))
			return true;
	}
	return false;
}

static void free_mapping(void *p, size_t len)
{
	munmap(p, len);
}

void test_pin_cache(struct inst *in)
{
	long miss0, hit0, miss1, hit1, pinned, limit = pin_cache_limit();
	bool bounce = bounce_forced();
	int first, again = 0, r;
	unsigned int round;

	miss0 = stat_of(in, "pin_misses");
	hit0 = stat_of(in, "pin_hits");
	first = write_read_back(in, 16, PIN_LBA, 16);
	miss1 = stat_of(in, "pin_misses");
	for (round = 0; round < 4; round++) {
		r = write_read_back(in, 16, PIN_LBA, 16);
		again = r < 0 || again < 0 ? -1 : again + r;
	}
	hit1 = stat_of(in, "pin_hits");
	ok(first == 0 && again == 0,
	   "pin cache: 5 rounds of 32 single-page commands read back what they wrote (%d, %d)",
	   first, again);
	ok(miss0 >= 0 && miss1 - miss0 <= 32,
	   "first round pins at most its 32 pages (%ld)", miss1 - miss0);
	if (bounce) {
		diag("swiotlb=force: nothing stays pinned after its command");
		limit = 0;
	} else if (limit >= 32) {
		ok(stat_of(in, "pin_misses") == miss1,
		   "steady state: 4 more rounds pin nothing new (%ld)",
		   stat_of(in, "pin_misses") - miss1);
		ok(hit1 - hit0 >= 4 * 32,
		   "and find their 128 pages in the cache (%ld)",
		   hit1 - hit0);
	}
	pinned = sysfs_long(in->uuid, "pinned_pages");
	if (bounce)
		ok(pinned >= 0 && pinned <= RING_PAGES,
		   "idle: no data page stays pinned, only the rings (%ld)",
		   pinned);
	else
		ok(limit >= 0 && pinned <= (limit > 32 ? limit : 32) &&
		   (limit == 0 ? pinned == 0 : pinned >= 32),
		   "idle: %ld pages stay pinned, pin_cache_pages is %ld",
		   pinned, limit);
}

/*
 * A page the guest changed after its last command keeps the change when
 * the module lets go of it: with bounce buffers (swiotlb=force), letting
 * go must not copy the device's older view of the page back over it.
 */
void test_release_keeps_data(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *z, ref[G_PAGE], rest[G_PAGE - 512];
	int ws, rs, st;

	z = vfio_user_map(&d->vu, Z_IOVA, XY_PAGES * G_PAGE);
	if (!ok(z != NULL, "map %u pages at 0x%llx", XY_PAGES,
		(unsigned long long)Z_IOVA))
		return;
	fill_random(z, 2 * G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, PIN_LBA + 16, 8, Z_IOVA, 0);
	/* The guest reuses the buffer; the device is done with it. */
	fill_random(z, G_PAGE);
	memcpy(ref, z, G_PAGE);
	/* A sub-page read into the next page: the rest of it stays. */
	memcpy(rest, z + G_PAGE + 512, sizeof(rest));
	rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA + 16, 1, Z_IOVA + G_PAGE, 0);
	st = vfio_user_unmap(&d->vu, Z_IOVA, XY_PAGES * G_PAGE);
	ok(ws == 0 && rs == 0 && st == 0 && !memcmp(z, ref, G_PAGE),
	   "a page changed after its write keeps the change when released (w 0x%x r 0x%x unmap %d)",
	   ws, rs, st);
	ok(!memcmp(z + G_PAGE + 512, rest, sizeof(rest)),
	   "a 512-byte read leaves the rest of its page as the guest left it");
	free_mapping(z, XY_PAGES * G_PAGE);
}

/*
 * The VMM unmaps memory and maps other memory at the same address at
 * once (a vIOMMU or virtio-mem remapping): a command on it waits for the
 * unmap's hold-off to end and then uses the new memory; nothing fails.
 */
void test_remap_at_once(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *a, *b = NULL, ref[G_PAGE];
	int ws, rs = -1, st;

	a = vfio_user_map(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	if (!ok(a != NULL, "map %u pages at 0x%llx", XY_PAGES,
		(unsigned long long)X_IOVA))
		return;
	fill_random(a, G_PAGE);
	memcpy(ref, a, G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, PIN_LBA + 24, 8, X_IOVA, 0);
	st = vfio_user_unmap(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	b = st ? NULL : vfio_user_map(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	if (b) {
		memset(b, 0, G_PAGE);
		rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA + 24, 8, X_IOVA, 0);
	}
	ok(ws == 0 && b && rs == 0 && !memcmp(b, ref, G_PAGE),
	   "memory mapped again at once: a read waits for the hold-off, then lands in it (w 0x%x r 0x%x unmap %d)",
	   ws, rs, st);
	if (b) {
		vfio_user_unmap(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
		free_mapping(b, XY_PAGES * G_PAGE);
	}
	free_mapping(a, XY_PAGES * G_PAGE);
}

/*
 * The VMM unmaps memory the cache holds, then maps other memory at the
 * same address: the unmap must not wait on the cache, and later I/O must
 * reach the new memory, never the old pages.
 */
void test_remap(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *a, *b, ref[G_PAGE];
	long before, after;
	int ws, rs, st;

	a = vfio_user_map(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	if (!ok(a != NULL, "map %u pages at 0x%llx", XY_PAGES,
		(unsigned long long)X_IOVA))
		return;
	fill_random(a, G_PAGE);
	memcpy(ref, a, G_PAGE);
	memset(a + G_PAGE, 0, G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, PIN_LBA, 8, X_IOVA, 0);
	rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, X_IOVA + G_PAGE, 0);
	ok(ws == 0 && rs == 0 && !memcmp(ref, a + G_PAGE, G_PAGE),
	   "I/O through the extra mapping (w 0x%x r 0x%x)", ws, rs);

	before = sysfs_long(in->uuid, "pinned_pages");
	st = vfio_user_unmap(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	after = sysfs_long(in->uuid, "pinned_pages");
	/* Bounce-buffered pages were not kept after their commands. */
	ok(st == 0 && (bounce_forced() ? after == before :
		       after <= before - 2),
	   "unmap while its pages are cached: done, their pins released (%ld -> %ld)",
	   before, after);
	st = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, X_IOVA, 0);
	ok(refused(st, SC_DATA_XFER_ERROR),
	   "read into the unmapped range: Data Transfer Error (0x%x)", st);

	/* Past the module's hold-off on the range: plain new memory. */
	sleep_ms(200);
	b = vfio_user_map(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	if (!ok(b != NULL, "map new memory at 0x%llx",
		(unsigned long long)X_IOVA))
		goto out;
	memset(a, 0x5a, 2 * G_PAGE);
	memset(b, 0, 2 * G_PAGE);
	rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, X_IOVA, 0);
	ok(rs == 0 && !memcmp(b, ref, G_PAGE),
	   "a read lands in the new memory (0x%x)", rs);
	ok(a[0] == 0x5a && a[G_PAGE - 1] == 0x5a,
	   "and not in the pages unmapped before");
	fill_random(b + G_PAGE, G_PAGE);
	memcpy(ref, b + G_PAGE, G_PAGE);
	ws = io_rw(in, 1, NVME_CMD_WRITE, PIN_LBA + 8, 8, X_IOVA + G_PAGE, 0);
	memset(gptr(d, G_DATA2), 0, G_PAGE);
	rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA + 8, 8, giova(G_DATA2), 0);
	ok(ws == 0 && rs == 0 && !memcmp(gptr(d, G_DATA2), ref, G_PAGE),
	   "a write takes its data from the new memory (w 0x%x r 0x%x)",
	   ws, rs);
	vfio_user_unmap(&d->vu, X_IOVA, XY_PAGES * G_PAGE);
	free_mapping(b, XY_PAGES * G_PAGE);
out:
	free_mapping(a, XY_PAGES * G_PAGE);
}

/* Memory the VMM maps without write access: the device only reads it. */
void test_readonly_map(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *y, ref[G_PAGE];
	int st;

	y = vfio_user_map_prot(&d->vu, Y_IOVA, XY_PAGES * G_PAGE, false);
	if (!ok(y != NULL, "map %u pages read-only at 0x%llx", XY_PAGES,
		(unsigned long long)Y_IOVA))
		return;
	memset(y, 0x77, G_PAGE);
	st = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, Y_IOVA, 0);
	ok(refused(st, SC_DATA_XFER_ERROR) && y[0] == 0x77 &&
	   y[G_PAGE - 1] == 0x77,
	   "read into read-only memory: Data Transfer Error, page untouched (0x%x)",
	   st);
	fill_random(y, G_PAGE);
	memcpy(ref, y, G_PAGE);
	st = io_rw(in, 1, NVME_CMD_WRITE, PIN_LBA, 8, Y_IOVA, 0);
	memset(gptr(d, G_DATA2), 0, G_PAGE);
	ok(st == 0 &&
	   !io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, giova(G_DATA2), 0) &&
	   !memcmp(gptr(d, G_DATA2), ref, G_PAGE),
	   "write from read-only memory works (0x%x)", st);
	st = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, Y_IOVA, 0);
	ok(refused(st, SC_DATA_XFER_ERROR) && !memcmp(y, ref, G_PAGE),
	   "again, with the page now cached: refused, untouched (0x%x)",
	   st);
	vfio_user_unmap(&d->vu, Y_IOVA, XY_PAGES * G_PAGE);
	free_mapping(y, XY_PAGES * G_PAGE);
	still_works(in, "read-only guest memory");
}

/* @n writes of one page each with one doorbell; completions seen */
static unsigned int batch_on_q2(struct inst *in, unsigned int n)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	unsigned int i, good = 0;

	for (i = 0; i < n; i++) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE, PIN_LBA + 8 * (i % 8), 8,
			     giova(G_DATA + (i % 16) * G_PAGE), 0);
		nvme_io_push(d, &in->sq[2], &sqe);
	}
	nvme_io_ring(d, &in->sq[2]);
	for (i = 0; i < n; i++) {
		if (!nvme_io_reap(d, &in->cq[2], &cqe, 10000))
			break;
		good += cqe.sq_id == 2 && !(cqe.status >> 1);
	}
	return good;
}

/* Signals on eventfd @fd within @ms (counting once something came) */
static int irqs_within(int fd, unsigned int ms)
{
	int n = 0, got;
	unsigned int waited;

	for (waited = 0; waited <= ms; waited += 5) {
		got = nvme_efd_count(fd);
		if (got < 0)
			return -1;
		n += got;
		if (n && !got)
			break;
		sleep_ms(5);
	}
	return n;
}

void test_coalescing(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	unsigned int good;
	long irq0, irq1;
	int st, n1, n2;

	st = nvme_connect_eventfds(d);
	st = st ? st : qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, 2);
	if (!ok(st == 0, "CQ 2 on MSI-X vector 2 with interrupts (%d)", st))
		return;
	nvme_drain_eventfds(d);

	/* Up to 8 completions or 25.5 ms per interrupt. */
	st = nvme_set_feat(d, FEAT_IRQ_COALESCE, 0xff07, NULL);
	ok(st == 0, "Interrupt Coalescing: threshold 8, time 25.5 ms (0x%x)",
	   st);
	irq0 = stat_of(in, "guest_irqs");
	good = batch_on_q2(in, 24);
	n1 = irqs_within(d->efd[2], 2000);
	irq1 = stat_of(in, "guest_irqs");
	ok(good == 24 && n1 >= 1 && n1 <= 12,
	   "24 completions with coalescing: %d interrupts, at least one, at most half",
	   n1);
	ok(irq1 - irq0 == n1,
	   "every interrupt raised reached the eventfd (%ld raised, %d seen)",
	   irq1 - irq0, n1);

	/* Alone in flight, a completion is not held for the timer. */
	good = batch_on_q2(in, 1);
	n2 = irqs_within(d->efd[2], 2000);
	ok(good == 1 && n2 == 1,
	   "one command alone in flight: its interrupt comes at once (%d)",
	   n2);

	st = nvme_set_feat(d, FEAT_IRQ_COALESCE, 0, NULL);
	st = st ? st : qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, -1);
	ok(st == 0, "coalescing off, CQ 2 back without interrupts (0x%x)",
	   st);
}

/*
 * Wait up to @ms for eventfd @fd to be signalled, in poll() as a VMM's
 * event loop would.  Return: the signals counted, 0 if none came, -1 on
 * error.
 */
static int irq_wait(int fd, unsigned int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, (int)ms);

	return ret > 0 ? nvme_efd_count(fd) : ret;
}

/* One write on SQ 2, rung: its completion is left for the caller. */
static void write_on_q2(struct inst *in)
{
	struct nvme_sqe sqe;

	nvme_rw_init(&sqe, NVME_CMD_WRITE, PIN_LBA, 8, giova(G_DATA), 0);
	nvme_io_push(&in->dev, &in->sq[2], &sqe);
	nvme_io_ring(&in->dev, &in->sq[2]);
}

/* A write on SQ 2 completes while vector 2 has no eventfd: no signal. */
static bool held_on_q2(struct inst *in)
{
	struct nvme_cqe cqe;

	write_on_q2(in);
	return nvme_io_reap(&in->dev, &in->cq[2], &cqe, 10000) &&
	       !(cqe.status >> 1) && irq_wait(in->dev.efd[2], 300) == 0;
}

/*
 * MSI-X the way cloud-hypervisor, crosvm and userspace drivers use it:
 * VFIO_DEVICE_SET_IRQS is the enable, the MSI-X capability is never
 * written (vfio-io -x opens the instance so).  Completions must signal
 * the wired eventfds; a vector whose eventfd is taken away keeps its
 * interrupt pending until one is wired again, as on a vfio-pci device.
 */
void test_msix_set_irqs(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint32_t ctrl = cfg_rd(d, d->cap_msix + PCI_MSIX_FLAGS, 2);
	struct nvme_cqe cqe;
	int32_t none = -1;
	bool done;
	int st, n;

	ok(d->cap_msix && !(ctrl & (PCI_MSIX_FLAGS_ENABLE |
				    PCI_MSIX_FLAGS_MASKALL)),
	   "MSI-X capability never written: Enable and Function Mask clear (0x%x)",
	   ctrl);
	st = nvme_connect_eventfds(d);
	st = st ? st : qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, 2);
	if (!ok(st == 0,
		"SET_IRQS wired %u eventfds, CQ 2 on vector 2 with interrupts (%d)",
		d->nr_vectors, st))
		return;
	nvme_drain_eventfds(d);

	st = nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0);
	n = irq_wait(d->efd[0], 5000);
	ok(st == 0 && n == 1,
	   "admin completion signals eventfd 0 (status 0x%x, %d signals)",
	   st, n);

	write_on_q2(in);
	n = irq_wait(d->efd[2], 5000);
	done = nvme_io_reap(d, &in->cq[2], &cqe, 100) && !(cqe.status >> 1);
	ok(n == 1 && done,
	   "I/O completion signals eventfd 2 before the CQ is looked at (%d signals, CQE %s)",
	   n, done ? "posted" : "missing");
	ok(irq_wait(d->efd[1], 0) == 0 && irq_wait(d->efd[0], 0) == 0,
	   "no other vector signalled");

	/* fd -1 for one vector: vfio-pci leaves it masked at the host. */
	st = vfio_user_set_irq_eventfds(&d->vu, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
					&none);
	ok(st == 0 && held_on_q2(in),
	   "vector 2 without its eventfd: completion posted, nothing signalled (%d)",
	   st);
	st = vfio_user_set_irq_eventfds(&d->vu, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
					&d->efd[2]);
	n = irq_wait(d->efd[2], 2000);
	ok(st == 0 && n == 1,
	   "eventfd 2 wired again: the held interrupt is signalled (%d)", n);

	/* DATA_NONE, count 0: the index is off until SET_IRQS wires it. */
	st = vfio_user_disable_irqs(&d->vu, VFIO_PCI_MSIX_IRQ_INDEX);
	ok(st == 0 && held_on_q2(in),
	   "MSI-X torn down: completion posted, nothing signalled (%d)", st);
	st = nvme_connect_eventfds(d);
	n = irq_wait(d->efd[2], 2000);
	ok(st == 0 && n == 1,
	   "eventfds wired again: the held interrupt is signalled (%d)", n);
	write_on_q2(in);
	n = irq_wait(d->efd[2], 5000);
	done = nvme_io_reap(d, &in->cq[2], &cqe, 100) && !(cqe.status >> 1);
	ok(n == 1 && done, "and the next completion signals at once (%d)",
	   n);

	st = qpair_recreate(in, 2, QD, G_IOCQ2, G_IOSQ2, -1);
	ok(st == 0, "CQ 2 back without interrupts (0x%x)", st);
}

/*
 * Bus Master Enable cleared: a command the guest rings for is neither
 * fetched nor completed until it is set again.
 */
void test_bus_master(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint32_t cmd = cfg_rd(d, PCI_COMMAND, 2);
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	bool early, late;
	int rs;

	fill_random(w, G_PAGE);
	cfg_wr(d, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	nvme_rw_init(&sqe, NVME_CMD_WRITE, PIN_LBA, 8, giova(G_DATA), 0);
	nvme_io_push(d, &in->sq[1], &sqe);
	nvme_io_ring(d, &in->sq[1]);
	early = nvme_io_reap(d, &in->cq[1], &cqe, 200);
	cfg_wr(d, PCI_COMMAND, cmd | PCI_COMMAND_MASTER, 2);
	late = !early && nvme_io_reap(d, &in->cq[1], &cqe, 10000);
	ok(!early && late && !(cqe.status >> 1),
	   "without bus mastering a write waits, and completes once it is back (%s)",
	   early ? "completed early" : late ? "ok" : "never completed");
	memset(r, 0, G_PAGE);
	rs = io_rw(in, 1, NVME_CMD_READ, PIN_LBA, 8, giova(G_DATA2), 0);
	ok(rs == 0 && !memcmp(w, r, G_PAGE),
	   "and its data reads back (0x%x)", rs);
}
