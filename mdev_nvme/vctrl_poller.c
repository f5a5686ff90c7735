// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared pollers: the instances in poll mode are served by one thread per
 * CPU that has any, "mnv/poll<N>", pinned to CPU N, rather than by a
 * spinning thread each.
 *
 * A poller gives its instances turns round-robin (core/poll_rr.c).  On
 * its turn an instance gets one pass (mnv_vctrl_pass()) fetching at most
 * MNV_POLLER_BURST guest SQEs, so that a tenant with deep queues delays
 * the others by one burst at most.  An instance whose last pass found
 * nothing to do costs one check per turn (mnv_io_quiet(): its SQ tails
 * and mapped doorbells against what was fetched, and the kick of a
 * trapped access) until it has work again.  The poller takes the
 * instance's lock with mutex_trylock(): an instance busy elsewhere (an
 * admin command run by a trapped doorbell, an unmap, the close) loses
 * its turn instead of holding up the others.
 *
 * A turn never blocks, nor sleeps but in cond_resched(): whatever in the
 * pass may wait on the VMM or the controller (pinning a page, which may
 * fault it in, or wait forever on a userfaultfd; vfio_dma_rw() on memory
 * not pinned; an admin command replayed from the mapped doorbell page;
 * a queue pair restart or a check of the controller, which wait on its
 * admin lock, up to CAP.TO during a reset) is left where it is
 * (mnv_io_would_block()), and the instance is handed to a worker of its
 * own (@io->work on system_unbound_wq), which takes inst->lock, runs the
 * admin commands due and one pass that may sleep, and hands it back.
 * The poller skips the instance meanwhile (@io->handed).  A turn is also
 * bounded in time (MNV_POLLER_TURN_NS), not only in SQEs.
 *
 * The instance's cpu attribute names its poller, read at open.  With
 * "any" (-1) it goes to the housekeeping CPU (one neither isolcpus= nor
 * nohz_full= took) whose poller serves the fewest instances, CPUs
 * without a poller counting as none (the lowest on a tie): poll-mode
 * instances spread over the CPUs as their threads did before, a CPU is
 * taken by polling only once it has an instance to poll, and never an
 * isolated one that was not asked for.
 * A poller is made by the first instance of its CPU and stopped when the
 * last one leaves.  It is pinned with set_cpus_allowed_ptr(), not
 * kthread_bind(): if its CPU goes offline the scheduler moves it and it
 * goes on serving; it pins itself again once the CPU is back.
 *
 * The close takes the instance off its poller under inst->lock, then
 * flushes its worker after dropping it (mnv_vctrl_poller_flush()): the
 * worker takes inst->lock, and finds the instance detached.
 */
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "core/poll_rr.h"
#include "instance.h"
#include "io.h"
#include "vctrl.h"

/*
 * Guest SQEs an instance may fetch on one turn: as many as one SQ gives
 * in one pass of an instance's own thread.  At the few hundred
 * nanoseconds a command's check and translation take, that is some
 * 10-20 us of work, so that eight busy tenants wait about 100 us for a
 * turn.
 */
#define MNV_POLLER_BURST	MNV_IO_FETCH_BUDGET
/*
 * A turn stops fetching after this long, whatever it fetched: a few
 * times what a full burst normally takes, so that it only cuts turns
 * slowed by something else (cache misses on cold pins, bounce buffers,
 * an emulated CPU), and eight tenants never wait more than about half a
 * millisecond for their turns.
 */
#define MNV_POLLER_TURN_NS	(50 * NSEC_PER_USEC)

/*
 * A worker whose pass found nothing to do gets the instance again after
 * this long at the soonest, unless a trapped doorbell kicks it: what it
 * could not do (a command the full admin CQ holds back, rings the VMM
 * maps so that they cannot be pinned) does not change by itself, and a
 * tenant must not keep a kworker spinning.  As long as the nap of an
 * instance's own thread in the same state (vctrl_thread.c).
 */
#define MNV_POLLER_BACKOFF_NS	(1500 * NSEC_PER_USEC)

/*
 * A worker whose pass found nothing to do while commands are on the
 * hardware gets the instance again after this long at the soonest: as
 * long as an instance's own thread naps in that state at most, so that
 * an instance whose every pass is its worker's (rings not pinned) does
 * not wait MNV_POLLER_BACKOFF_NS for each completion.  Completions held
 * for a guest that does not free its CQ entries do not count: they are
 * off the hardware.
 */
