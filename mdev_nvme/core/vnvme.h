/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vNVMe: software model of one NVMe PCIe function ("virtual controller").
 *
 * The core emulates the PCI configuration space, the BAR0 register file
 * (controller registers, doorbells, MSI-X table and PBA) and the whole admin
 * queue, and checks the guest's I/O commands for the I/O path
 * (vnvme_io_check()).  It never touches hardware: guest memory, interrupts
 * and the I/O queues are reached through struct vnvme_env_ops, which the
 * mdev glue provides.  The same sources build in the kernel and in
 * userspace (unit tests, fuzzers); see vnvme_types.h.
 *
 * LOCKING: the core has no locks and is not reentrant.  The caller must
 * serialise every call made on one struct vnvme_ctrl (typically one mutex
 * per instance), including those made for the I/O path, such as
 * vnvme_io_check(), vnvme_irq_raise() and vnvme_stats_add().  The env ops
 * are called with that lock held; they must not call back into the core
 * for the same controller.  Different controllers share no state.  Calls may sleep only if the env
 * ops sleep: the core itself never sleeps, allocates or blocks.
 */
#ifndef VNVME_H
#define VNVME_H

#include "vnvme_types.h"
#include "nvme_spec.h"

/* Limits */
#define VNVME_MAX_IOQ		64	/* I/O queue pairs per controller */
#define VNVME_MAX_VECTORS	(VNVME_MAX_IOQ + 1)
#define VNVME_MAX_QUEUE_ENTRIES	4096	/* upper bound of CAP.MQES + 1 */
#define VNVME_DEF_QUEUE_ENTRIES	1024

/* PCI configuration space: only the first 256 bytes hold registers. */
#define VNVME_CFG_SIZE		4096

/*
 * BAR0 layout (16 KiB): controller registers at 0, doorbells at 0x1000
 * (CAP.DSTRD = 0), MSI-X table at 0x2000, MSI-X PBA at 0x3000.
 */
#define VNVME_BAR0_SIZE		0x4000
#define VNVME_BAR0_DB_OFF	0x1000
#define VNVME_BAR0_MSIX_TABLE	0x2000
#define VNVME_BAR0_MSIX_PBA	0x3000

/*
 * Pure helpers over plain values, for the core and the I/O path alike:
 * they act on no controller (tests/scripts/layering.t lets anyone use
 * them).
 *
 * Guest accesses to 32-bit registers, whatever their length and offset,
 * are handled one dword at a time: the piece of the access that falls in
 * the naturally aligned dword holding byte @off, little endian.
 */

/*
 * Bytes of an access of @len bytes from @off that fall in @off's dword.
 * The three helpers below take such a piece: @n at most
 * vnvme_dword_piece(@off, ...), or their shifts pass the dword's end.
 */
static inline u32 vnvme_dword_piece(u64 off, u32 len)
{
	u32 room = 4 - (off & 3);

	return len < room ? len : room;
}

/* The bits of @off's dword a piece of @n bytes from @off covers */
static inline u32 vnvme_dword_mask(u64 off, u32 n)
{
	return (u32)(BIT_ULL(8 * n) - 1) << (8 * (off & 3));
}

/* @old with the piece of @n bytes at @src written into it at @off */
static inline u32 vnvme_dword_merge(u32 old, u64 off, const u8 *src, u32 n)
{
	u32 val = 0, i;

	for (i = 0; i < n; i++)
		val |= (u32)src[i] << (8 * ((off & 3) + i));
	return (old & ~vnvme_dword_mask(off, n)) | val;
}

/* The piece of @n bytes at @off of dword @val, into @dst */
static inline void vnvme_dword_extract(u32 val, u64 off, u8 *dst, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		dst[i] = val >> (8 * ((off & 3) + i));
}

/*
 * May the guest write @head to the head doorbell of a CQ of @size
 * entries whose head is @old_head and whose next entry to post is @tail
 * (both below @size)?  The head may only move over entries posted and
 * not consumed yet; a value of @old_head (nothing consumed) or @tail
 * (everything) is fine.  Otherwise the write is an Invalid Doorbell
 * Write Value (section 4.1): taking it would let the CQ look emptier
 * than it is.
 */
static inline bool vnvme_cq_head_ok(u32 head, u32 old_head, u32 tail,
				    u32 size)
{
	if (head >= size)
		return false;
	return (head + size - old_head) % size <=
	       (tail + size - old_head) % size;
}

