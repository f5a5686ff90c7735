/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One vNVMe instance: an mdev device registered as a VFIO device on the
 * emulated IOMMU, backed by a slice of a host namespace and a set of
 * reserved hardware queue pairs.
 */
#ifndef MNV_INSTANCE_H
#define MNV_INSTANCE_H

#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "host.h"
#include "io.h"

struct vnvme_ctrl;

/* One MSI-X vector for the admin queue and one per I/O queue pair. */
#define MNV_INSTANCE_MAX_VECTORS	(MNV_INSTANCE_MAX_QPAIRS + 1)

struct mnv_slice {
	u32 nsid;
	u64 lba_start;
	u64 lba_count;		/* 0: up to the end of the namespace */
};

/* Where an instance's slice stands with the data of earlier tenants. */
enum mnv_scrub_state {
	MNV_SCRUB_CLEAN,	/* holds nothing of another tenant */
	MNV_SCRUB_PENDING,	/* to be scrubbed before the device opens */
	MNV_SCRUB_FAILED,	/* the last scrub failed; an open retries */
};

/*
 * The scrub of an instance's slice (scrub.c).  Everything but @work is
 * protected by host->lock; the commands themselves go to the instance's
 * first hardware queue pair under inst->lock, one chunk at a time.
 * @gen moves on whenever the scrub starts over (new slice, a request), so
 * that a chunk that ran meanwhile is not counted for the new one.
 */
struct mnv_scrub {
	enum mnv_scrub_state state;
	bool running;		/* the worker is between two chunks */
	bool stop;		/* the instance is going away */
	u32 gen;
	u64 done;		/* LBAs of the slice scrubbed so far */
	u64 total;
	struct work_struct work;
};

/*
 * struct mnv_instance - a vNVMe.
 *
 * LOCKING:
 *  - @slice, @slice_auto, @scrub, @cpu, @mode, @idle_us and @open are
 *    protected by host->lock: slice overlap checks look at every
 *    instance of the controller at once.  The slice changes under
 *    inst->lock too, so that no scrub command runs on LBAs the instance
 *    has just given up.
 *  - @wrote is set by the I/O path under inst->lock and read under
 *    inst->lock once the device is closed.
 *  - @spare is the extent that records the slice as dirty at release.
 *  - @lock serialises everything a VMM does through the VFIO device
 *    (region accesses, ioctls, open and close) and protects the
 *    emulated controller @ctrl and the interrupt triggers @msix_trigger
 *    and @req_trigger, the I/O path state @io (see struct mnv_io for
 *    its own rules), the hardware queue pairs @hq (see struct
 *    mnv_io_hq) and the counters @stats.  The I/O polling thread takes
 *    it for each pass; the VFIO .dma_unmap callback takes it too, from
 *    the container's unmap path; the scrub takes it for each chunk.  Its
 *    place among the other locks: "Lock order" at struct mnv_io (io.h).
 *  - @host, @type, @nr_qpairs and @qids are set in init and constant
 *    until release.
 *  - @hw_irqs is only incremented, by the interrupt of its queues.
 *  - @poller_cpu is written under inst->lock at open and close, and
 *    read locklessly by sysfs.
 */
struct mnv_instance {
	struct vfio_device vdev;
	struct mnv_host *host;
	const struct mnv_type *type;
	struct list_head host_node;	/* on host->instances */
	/* The mdev's UUID, kept: the release may come after the mdev is gone. */
	guid_t uuid;

	struct mnv_slice slice;
	bool slice_auto;		/* carved by the parent's policy */
	bool wrote;			/* the slice may hold tenant data */
	struct mnv_scrub scrub;
	struct mnv_extent *spare;
	int cpu;
	enum mnv_io_mode mode;
	u32 idle_us;
	bool open;

	unsigned int nr_qpairs;
	u16 qids[MNV_INSTANCE_MAX_QPAIRS];
	/* From init to release, not only while open: see struct mnv_io_hq */
	struct mnv_io_hq hq[MNV_INSTANCE_MAX_QPAIRS];

