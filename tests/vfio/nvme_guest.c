// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-side NVMe driver for vfio-nvme: just enough of what Linux'
 * drivers/nvme/host/pci.c does to bring a controller up and run admin
 * commands, with every step observable by the tests.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "nvme_guest.h"

/* Default wait for a completion: commands run in the doorbell write. */
#define REAP_TIMEOUT_MS		2000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

static int read_sysfs_u64(const char *uuid, const char *attr, uint64_t *val)
{
	char path[256];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s", uuid,
		 attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1)
		return -EINVAL;
	*val = v;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The canonical 8-4-4-4-12 form sysfs uses, into the 16 bytes it names */
static int parse_uuid(const char *s, uint8_t *out)
{
	unsigned int i;
	int hi, lo;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (*s++ != '-')
				return -EINVAL;
		}
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s ? -EINVAL : 0;
}

int cfg_read(struct nvme_dev *d, uint32_t off, void *buf, size_t len)
{
	long n = vfio_user_rw(&d->vu, VFIO_PCI_CONFIG_REGION_INDEX, off, buf,
			      len, 0);

	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EIO;
}

int cfg_write(struct nvme_dev *d, uint32_t off, const void *buf, size_t len)
{
	long n = vfio_user_rw(&d->vu, VFIO_PCI_CONFIG_REGION_INDEX, off,
			      (void *)buf, len, 1);

	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EIO;
}

/*
 * Register helpers in the value domain.  A failed access reads as all
 * ones, like a master abort: every check on the value then fails too, and
 * the error is reported on stderr.
 */
uint32_t cfg_rd(struct nvme_dev *d, uint32_t off, size_t len)
{
	uint8_t b[4] = { 0 };
	int ret = cfg_read(d, off, b, len);

	if (ret) {
		fprintf(stderr, "config read %zu@0x%x: %s\n", len, off,
			strerror(-ret));
		return len == 4 ? ~0u : (1u << (8 * len)) - 1;
	}
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

void cfg_wr(struct nvme_dev *d, uint32_t off, uint32_t val, size_t len)
{
	uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };
	int ret = cfg_write(d, off, b, len);

	if (ret)
		fprintf(stderr, "config write %zu@0x%x: %s\n", len, off,
			strerror(-ret));
}

static int bar_access(struct nvme_dev *d, uint32_t off, void *buf,
		      size_t len, int write)
{
	long n = vfio_user_rw(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, off, buf,
			      len, write);

	if (n != (long)len) {
		fprintf(stderr, "BAR0 %s %zu@0x%x: %s\n",
			write ? "write" : "read", len, off,
			n < 0 ? strerror((int)-n) : "short");
		return -EIO;
	}
	return 0;
}

uint32_t bar_rd32(struct nvme_dev *d, uint32_t off)
{
	uint32_t v;

	if (bar_access(d, off, &v, 4, 0))
		return ~0u;
	return le32toh(v);
}

uint64_t bar_rd64(struct nvme_dev *d, uint32_t off)
{
	uint64_t v;

	if (bar_access(d, off, &v, 8, 0))
		return ~0ULL;
	return le64toh(v);
}

void bar_wr32(struct nvme_dev *d, uint32_t off, uint32_t val)
{
	uint32_t v = htole32(val);

	if (d->db_map && off >= NVME_REG_DB && off < NVME_REG_DB + G_PAGE) {
		/* Entries first, then the doorbell, as with MMIO. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		d->db_map[(off - NVME_REG_DB) / 4] = v;
		return;
	}
	bar_access(d, off, &v, 4, 1);
}

void bar_wr64(struct nvme_dev *d, uint32_t off, uint64_t val)
{
	uint64_t v = htole64(val);

	bar_access(d, off, &v, 8, 1);
}

/* Walk the capability list once so the tests can find PM, MSI-X, PCIe. */
static void find_caps(struct nvme_dev *d)
{
	unsigned int pos = cfg_rd(d, PCI_CAPABILITY_LIST, 1) & ~3u;
	int guard = 48;		/* at most 48 capabilities fit in 192 bytes */

	while (pos >= 0x40 && pos < 0x100 && guard--) {
		uint32_t hdr = cfg_rd(d, pos, 2);

		switch (hdr & 0xff) {
		case PCI_CAP_ID_PM:
			d->cap_pm = pos;
			break;
		case PCI_CAP_ID_MSIX:
			d->cap_msix = pos;
			break;
		case PCI_CAP_ID_EXP:
			d->cap_exp = pos;
			break;
		}
		pos = (hdr >> 8) & ~3u;
	}
}

static void dev_init(struct nvme_dev *d, const char *name)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < MAX_VECTORS; i++)
		d->efd[i] = -1;
	d->uuid = name;
}