/*
 * Default PCI IDs.  The vendor is Red Hat's (used by QEMU and virtio for
 * paravirtual devices) with a device ID outside the virtio range; the pair
 * matches no entry of nvme_id_table in drivers/nvme/host/pci.c, so a Linux
 * guest binds through the class code and applies no quirks.  It is a
 * development default: a product should pass IDs it owns in vnvme_params.
 */
#define VNVME_DEF_VENDOR_ID	0x1af4
#define VNVME_DEF_DEVICE_ID	0x10f0
#define VNVME_DEF_SUBSYS_VENDOR_ID VNVME_DEF_VENDOR_ID
#define VNVME_DEF_SUBSYS_ID	0x0001

/* Admin-visible limits, reported in Identify Controller */
#define VNVME_ACL		3	/* Abort Command Limit, 0's based */
#define VNVME_AERL		3	/* Async Event Request Limit, 0's based */
#define VNVME_NR_ERR_LOG	64	/* Error log entries (ELPE + 1) */
#define VNVME_NR_EVENTS		8	/* queued, not yet reported events */

/**
 * struct vnvme_env_ops - how the core reaches the world outside it
 *
 * @env is the opaque pointer given to vnvme_init().  All callbacks run with
 * the caller's per-controller lock held (see LOCKING above).  @dma_read,
 * @dma_write and @irq_raise are mandatory; the I/O queue hooks may be NULL,
 * in which case queue creation succeeds and the core only tracks the queue.
 *
 * @dma_read:     copy @len bytes of guest memory at @iova into @buf;
 *                0 or -errno (the address is then treated as unreachable).
 * @io_read:      the same, for the I/O command check (vnvme_io_check()),
 *                which reads guest PRP lists and Dataset Management
 *                ranges once per command: the environment may reach them
 *                by a faster way than the admin commands' @dma_read.  A
 *                failure is the guest's, as with @dma_read.  May be NULL:
 *                @dma_read then.
 * @dma_write:    copy @buf to guest memory at @iova; 0 or -errno.
 * @irq_raise:    signal MSI-X vector @vector to the guest.  The core has
 *                already found that the vector may fire (vnvme_irq_raise()).
 * @io_cq_create: an I/O CQ was created: @qsize entries of 16 bytes,
 *                physically contiguous at @iova; interrupts on @vector if
 *                @ien.  Returns an NVMe status (0 = success), which is
 *                passed to the guest on failure.
 * @io_sq_create: an I/O SQ was created: @qsize entries of 64 bytes at
 *                @iova, completing to @cqid.  NVMe status as above.
 * @io_sq_delete: delete SQ @qid.  The I/O path must finish or abort
 *                (status Aborted due to SQ Deletion) its commands first.
 * @io_cq_delete: delete CQ @qid; no SQ uses it any more.
 * @io_doorbell:  the guest wrote @value to the SQ tail (@is_cq false) or
 *                CQ head (@is_cq true) doorbell of existing I/O queue
 *                @qid; @value is below the queue size.  Returns false if
 *                the value is invalid for what only the I/O path knows (a
 *                CQ head beyond the entries it posted): the core then
 *                reports an Invalid Doorbell Write Value event.
 * @dbbuf_config: the guest set up Doorbell Buffer Config: its shadow
 *                doorbell page is at @db_iova, its EventIdx page at
 *                @ei_iova (both page aligned), for the I/O queues, until
 *                the next @reset (the same as vnvme_dbbuf_get(), told at
 *                the moment it changes).  May be NULL.
 * @reset:        controller reset, disable, shutdown or FLR.  The I/O path
 *                must quiesce, flush a volatile write cache it owns, and
 *                forget every I/O queue and the Doorbell Buffer Config: no
 *                io_*_delete calls follow.  After a shutdown, which
 *                keeps the configuration, vnvme_dbbuf_get() still tells
 *                it.
 */
struct vnvme_env_ops {
	int (*dma_read)(void *env, u64 iova, void *buf, u32 len);
	int (*io_read)(void *env, u64 iova, void *buf, u32 len);
	int (*dma_write)(void *env, u64 iova, const void *buf, u32 len);
	void (*irq_raise)(void *env, u16 vector);
	u16 (*io_cq_create)(void *env, u16 qid, u64 iova, u16 qsize,
			    u16 vector, bool ien);
	u16 (*io_sq_create)(void *env, u16 qid, u64 iova, u16 qsize, u16 cqid);
	void (*io_sq_delete)(void *env, u16 qid);
	void (*io_cq_delete)(void *env, u16 qid);
	bool (*io_doorbell)(void *env, u16 qid, bool is_cq, u32 value);
	void (*dbbuf_config)(void *env, u64 db_iova, u64 ei_iova);
	void (*reset)(void *env);
};

