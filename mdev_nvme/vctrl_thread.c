// SPDX-License-Identifier: GPL-2.0-only
/*
 * The polling thread of an instance.
 *
 * The guest's doorbells only record values, so a thread does all the I/O
 * work of an open instance: a thread of its own in adaptive and interrupt
 * modes, a poller it shares with other instances in poll mode
 * (vctrl_poller.c).  The thread belongs to the glue: each pass asks the
 * I/O path (io_*.c) for one round of work (mnv_vctrl_pass()) and acts on
 * what it reports.  How it waits is the instance's mode, fixed while the
 * device is open:
 *
 *  - poll: the shared poller of its CPU never sleeps, and with shadow
 *    doorbells the guest never needs to ring an MMIO doorbell; the
 *    doorbell page may even be mapped into the guest (io_dbpage.c):
 *    lowest latency, one CPU busy for all the poll-mode instances on it;
 *  - adaptive: it polls while work comes in and for idle_us after the
 *    last piece of work, then sleeps until a doorbell wakes it;
 *  - interrupt: it sleeps as soon as a pass finds nothing to do.
 *
 * Adaptive and interrupt modes keep a thread per instance: what they
 * wait for is the instance's own (its doorbells, its queues' interrupts
 * aimed at its CPU, its naps on the drive), a sleeping thread costs
 * nothing, and a thread shared by sleepers would have to sleep until the
 * earliest of their events and turn each wakeup into a look at all.
 *
 * With commands in flight and nothing else to do, the adaptive and
 * interrupt modes sleep until a completion interrupt of the instance's
 * hardware queues wakes them (host_irq.c).  If some of its queues have
 * no vector (the host ran out), they check the hardware every
 * MNV_IO_HW_NAP_* us instead of spinning: a thread spinning on commands
 * in flight takes the CPU from the guests it serves when they share one
 * (measured: bench/results, 20261124-162131).  With nothing on the
 * hardware but completions held for a guest that does not free CQ
 * entries, or commands put off (an unmap hold-off, the instance's bounce
 * buffers all in use, a controller reset), they look again every
 * MNV_IO_HELD_NAP_* us (a doorbell wakes them sooner).
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mdev.h>
#include <linux/sched.h>
#include <linux/uuid.h>

#include "instance.h"
#include "io.h"
#include "vctrl.h"

/*
 * With commands on the hardware and nothing else to do, where a hardware
 * queue has no vector: a 4 KiB read on flash completes in tens of
 * microseconds, so this nap adds little latency and leaves the CPU to
 * the guests (a spinning thread measurably slows a guest that shares it).
 */
#define MNV_IO_HW_NAP_MIN_US	10
#define MNV_IO_HW_NAP_MAX_US	50

/*
 * Waiting for a completion interrupt: the timeout only bounds the cost of
 * an interrupt the controller failed to send and keeps the silent
 * controller check (io_recover.c) looking now and then; a millisecond is
 * far below its seconds and costs a thousand wakeups a second at most.
 */
#define MNV_IO_IRQ_WAIT_US	1000
#define MNV_IO_IRQ_WAIT_SLACK_NS	(100 * NSEC_PER_USEC)

/*
 * With only completions held for a guest that does not free CQ entries,
 * or commands put off: what ends those waits is the guest or a hold-off
 * of milliseconds, and a doorbell wakes the thread sooner anyway.
 */
#define MNV_IO_HELD_NAP_MIN_US	1000
#define MNV_IO_HELD_NAP_MAX_US	2000

