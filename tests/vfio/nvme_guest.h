/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small guest-side NVMe driver working on a vNVMe opened through VFIO:
 * config space and BAR0 through the region file offsets, guest memory
 * through VFIO_IOMMU_MAP_DMA, the admin queue pair in that memory.
 *
 * The register and command layouts below are written from the NVM Express
 * Base Specification 1.4 and the PCI specifications on purpose, rather
 * than taken from the module's core headers: the test must catch a wrong
 * constant in the core, not share it.
 */
#ifndef MNV_TEST_NVME_GUEST_H
#define MNV_TEST_NVME_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_user.h"

/* Controller registers (NVMe 1.4 section 3.1) */
#define NVME_REG_CAP		0x00
#define NVME_REG_VS		0x08
#define NVME_REG_INTMS		0x0c
#define NVME_REG_CC		0x14
#define NVME_REG_CSTS		0x1c
#define NVME_REG_AQA		0x24
#define NVME_REG_ASQ		0x28
#define NVME_REG_ACQ		0x30
#define NVME_REG_DB		0x1000

#define NVME_CAP_MQES(cap)	((uint32_t)((cap) & 0xffff))
#define NVME_CAP_CQR(cap)	((uint32_t)(((cap) >> 16) & 1))
#define NVME_CAP_AMS(cap)	((uint32_t)(((cap) >> 17) & 3))
#define NVME_CAP_TO(cap)	((uint32_t)(((cap) >> 24) & 0xff))
#define NVME_CAP_DSTRD(cap)	((uint32_t)(((cap) >> 32) & 0xf))
#define NVME_CAP_NSSRS(cap)	((uint32_t)(((cap) >> 36) & 1))
#define NVME_CAP_CSS(cap)	((uint32_t)(((cap) >> 37) & 0xff))
#define NVME_CAP_MPSMIN(cap)	((uint32_t)(((cap) >> 48) & 0xf))
#define NVME_CAP_MPSMAX(cap)	((uint32_t)(((cap) >> 52) & 0xf))
#define NVME_CAP_CSS_NVM	0x01

#define NVME_CC_EN		(1u << 0)
#define NVME_CC_SHN_NORMAL	(1u << 14)
#define NVME_CC_SHN_MASK	(3u << 14)
#define NVME_CC_IOSQES(n)	((uint32_t)(n) << 16)
#define NVME_CC_IOCQES(n)	((uint32_t)(n) << 20)
/* What a Linux guest writes: NVM command set, 4 KiB pages, 64/16 B entries */
#define NVME_CC_DEFAULT		(NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4))

#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)
#define NVME_CSTS_SHST_MASK	(3u << 2)
#define NVME_CSTS_SHST_DONE	(2u << 2)

/* Admin opcodes (section 5) */
#define NVME_ADM_DELETE_SQ	0x00
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_GET_LOG	0x02
#define NVME_ADM_DELETE_CQ	0x04
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_ABORT		0x08
#define NVME_ADM_SET_FEAT	0x09
#define NVME_ADM_GET_FEAT	0x0a
#define NVME_ADM_AER		0x0c
#define NVME_ADM_DBBUF		0x7c

/* NVM command set opcodes, for the Commands Supported and Effects log */
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02

/*
 * Status Field of a completion without the phase tag (section 4.6.1.2):
 * bits 7:0 Status Code, 10:8 Status Code Type, 13 More, 14 DNR.
 * NVME_SF() builds the SCT/SC pair the tests compare.
 */
#define NVME_SF(sct, sc)	((sct) << 8 | (sc))
#define NVME_SF_CODE(sf)	((sf) & 0x7ff)
#define NVME_SF_SCT(sf)		(((sf) >> 8) & 7)
#define NVME_SF_SC(sf)		((sf) & 0xff)
#define NVME_SF_DNR		(1u << 14)