	struct mutex lock;		/* see LOCKING above */
	struct vnvme_ctrl *ctrl;	/* while open */
	struct eventfd_ctx *msix_trigger[MNV_INSTANCE_MAX_VECTORS];
	struct eventfd_ctx *req_trigger;
	struct mnv_io io;		/* while open */
	struct mnv_io_stats stats;
	atomic_long_t hw_irqs;		/* counted by the interrupt handler */
	int poller_cpu;			/* shared poller's CPU, or MNV_POLLER_* */
};

/* inst->poller_cpu but for a shared poller's CPU */
#define MNV_POLLER_NONE		(-1)	/* closed */
#define MNV_POLLER_OWN		(-2)	/* a thread of its own */

static inline struct mnv_instance *vdev_to_instance(struct vfio_device *vdev)
{
	return container_of(vdev, struct mnv_instance, vdev);
}

/* The instance @io belongs to: helpers given only @io assert its lock. */
static inline struct mnv_instance *mnv_io_inst(struct mnv_io *io)
{
	return container_of(io, struct mnv_instance, io);
}

/**
 * mnv_io_would_block - may the pass do what can sleep, now?
 * @io: the I/O state; caller holds inst->lock
 *
 * Not in a shared poller's turn: the pass leaves the work (pinning a
 * page, reading or writing guest memory not pinned, an admin command or
 * a doorbell that raises an event, a queue pair restart, a warning)
 * where it is, and the poller hands the instance to its worker, which
 * does it.
 *
 * Return: true if the caller must not do it.
 */
static inline bool mnv_io_would_block(struct mnv_io *io)
{
	lockdep_assert_held(&mnv_io_inst(io)->lock);
	if (!io->in_turn)
		return false;
	io->turn_blocked = true;
	return true;
}

static inline struct device *mnv_instance_dev(struct mnv_instance *inst)
{
	return inst->vdev.dev;
}

/* The UUID the instance was created with: who wrote its slice. */
static inline const guid_t *mnv_instance_uuid(struct mnv_instance *inst)
{
	return &inst->uuid;
}

/* mdev_types.c */
int mnv_mdev_parent_register(struct mnv_host *host);
void mnv_mdev_parent_unregister(struct mnv_host *host);
unsigned int mnv_mdev_get_available(struct mdev_type *mtype);
ssize_t mnv_mdev_show_description(struct mdev_type *mtype, char *buf);

/* instance.c */
extern struct mdev_driver mnv_mdev_driver;
int mnv_instance_init(struct vfio_device *vdev);
void mnv_instance_release(struct vfio_device *vdev);
void mnv_slice_default(struct mnv_host *host, struct mnv_slice *slice);
int mnv_slice_check_locked(struct mnv_instance *inst,
			   const struct mnv_slice *slice);
u64 mnv_slice_resolved_count(struct mnv_host *host,
			     const struct mnv_slice *slice);

/* slice.c: the _locked ones under host->lock; the others need no lock */
u64 mnv_policy_lbas(const struct mnv_namespace *ns, u64 bytes);
int mnv_policy_check(struct mnv_host *host, u64 bytes);
unsigned int mnv_policy_fit_locked(struct mnv_host *host);
int mnv_slice_carve_locked(struct mnv_host *host, struct mnv_slice *slice);
bool mnv_dirty_overlaps_locked(struct mnv_host *host,
			       const struct mnv_slice *slice,
			       const guid_t *self);
void mnv_dirty_add_locked(struct mnv_host *host, const struct mnv_slice *slice,
			  const guid_t *writer, struct mnv_extent **node);
int mnv_dirty_clear_locked(struct mnv_host *host,
			   const struct mnv_slice *slice,
			   struct mnv_extent **spare);
void mnv_dirty_free(struct mnv_host *host);
void mnv_dirty_keep(struct mnv_host *host);
int mnv_dirty_restore(struct mnv_host *host);
void mnv_dirty_kept_free(void);

/* scrub.c */
void mnv_scrub_init(struct mnv_instance *inst);
void mnv_scrub_restart_locked(struct mnv_instance *inst, bool force);
void mnv_scrub_resume_locked(struct mnv_instance *inst);
int mnv_scrub_gate_locked(struct mnv_instance *inst);
void mnv_scrub_cancel(struct mnv_instance *inst);

/* instance_sysfs.c */
extern const struct attribute_group *mnv_instance_groups[];

/* vfio_dev.c */
extern const struct vfio_device_ops mnv_vfio_ops;

#endif /* MNV_INSTANCE_H */