/* Guest memory mapped for DMA, capabilities found; 0 or -errno. */
static int dev_map_memory(struct nvme_dev *d)
{
	int ret;

	d->mem = mmap(NULL, GMEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->mem == MAP_FAILED) {
		d->mem = NULL;
		return -ENOMEM;
	}
	ret = vfio_user_map_va(&d->vu, GMEM_IOVA, d->mem, G_SPARE, true);
	ret = ret ? ret : vfio_user_map_va(&d->vu, giova(G_SPARE),
					   d->mem + G_SPARE, G_SPARE_SIZE,
					   true);
	if (ret)
		return ret;
	find_caps(d);
	d->next_cid = 1;
	return 0;
}

int nvme_dev_open(struct nvme_dev *d, const char *uuid)
{
	uint64_t v;
	int ret;

	dev_init(d, uuid);
	if (parse_uuid(uuid, d->uuid_bin)) {
		fprintf(stderr, "not a UUID: %s\n", uuid);
		return -EINVAL;
	}
	ret = read_sysfs_u64(uuid, "queue_pairs", &v);
	if (ret) {
		fprintf(stderr, "%s: queue_pairs: %s\n", uuid, strerror(-ret));
		return ret;
	}
	d->qpairs = v;
	ret = vfio_user_open(&d->vu, uuid);
	if (ret)
		return ret;
	d->opened = true;
	/* An open-ended slice is resolved at open: read it afterwards. */
	ret = read_sysfs_u64(uuid, "lba_count", &d->lba_count);
	if (ret) {
		fprintf(stderr, "%s: lba_count: %s\n", uuid, strerror(-ret));
		nvme_dev_close(d);
		return ret;
	}
	ret = dev_map_memory(d);
	if (ret)
		nvme_dev_close(d);
	return ret;
}

int nvme_dev_open_pci(struct nvme_dev *d, const char *bdf)
{
	int ret;

	dev_init(d, bdf);
	ret = vfio_user_open(&d->vu, bdf);
	if (ret)
		return ret;
	d->opened = true;
	ret = dev_map_memory(d);
	if (ret)
		nvme_dev_close(d);
	return ret;
}

void nvme_dev_close(struct nvme_dev *d)
{
	unsigned int i;

	/* Never opened: nothing, not even the eventfd slots, was set up. */
	if (!d->uuid)
		return;
	if (d->db_map)
		munmap((void *)d->db_map, G_PAGE);
	d->db_map = NULL;
	if (d->opened)
		vfio_user_close(&d->vu);
	d->opened = false;
	/* Closing the container dropped the DMA mapping. */
	if (d->mem)
		munmap(d->mem, GMEM_SIZE);
	d->mem = NULL;
	for (i = 0; i < MAX_VECTORS; i++) {
		if (d->efd[i] >= 0)
			close(d->efd[i]);
		d->efd[i] = -1;
	}
	d->nr_vectors = 0;
}