#define SC_SUCCESS		NVME_SF(0, 0x00)
#define SC_INVALID_OPCODE	NVME_SF(0, 0x01)
#define SC_INVALID_FIELD	NVME_SF(0, 0x02)
#define SC_DATA_XFER_ERROR	NVME_SF(0, 0x04)
#define SC_ABORT_REQUESTED	NVME_SF(0, 0x07)
#define SC_INVALID_NS		NVME_SF(0, 0x0b)
#define SC_CQ_INVALID		NVME_SF(1, 0x00)
#define SC_QID_INVALID		NVME_SF(1, 0x01)
#define SC_QSIZE_INVALID	NVME_SF(1, 0x02)
#define SC_AER_LIMIT		NVME_SF(1, 0x05)
#define SC_VECTOR_INVALID	NVME_SF(1, 0x08)
#define SC_LOG_PAGE_INVALID	NVME_SF(1, 0x09)
#define SC_QUEUE_DELETION	NVME_SF(1, 0x0c)
#define SC_FEAT_NOT_SAVEABLE	NVME_SF(1, 0x0d)

/* Identify CNS values */
#define NVME_CNS_NS		0x00
#define NVME_CNS_CTRL		0x01
#define NVME_CNS_NS_ACTIVE	0x02
#define NVME_CNS_NS_DESC	0x03

/* Identify Controller byte offsets (Figure 247) */
#define ID_CTRL_VID		0
#define ID_CTRL_SSVID		2
#define ID_CTRL_SN		4
#define ID_CTRL_MN		24
#define ID_CTRL_FR		64
#define ID_CTRL_MDTS		77
#define ID_CTRL_CNTLID		78
#define ID_CTRL_VER		80
#define ID_CTRL_OACS		256
#define OACS_DBBUF		(1u << 8)	/* Doorbell Buffer Config */
#define ID_CTRL_ACL		258
#define ID_CTRL_AERL		259
#define ID_CTRL_FRMW		260
#define ID_CTRL_LPA		261
#define ID_CTRL_ELPE		262
#define ID_CTRL_SQES		512
#define ID_CTRL_CQES		513
#define ID_CTRL_NN		516
#define ID_CTRL_VWC		525
#define ID_CTRL_SUBNQN		768

/* Identify Namespace byte offsets (Figure 249) */
#define ID_NS_NSZE		0
#define ID_NS_NCAP		8
#define ID_NS_NUSE		16
#define ID_NS_NLBAF		25
#define ID_NS_FLBAS		26
#define ID_NS_NGUID		104
#define ID_NS_EUI64		120
#define ID_NS_LBAF0		128

/* Namespace Identification Descriptor types */
#define NIDT_EUI64		1
#define NIDT_NGUID		2
#define NIDT_UUID		3

/* Features */
#define FEAT_ARBITRATION	0x01
#define FEAT_VWC		0x06
#define FEAT_NUM_QUEUES		0x07
#define FEAT_ASYNC_EVENT	0x0b
#define FEAT_SEL_CURRENT	0
#define FEAT_SEL_DEFAULT	1
#define FEAT_SEL_SUPPORTED	3
#define FEAT_SV			(1u << 31)

/* Log pages */
#define LOG_ERROR		0x01
#define LOG_SMART		0x02
#define LOG_FW_SLOT		0x03
#define LOG_CMD_EFFECTS		0x05
#define LOG_RAE			(1u << 15)
#define LOG_ERROR_ENTRY		64

/* Submission queue entry (section 4.2), little endian on the wire */
struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};

