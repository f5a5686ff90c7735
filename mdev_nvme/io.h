/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O path of an instance: guest I/O queues served by the instance's
 * hardware queue pairs (guest qid q runs on inst->hq[q - 1]).
 *
 * On each pass of the instance's polling thread (vctrl_thread.c) it
 * fetches guest SQEs, checks and rewrites them (io_cmd.c), pins and maps
 * the guest pages they address (io_pin.c), submits them to the hardware
 * SQ and copies the hardware completions back to the guest CQs
 * (io_submit.c, io_complete.c).  See Documentation/io-path.rst.
 */
#ifndef MNV_IO_H
#define MNV_IO_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/dma-direction.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/nvme.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../include/mdev_nvme.h"
#include "core/vnvme.h"
#include "host.h"

/* A guest's queues fit the core's limit and a bitmap of one long. */
static_assert(MNV_INSTANCE_MAX_QPAIRS <= VNVME_MAX_IOQ);
static_assert(MNV_INSTANCE_MAX_QPAIRS <= BITS_PER_LONG);

struct mnv_instance;
struct mnv_pin;
struct mnv_poller;
struct page;
struct task_struct;
struct vfio_device;
struct vm_area_struct;

/* How the polling thread waits; in the order of MNV_MODE_NAMES. */
enum mnv_io_mode {
	MNV_IO_ADAPTIVE,
	MNV_IO_POLL,
	MNV_IO_INTERRUPT,
	MNV_IO_NR_MODES,
};

/* What to do with a completion the guest CQ cannot take (io_complete.c). */
enum mnv_io_complete_mode {
	MNV_COMPLETE_KEEP,	/* keep it until there is room */
	MNV_COMPLETE_IF_ROOM,	/* post it if there is room, else drop it */
	MNV_COMPLETE_DROP,	/* post nothing: the guest queues are gone */
};

/* What the I/O path knows of a failed physical controller. */
enum mnv_io_host_state {
	MNV_HOST_OK,
	MNV_HOST_FAILED_SEEN,	/* commands ended, guest not told yet */
	MNV_HOST_FAILED_TOLD,	/* guest controller failed (CSTS.CFS) */
};

/* Commands in flight on one hardware queue pair at most. */
#define MNV_IO_MAX_SLOTS	128

/*
 * A command's id on the hardware: its slot in the low byte, the slot's
 * generation in the high byte, counted up each time the slot is taken.
 * A drive that posts a completion twice, or late for a command it has
 * already completed, names a generation the slot no longer has (unless
 * the slot came round 255 times since, as one 8-bit count allows): the
 * completion is refused, where it would otherwise end the slot's next
 * command early and release that command's pages while the drive may
 * still transfer into them.  The generations live as long as the pair
 * (struct mnv_io_hq @gen), not the open: a late completion may wait in
 * the pair's CQ while the device is closed.  Generation 0 is never used,
 * so that an entry of zeroes names no command.  The module's own commands
 * on pair 0, the cache flush (io_recover.c) and the scrub (scrub.c), take
 * the low bytes after the slots' and have generations too: a repeated
 * completion of one chunk of a scrub must not answer the next one.
 */
#define MNV_IO_CID_SLOT_BITS	8
#define MNV_IO_NR_OWN_CIDS	2
#define MNV_IO_NR_CIDS		(MNV_IO_MAX_SLOTS + MNV_IO_NR_OWN_CIDS)
static_assert(MNV_IO_NR_CIDS <= 1U << MNV_IO_CID_SLOT_BITS);

static inline u16 mnv_io_hw_cid(u16 idx, u8 gen)
{
	return idx | (u16)gen << MNV_IO_CID_SLOT_BITS;
}

/* The id of the next command of @idx, whose generations are @gens */
static inline u16 mnv_io_next_cid(u8 *gens, u16 idx)
{
	gens[idx] = (u8)(gens[idx] + 1) ?: 1;
	return mnv_io_hw_cid(idx, gens[idx]);
}

static inline u16 mnv_io_cid_slot(u16 cid)
{
	return cid & (BIT(MNV_IO_CID_SLOT_BITS) - 1);
}