/**
 * struct vnvme_params - fixed properties of one controller
 * @serial:	Serial Number, 1..20 printable ASCII characters
 * @model:	Model Number, 1..40 printable ASCII characters
 * @firmware:	Firmware Revision, 1..8 printable ASCII characters
 * @nr_ioq:	I/O queue pairs, 1..VNVME_MAX_IOQ; MSI-X vectors = nr_ioq + 1
 * @nsze:	size of namespace 1 in logical blocks (the slice of the physical namespace)
 * @lba_shift:	log2 of the logical block size, 9..16
 * @dlfeat:	Deallocate Logical Block Features of the backing namespace
 *		(bits 2:0 what a deallocated block reads as, bit 3 Write
 *		Zeroes may deallocate); other bits are dropped
 * @mdts:	Maximum Data Transfer Size as 2^mdts 4 KiB pages, 0 = no limit
 * @wzsl:	Write Zeroes Size Limit of the backing controller as 2^wzsl
 *		4 KiB pages, 0 = none; the guest's limit is the smaller of
 *		this and its MDTS
 * @dmrl:	Dataset Management ranges one command of the backing
 *		controller takes, 0 = VNVME_DSM_MAX_RANGES
 * @dmrsl:	logical blocks one such range may cover, 0 = no limit
 * @dmsl:	logical blocks one such command may cover, 0 = no limit
 * @vwc:	a volatile write cache is present (Feature 06h supported)
 * @oncs:	optional NVM commands the I/O path implements, VNVME_ONCS_*
 *		bits Compare, Write Uncorrectable, DSM, Write Zeroes, Verify
 * @max_queue_entries: largest I/O queue the guest may create, 2..4096;
 *		0 selects VNVME_DEF_QUEUE_ENTRIES (CAP.MQES = value - 1)
 * @uuid:	instance UUID, must not be all zeroes; NGUID, EUI-64, UUID
 *		descriptor and the subsystem NQN are derived from it
 * @vendor_id, @device_id, @subsys_vendor_id, @subsys_id: PCI IDs, 0 = the
 *		VNVME_DEF_* default; @vendor_id and @subsys_vendor_id also
 *		appear in Identify Controller (VID, SSVID)
 * @revision:	PCI revision ID
 * @dbbuf:	the I/O path reads shadow doorbells: Doorbell Buffer Config
 *		is offered (OACS bit 8).  A guest told so stops ringing the
 *		MMIO doorbells of its I/O queues, so only set it when the
 *		I/O path honours ops->dbbuf_config or vnvme_dbbuf_get().
 * @msix_vfio:	MSI-X follows VFIO's contract for a vfio-pci device: the
 *		VMM emulates the capability, table and PBA for its guest
 *		and makes a vector live by wiring an eventfd to it
 *		(VFIO_DEVICE_SET_IRQS), which it reports with
 *		vnvme_msix_wire().  A vector then fires when it is wired
 *		and bus mastering is on, whatever the capability's Enable
 *		and Function Mask bits and the table's Mask bits say (see
 *		msix.c).  Clear: the core's capability and table decide,
 *		as on a bare PCI function.
 */
struct vnvme_params {
	const char *serial;
	const char *model;
	const char *firmware;
	u16 nr_ioq;
	u64 nsze;
	u8 lba_shift;
	u8 dlfeat;
	u8 mdts;
	u8 wzsl;
	u8 dmrl;
	u32 dmrsl;
	u64 dmsl;
	bool vwc;
	u16 oncs;
	u16 max_queue_entries;
	u8 uuid[16];
	u16 vendor_id;
	u16 device_id;
	u16 subsys_vendor_id;
	u16 subsys_id;
	u8 revision;
	bool dbbuf;
	bool msix_vfio;
};

/* Internal state; callers treat everything below as opaque. */

/*
 * A guest I/O queue as the admin commands and registers see it: whether
 * it exists, its size (doorbell values are checked against it) and which
 * SQs complete to which CQ (a CQ with SQs cannot be deleted).  Where its
 * ring lives, its vector and its interrupt enable are the I/O path's,
 * handed over by ops->io_sq_create and ops->io_cq_create: the core never
 * touches an I/O ring.
 */
