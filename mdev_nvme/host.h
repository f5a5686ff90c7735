/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev_nvme host side: the physical NVMe controller the module drives as
 * its PCI driver, its admin queue and its pool of hardware I/O queue pairs.
 */
#ifndef MNV_HOST_H
#define MNV_HOST_H

#include <linux/delay.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <linux/uuid.h>

#include "../include/mdev_nvme.h"
#include "core/nvme_spec.h"

/* Namespaces beyond this count are ignored (and logged). */
#define MNV_MAX_NAMESPACES	32

/*
 * Entries of the module's own admin queue.  Several commands may be in
 * flight (one tenant's slow queue deletion must not hold up another's
 * queue creation); an SQ of N entries holds N - 1 of them, and the
 * command id of each is its index in host->admin_cmds[].
 */
#define MNV_ADMIN_QUEUE_DEPTH	32
#define MNV_ADMIN_MAX_CMDS	(MNV_ADMIN_QUEUE_DEPTH - 1)

struct mnv_namespace {
	u32 nsid;
	u64 lba_count;
	u8 lba_shift;		/* log2 of the LBA data size */
	u8 dlfeat;		/* Deallocate Logical Block Features */
	/* Which namespace it is, all zeroes if not reported (slice.c) */
	u8 nguid[16];
	u8 eui64[8];
};

/*
 * One hardware submission/completion queue pair (host_hwq.c), created on
 * the controller without an interrupt: completions are reaped by polling.
 * Owned by a single user at a time (the admin path, or one instance:
 * struct mnv_io_hq); the owner serialises access to the ring indices.
 *
 * An I/O pair exists on the controller while @live, since the controller
 * reset numbered @epoch: once host->epoch has moved on, the reset deleted
 * it and aborted its commands (mnv_hwq_stale()).
 */
struct mnv_hwq {
	u16 qid;
	u16 depth;
	struct nvme_command *sqes;
	dma_addr_t sq_dma;
	struct nvme_completion *cqes;
	dma_addr_t cq_dma;
	u32 __iomem *sq_doorbell;
	u32 __iomem *cq_doorbell;
	u16 sq_tail;
	u16 cq_head;
	u8 cq_phase;
	bool live;
	u32 epoch;
};

/*
 * The MSI-X vector of one hardware I/O queue (host_irq.c).  @fn and @arg
 * are set by the queue's owner around request_irq() and free_irq(), and
 * read by the interrupt handler in between.
 */
struct mnv_host_irq {
	void (*fn)(void *arg);
	void *arg;
	char name[40];
};

/*
 * An admin command in flight, on the stack of the task that waits for it
 * (host_admin.c).  @done, @ret and @result are written under
 * host->admin_lock, by whichever task takes in the completion or ends the
 * command (reset, failure), and read by the owner under the same lock.
 */
struct mnv_admin_cmd {
	bool done;
	int ret;		/* NVMe status (> 0), 0, or a negative errno */
	u32 result;		/* dword 0 of the completion */
	unsigned long deadline;	/* jiffies: the controller is reset then */
	unsigned long next_check; /* jiffies: next look for a gone device */
};

/* Types in the table of mdev_types.c. */
#define MNV_NR_TYPES		4

/* An mdev type as one controller offers it (mdev_types.c). */
struct mnv_type {
	struct mdev_type mtype;
	unsigned int qpairs;
};

/*
 * LBAs of a namespace that an instance wrote and then gave up (it was
 * removed, or its slice moved): they still hold that tenant's data, so
 * the next instance to get any of them scrubs its slice before it can be
 * opened (scrub.c).  Not the instance that wrote them, @writer, created
 * again with the same UUID: that is the same tenant's device (mdevctl
 * stop and start, libvirt's nodedev-destroy and nodedev-start), and its
 * data is what it expects to find.  On host->dirty, disjoint, under
 * host->lock.
 */
struct mnv_extent {
	struct list_head node;
	u32 nsid;
	u64 lba_start;
	u64 lba_count;
	guid_t writer;		/* UUID of the instance that wrote them, or
				 * null: tenants no instance may be (slice.c)
				 */
};