/*
 * The largest transfer is the I/O command check's (VNVME_IO_MDTS_MAX,
 * VNVME_IO_MAX_PAGES): its PRP list (all pages but the first) fits in the
 * one 4 KiB list page each slot owns.
 */
#define MNV_IO_PAGE_SIZE	4096U

/*
 * mnv_io_cmd_prepare(): the command needs memory the VMM is unmapping
 * right now; it waits in the guest SQ until the hold-off is over (no
 * NVMe status has all bits set).
 */
#define MNV_IO_STALL		0xffff

/*
 * A guest data page of a command, pinned and mapped for the physical
 * function; the command transfers [@off, @off + @len) of it.
 */
struct mnv_io_page {
	u64 iova;
	u16 off;
	u16 len;
	struct mnv_pin *pin;	/* its entry in the pin cache (io_pin.c) */
};

/*
 * One command in flight on a hardware queue; its index and its
 * generation (struct mnv_io_hq @gen) make its command id on the hardware
 * (mnv_io_hw_cid()).  @buf is a device-readable page holding the PRP list
 * or the Dataset Management ranges rebuilt by the module.  Once the
 * hardware is done with it (@done), its pages are released and it only
 * waits for room in the guest CQ to post @status and @result.
 */
struct mnv_io_slot {
	bool busy;
	bool done;
	u16 status;		/* Status Field, without the phase tag */
	u32 result;
	bool is_write;		/* for the statistics */
	u16 sqid;		/* guest queue and command id */
	u16 cqid;
	u16 cid;
	u16 nr_pages;
	enum dma_data_direction dir;
	u32 bytes;
	struct mnv_io_page *pages;	/* VNVME_IO_MAX_PAGES entries */
	__le64 *buf;
	dma_addr_t buf_dma;
};

/*
 * struct mnv_io_hq - one hardware I/O queue pair of an instance
 * (inst->hq[]): the pair on the controller, the generations of its
 * command ids and the slots of the commands it runs.
 *
 * @hw and @gen live as long as the instance: @hw is created on the
 * controller at the instance's creation (instance.c) and deleted at its
 * release, and a completion the drive posts late may wait in its CQ
 * across a close, so @gen is never cleared.  Between opens the scrub
 * (scrub.c) runs its commands on pair 0.  The rest, from @nr_slots on,
 * is set up by an open (mnv_io_open()) and cleared by the close, after
 * the pair was quiesced: an open refuses a pair whose slots are not
 * clear.
 *
 * Slots the hardware completed wait in @done, oldest first, until the
 * guest CQ takes them: a full guest CQ never holds back the hardware
 * CQ, nor loses a completion.  @last_cqe, the pair's last completion,
 * is replayed by fault injection only while @last_cqe_valid: taken in
 * since the open and since the pair was last created.
 *
 * LOCKING: all of it is protected by inst->lock, whoever uses the pair:
 * the I/O path while the device is open, the scrub while it is closed
 * (inst->open tells which).  The rings of @hw are allocated at the
 * instance's creation and freed at its release, when nobody else can
 * reach the instance.
 */
struct mnv_io_hq {
	struct mnv_hwq hw;
	u8 gen[MNV_IO_NR_CIDS];	/* by the low byte of a command id */
	/* From here on: set up by an open, cleared by the close. */
	unsigned int nr_slots;
	unsigned int nr_free;
	u16 *free;		/* stack of free slot indices */
	u16 *done;		/* ring of @nr_done slot indices from @done_head */
	unsigned int done_head;
	unsigned int nr_done;
	unsigned int nr_on_hw;	/* submitted and not completed by the hardware */
	struct mnv_io_slot *slots;
	struct mnv_io_page *pages;
	bool last_cqe_valid;
	struct nvme_completion last_cqe;	/* for fault injection only */
};

/* A close clears a pair from @nr_slots on: not what lives with it. */
static_assert(offsetof(struct mnv_io_hq, hw) <
	      offsetof(struct mnv_io_hq, nr_slots));
static_assert(offsetof(struct mnv_io_hq, gen) <
	      offsetof(struct mnv_io_hq, nr_slots));