struct vnvme_sq {
	u16 size;		/* entries */
	u16 cqid;
	bool valid;
};

struct vnvme_cq {
	u16 size;		/* entries */
	u16 nr_sqs;		/* SQs completing here */
	bool valid;
};

/* The emulated admin queue pair, latched from AQA/ASQ/ACQ at CC.EN */
struct vnvme_admin_queue {
	u64 sq_iova;
	u64 cq_iova;
	u16 sq_size;
	u16 cq_size;
	u16 sq_head;
	u16 sq_tail;		/* last valid doorbell value */
	u16 cq_head;		/* last valid doorbell value */
	u16 cq_tail;
	u8 phase;
	bool irq_needed;	/* a CQE was posted since the last irq */
};

struct vnvme_features {
	u32 arbitration;
	u32 power_mgmt;
	u16 temp_over;		/* Kelvin */
	u16 temp_under;
	u32 err_recovery;
	bool vwc_enabled;
	bool nr_queues_set;
	u32 irq_coalesce;
	u32 write_atomic;
	u32 async_event_cfg;
	u64 irq_cd[2];		/* Coalescing Disable bit per vector */
};

struct vnvme_event {
	u8 type;
	u8 info;
	u8 lid;
};

struct vnvme_err_entry {
	u64 count;
	u16 sqid;
	u16 cid;
	u16 status;		/* Status Field << 1 | phase tag */
	u16 param_loc;
	u32 nsid;
};

struct vnvme_ctrl {
	const struct vnvme_env_ops *ops;
	void *env;
	/* How the I/O command check reads guest memory: ops->io_read or dma_read */
	int (*io_read)(void *env, u64 iova, void *buf, u32 len);

	/* fixed at vnvme_init() */
	char sn[20];
	char mn[40];
	char fr[8];
	u8 uuid[16];
	u64 nsze;
	u16 nr_ioq;
	u16 nr_vectors;
	u16 max_qentries;
	u16 oncs;
	u16 vid;
	u16 did;
	u16 ssvid;
	u16 ssid;
	u8 rev;
	u8 lba_shift;
	u8 dlfeat;
	u8 mdts;
	u8 wzsl;
	u8 dmrl;
	u32 dmrsl;
	u64 dmsl;
	bool vwc;
	bool dbbuf;
	bool msix_vfio;

	/* PCI configuration space: contents, writable and W1C bits */
	u8 cfg[256];
	u8 cfg_wmask[256];
	u8 cfg_w1c[256];

	/* MSI-X table (4 dwords per vector) and Pending Bit Array */
	u32 msix_table[VNVME_MAX_VECTORS][4];
	u64 msix_pba[2];
	/* @msix_vfio: vectors with an eventfd wired, see vnvme_msix_wire() */
	u64 msix_wired[2];

	/* controller registers */
	u64 cap;
	u32 cc;
	u32 csts;
	u32 intms;
	u32 aqa;
	u64 asq;
	u64 acq;
	u32 db_last[2 * (VNVME_MAX_IOQ + 1)];	/* for partial writes */

	struct vnvme_admin_queue aq;
	struct vnvme_sq sq[VNVME_MAX_IOQ + 1];	/* index 0 unused */
	struct vnvme_cq cq[VNVME_MAX_IOQ + 1];
	u16 nr_live_queues;

	bool dbbuf_valid;
	u64 dbbuf_db_iova;
	u64 dbbuf_ei_iova;

	struct vnvme_features feat;

	/* Asynchronous events */
	u16 aer_cid[VNVME_AERL + 1];
	u8 nr_aer;
	struct vnvme_event events[VNVME_NR_EVENTS];
	u8 nr_events;
	u8 aen_masked;		/* BIT(type): reported, log not read yet */

	/* logs and statistics */
	struct vnvme_err_entry err_log[VNVME_NR_ERR_LOG];
	u64 err_count;
	u64 units_read;		/* 512-byte units */
	u64 units_written;
	u64 read_cmds;		/* SMART Host Read Commands */
	u64 write_cmds;		/* SMART Host Write Commands */
	u64 power_cycles;
	u8 crit_warning;
	bool ns_changed;