#define MNV_POLLER_INFLIGHT_BACKOFF_NS	(50 * NSEC_PER_USEC)

/*
 * An instance whose lock the poller found taken at every turn, at least
 * this many turns over at least this long, goes to its worker, which
 * waits for the lock in line (mnv_poller_try()).
 */
#define MNV_POLLER_CONTENDED_MISSES	8
#define MNV_POLLER_CONTENDED_NS		(1000 * NSEC_PER_USEC)

/* Members a poller's array starts with; it doubles when full. */
#define MNV_POLLER_MIN_CAP	8

/*
 * struct mnv_poller - the shared poller of one CPU.
 *
 * LOCKING: @cpu, @task and @node are set at creation and changed under
 * mnv_pollers_lock only (the list, its creation and stop), as is
 * @detaching: detaches waiting for the poller to let go of their
 * instance, with mnv_pollers_lock dropped; the poller is not stopped
 * while it has any, even with no members left.  @lock, a
 * spinlock, protects @rr (the members, struct mnv_instance pointers) and
 * @serving, the instance whose turn the poller has taken and not ended:
 * the poller reads @rr and sets @serving in one critical section, so an
 * instance removed from @rr under @lock is never picked again, and one
 * picked before its removal is let go of (@serving changed, under @lock)
 * before mnv_vctrl_poller_detach() returns.  @rr's storage grows under
 * mnv_pollers_lock, the members moved over under @lock.  @let_go wakes
 * the detach waiting for that.
 */
struct mnv_poller {
	int cpu;
	struct task_struct *task;
	struct list_head node;		/* on mnv_pollers */
	spinlock_t lock;
	struct vnvme_rr rr;
	struct mnv_instance *serving;
	wait_queue_head_t let_go;
	unsigned int detaching;
};

/* Serialises attach and detach; see "Lock order" at struct mnv_io. */
static DEFINE_MUTEX(mnv_pollers_lock);
static LIST_HEAD(mnv_pollers);

/*
 * Hand @inst to its worker for work its turn could not do; the poller
 * skips it until the worker is done.  Not while the worker backs off
 * (MNV_POLLER_BACKOFF_NS), unless @kicked: a trapped access came since
 * the last turn.  Caller holds inst->lock.
 */
static void mnv_poller_hand_over(struct mnv_instance *inst, bool kicked)
{
	lockdep_assert_held(&inst->lock);
	if (inst->io.backoff_until && !kicked &&
	    ktime_get_ns() < inst->io.backoff_until) {
		inst->io.poll_idle = false;
		return;
	}
	inst->io.backoff_until = 0;
	/* Read before the trylock by the poller: see mnv_poller_fn(). */
	WRITE_ONCE(inst->io.handed, true);
	inst->io.poll_idle = false;
	inst->stats.poller_handoffs++;
	queue_work(system_unbound_wq, &inst->io.work);
}

/*
 * The worker of a poll-mode instance: what its turn left, done where it
 * may sleep, under inst->lock taken as any other context takes it.  An
 * instance taken off its poller meanwhile (the close) is left alone.
 */
static void mnv_poller_work_fn(struct work_struct *work)
{
	struct mnv_instance *inst = container_of(work, struct mnv_instance,
						 io.work);
	struct mnv_io *io = &inst->io;
	bool busy;

	mutex_lock(&inst->lock);
	if (io->poller) {
		mnv_vctrl_run_admin(inst);
		busy = mnv_vctrl_pass(inst, MNV_POLLER_BURST);
		/*
		 * What turns left over the cache's limit: releasing it is
		 * progress, and a back-off after it would hold up the next
		 * pin a turn leaves (a bounce-buffered host, a small cache).
		 */
		busy |= mnv_io_pins_over(inst);
		mnv_io_pins_trim_over(inst);
		/*
		 * Sent for a lock the poller kept missing, not for work it
		 * left: no reason to hold up the next hand-over.
		 */
		busy |= io->lock_contended;
		io->lock_contended = false;
		/*
		 * Idle as after a turn: an instance whose every pass is its
		 * worker's (a ring not mapped) is then only checked.
		 */
		io->poll_idle = !busy && !io->nr_inflight && !io->stalled;
		if (busy)
			io->backoff_until = 0;
		else if (mnv_io_nr_on_hw(inst))
			io->backoff_until = ktime_get_ns() +
					    MNV_POLLER_INFLIGHT_BACKOFF_NS;
		else
			io->backoff_until = ktime_get_ns() +
					    MNV_POLLER_BACKOFF_NS;
		WRITE_ONCE(io->handed, false);
	}
	mutex_unlock(&inst->lock);
}