/* Completion queue entry (section 4.6) */
struct nvme_cqe {
	uint32_t result;
	uint32_t dw1;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* bit 0 phase tag, 15:1 Status Field */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");

/*
 * Guest memory: GMEM_SIZE bytes at IOVA GMEM_IOVA, in two VFIO mappings:
 * the last G_SPARE_SIZE bytes, from G_SPARE, are a mapping of their own
 * that a test may unmap and map again (d->mem stays valid throughout).
 * The offsets below are from GMEM_IOVA.  GMEM_HOLE is an IOVA that is
 * never mapped, for the "device reaches unmapped memory" checks.
 */
#define GMEM_IOVA		0x10000000ULL
#define GMEM_SIZE		0x400000ULL
#define GMEM_HOLE		0x40000000ULL
#define G_ASQ			0x000000
#define G_ACQ			0x001000
#define G_DATA			0x010000	/* 16 pages of buffers */
#define G_LIST			0x020000	/* PRP list pages */
#define G_DATA2			0x030000	/* 16 more pages */
#define G_BIG			0x100000	/* 1 MiB for large transfers */
#define G_IOCQ1			0x200000	/* up to 64 KiB each */
#define G_IOCQ2			0x210000
#define G_IOSQ1			0x240000	/* up to 256 KiB each */
#define G_IOSQ2			0x280000
#define G_SPARE			0x3f0000	/* 16 pages, mapped apart */
#define G_SPARE_SIZE		(GMEM_SIZE - G_SPARE)
#define G_PAGE			4096u

/* Admin queue depth used by the tests (AQA ASQS = ACQS = depth - 1) */
#define AQ_DEPTH		32

#define MAX_VECTORS		65

struct nvme_dev {
	struct vfio_user vu;
	bool opened;
	const char *uuid;
	uint8_t uuid_bin[16];
	unsigned int qpairs;	/* sysfs queue_pairs */
	uint64_t lba_count;	/* sysfs lba_count, read after open */

	uint8_t *mem;		/* host view of guest memory at GMEM_IOVA */

	/* capability offsets found in config space, 0 if missing */
	uint8_t cap_pm;
	uint8_t cap_msix;
	uint8_t cap_exp;

	/* admin queue as the guest driver tracks it */
	uint64_t asq_iova;
	uint64_t acq_iova;
	uint16_t sq_tail;
	uint16_t cq_head;
	uint8_t phase;
	uint16_t next_cid;

	/*
	 * Shadow doorbells (Doorbell Buffer Config) of the I/O queues: when
	 * set, nvme_io.c writes doorbells there and rings the MMIO doorbell
	 * only when the event index asks for it, as Linux does.
	 */
	volatile uint32_t *shadow_db;
	volatile uint32_t *event_idx;
	unsigned long db_rung;		/* I/O doorbells written to MMIO */
	uint32_t db_stride;		/* from CAP.DSTRD, read once; 0 before */
	unsigned long db_skipped;	/* and left to the shadow page alone */

	/*
	 * The doorbell page of BAR0 mapped from the device (zero-exit
	 * doorbells): when set, bar_wr32() stores doorbells there instead of
	 * writing the region file.
	 */
	volatile uint32_t *db_map;