	/* 4 KiB staging buffer for Identify and log page data */
	u8 scratch[4096] __aligned(8);
	/* Entries of the guest PRP list page being walked (prp.c) */
	__le64 prp_list[512];
};

/**
 * vnvme_init() - set up a controller in its power-on state
 * @c:      caller-allocated controller (about 14 KiB; kzalloc is fine)
 * @p:      parameters; strings are copied, @p may be freed afterwards
 * @ops:    environment callbacks, must outlive @c
 * @env:    opaque pointer passed to every callback
 *
 * Return: 0, or -EINVAL if a parameter is out of range.
 */
int vnvme_init(struct vnvme_ctrl *c, const struct vnvme_params *p,
	       const struct vnvme_env_ops *ops, void *env);

/*
 * Guest accesses.  @buf holds the bytes as they appear in the region
 * (little endian).  Accesses of 1, 2, 4 or 8 bytes at any offset inside
 * the region are accepted; anything else returns -EINVAL and touches
 * nothing.  Reads of unimplemented locations return zeroes, writes to
 * them are ignored.
 */
int vnvme_cfg_read(struct vnvme_ctrl *c, u32 off, void *buf, u32 len);
int vnvme_cfg_write(struct vnvme_ctrl *c, u32 off, const void *buf, u32 len);
int vnvme_bar0_read(struct vnvme_ctrl *c, u64 off, void *buf, u32 len);
int vnvme_bar0_write(struct vnvme_ctrl *c, u64 off, const void *buf, u32 len);

/*
 * Consume admin commands up to the admin SQ tail doorbell, post their
 * completions and raise vector 0.  BAR0 writes never execute commands
 * themselves: call this after every vnvme_bar0_write() and
 * vnvme_cfg_write() (directly or from a work item); vnvme_admin_pending()
 * tells whether there is work, which needs Bus Master Enable and room in
 * the admin CQ: commands a full CQ holds back are no work until the
 * guest's CQ head doorbell.
 */
void vnvme_process_admin(struct vnvme_ctrl *c);
bool vnvme_admin_pending(const struct vnvme_ctrl *c);

/* Function Level Reset: controller reset plus config space and MSI-X. */
void vnvme_flr(struct vnvme_ctrl *c);

/* For the I/O path */

/*
 * Would a whole-dword write of @val to the tail (@is_cq false) or head
 * doorbell of I/O queue @qid be taken without an error event, so without
 * touching guest memory (an Asynchronous Event Request completed)?  It
 * is, if the queue exists and @val is below its size, or if the
 * controller's doorbells are dead (not enabled, failed, shut down): then
 * the write is ignored.  An admin doorbell (@qid 0) is never such a
 * write: its commands and events run on the write.  The io_doorbell env
 * op may still refuse a CQ head (Invalid Doorbell Write Value), which
 * the environment judges itself.  Reads the controller only.
 */
bool vnvme_io_doorbell_ok(const struct vnvme_ctrl *c, u16 qid, bool is_cq,
			  u32 val);

/* CC.EN = 1 and CSTS.RDY = 1, not failed, not shut down */
bool vnvme_ctrl_ready(const struct vnvme_ctrl *c);

/* Bus Master Enable: without it the function touches no guest memory. */
bool vnvme_cfg_bus_master(const struct vnvme_ctrl *c);

/*
 * Signal MSI-X vector @vector now, or set its pending bit until it may
 * fire: bus mastering on and, with @msix_vfio, an eventfd wired to the
 * vector; without, MSI-X enabled and the function and the vector
 * unmasked.  An out-of-range vector is ignored.
 */
void vnvme_irq_raise(struct vnvme_ctrl *c, u16 vector);

/*
 * With @msix_vfio: the VMM wired (@wired) or took away the eventfd of
 * MSI-X @vector through VFIO_DEVICE_SET_IRQS.  Wiring it delivers what
 * the vector held pending meanwhile.  Ignored without @msix_vfio and for
 * an out-of-range vector.
 */
void vnvme_msix_wire(struct vnvme_ctrl *c, u16 vector, bool wired);

/* Account completed I/O commands for the SMART / Health log. */
void vnvme_stats_add(struct vnvme_ctrl *c, bool is_write, u32 nr_cmds,
		     u64 bytes);

/*
 * Doorbell Buffer Config (admin opcode 7Ch): shadow doorbell and EventIdx
 * page addresses set by the guest, valid until the next controller reset.
 * Return: false if the guest has not configured them.
 */
