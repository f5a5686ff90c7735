// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-perf: timed random 4 KiB reads or writes from a userspace NVMe
 * driver, through VFIO, on a vNVMe (named by its UUID) or on a whole
 * controller bound to vfio-pci (named by its PCI address).  With no guest
 * kernel and no nested virtualisation in the way, the difference between
 * the two is the mediation's own cost (make bench, bench/l1-micro.sh).
 *
 *   vfio-perf NAME randread|randwrite QD SECONDS [WARMUP_SECONDS [irq|poll]]
 *
 * It drives the device as a guest's driver would: one I/O queue pair,
 * shadow doorbells when the controller offers them, the doorbell page
 * mapped when the device lets it be, QD commands kept in flight, each
 * with a page of its own, and one doorbell for each batch of
 * submissions or completions.  With "irq" (the default) it sleeps on the
 * queue's MSI-X eventfd until a completion interrupts it, as a guest's
 * driver does; with "poll" it spins on its completion queue, which keeps
 * its CPU busy throughout.
 *
 * The first WARMUP_SECONDS (default 1) are not counted: they fill the
 * vNVMe's pin cache with the data pages, as a guest's steady state has.
 * Prints one JSON object (configuration, I/Os, IOPS, latency mean and
 * percentiles in microseconds, doorbells written to the device, and each
 * CPU's busy time during the measured run).  Exit
 * status: 0 done, 1 a command or the device failed, 2 bad usage.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nvme_guest.h"
#include "nvme_io.h"

#define IO_BYTES	4096u
#define MAX_QD		128u	/* pages of G_BIG, one per command */
#define QID		1
/* Bytes of the namespace the I/O is spread over (the bench fills them). */
#define SPAN_BYTES	(256ULL << 20)
/* Latency samples kept; beyond it the tail of a long run is not sampled. */
#define MAX_SAMPLES	(16u << 20)
/* CPUs whose busy time is reported. */
#define MAX_CPUS	64
/* The shadow doorbell and event index pages, a mapping of their own. */
#define DBBUF_IOVA	0x13000000ULL

struct perf {
	struct nvme_dev dev;
	struct nvme_io_sq sq;
	struct nvme_io_cq cq;
	bool write;
	bool irq;		/* sleep on the CQ's eventfd between batches */
	unsigned int qd;
	unsigned int lba_shift;
	uint64_t span_blocks;	/* IO_BYTES blocks the I/O picks from */
	uint64_t rng;
	uint64_t started[MAX_QD];
	uint32_t *lat_ns;
	unsigned long nr_lat;
	unsigned long errors;
	const char *doorbells;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Busy time of each CPU so far, in nanoseconds (/proc/stat: all but idle
 * and iowait); the number of CPUs read.  The time a mediation thread on
 * another CPU spent on the measured run is the difference on its CPU.
 */
static unsigned int cpu_busy_ns(uint64_t *busy)
{
	unsigned long long v[8];
	double ns_per_tick = 1e9 / sysconf(_SC_CLK_TCK);
	char line[512];
	unsigned int cpu, n = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) != 9 || cpu >= MAX_CPUS)
			continue;
		/* user nice system idle iowait irq softirq steal */
		busy[cpu] = (uint64_t)((v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
				       ns_per_tick);
		if (cpu + 1 > n)
			n = cpu + 1;
	}
	fclose(f);
	return n;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool is_uuid(const char *s)
{
	return strlen(s) == 36 && s[8] == '-' && s[13] == '-';
}

/* Map the doorbell page of BAR0 if the device offers it; true if done. */
static bool map_doorbells(struct nvme_dev *d)
{
	struct vfio_region_sparse_mmap_area area[8];
	uint32_t flags = 0;
	bool offered = false;
	void *map;
	int i, n;

	n = vfio_user_sparse_areas(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, &flags,
				   area, 8);
	if (n < 0 || !(flags & VFIO_REGION_INFO_FLAG_MMAP))
		return false;
	/* No sparse list: the whole region may be mapped. */
	offered = n == 0;
	for (i = 0; i < n && i < 8; i++)
		offered |= area[i].offset <= NVME_REG_DB &&
			   area[i].offset + area[i].size >= NVME_REG_DB + G_PAGE;
	if (!offered)
		return false;
	map = vfio_user_mmap(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, NVME_REG_DB,
			     G_PAGE, MAP_SHARED);
	if (map == MAP_FAILED)
		return false;
	d->db_map = map;
	return true;
}

/* Doorbell Buffer Config, as Linux does before creating its queues. */
static bool shadow_doorbells(struct nvme_dev *d)
{
	struct nvme_sqe sqe;
	uint32_t *pages;

	pages = vfio_user_map(&d->vu, DBBUF_IOVA, 2 * G_PAGE);
	if (!pages)
		return false;
	nvme_sqe_init(&sqe, NVME_ADM_DBBUF);
	sqe.prp1 = htole64(DBBUF_IOVA);
	sqe.prp2 = htole64(DBBUF_IOVA + G_PAGE);
	if (nvme_admin(d, &sqe, NULL) != 0)
		return false;
	d->shadow_db = pages;
	d->event_idx = pages + G_PAGE / 4;
	return true;
}

static int fail(const char *what, int st)
{
	fprintf(stderr, "vfio-perf: %s failed (status 0x%x)\n", what, st);
	return 1;
}

/* Enable the controller, learn the namespace, make the queue pair. */
static int setup(struct perf *p)
{
	struct nvme_dev *d = &p->dev;
	uint8_t *id = gptr(d, G_DATA);
	uint64_t cap = bar_rd64(d, NVME_REG_CAP), blocks;
	unsigned int size, lbaf;
	bool shadow, mapped;
	int st;

	d->msix_set_irqs_only = true;
	nvme_pci_setup(d);
	if (bar_rd32(d, NVME_REG_CC) & NVME_CC_EN)
		nvme_disable(d);
	if (!nvme_ready(d) && (nvme_enable(d) & NVME_CSTS_CFS || !nvme_ready(d)))
		return fail("enable", bar_rd32(d, NVME_REG_CSTS));
	st = nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0);
	if (st)
		return fail("Identify Controller", st);
	shadow = get16(id, ID_CTRL_OACS) & OACS_DBBUF;
	st = nvme_identify(d, NVME_CNS_NS, 1, giova(G_DATA), 0);
	if (st)
		return fail("Identify Namespace 1", st);
	blocks = get64(id, ID_NS_NSZE);
	lbaf = id[ID_NS_FLBAS] & 0xf;
	p->lba_shift = id[ID_NS_LBAF0 + 4 * lbaf + 2];
	if (p->lba_shift < 9 || p->lba_shift > 12) {
		fprintf(stderr, "vfio-perf: LBA size 2^%u not handled\n",
			p->lba_shift);
		return 1;
	}
	p->span_blocks = (blocks << p->lba_shift) / IO_BYTES;
	if (p->span_blocks > SPAN_BYTES / IO_BYTES)
		p->span_blocks = SPAN_BYTES / IO_BYTES;
	if (!p->span_blocks)
		return fail("namespace 1 is empty:", 0);
	/* One queue pair, as Linux asks for before creating them. */
	st = nvme_set_feat(d, FEAT_NUM_QUEUES, 0, NULL);
	if (st)
		return fail("Set Features Number of Queues", st);
	shadow = shadow && shadow_doorbells(d);
	mapped = map_doorbells(d);
	p->doorbells = shadow ? (mapped ? "shadow+mapped" : "shadow") :
		(mapped ? "mapped" : "trapped");
	size = NVME_CAP_MQES(cap) + 1;
	if (size > 256)
		size = 256;
	if (size <= p->qd) {
		fprintf(stderr, "vfio-perf: queues of %u entries, QD %u does not fit\n",
			size, p->qd);
		return 1;
	}
	if (p->irq) {
		/* A vfio-pci device has no queue_pairs attribute: one pair. */
		if (!d->qpairs)
			d->qpairs = QID;
		st = nvme_connect_eventfds(d);
		if (st)
			return fail("VFIO_DEVICE_SET_IRQS (MSI-X)", st);
	}
	st = nvme_io_cq_create_irq(d, &p->cq, QID, size, G_IOCQ1,
				   p->irq ? QID : -1);
	if (st)
		return fail("Create I/O CQ", st);
	st = nvme_io_sq_create(d, &p->sq, QID, size, G_IOSQ1, &p->cq);
	if (st)
		return fail("Create I/O SQ", st);
	return 0;
}