	/* MSI-X eventfds, one per vector, -1 if none */
	int efd[MAX_VECTORS];
	unsigned int nr_vectors;
	/*
	 * Never write the MSI-X capability: MSI-X is enabled by
	 * VFIO_DEVICE_SET_IRQS alone, as cloud-hypervisor, crosvm and
	 * userspace drivers do.  Set after nvme_dev_open().
	 */
	bool msix_set_irqs_only;
};

/* Open UUID, read its sysfs attributes and map guest memory; 0 or -errno */
int nvme_dev_open(struct nvme_dev *d, const char *uuid);
/*
 * Open the controller at PCI address @bdf, bound to vfio-pci, and map
 * guest memory; qpairs and lba_count stay 0 (the caller asks the
 * controller).  0 or -errno.
 */
int nvme_dev_open_pci(struct nvme_dev *d, const char *bdf);
void nvme_dev_close(struct nvme_dev *d);

static inline uint64_t giova(uint64_t off)
{
	return GMEM_IOVA + off;
}

static inline void *gptr(struct nvme_dev *d, uint64_t off)
{
	return d->mem + off;
}

/* Region accesses; return 0 or -errno (a short access is -EIO). */
int cfg_read(struct nvme_dev *d, uint32_t off, void *buf, size_t len);
int cfg_write(struct nvme_dev *d, uint32_t off, const void *buf, size_t len);
uint32_t cfg_rd(struct nvme_dev *d, uint32_t off, size_t len);
void cfg_wr(struct nvme_dev *d, uint32_t off, uint32_t val, size_t len);
uint32_t bar_rd32(struct nvme_dev *d, uint32_t off);
uint64_t bar_rd64(struct nvme_dev *d, uint32_t off);
void bar_wr32(struct nvme_dev *d, uint32_t off, uint32_t val);
void bar_wr64(struct nvme_dev *d, uint32_t off, uint64_t val);

/*
 * Memory and bus master enable; MSI-X enabled and unmasked in the
 * capability, unless @d->msix_set_irqs_only
 */
void nvme_pci_setup(struct nvme_dev *d);

/*
 * Program AQA/ASQ/ACQ with @asq/@acq, write CC = @cc | EN and wait up to
 * CAP.TO for CSTS.RDY or CSTS.CFS.  Returns the final CSTS, or ~0 on a
 * region access failure.
 */
uint32_t nvme_enable_at(struct nvme_dev *d, uint64_t asq, uint64_t acq,
			uint32_t cc);
/* The usual enable: queues in mapped memory, NVME_CC_DEFAULT */
uint32_t nvme_enable(struct nvme_dev *d);
/* CC.EN = 0 and wait for CSTS.RDY to clear; returns the final CSTS */
uint32_t nvme_disable(struct nvme_dev *d);
/* Wait until (CSTS & @mask) == @want, up to @ms; returns the final CSTS */
uint32_t nvme_wait_csts(struct nvme_dev *d, uint32_t mask, uint32_t want,
			unsigned int ms);
bool nvme_ready(struct nvme_dev *d);

/* Fill a command with @opcode and zeroes */
void nvme_sqe_init(struct nvme_sqe *sqe, uint8_t opcode);
/* Place @sqe (its cid is assigned here) and ring the SQ tail doorbell */
uint16_t nvme_submit(struct nvme_dev *d, struct nvme_sqe *sqe);
/* Status word (with phase tag) of admin CQ entry @slot, as last written */
uint16_t nvme_cq_status(struct nvme_dev *d, unsigned int slot);
/* Wait up to @ms for the next CQE; consume it and ring the CQ doorbell */
bool nvme_reap(struct nvme_dev *d, struct nvme_cqe *cqe, unsigned int ms);
/*
 * Submit, wait for the completion and check it belongs to the command.
 * Returns the Status Field (phase tag removed) or -1 when no matching
 * completion came; @cqe (may be NULL) receives the entry.
 */
int nvme_admin(struct nvme_dev *d, struct nvme_sqe *sqe,
	       struct nvme_cqe *cqe);

/* Common commands; data buffers are IOVAs, PRP2 only when page crossing */
int nvme_identify(struct nvme_dev *d, uint8_t cns, uint32_t nsid,
		  uint64_t prp1, uint64_t prp2);
int nvme_get_log(struct nvme_dev *d, uint8_t lid, uint32_t nsid,
		 uint64_t lpo, uint32_t len, bool rae, uint64_t prp1,
		 uint64_t prp2);
int nvme_get_feat(struct nvme_dev *d, uint8_t fid, uint32_t sel,
		  uint32_t cdw11, uint32_t *result);
int nvme_set_feat(struct nvme_dev *d, uint32_t cdw10, uint32_t cdw11,
		  uint32_t *result);
int nvme_create_cq(struct nvme_dev *d, uint16_t qid, uint32_t entries,
		   uint64_t iova, uint16_t vector, bool ien, bool pc);
int nvme_create_sq(struct nvme_dev *d, uint16_t qid, uint32_t entries,
		   uint64_t iova, uint16_t cqid, bool pc);
int nvme_delete_q(struct nvme_dev *d, uint8_t opcode, uint16_t qid);

/* Signals counted on eventfd @fd since the last call; -1 on error */
int nvme_efd_count(int fd);
/*
 * One eventfd per MSI-X vector (admin + queue pairs), connected with
 * VFIO_DEVICE_SET_IRQS; 0 or -errno.
 */
int nvme_connect_eventfds(struct nvme_dev *d);
/* Forget the signals counted so far on every vector */
void nvme_drain_eventfds(struct nvme_dev *d);

/* Little-endian field readers for Identify and log page data */
static inline uint16_t get16(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t get32(const void *p, size_t off)
{
	return get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static inline uint64_t get64(const void *p, size_t off)
{
	return get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

#endif /* MNV_TEST_NVME_GUEST_H */