/* One turn of instance @inst, try-locked by the poller. */
static void mnv_poller_turn(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	bool work, idle, kicked;

	lockdep_assert_held(&inst->lock);
	/* Its worker has it; still open: the close takes it off first. */
	if (io->handed)
		return;
	if (io->poll_idle && !READ_ONCE(io->kick)) {
		/* Bus mastering may have come back: a config write. */
		mnv_vctrl_io_sync(inst);
		if (mnv_io_quiet(inst))
			return;
	}
	kicked = READ_ONCE(io->kick);
	/*
	 * Clear the kick before the pass: a trapped doorbell recorded
	 * before it is seen by the pass, one recorded after (under
	 * inst->lock, after this store) sets it again.
	 */
	smp_store_mb(io->kick, false);
	/* A queue read through vfio_dma_rw(): the worker does the pass. */
	if (!mnv_io_rings_pinned(inst)) {
		mnv_poller_hand_over(inst, kicked);
		return;
	}
	io->in_turn = true;
	io->turn_blocked = false;
	io->turn_reaped = 0;
	io->turn_posted = 0;
	io->turn_end_ns = ktime_get_ns() + MNV_POLLER_TURN_NS;
	work = mnv_vctrl_pass(inst, MNV_POLLER_BURST);
	io->in_turn = false;
	io->turn_end_ns = 0;
	if (io->fetched > inst->stats.turn_fetch_peak)
		inst->stats.turn_fetch_peak = io->fetched;
	if (max(io->turn_reaped, io->turn_posted) > inst->stats.turn_cqe_peak)
		inst->stats.turn_cqe_peak = max(io->turn_reaped,
						io->turn_posted);
	/*
	 * Work the turn met that may sleep (a pin, an unpin, a list read
	 * through VFIO), or pages it could not unpin: the worker's.
	 */
	if (io->turn_blocked || mnv_io_pins_over(inst)) {
		/* Cleared for the worker's pass, which may block. */
		io->turn_blocked = false;
		mnv_poller_hand_over(inst, kicked);
		return;
	}
	idle = !work && !io->nr_inflight && !io->stalled;
	/* An idle period starts: the instance costs one check a turn. */
	if (idle && !io->poll_idle)
		inst->stats.idle_sleeps++;
	io->poll_idle = idle;
}

/*
 * Give @inst its turn if its lock is free.  An instance whose lock was
 * taken at each of its turns for MNV_POLLER_CONTENDED_NS goes to its
 * worker, which waits for the lock: mutex_lock() hands the lock over to
 * a waiter that keeps losing it, mutex_trylock() never gets it.  So a
 * stream of holders (a VMM's register accesses, readers of the
 * instance's sysfs files, which any user may read) cannot keep the
 * instance from being served, as they could not keep its own thread,
 * which would wait too.  @io->lock_misses and @io->lock_missed_since
 * are the poller's own.
 */
static void mnv_poller_try(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	u64 now;

	if (mutex_trylock(&inst->lock)) {
		io->lock_misses = 0;
		mnv_poller_turn(inst);
		mutex_unlock(&inst->lock);
		return;
	}
	now = ktime_get_ns();
	if (!io->lock_misses++) {
		io->lock_missed_since = now;
		return;
	}
	if (io->lock_misses < MNV_POLLER_CONTENDED_MISSES ||
	    now - io->lock_missed_since < MNV_POLLER_CONTENDED_NS)
		return;
	io->lock_misses = 0;
	/*
	 * Not handed (read by the caller): no worker has the instance, and
	 * only its poller, this thread, hands it over.  The worker clears
	 * @handed under inst->lock.
	 */
	io->lock_contended = true;
	WRITE_ONCE(io->handed, true);
	queue_work(system_unbound_wq, &io->work);
}