void nvme_pci_setup(struct nvme_dev *d)
{
	uint32_t cmd = cfg_rd(d, PCI_COMMAND, 2);

	cfg_wr(d, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
	       2);
	if (d->cap_msix && !d->msix_set_irqs_only) {
		uint32_t ctrl = cfg_rd(d, d->cap_msix + PCI_MSIX_FLAGS, 2);

		ctrl = (ctrl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL;
		cfg_wr(d, d->cap_msix + PCI_MSIX_FLAGS, ctrl, 2);
	}
}

uint32_t nvme_wait_csts(struct nvme_dev *d, uint32_t mask, uint32_t want,
			unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	uint32_t csts;

	for (;;) {
		csts = bar_rd32(d, NVME_REG_CSTS);
		if (csts == ~0u || (csts & mask) == want || now_ms() > end)
			return csts;
		pause_us(1000);
	}
}

/* CAP.TO in ms; at least 1 s so that a zero TO still gets a fair wait */
static unsigned int cap_timeout_ms(struct nvme_dev *d)
{
	unsigned int to = NVME_CAP_TO(bar_rd64(d, NVME_REG_CAP)) * 500;

	return to < 1000 ? 1000 : to;
}

uint32_t nvme_enable_at(struct nvme_dev *d, uint64_t asq, uint64_t acq,
			uint32_t cc)
{
	nvme_pci_setup(d);
	/* The driver's view of the admin queue restarts with every enable. */
	d->asq_iova = asq;
	d->acq_iova = acq;
	d->sq_tail = 0;
	d->cq_head = 0;
	d->phase = 1;
	memset(gptr(d, G_ASQ), 0, AQ_DEPTH * sizeof(struct nvme_sqe));
	memset(gptr(d, G_ACQ), 0, AQ_DEPTH * sizeof(struct nvme_cqe));

	bar_wr32(d, NVME_REG_AQA, (AQ_DEPTH - 1) << 16 | (AQ_DEPTH - 1));
	bar_wr64(d, NVME_REG_ASQ, asq);
	bar_wr64(d, NVME_REG_ACQ, acq);
	bar_wr32(d, NVME_REG_CC, cc | NVME_CC_EN);
	return nvme_wait_csts(d, NVME_CSTS_RDY | NVME_CSTS_CFS,
			      NVME_CSTS_RDY, cap_timeout_ms(d));
}

uint32_t nvme_enable(struct nvme_dev *d)
{
	return nvme_enable_at(d, giova(G_ASQ), giova(G_ACQ), NVME_CC_DEFAULT);
}

uint32_t nvme_disable(struct nvme_dev *d)
{
	uint32_t cc = bar_rd32(d, NVME_REG_CC);

	bar_wr32(d, NVME_REG_CC, cc & ~(NVME_CC_EN | NVME_CC_SHN_MASK));
	return nvme_wait_csts(d, NVME_CSTS_RDY, 0, cap_timeout_ms(d));
}

bool nvme_ready(struct nvme_dev *d)
{
	uint32_t csts = bar_rd32(d, NVME_REG_CSTS);

	return csts != ~0u && (csts & (NVME_CSTS_RDY | NVME_CSTS_CFS |
				       NVME_CSTS_SHST_MASK)) == NVME_CSTS_RDY;
}

void nvme_sqe_init(struct nvme_sqe *sqe, uint8_t opcode)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
}

uint16_t nvme_submit(struct nvme_dev *d, struct nvme_sqe *sqe)
{
	struct nvme_sqe *slot = (struct nvme_sqe *)gptr(d, G_ASQ) + d->sq_tail;
	uint16_t cid = d->next_cid;

	/* 0xffff means "no command" in the Error Information log. */
	d->next_cid = cid == 0xfffe ? 1 : cid + 1;
	sqe->cid = htole16(cid);
	memcpy(slot, sqe, sizeof(*slot));
	d->sq_tail = (d->sq_tail + 1) % AQ_DEPTH;
	/* The write system call orders the SQE store before the doorbell. */
	bar_wr32(d, NVME_REG_DB, d->sq_tail);
	return cid;
}

uint16_t nvme_cq_status(struct nvme_dev *d, unsigned int slot)
{
	struct nvme_cqe *cqe = (struct nvme_cqe *)gptr(d, G_ACQ) + slot;

	/* The device writes the status word last, concurrently with us. */
	return le16toh(__atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE));
}

bool nvme_reap(struct nvme_dev *d, struct nvme_cqe *cqe, unsigned int ms)
{
	const struct nvme_cqe *slot =
		(const struct nvme_cqe *)gptr(d, G_ACQ) + d->cq_head;
	uint64_t end = now_ms() + ms;

	while ((nvme_cq_status(d, d->cq_head) & 1) != d->phase) {
		if (now_ms() > end)
			return false;
		pause_us(100);
	}
	cqe->result = le32toh(slot->result);
	cqe->dw1 = le32toh(slot->dw1);
	cqe->sq_head = le16toh(slot->sq_head);
	cqe->sq_id = le16toh(slot->sq_id);
	cqe->cid = le16toh(slot->cid);
	cqe->status = le16toh(slot->status);
	if (++d->cq_head == AQ_DEPTH) {
		d->cq_head = 0;
		d->phase ^= 1;
	}
	bar_wr32(d, NVME_REG_DB + 4, d->cq_head);
	return true;
}

int nvme_admin(struct nvme_dev *d, struct nvme_sqe *sqe, struct nvme_cqe *cqe)
{
	struct nvme_cqe local;
	uint16_t cid;

	if (!cqe)
		cqe = &local;
	cid = nvme_submit(d, sqe);
	if (!nvme_reap(d, cqe, REAP_TIMEOUT_MS)) {
		printf("# no completion for opcode 0x%02x cid %u\n",
		       sqe->opcode, cid);
		return -1;
	}
	if (cqe->cid != cid || cqe->sq_id != 0 || cqe->sq_head != d->sq_tail) {
		printf("# completion mismatch for opcode 0x%02x: cid %u (want %u) sqid %u",
		       sqe->opcode, cqe->cid, cid, cqe->sq_id);
		printf(" sqhd %u (want %u)\n", cqe->sq_head, d->sq_tail);
		return -1;
	}
	return cqe->status >> 1;
}