/*
 * A guest ring pinned and mapped into the kernel (io_ring.c); @va NULL
 * if it could not be, then its entries go through vfio_dma_rw().
 */
struct mnv_io_ring {
	void *va;		/* the ring's first entry */
	u64 iova;		/* its first page */
	unsigned int nr_pages;
};

/*
 * A guest I/O queue as the I/O path runs it: its ring and where the path
 * stands in it.  The core keeps what its admin commands and registers
 * check (that the queue exists, its size, the SQs of a CQ; see struct
 * vnvme_sq); @size and @cqid are the same values, handed over at
 * creation, since the shadow and mapped doorbells the I/O path reads are
 * checked here, not in the core.
 */
struct mnv_io_sq {
	bool valid;
	u16 qid;
	u64 iova;
	u16 size;
	u16 cqid;
	u16 head;		/* next entry to fetch */
	u16 db_tail;		/* last tail doorbell value */
	struct mnv_io_ring ring;
};

struct mnv_io_cq {
	bool valid;
	u16 qid;
	bool ien;
	bool irq_pending;	/* entries posted, vector not raised yet */
	u8 phase;
	u16 nr_held;		/* entries posted since the last interrupt */
	u64 held_since;		/* ktime (ns) the first of them was seen */
	u64 iova;
	u16 size;
	u16 vector;
	u16 tail;		/* next entry to write */
	u16 db_head;		/* last head doorbell value */
	struct mnv_io_ring ring;
};

/*
 * struct mnv_io_vstate - what the I/O path works from of the emulated
 * controller's state (inst->io.vstate).  The I/O path does not ask the
 * core: the glue (vctrl*.c) sets these under inst->lock, @bus_master and
 * @ctrl_ready (mnv_vctrl_io_sync()) before each pass of the polling
 * thread and before it arms the shadow doorbells, before admin commands
 * run (the env op of SQ deletion posts completions), and after open and
 * FLR (from config space: through the admin run that follows it);
 * @dbbuf* also when the core tells the guest's Doorbell Buffer Config
 * (env op: a queue created in the same admin run must see it).  A reset
 * clears them; the next sync takes them up again if the configuration
 * outlived it in the core (a shutdown).
 */
struct mnv_io_vstate {
	bool bus_master;	/* Bus Master Enable: guest memory reachable */
	bool ctrl_ready;	/* vnvme_ctrl_ready(): I/O may be fetched */
	bool dbbuf;		/* Doorbell Buffer Config set, with: */
	u64 dbbuf_db_iova;	/* the guest's shadow doorbell page */
	u64 dbbuf_ei_iova;	/* and its EventIdx page */
};

/*
 * struct mnv_io_stats - what an instance did since it was created
 * (inst->stats; sysfs stats/).  Written by the I/O path and read by sysfs,
 * both under inst->lock.
 */
struct mnv_io_stats {
	u64 read_cmds;		/* Reads completed successfully */
	u64 write_cmds;		/* Writes completed successfully */
	u64 other_cmds;		/* Flush, Write Zeroes, DSM submitted */
	u64 read_bytes;
	u64 write_bytes;
	u64 refused_cmds;	/* completed by the module with an error */
	u64 stray_cqes;		/* hardware completions of no command in flight */
	u64 pin_hits;		/* pages found in the pin cache */
	u64 pin_misses;		/* pages pinned and mapped */
	u64 polls;		/* passes of the polling thread */
	u64 idle_sleeps;	/* times the polling thread went to sleep */
	u64 irq_waits;		/* sleeps until a hardware interrupt */
	u64 hw_naps;		/* timed naps with commands on the hardware */
	u64 guest_irqs;		/* interrupts raised to the guest */
	u64 host_doorbells;	/* hardware SQ tail doorbell writes */
	u64 mmio_doorbells;	/* guest doorbell writes that trapped */
	u64 aborted_cmds;	/* ended by deleting or resetting their queue */
	u64 queue_restarts;	/* hardware pairs deleted and created again */
	u64 cache_flushes;	/* flushes at a reset, shutdown or close */
	u64 bounce_waits;	/* pins put off: bounce share in use */
	u64 bounce_peak;	/* most bounced pages in use at once */
	u64 list_reads;		/* PRP lists, DSM ranges read by the check */
	u64 list_reads_rw;	/* of which through vfio_dma_rw() */
	u64 list_read_ns;	/* time they took, in all */
	u64 poller_handoffs;	/* passes a shared poller left to the worker */
	u64 turn_fetch_peak;	/* most guest SQEs one poller turn fetched */
	u64 turn_cqe_peak;	/* most completions it took in or posted */
};