/*
 * struct mnv_host - one physical controller bound to mdev_nvme.
 *
 * LOCKING (their order with each other and with an instance's lock:
 * "Lock order" at struct mnv_io, io.h):
 *  - @lock protects @qid_used, @nr_free_qpairs, @instances and the slice,
 *    scrub and open state of every instance on the list, so that slice
 *    overlap checks see a stable picture; and the slice policy
 *    @default_slice_bytes, @scrub and the record of @dirty LBAs.
 *  - @admin_lock protects the hardware admin queue (@adminq and the
 *    commands in flight on it, @admin_cmds) and the state of the
 *    controller (@dead, @epoch, @resetting, @nr_resets).  It is held to
 *    submit a command and to take in completions, not while a command
 *    runs, so that a slow command (a queue deletion on a busy drive)
 *    holds up no other; a reset holds it throughout.  It also protects
 *    @frozen, @frozen_until and @gone_since.  @dead and @epoch
 *    are also read without it (READ_ONCE()) by the I/O path, which acts
 *    on a change later; so is @resetting, under rcu_read_lock() (see
 *    mnv_host_ring_sq()).
 *  - @irqs[qid] belongs to the owner of queue @qid (struct mnv_host_irq);
 *    the array and @nr_irq_qpairs are set at probe.
 *  - @ref counts the PCI driver's binding and each instance: the
 *    structure outlives the binding for as long as an instance could
 *    still look at it (mnv_host_put()).
 * Everything else is written during probe, before the mdev parent is
 * registered, and is read-only afterwards.
 */
struct mnv_host {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *bar;
	resource_size_t bar_len;
	u64 cap;
	u32 doorbell_stride;	/* bytes between two doorbells */
	u16 hwq_depth;		/* entries of each hardware I/O queue */

	/* Identify Controller facts. */
	char model[41];
	char serial[21];
	char firmware[9];
	char subnqn[257];	/* NVM Subsystem NQN, "" before NVMe 1.2.1 */
	u32 max_transfer_bytes;	/* 0: no limit reported (MDTS = 0) */
	/* NVM command set limits (CNS 06h); 0: none reported */
	u8 write_zeroes_limit;	/* WZSL: 2^n 4 KiB pages */
	u8 dsm_max_ranges;	/* DMRL */
	u32 dsm_range_max_lbas;	/* DMRSL */
	u64 dsm_max_lbas;	/* DMSL */
	bool volatile_write_cache;
	u16 oncs;
	u32 nr_namespaces;
	struct mnv_namespace namespaces[MNV_MAX_NAMESPACES];

	struct mutex admin_lock;	/* see LOCKING above */
	struct lock_class_key admin_lock_key;	/* its own: see probe */
	struct mnv_hwq adminq;
	struct mnv_admin_cmd *admin_cmds[MNV_ADMIN_MAX_CMDS];
	bool dead;		/* controller failed or gone: no more commands */
	bool resetting;		/* a reset runs: no other, no I/O doorbell */
	bool frozen;		/* PCI error recovery will reset: wait for it */
	unsigned long frozen_until;	/* jiffies: a recovery failed by then */
	unsigned long gone_since;	/* jiffies: first read as gone, or 0 */
	u32 epoch;		/* controller resets so far: see struct mnv_hwq */
	unsigned int nr_resets;	/* of them, resets to recover from a fault */

	struct mutex lock;		/* see LOCKING above */
	unsigned int nr_qpairs;		/* granted by Number of Queues */
	unsigned int nr_free_qpairs;
	DECLARE_BITMAP(qid_used, MNV_MAX_HW_QPAIRS + 1);
	/* Queues 1 to @nr_irq_qpairs have a vector (host_irq.c). */
	unsigned int nr_irq_qpairs;
	struct mnv_host_irq *irqs;	/* indexed by queue id */
	struct list_head instances;
	u64 default_slice_bytes;	/* 0: namespace 1, set by hand */
	bool scrub;			/* scrub dirty LBAs before use */
	struct list_head dirty;		/* struct mnv_extent */
	/* Probe and last reference only: @dirty kept past an unbind (slice.c) */
	struct mnv_dirty_kept *dirty_rec;
	/* On the list of bound controllers, under its lock (slice.c) */
	struct list_head bound_node;

	struct mdev_parent parent;
	unsigned int nr_types;
	struct mnv_type types[MNV_NR_TYPES];
	struct mdev_type *type_ptrs[MNV_NR_TYPES];
};

static inline struct device *mnv_host_dev(struct mnv_host *host)
{
	return &host->pdev->dev;
}

/* host_irq.c */
int mnv_host_irqs_setup(struct mnv_host *host);
void mnv_host_irqs_teardown(struct mnv_host *host);
bool mnv_host_qid_has_irq(const struct mnv_host *host, u16 qid);
int mnv_host_irq_attach(struct mnv_host *host, u16 qid,
			void (*fn)(void *arg), void *arg, int cpu);
void mnv_host_irq_detach(struct mnv_host *host, u16 qid);

/* host_hwq.c: the owner of the pair serialises these */
int mnv_hwq_alloc_rings(struct mnv_host *host, u16 qid, u16 depth,
			struct mnv_hwq *hwq);