static int mnv_vctrl_thread_fn(void *data)
{
	struct mnv_instance *inst = data;
	struct mnv_io *io = &inst->io;
	u64 last_work = ktime_get_ns();
	unsigned int on_hw, irq_waits = 0, hw_naps = 0;
	bool work, waiting, irq_wakes, slept = false;

	while (!kthread_should_stop()) {
		/*
		 * Clear the kick before polling.  Doorbells are recorded under
		 * inst->lock: one recorded before the pass below is seen by
		 * it, one recorded after it sets the kick again (ordered after
		 * this store by the lock) and the thread does not sleep.  A
		 * completion interrupt takes no lock: the barrier orders the
		 * store before the pass's reads of the completion queues.
		 */
		smp_store_mb(io->kick, false);

		mutex_lock(&inst->lock);
		work = mnv_vctrl_pass(inst, MNV_IO_FETCH_BUDGET * inst->nr_qpairs);
		on_hw = mnv_io_nr_on_hw(inst);
		/* Completions held for guest CQ room, or commands stalled. */
		waiting = io->nr_inflight > on_hw || io->stalled;
		irq_wakes = io->nr_irq_qpairs == inst->nr_qpairs;
		inst->stats.idle_sleeps += slept;
		inst->stats.irq_waits += irq_waits;
		inst->stats.hw_naps += hw_naps;
		mutex_unlock(&inst->lock);
		slept = false;
		irq_waits = 0;
		hw_naps = 0;

		if (work) {
			last_work = ktime_get_ns();
			cond_resched();
			continue;
		}
		if (io->mode == MNV_IO_ADAPTIVE &&
		    ktime_get_ns() - last_work < io->idle_ns) {
			cond_resched();
			continue;
		}
		if (on_hw && irq_wakes) {
			/* A completion interrupt sets the kick. */
			set_current_state(TASK_INTERRUPTIBLE);
			if (!READ_ONCE(io->kick) && !kthread_should_stop()) {
				ktime_t t = ns_to_ktime(MNV_IO_IRQ_WAIT_US *
						       NSEC_PER_USEC);

				schedule_hrtimeout_range(&t, MNV_IO_IRQ_WAIT_SLACK_NS,
							 HRTIMER_MODE_REL);
				irq_waits++;
			}
			__set_current_state(TASK_RUNNING);
			continue;
		}
		if (on_hw) {
			/* Some pair has no vector: look again soon. */
			usleep_range(MNV_IO_HW_NAP_MIN_US, MNV_IO_HW_NAP_MAX_US);
			hw_naps++;
			continue;
		}
		if (waiting) {
			/*
			 * Nothing on the hardware, but completions wait for
			 * the guest to free CQ entries (a shadow head update
			 * rings nothing) or put-off commands for what holds
			 * them up to end: look again now and then, without
			 * spinning on a guest that does not read its CQ.
			 */
			usleep_range(MNV_IO_HELD_NAP_MIN_US, MNV_IO_HELD_NAP_MAX_US);
			continue;
		}
		/* Shadow doorbells: have the next submission ring. */
		mutex_lock(&inst->lock);
		mnv_vctrl_io_sync(inst);
		work = mnv_io_doorbells_arm(inst);
		mutex_unlock(&inst->lock);
		if (work)
			continue;
		set_current_state(TASK_INTERRUPTIBLE);
		if (!READ_ONCE(io->kick) && !kthread_should_stop()) {
			schedule();
			slept = true;
		}
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* A completion interrupt of one of the instance's hardware queues. */
static void mnv_vctrl_thread_irq(void *arg)
{
	struct mnv_instance *inst = arg;

	atomic_long_inc(&inst->hw_irqs);
	WRITE_ONCE(inst->io.kick, true);
	/* Set before the first interrupt is attached, cleared after the last. */
	wake_up_process(READ_ONCE(inst->io.thread));
}

/*
 * Let the queues' interrupts wake the thread, in the modes that sleep,
 * when every pair has a vector: the thread naps on the hardware anyway
 * for one that has not, and interrupts would only add to that.
 */
static void mnv_vctrl_irqs_attach(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;
	int ret;

	lockdep_assert_held(&inst->lock);
	if (io->mode == MNV_IO_POLL)
		return;
	for (i = 0; i < inst->nr_qpairs; i++)
		if (!mnv_host_qid_has_irq(inst->host, inst->qids[i]))
			return;
	for (i = 0; i < inst->nr_qpairs; i++) {
		ret = mnv_host_irq_attach(inst->host, inst->qids[i],
					  mnv_vctrl_thread_irq, inst,
					  READ_ONCE(inst->cpu));
		if (ret) {
			dev_info(mnv_instance_dev(inst), "no interrupt for hardware queue %u (%d): its completions are polled\n",
				 inst->qids[i], ret);
			while (i--)
				mnv_host_irq_detach(inst->host, inst->qids[i]);
			return;
		}
	}
	io->nr_irq_qpairs = inst->nr_qpairs;
}

/* Waits for a handler running elsewhere: none runs after this. */
static void mnv_vctrl_irqs_detach(struct mnv_instance *inst)
{
	struct mnv_io *io = &inst->io;
	unsigned int i;

	lockdep_assert_held(&inst->lock);
	for (i = 0; i < io->nr_irq_qpairs; i++)
		mnv_host_irq_detach(inst->host, inst->qids[i]);
	io->nr_irq_qpairs = 0;
}

/*
 * Start the thread of an instance being opened, or have its CPU's shared
 * poller serve it in poll mode; caller holds inst->lock.
 */
int mnv_vctrl_thread_start(struct mnv_instance *inst)
{
	struct mdev_device *mdev = to_mdev_device(inst->vdev.dev);
	struct task_struct *t;
	char id[UUID_STRING_LEN + 1];
	int cpu = READ_ONCE(inst->cpu);

	lockdep_assert_held(&inst->lock);
	if (inst->io.mode == MNV_IO_POLL)
		return mnv_vctrl_poller_attach(inst);
	snprintf(id, sizeof(id), "%pUl", &mdev->uuid);
	t = kthread_create(mnv_vctrl_thread_fn, inst, "mnv/%.8s", id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* Not kthread_bind(): the thread must survive its CPU going away. */
	if (cpu != MNV_CPU_ANY && cpu_online(cpu))
		set_cpus_allowed_ptr(t, cpumask_of(cpu));
	inst->io.thread = t;
	WRITE_ONCE(inst->poller_cpu, MNV_POLLER_OWN);
	wake_up_process(t);
	mnv_vctrl_irqs_attach(inst);
	return 0;
}

/*
 * Stop the thread, or take the instance off its shared poller.  Caller
 * holds inst->lock, which the thread takes in its loop: the lock is
 * dropped while waiting for the thread to exit, or for the worker of a
 * poll-mode instance (a poller only try-locks it: see
 * mnv_vctrl_poller_detach()).  Only the close path calls this,
 * when no region access or ioctl can come in; a concurrent .dma_unmap
 * finds the I/O state still intact.
 */
void mnv_vctrl_thread_stop(struct mnv_instance *inst)
{
	struct task_struct *t = inst->io.thread;

	lockdep_assert_held(&inst->lock);
	if (inst->io.poller) {
		mnv_vctrl_poller_detach(inst);
		/* Its worker takes inst->lock: flushed without it. */
		mutex_unlock(&inst->lock);
		mnv_vctrl_poller_flush(inst);
		mutex_lock(&inst->lock);
	}
	if (!t)
		return;
	mnv_vctrl_irqs_detach(inst);
	inst->io.thread = NULL;
	WRITE_ONCE(inst->poller_cpu, MNV_POLLER_NONE);
	mutex_unlock(&inst->lock);
	kthread_stop(t);
	mutex_lock(&inst->lock);
}

/*
 * A doorbell was written: make sure the thread looks (a shared poller
 * never sleeps: the kick is enough for it).  inst->lock held.
 */
void mnv_vctrl_thread_kick(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->lock);
	WRITE_ONCE(inst->io.kick, true);
	if (inst->io.thread)
		wake_up_process(inst->io.thread);
}