static int mnv_poller_fn(void *data)
{
	struct mnv_poller *p = data;
	struct mnv_instance *inst;

	for (;;) {
		spin_lock(&p->lock);
		if (kthread_should_stop()) {
			spin_unlock(&p->lock);
			break;
		}
		inst = vnvme_rr_next(&p->rr);
		p->serving = inst;
		/* Still a member while @serving: not freed before let go. */
		spin_unlock(&p->lock);

		if (!inst) {
			/* Between its creation and its stop only. */
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop() && !READ_ONCE(p->rr.nr))
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		/*
		 * Its worker has it (see @handed at struct mnv_io): no need
		 * to contend for the lock.
		 */
		if (!READ_ONCE(inst->io.handed))
			mnv_poller_try(inst);
		/*
		 * Let go at once: a detach waiting for it must not wait for
		 * this thread to get its CPU back after what follows.
		 */
		spin_lock(&p->lock);
		p->serving = NULL;
		/* Checked under @lock, which the waiter's condition takes. */
		if (waitqueue_active(&p->let_go))
			wake_up_all(&p->let_go);
		spin_unlock(&p->lock);
		/* The CPU is back after going offline: back on it. */
		if (unlikely(raw_smp_processor_id() != p->cpu) &&
		    cpu_active(p->cpu))
			set_cpus_allowed_ptr(current, cpumask_of(p->cpu));
		/*
		 * Never sleeping, the poller must report its quiescent states
		 * itself, or synchronize_rcu_tasks() (ftrace, BPF, kprobes)
		 * waits for it forever.
		 */
		cond_resched_tasks_rcu_qs();
	}
	return 0;
}

/* Caller holds mnv_pollers_lock. */
static struct mnv_poller *mnv_poller_find(int cpu)
{
	struct mnv_poller *p;

	lockdep_assert_held(&mnv_pollers_lock);
	list_for_each_entry(p, &mnv_pollers, node)
		if (p->cpu == cpu)
			return p;
	return NULL;
}

/*
 * The CPU for an instance whose cpu is "any": the active housekeeping CPU
 * whose poller has the fewest members, none for a CPU without one; any
 * active CPU if no housekeeping CPU is.  A housekeeping CPU is one left
 * to unbound kernel threads (HK_TYPE_KTHREAD: not nohz_full=) and to the
 * scheduler's balancing (HK_TYPE_DOMAIN: not isolcpus=).  Caller holds
 * mnv_pollers_lock.
 */
static int mnv_poller_pick_cpu(void)
{
	const struct cpumask *hk = housekeeping_cpumask(HK_TYPE_KTHREAD);
	const struct cpumask *dom = housekeeping_cpumask(HK_TYPE_DOMAIN);
	unsigned int load, best_load = UINT_MAX;
	struct mnv_poller *p;
	int cpu, best = -1;

	lockdep_assert_held(&mnv_pollers_lock);
	for_each_cpu_and(cpu, hk, cpu_active_mask) {
		if (!cpumask_test_cpu(cpu, dom))
			continue;
		p = mnv_poller_find(cpu);
		load = p ? READ_ONCE(p->rr.nr) : 0;
		if (load < best_load) {
			best_load = load;
			best = cpu;
		}
	}
	return best >= 0 ? best : cpumask_first(cpu_active_mask);
}

/*
 * A new poller for @cpu, not started, or an ERR_PTR(); caller holds
 * mnv_pollers_lock.
 */
static struct mnv_poller *mnv_poller_create(int cpu)
{
	struct mnv_poller *p;
	int ret = -ENOMEM;
	void **items;

	lockdep_assert_held(&mnv_pollers_lock);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	items = kcalloc(MNV_POLLER_MIN_CAP, sizeof(*items), GFP_KERNEL);
	if (!p || !items)
		goto err_free;
	p->cpu = cpu;
	spin_lock_init(&p->lock);
	init_waitqueue_head(&p->let_go);
	vnvme_rr_init(&p->rr, items, MNV_POLLER_MIN_CAP);
	p->task = kthread_create(mnv_poller_fn, p, "mnv/poll%d", cpu);
	if (IS_ERR(p->task)) {
		ret = PTR_ERR(p->task);
		goto err_free;
	}
	/* Not kthread_bind(): the poller must survive its CPU going away. */
	if (cpu_active(cpu))
		set_cpus_allowed_ptr(p->task, cpumask_of(cpu));
	list_add(&p->node, &mnv_pollers);
	return p;

err_free:
	kfree(items);
	kfree(p);
	return ERR_PTR(ret);
}

/* Stop an empty poller and free it; caller holds mnv_pollers_lock. */
static void mnv_poller_destroy(struct mnv_poller *p)
{
	lockdep_assert_held(&mnv_pollers_lock);
	list_del(&p->node);
	kthread_stop(p->task);
	kfree(p->rr.items);
	kfree(p);
}