/* Place the command of slot @slot (its cid) at the SQ tail; no doorbell. */
static void push(struct perf *p, unsigned int slot)
{
	struct nvme_dev *d = &p->dev;
	struct nvme_sqe sqe, *ring = gptr(d, p->sq.off);
	uint64_t block = xorshift(&p->rng) % p->span_blocks;
	unsigned int shift = 12 - p->lba_shift;

	nvme_rw_init(&sqe, p->write ? NVME_CMD_WRITE : NVME_CMD_READ,
		     block << shift, 1u << shift,
		     giova(G_BIG + (uint64_t)slot * IO_BYTES), 0);
	sqe.cid = htole16(slot);
	memcpy(&ring[p->sq.tail], &sqe, sizeof(sqe));
	p->sq.tail = (uint16_t)((p->sq.tail + 1) % p->sq.size);
	p->started[slot] = now_ns();
}

/*
 * Keep QD commands in flight until @end_ns; with @record, keep their
 * latencies.  Returns the I/Os completed, or -1 if the device stopped
 * completing (nothing for 10 s).
 */
static long run(struct perf *p, uint64_t end_ns, bool record)
{
	struct nvme_dev *d = &p->dev;
	uint64_t t, last = now_ns();
	struct nvme_cqe cqe;
	unsigned int slot, n;
	long done = 0;

	for (slot = 0; slot < p->qd; slot++)
		push(p, slot);
	nvme_io_ring(d, &p->sq);
	for (;;) {
		n = 0;
		while (nvme_io_take(d, &p->cq, &cqe)) {
			t = now_ns();
			slot = cqe.cid;
			if (slot >= p->qd || cqe.status >> 1) {
				p->errors++;
				if (slot >= p->qd)
					continue;
			}
			if (record && p->nr_lat < MAX_SAMPLES)
				p->lat_ns[p->nr_lat++] =
					(uint32_t)(t - p->started[slot]);
			done++;
			n++;
			if (t < end_ns)
				push(p, slot);
		}
		if (n) {
			nvme_io_ring_head(d, &p->cq);
			nvme_io_ring(d, &p->sq);
			last = now_ns();
		} else if (now_ns() - last > 10000000000ULL) {
			return -1;
		} else if (p->irq) {
			/* A signal counted before this wait ends it at once. */
			struct pollfd pfd = { .fd = d->efd[QID], .events = POLLIN };

			if (poll(&pfd, 1, 10) > 0)
				nvme_efd_count(d->efd[QID]);
		}
		/* The queue drained after the end: every slot came back. */
		if (now_ns() >= end_ns && p->sq.tail == p->cq.head)
			return done;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const struct perf *p, double pct)
{
	unsigned long i = (unsigned long)(pct / 100.0 * (p->nr_lat - 1));

	return p->lat_ns[i] / 1000.0;
}

int main(int argc, char **argv)
{
	struct perf p = { .rng = 0x9e3779b97f4a7c15ULL, .irq = true };
	uint64_t busy0[MAX_CPUS] = { 0 }, busy1[MAX_CPUS] = { 0 };
	unsigned int nr_cpus;
	double seconds, warmup = 1, sum = 0;
	uint64_t t0, t1;
	unsigned long i;
	long ios;
	int ret;

	if (argc < 5 || argc > 7 ||
	    (strcmp(argv[2], "randread") && strcmp(argv[2], "randwrite")) ||
	    (argc == 7 && strcmp(argv[6], "irq") && strcmp(argv[6], "poll"))) {
		fprintf(stderr, "usage: vfio-perf UUID|BDF randread|randwrite QD SECONDS [WARMUP_SECONDS [irq|poll]]\n");
		return 2;
	}
	if (argc == 7)
		p.irq = !strcmp(argv[6], "irq");
	p.write = !strcmp(argv[2], "randwrite");
	p.qd = strtoul(argv[3], NULL, 0);
	seconds = strtod(argv[4], NULL);
	if (argc >= 6)
		warmup = strtod(argv[5], NULL);
	if (!p.qd || p.qd > MAX_QD || seconds <= 0 || warmup < 0) {
		fprintf(stderr, "vfio-perf: QD 1-%u, SECONDS > 0, WARMUP >= 0\n",
			MAX_QD);
		return 2;
	}
	p.lat_ns = malloc(MAX_SAMPLES * sizeof(*p.lat_ns));
	if (!p.lat_ns)
		return 1;
	ret = is_uuid(argv[1]) ? nvme_dev_open(&p.dev, argv[1]) :
		nvme_dev_open_pci(&p.dev, argv[1]);
	if (ret) {
		fprintf(stderr, "vfio-perf: cannot open %s: %s\n", argv[1],
			strerror(-ret));
		return 1;
	}
	ret = setup(&p);
	if (!ret && warmup > 0 &&
	    run(&p, now_ns() + (uint64_t)(warmup * 1e9), false) < 0)
		ret = fail("warm-up: no completion for 10 s;", 0);
	p.dev.db_rung = p.dev.db_skipped = 0;
	cpu_busy_ns(busy0);
	t0 = now_ns();
	ios = ret ? 0 : run(&p, t0 + (uint64_t)(seconds * 1e9), true);
	t1 = now_ns();
	nr_cpus = cpu_busy_ns(busy1);
	if (!ret && ios <= 0)
		ret = fail("run: no completion for 10 s;", 0);
	if (!ret && p.errors)
		ret = fail("I/O: commands completed with an error;", 0);
	nvme_disable(&p.dev);
	nvme_dev_close(&p.dev);
	if (ret)
		return ret;
	qsort(p.lat_ns, p.nr_lat, sizeof(*p.lat_ns), cmp_u32);
	for (i = 0; i < p.nr_lat; i++)
		sum += p.lat_ns[i];
	printf("{\"device\": \"%s\", \"kind\": \"%s\", \"rw\": \"%s\", \"qd\": %u, ",
	       argv[1], is_uuid(argv[1]) ? "mdev" : "pci", argv[2], p.qd);
	printf("\"seconds\": %.3f, \"ios\": %ld, \"iops\": %.1f, ",
	       (t1 - t0) / 1e9, ios, ios / ((t1 - t0) / 1e9));
	printf("\"lat_us\": {\"mean\": %.2f, \"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"p999\": %.2f, \"max\": %.2f}, ",
	       sum / p.nr_lat / 1000.0, pct_us(&p, 50), pct_us(&p, 90),
	       pct_us(&p, 99), pct_us(&p, 99.9), pct_us(&p, 100));
	printf("\"wait\": \"%s\", \"doorbells\": \"%s\", \"mmio_doorbells\": %lu, \"shadow_only_doorbells\": %lu, ",
	       p.irq ? "irq" : "poll", p.doorbells, p.dev.db_rung,
	       p.dev.db_skipped);
	printf("\"cpu_busy_us\": [");
	for (i = 0; i < nr_cpus; i++)
		printf("%s%.0f", i ? ", " : "", (busy1[i] - busy0[i]) / 1000.0);
	printf("]}\n");
	free(p.lat_ns);
	return 0;
}