void mnv_hwq_free_rings(struct mnv_host *host, struct mnv_hwq *hwq);
void mnv_hwq_rewind(struct mnv_hwq *hwq);
void mnv_hwq_push(struct mnv_hwq *hwq, const struct nvme_command *cmd);
void mnv_hwq_ring_sq(struct mnv_hwq *hwq);
struct nvme_completion *mnv_hwq_peek_cqe(struct mnv_hwq *hwq);
void mnv_hwq_pop_cqe(struct mnv_hwq *hwq);
void mnv_hwq_ring_cq(struct mnv_hwq *hwq);
/* The I/O path's doorbells: none while a reset stops the controller */
bool mnv_host_ring_sq(struct mnv_host *host, struct mnv_hwq *hwq);
bool mnv_host_ring_cq(struct mnv_host *host, struct mnv_hwq *hwq);
struct nvme_completion *mnv_host_wait_cqe(struct mnv_host *host,
					  struct mnv_hwq *hwq, u16 cid,
					  unsigned int timeout_ms,
					  unsigned int *stray);

/* The Status Field of a completion, without its phase tag. */
static inline u16 mnv_cqe_status(const struct nvme_completion *cqe)
{
	return le16_to_cpu(cqe->status) >> VNVME_CQE_STATUS_SHIFT;
}

/*
 * The nap of a task that waits for one command on a hardware queue pair
 * it polls (admin commands, a recovery's drain, a scrub): flash completes
 * a command in tens of microseconds, so a shorter nap only spins and a
 * longer one adds to every admin command and every recovery.
 */
#define MNV_CMD_POLL_MIN_US	20
#define MNV_CMD_POLL_MAX_US	100

static inline void mnv_cmd_poll_nap(void)
{
	usleep_range(MNV_CMD_POLL_MIN_US, MNV_CMD_POLL_MAX_US);
}

/*
 * How often a task waiting for one command checks that the controller is
 * still on the bus: a removed one completes nothing and would otherwise
 * keep the waiter for the whole timeout (30 s), holding the locks it
 * holds.
 */
#define MNV_GONE_CHECK_MS	100

/*
 * The wait between reads of CSTS while the controller becomes ready,
 * disabled or shut down: that takes milliseconds to seconds (CAP.TO is in
 * 500 ms units), so a few dozen reads a second are plenty.
 */
#define MNV_CSTS_POLL_MS	20

/* Did a controller reset delete @hwq since it was created? */
static inline bool mnv_hwq_stale(struct mnv_host *host,
				 const struct mnv_hwq *hwq)
{
	/* Pairs with the release of a new epoch: the controller is disabled. */
	return hwq->live && hwq->epoch != smp_load_acquire(&host->epoch);
}

/* host_admin.c */
int mnv_admin_queue_alloc(struct mnv_host *host);
void mnv_admin_queue_free(struct mnv_host *host);
void mnv_host_fail_locked(struct mnv_host *host);
void mnv_host_stop_locked(struct mnv_host *host);
int mnv_host_reset_locked(struct mnv_host *host, const char *why);
void mnv_host_freeze(struct mnv_host *host);
void mnv_host_thaw(struct mnv_host *host);
void mnv_host_reset_prepare(struct mnv_host *host);
int mnv_host_reset_done(struct mnv_host *host, const char *why);
bool mnv_host_gone(struct mnv_host *host);
void mnv_host_check_gone(struct mnv_host *host);
void mnv_host_reset_in_epoch(struct mnv_host *host, u32 epoch,
			     const char *why);
int mnv_admin_exec(struct mnv_host *host, struct nvme_command *cmd,
		   u32 *result);
int mnv_admin_exec_in_epoch(struct mnv_host *host, u32 epoch,
			    struct nvme_command *cmd, u32 *result);
int mnv_admin_exec_locked(struct mnv_host *host, struct nvme_command *cmd,
			  u32 *result);

/* host_bringup.c */
int mnv_host_disable(struct mnv_host *host);
int mnv_host_enable(struct mnv_host *host);
int mnv_host_identify(struct mnv_host *host);
int mnv_host_negotiate_queues(struct mnv_host *host);
int mnv_host_request_queues_locked(struct mnv_host *host, u32 *granted);
const struct mnv_namespace *mnv_host_namespace(struct mnv_host *host,
					       u32 nsid);

/* host_qpool.c */
int mnv_qpool_reserve(struct mnv_host *host, unsigned int nr, u16 *qids);
void mnv_qpool_release(struct mnv_host *host, unsigned int nr,
		       const u16 *qids);
int mnv_hwq_create(struct mnv_host *host, u16 qid, struct mnv_hwq *hwq);
int mnv_hwq_start(struct mnv_host *host, struct mnv_hwq *hwq);
void mnv_hwq_stop(struct mnv_host *host, struct mnv_hwq *hwq);
void mnv_hwq_delete(struct mnv_host *host, struct mnv_hwq *hwq);

/* host_sysfs.c */
extern const struct attribute_group *mnv_host_groups[];

/* host_pci.c */
extern struct pci_driver mnv_pci_driver;
void mnv_host_get(struct mnv_host *host);
void mnv_host_put(struct mnv_host *host);

#endif /* MNV_HOST_H */