int nvme_identify(struct nvme_dev *d, uint8_t cns, uint32_t nsid,
		  uint64_t prp1, uint64_t prp2)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_IDENTIFY);
	sqe.nsid = htole32(nsid);
	sqe.prp1 = htole64(prp1);
	sqe.prp2 = htole64(prp2);
	sqe.cdw10 = htole32(cns);
	return nvme_admin(d, &sqe, NULL);
}

int nvme_get_log(struct nvme_dev *d, uint8_t lid, uint32_t nsid,
		 uint64_t lpo, uint32_t len, bool rae, uint64_t prp1,
		 uint64_t prp2)
{
	uint32_t numd = len / 4 - 1;	/* 0's based dword count */
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_GET_LOG);
	sqe.nsid = htole32(nsid);
	sqe.prp1 = htole64(prp1);
	sqe.prp2 = htole64(prp2);
	sqe.cdw10 = htole32(lid | (rae ? LOG_RAE : 0) | (numd & 0xffff) << 16);
	sqe.cdw11 = htole32(numd >> 16);
	sqe.cdw12 = htole32((uint32_t)lpo);
	sqe.cdw13 = htole32((uint32_t)(lpo >> 32));
	return nvme_admin(d, &sqe, NULL);
}

int nvme_get_feat(struct nvme_dev *d, uint8_t fid, uint32_t sel,
		  uint32_t cdw11, uint32_t *result)
{
	struct nvme_sqe sqe;
	struct nvme_cqe cqe = { 0 };
	int sf;

	nvme_sqe_init(&sqe, NVME_ADM_GET_FEAT);
	sqe.cdw10 = htole32(fid | sel << 8);
	sqe.cdw11 = htole32(cdw11);
	sf = nvme_admin(d, &sqe, &cqe);
	if (result)
		*result = cqe.result;
	return sf;
}

int nvme_set_feat(struct nvme_dev *d, uint32_t cdw10, uint32_t cdw11,
		  uint32_t *result)
{
	struct nvme_sqe sqe;
	struct nvme_cqe cqe = { 0 };
	int sf;

	nvme_sqe_init(&sqe, NVME_ADM_SET_FEAT);
	sqe.cdw10 = htole32(cdw10);
	sqe.cdw11 = htole32(cdw11);
	sf = nvme_admin(d, &sqe, &cqe);
	if (result)
		*result = cqe.result;
	return sf;
}

int nvme_create_cq(struct nvme_dev *d, uint16_t qid, uint32_t entries,
		   uint64_t iova, uint16_t vector, bool ien, bool pc)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_CREATE_CQ);
	sqe.prp1 = htole64(iova);
	sqe.cdw10 = htole32(((entries - 1) & 0xffff) << 16 | qid);
	sqe.cdw11 = htole32((uint32_t)vector << 16 | (ien ? 2 : 0) |
			    (pc ? 1 : 0));
	return nvme_admin(d, &sqe, NULL);
}

int nvme_create_sq(struct nvme_dev *d, uint16_t qid, uint32_t entries,
		   uint64_t iova, uint16_t cqid, bool pc)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_CREATE_SQ);
	sqe.prp1 = htole64(iova);
	sqe.cdw10 = htole32(((entries - 1) & 0xffff) << 16 | qid);
	sqe.cdw11 = htole32((uint32_t)cqid << 16 | (pc ? 1 : 0));
	return nvme_admin(d, &sqe, NULL);
}

int nvme_delete_q(struct nvme_dev *d, uint8_t opcode, uint16_t qid)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, opcode);
	sqe.cdw10 = htole32(qid);
	return nvme_admin(d, &sqe, NULL);
}

int nvme_efd_count(int fd)
{
	uint64_t v;

	if (fd < 0)
		return -1;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : -1;
	return (int)v;
}

int nvme_connect_eventfds(struct nvme_dev *d)
{
	int32_t fds[MAX_VECTORS];
	unsigned int i, n = d->qpairs + 1;

	if (n > MAX_VECTORS)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		if (d->efd[i] < 0)
			d->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->efd[i] < 0)
			return -errno;
		fds[i] = d->efd[i];
	}
	d->nr_vectors = n;
	return vfio_user_set_irq_eventfds(&d->vu, VFIO_PCI_MSIX_IRQ_INDEX, 0,
					  n, fds);
}

void nvme_drain_eventfds(struct nvme_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vectors; i++)
		nvme_efd_count(d->efd[i]);
}