/* Room for one more member; caller holds mnv_pollers_lock. */
static int mnv_poller_reserve(struct mnv_poller *p)
{
	void **items, **old;
	unsigned int cap;

	lockdep_assert_held(&mnv_pollers_lock);
	if (p->rr.nr < p->rr.cap)
		return 0;
	cap = 2 * p->rr.cap;
	items = kcalloc(cap, sizeof(*items), GFP_KERNEL);
	if (!items)
		return -ENOMEM;
	spin_lock(&p->lock);
	old = vnvme_rr_move(&p->rr, items, cap);
	spin_unlock(&p->lock);
	kfree(old);
	return 0;
}

/**
 * mnv_vctrl_poller_attach - have the shared poller of the instance's CPU
 * serve it, making the poller if it is the CPU's first
 * @inst: instance being opened in poll mode; caller holds inst->lock
 *
 * Return: 0, or a negative errno (the poller's thread or memory).
 */
int mnv_vctrl_poller_attach(struct mnv_instance *inst)
{
	int cpu = READ_ONCE(inst->cpu);
	struct mnv_poller *p;
	bool created = false;
	int ret;

	lockdep_assert_held(&inst->lock);
	mutex_lock(&mnv_pollers_lock);
	if (cpu == MNV_CPU_ANY)
		cpu = mnv_poller_pick_cpu();
	p = mnv_poller_find(cpu);
	if (!p) {
		p = mnv_poller_create(cpu);
		if (IS_ERR(p)) {
			ret = PTR_ERR(p);
			goto out;
		}
		created = true;
	}
	ret = mnv_poller_reserve(p);
	if (ret) {
		if (created)
			mnv_poller_destroy(p);
		goto out;
	}
	/* All set before the poller can pick it. */
	INIT_WORK(&inst->io.work, mnv_poller_work_fn);
	inst->io.handed = false;
	inst->io.lock_misses = 0;
	inst->io.lock_contended = false;
	inst->io.poll_idle = false;
	inst->io.poller = p;
	WRITE_ONCE(inst->poller_cpu, cpu);
	spin_lock(&p->lock);
	ret = vnvme_rr_add(&p->rr, inst);
	spin_unlock(&p->lock);
	/* Reserved above. */
	WARN_ON_ONCE(ret);
	wake_up_process(p->task);
out:
	mutex_unlock(&mnv_pollers_lock);
	return ret;
}

/* Has poller @p let go of @inst, which it no longer has as a member? */
static bool mnv_poller_let_go(struct mnv_poller *p, struct mnv_instance *inst)
{
	bool done;

	spin_lock(&p->lock);
	done = p->serving != inst;
	spin_unlock(&p->lock);
	return done;
}

/**
 * mnv_vctrl_poller_detach - take the instance off its shared poller
 * @inst: instance being closed; caller holds inst->lock
 *
 * Once this returns the poller never touches @inst again: it is no
 * member, and a turn the poller took of it before is over.  The poller
 * only try-locks an instance, so a turn of @inst ends at once, its
 * trylock failing, but the poller may be in another instance's turn
 * first: the wait is done with mnv_pollers_lock dropped, so that only
 * this close waits for it, not every poll-mode open and close of the
 * host.  @p->detaching keeps the poller meanwhile; the last to leave an
 * emptied poller stops it, which is quick: it serves nobody.  The
 * instance's worker may still be queued: it finds no poller and does
 * nothing; the caller flushes it after dropping inst->lock
 * (mnv_vctrl_poller_flush()).
 */
void mnv_vctrl_poller_detach(struct mnv_instance *inst)
{
	struct mnv_poller *p = inst->io.poller;

	lockdep_assert_held(&inst->lock);
	if (!p)
		return;
	mutex_lock(&mnv_pollers_lock);
	spin_lock(&p->lock);
	WARN_ON_ONCE(!vnvme_rr_del(&p->rr, inst));
	spin_unlock(&p->lock);
	p->detaching++;
	mutex_unlock(&mnv_pollers_lock);

	wait_event(p->let_go, mnv_poller_let_go(p, inst));
	inst->io.poller = NULL;
	WRITE_ONCE(inst->poller_cpu, MNV_POLLER_NONE);

	mutex_lock(&mnv_pollers_lock);
	if (!--p->detaching && !p->rr.nr)
		mnv_poller_destroy(p);
	mutex_unlock(&mnv_pollers_lock);
}

/**
 * mnv_vctrl_poller_flush - wait for the worker of a detached instance
 * @inst: instance taken off its poller; caller does not hold inst->lock,
 *	which the worker takes
 */
void mnv_vctrl_poller_flush(struct mnv_instance *inst)
{
	lockdep_assert_not_held(&inst->lock);
	if (inst->io.work.func)
		flush_work(&inst->io.work);
}