/*
 * struct mnv_io - I/O state of an open instance (inst->io).
 *
 * LOCKING: everything here but @kick and @pinned_pages is protected by
 * inst->lock, like the emulated controller (and the hardware queue pairs,
 * inst->hq[]: see struct mnv_io_hq).  @thread and @kick belong to the
 * polling thread (vctrl_thread.c): @kick is set by doorbells and by the
 * hardware queues' interrupts, and cleared by @thread, or by the shared
 * poller (vctrl_poller.c) that serves the instance in poll mode, which
 * has no @thread but @poller.  @poller and @poll_idle are set under
 * inst->lock; the poller's own state (its members, the one it serves) is
 * under its spinlock, see struct mnv_poller.  @pinned_pages is only
 * written under inst->lock but read locklessly by sysfs.
 *
 * Lock order, for the whole module (the one place it is written; the
 * other comments point here): inst->lock, then mnv_pollers_lock (shared
 * pollers made and stopped, vctrl_poller.c), then a poller's spinlock;
 * a poller only ever try-locks inst->lock, so the close path may wait
 * for it to let go of an instance while holding that instance's lock
 * (but not mnv_pollers_lock: the poller may be in another instance's
 * turn, which the other opens and closes must not wait for).
 * The worker a poller hands an instance to (@work) takes inst->lock as
 * any other context does: the close flushes it with inst->lock dropped.
 * inst->lock, then host->admin_lock (queue
 * pairs created and deleted, the controller failed or reset), then
 * type1's iommu->lock (vfio_pin_pages(), vfio_unpin_pages(),
 * vfio_dma_rw()), then the VMM's mmap lock.  host->lock comes after
 * inst->lock and no lock is taken under it: it is never held together
 * with host->admin_lock, type1's locks or the mmap lock.  The
 * .dma_unmap callback takes inst->lock holding type1's device_list_lock
 * only: vfio_notify_dma_unmap() drops iommu->lock before calling it (as
 * of 6.1).  type1 also nests device_list_lock inside iommu->lock (unmap
 * notification, device register), so a task holding iommu->lock and
 * waiting for device_list_lock while a callback runs closes a cycle: a
 * second unmap of pinned memory or a device open on the same container.
 * That window deadlocks type1 without this module too: the notification
 * only runs for pinned pages, and the callback of their owner must take
 * iommu->lock to unpin them.  Only the VMM owning the container can open
 * it.  slice.c's mnv_dirty_kept_lock, which guards the records of unbound
 * controllers, is held with no other lock.
 */