bool vnvme_dbbuf_get(const struct vnvme_ctrl *c, u64 *db_iova, u64 *ei_iova);

/*
 * Interrupt Coalescing (Feature 08h) as it applies to MSI-X @vector: an
 * interrupt is due once @threshold completions are pending, or @time_us
 * after the first of them.  Return: false if the vector is not coalesced
 * (the admin vector, Coalescing Disable set in Feature 09h, a threshold
 * of one entry or an aggregation time of 0), in which case every
 * completion interrupts.
 */
bool vnvme_irq_coalescing(const struct vnvme_ctrl *c, u16 vector,
			  u32 *threshold, u32 *time_us);

/* Volatile Write Cache Enable (Feature 06h); false if no cache present */
bool vnvme_vwc_enabled(const struct vnvme_ctrl *c);

/*
 * The I/O command check (io_check.c).  Largest data transfer of an I/O
 * command: 2^VNVME_IO_MDTS_MAX pages of 4 KiB (1 MiB), whatever @mdts in
 * struct vnvme_params says.  With an offset in PRP1 it spans one page more.
 */
#define VNVME_IO_MDTS_MAX	8
#define VNVME_IO_MAX_PAGES	((1U << VNVME_IO_MDTS_MAX) + 1)

/*
 * Where namespace 1 lives on the host, fixed while the I/O path runs; the
 * host namespace holds all of it (@lba_start + nsze does not wrap).
 */
struct vnvme_io_slice {
	u64 lba_start;		/* first host LBA of the slice */
	u32 host_nsid;
};

/* What the environment must do with the guest pages of a command */
enum vnvme_io_dir {
	VNVME_IO_DIR_NONE,		/* no guest data pages */
	VNVME_IO_DIR_TO_DEVICE,		/* Write: the controller reads them */
	VNVME_IO_DIR_FROM_DEVICE,	/* Read: the controller writes them */
};

/**
 * struct vnvme_io_cmd - a guest I/O command, checked and rebuilt
 * @buf:	set by the caller before vnvme_io_check(): VNVME_PAGE_SIZE
 *		bytes, 8-byte aligned, the check's output area.  On success
 *		it holds, for a Read or Write, the @nr_pages guest page
 *		addresses of the data (u64, page aligned, in transfer order)
 *		and, for Dataset Management, the ranges the controller must
 *		read (struct vnvme_dsm_range, already moved into the slice)
 * @sqe:	the command for the hardware, built from scratch: opcode,
 *		host NSID, SLBA moved into the slice and the fields known to
 *		be harmless.  Command id, PRP1 and PRP2 are left 0 for the
 *		environment to fill: PRP1 points at the first data page plus
 *		@data_off, PRP2 at the second page or at a PRP list of the
 *		others; for Dataset Management, PRP1 points at the ranges.
 * @dir:	enum vnvme_io_dir of the data pages
 * @bytes:	data transfer length of a Read or Write, 0 for the others
 * @nr_pages:	guest data pages, 0..VNVME_IO_MAX_PAGES
 * @data_off:	offset of the data in its first page
 */
struct vnvme_io_cmd {
	void *buf;
	struct vnvme_sqe sqe;
	u8 dir;
	u32 bytes;
	u16 nr_pages;
	u16 data_off;
};

/*
 * Check guest I/O command @gsqe (a copy the guest can no longer change)
 * against the controller's namespace, limits and features, and rebuild it
 * for namespace @slice of the host into @cmd.  Guest PRP lists and Dataset
 * Management ranges are read through ops->io_read (ops->dma_read without
 * it); data pages are not read, and the core pins nothing.
 *
 * Return: 0, or the NVMe status (generic command status type, without DNR)
 * to complete the command with; @cmd is then meaningless.
 */
u16 vnvme_io_check(struct vnvme_ctrl *c, const struct vnvme_io_slice *slice,
		   const struct vnvme_sqe *gsqe, struct vnvme_io_cmd *cmd);

/*
 * Resize namespace 1 (the slice changed) and report a Namespace Attribute
 * Changed event to the guest.
 */
void vnvme_set_nsze(struct vnvme_ctrl *c, u64 nsze);

/*
 * Fatal error of this instance found by the I/O path (e.g. an I/O queue
 * in unreachable guest memory): sets CSTS.CFS, stops the admin queue.
 */
void vnvme_fatal(struct vnvme_ctrl *c);

#endif /* VNVME_H */