struct mnv_io {
	bool ready;		/* allocated: between open and close */
	struct mnv_io_vstate vstate;
	enum mnv_io_mode mode;	/* inst->mode at open */
	u64 idle_ns;		/* adaptive: polling time after work */
	bool fatal;		/* guest queue unreachable: report CFS */
	enum mnv_io_host_state host_failed;
	bool unflushed;		/* written since the last cache flush */
	bool stalled;		/* SQE put off: unmap hold-off, bounces */
	bool kick;
	u64 lba_start;		/* slice, fixed while open */
	u64 nsze;
	u32 host_nsid;
	u8 lba_shift;
	u32 max_bytes;		/* guest MDTS in bytes */
	u16 oncs;		/* optional commands offered to the guest */
	unsigned int nr_inflight;
	unsigned long silent_since;	/* jiffies: on the hardware, no CQE */
	/* Completed commands not yet taken by mnv_io_take_stats() */
	u32 rd_cmds;
	u32 wr_cmds;
	u64 rd_bytes;
	u64 wr_bytes;
	struct task_struct *thread;
	struct mnv_poller *poller;	/* poll mode: the shared poller */
	bool poll_idle;		/* poller: last pass found nothing to do */
	/*
	 * A shared poller's turn never blocks (vctrl_poller.c): @in_turn
	 * while it runs a pass, @turn_end_ns when the pass stops fetching;
	 * @turn_blocked once the pass met work that may sleep and left it;
	 * @handed while @work, run by a worker, has the instance: set by
	 * the poller only, under inst->lock in a turn or without it while
	 * false (a lock the poller keeps missing), cleared by the worker
	 * under inst->lock, and read unlocked by the poller;
	 * @turn_reaped and @turn_posted count the turn's completions
	 * (mnv_io_turn_spent()); @backoff_until (ktime ns), set by a
	 * worker that found nothing to do, is when the poller may hand the
	 * instance over again; @lock_misses and @lock_missed_since (ktime
	 * ns), the poller's own: how many turns in a row, and since when,
	 * its trylock of inst->lock has failed; @lock_contended, set by the
	 * poller with @handed when it hands the instance over for that
	 * (before queue_work(), which orders it for the worker), cleared by
	 * the worker.
	 */
	bool in_turn;
	bool turn_blocked;
	bool handed;
	u64 turn_end_ns;
	unsigned int turn_reaped;
	unsigned int turn_posted;
	u64 backoff_until;
	unsigned int lock_misses;
	u64 lock_missed_since;
	bool lock_contended;
	unsigned int fetched;	/* guest SQEs the last pass fetched */
	struct work_struct work;
	u16 next_sq;		/* the SQ fetched from first, rotating */
	/*
	 * Pairs whose interrupt wakes @thread (vctrl_thread.c): all of them
	 * in interrupt and adaptive modes if each has a vector, else 0.
	 */
	unsigned int nr_irq_qpairs;
	/* Pins in [unmap_start, unmap_end) are refused until unmap_until. */
	u64 unmap_start;
	u64 unmap_end;
	unsigned long unmap_until;
	/* Pin cache (io_pin.c): struct mnv_pin by guest page frame number */
	struct xarray pins;
	struct list_head pin_lru;	/* unused pins, oldest first */
	struct list_head pin_release;	/* unused, to release (io_pin.c) */
	unsigned long pin_limit;	/* unused pins kept at most */
	bool pinned_list_reads;		/* lists read from the cache */
	unsigned long nr_pins;		/* pages in the cache */
	unsigned long nr_bounced;	/* of which behind bounce buffers */
	unsigned long bounce_limit;	/* most @nr_bounced may reach */
	unsigned long bounced_before_cmd; /* @nr_bounced of the others */
	/* Every page pinned: the cache, the rings, the shadow doorbells */
	atomic_long_t pinned_pages;
	/*
	 * Doorbell Buffer Config (io_doorbell.c) as followed: the guest's
	 * shadow doorbell and EventIdx pages (@vstate's), pinned and mapped
	 * while @dbbuf_on, unless the guest gave pages we could not use (then
	 * NULL until its reset).
	 */
	bool dbbuf_on;
	u64 dbbuf_db_iova;
	u64 dbbuf_ei_iova;
	struct page *dbbuf_db_page;
	struct page *dbbuf_ei_page;
	__le32 *shadow_db;
	__le32 *event_idx;
	/*
	 * Zero-exit doorbells (io_dbpage.c): the doorbell page the VMM may
	 * map, its @db_slots watched dwords, and their values as last seen
	 * by the polling thread.  @db_page and @db_vals are set at open and
	 * cleared at close only, so the mmap path reads them unlocked.
	 */
	struct page *db_page;
	__le32 *db_vals;
	unsigned int db_slots;
	u32 db_seen[2 * (MNV_INSTANCE_MAX_QPAIRS + 1)];
	struct mnv_io_sq sq[MNV_INSTANCE_MAX_QPAIRS + 1];	/* index 0 unused */
	struct mnv_io_cq cq[MNV_INSTANCE_MAX_QPAIRS + 1];
};

/* io_queue.c: all under inst->lock */
int mnv_io_open(struct mnv_instance *inst, u8 mdts, u16 oncs);
void mnv_io_close(struct mnv_instance *inst);
u16 mnv_io_cq_create(struct mnv_instance *inst, u16 qid, u64 iova,
		     u16 qsize, u16 vector, bool ien);
u16 mnv_io_sq_create(struct mnv_instance *inst, u16 qid, u64 iova,
		     u16 qsize, u16 cqid);
void mnv_io_sq_delete(struct mnv_instance *inst, u16 qid);
void mnv_io_cq_delete(struct mnv_instance *inst, u16 qid);
void mnv_io_reset(struct mnv_instance *inst);

/*
 * Guest SQEs one pass takes from one SQ at most, so that the other queues
 * get a turn; a pass may be given less for all its SQs together (a
 * shared poller's burst).
 */
#define MNV_IO_FETCH_BUDGET	64

/*
 * Completions a shared poller's turn takes in from the hardware, and
 * posts to the guest, at most: twice what it may fetch, so that a turn
 * takes in more than it submits and a backlog drains, and the rest
 * waits in the hardware CQ (or in the slots) for the next turn.
 */
#define MNV_IO_TURN_CQES	(2 * MNV_IO_FETCH_BUDGET)

/**
 * mnv_io_turn_spent - must a loop of a shared poller's turn stop here?
 * @io: the I/O state; caller holds inst->lock
 * @done: what the turn did of that kind so far (SQEs fetched,
 *	completions taken in or posted)
 * @cap: the most it may do
 *
 * Once the turn's time (@turn_end_ns) is up, or @cap is reached, the
 * rest waits for the next turn; but a turn always does one thing of
 * each kind, so that every instance progresses.  Never outside a turn.
 *
 * Return: true if the loop must stop.
 */
static inline bool mnv_io_turn_spent(struct mnv_io *io, unsigned int done,
				     unsigned int cap)
{
	if (!io->in_turn || !done)
		return false;
	return done >= cap || ktime_get_ns() > io->turn_end_ns;
}

/* io_submit.c: under inst->lock */
bool mnv_io_poll_locked(struct mnv_instance *inst, unsigned int budget);

/* io_complete.c: all under inst->lock */
bool mnv_io_cq_full(struct mnv_io *io, struct mnv_io_cq *cq);
struct mnv_io_cq *mnv_io_get_cq(struct mnv_io *io, u16 cqid);
int mnv_io_post(struct mnv_instance *inst, u16 cqid, u16 sqid, u16 cid,
		u16 status, u32 result);
bool mnv_io_take_failure(struct mnv_instance *inst);
u32 mnv_io_take_stats(struct mnv_instance *inst, bool is_write, u64 *bytes);
int mnv_io_irq_pending(struct mnv_io *io, u16 qid);
bool mnv_io_irq_due(struct mnv_instance *inst, u16 qid, bool coalescing,
		    u32 threshold, u32 time_us, u64 *now);
void mnv_io_slot_done(struct mnv_instance *inst, struct mnv_io_hq *hq,
		      u16 idx, u16 status, u32 result);
unsigned int mnv_io_reap(struct mnv_instance *inst, unsigned int h);
unsigned int mnv_io_complete(struct mnv_instance *inst, unsigned int h,
			     enum mnv_io_complete_mode mode);

/* io_recover.c: all under inst->lock */
void mnv_io_check_host(struct mnv_instance *inst);
void mnv_io_check_silence(struct mnv_instance *inst, bool progress);
unsigned int mnv_io_nr_on_hw(struct mnv_instance *inst);
void mnv_io_hqs_start(struct mnv_instance *inst);
void mnv_io_quiesce(struct mnv_instance *inst, int only,
		    enum mnv_io_complete_mode mode);
void mnv_io_flush_cache(struct mnv_instance *inst);
bool mnv_io_dma_unmap(struct mnv_instance *inst, u64 iova, u64 length);

/* io_doorbell.c: all under inst->lock */
u16 mnv_io_sq_tail(struct mnv_io *io, struct mnv_io_sq *sq);
u16 mnv_io_cq_head(struct mnv_io *io, struct mnv_io_cq *cq);
int mnv_io_doorbell(struct mnv_instance *inst, u16 qid, bool is_cq, u32 value);
bool mnv_io_doorbell_refused(struct mnv_instance *inst, u16 qid, bool is_cq,
			     u32 value);
void mnv_io_dbbuf_config(struct mnv_instance *inst, u64 db_iova,
			 u64 ei_iova);
void mnv_io_dbbuf_sync(struct mnv_instance *inst);
void mnv_io_dbbuf_lost(struct mnv_instance *inst);
void mnv_io_dbbuf_release(struct mnv_instance *inst);
bool mnv_io_dbbuf_in(struct mnv_io *io, u64 start, u64 end);
bool mnv_io_doorbells_arm(struct mnv_instance *inst);
bool mnv_io_quiet(struct mnv_instance *inst);
void mnv_io_dbbuf_new_queue(struct mnv_instance *inst, u16 qid, bool is_cq);

/* io_dbpage.c: under inst->lock but for the last two */
int mnv_io_dbpage_open(struct mnv_instance *inst);
void mnv_io_dbpage_close(struct mnv_instance *inst);
void mnv_io_dbpage_reset(struct mnv_instance *inst);
void mnv_io_dbpage_new_queue(struct mnv_instance *inst, u16 qid, bool is_cq);
bool mnv_io_dbpage_write(struct mnv_instance *inst, u64 off, const void *buf,
			 size_t size);
bool mnv_io_dbpage_next(struct mnv_instance *inst, unsigned int *slot,
			__le32 *val);
void mnv_io_dbpage_take(struct mnv_instance *inst, unsigned int slot,
			__le32 val);
bool mnv_io_dbpage_moved(struct mnv_instance *inst);
bool mnv_io_dbpage_offered(struct mnv_instance *inst);
int mnv_io_dbpage_mmap(struct mnv_instance *inst, u64 region_off,
		       struct vm_area_struct *vma);

/* io_ring.c: all under inst->lock */
struct vnvme_cqe;
void mnv_io_ring_map(struct mnv_instance *inst, struct mnv_io_ring *ring,
		     u64 iova, size_t bytes);
void mnv_io_ring_unmap(struct mnv_instance *inst, struct mnv_io_ring *ring);
bool mnv_io_rings_pinned(struct mnv_instance *inst);
void mnv_io_rings_drop(struct mnv_instance *inst, u64 start, u64 end);
int mnv_io_sqe_read(struct mnv_instance *inst, struct mnv_io_sq *sq,
		    u16 head, void *sqe, size_t size);
int mnv_io_cqe_write(struct mnv_instance *inst, struct mnv_io_cq *cq,
		     u16 tail, const struct vnvme_cqe *cqe);

/* io_cmd.c */
u16 mnv_io_cmd_prepare(struct mnv_instance *inst, struct mnv_io_slot *slot,
		       const void *gsqe, void *hsqe);

/* io_pin.c: all under inst->lock */
void mnv_io_pins_init(struct mnv_io *io, unsigned long max_cmd_pages);
bool mnv_io_unmapping(struct mnv_io *io, u64 iova, u64 len);
int mnv_io_pin_page(struct mnv_instance *inst, struct mnv_io_page *pg,
		    enum dma_data_direction dir);
dma_addr_t mnv_io_page_dma(const struct mnv_io_page *pg);
int mnv_io_pin_read(struct mnv_instance *inst, u64 iova, void *buf, u32 len);
void mnv_io_unpin_slot(struct mnv_instance *inst, struct mnv_io_slot *slot,
		       bool submitted);
unsigned long mnv_io_pins_drop(struct mnv_instance *inst, u64 start, u64 end);
bool mnv_io_pins_over(struct mnv_instance *inst);
void mnv_io_pins_trim_over(struct mnv_instance *inst);
void mnv_io_pins_destroy(struct mnv_instance *inst);

#endif /* MNV_IO_H */
