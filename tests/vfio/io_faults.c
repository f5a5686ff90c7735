// SPDX-License-Identifier: GPL-2.0-only
/*
 * Isolation under faults (vfio-io -f): instance 1 floods its hardware
 * queues and is then reset, has an SQ deleted, is function-reset, closed,
 * killed, or has memory unmapped under its commands; instance 2, on the
 * same controller, has verified writes in flight meanwhile.  Each time
 * instance 2's writes must all succeed and read back, the controller
 * must stay live, and instance 1 must work again afterwards.  Last, the
 * controller itself is reset from outside (sysfs reset of the PCI
 * function) with both instances busy: both carry on.
 *
 * Meant for a throttled drive (tests/vm/slow-cases/), where the flood
 * takes seconds to drain: longer than the module may simply wait.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io_test.h"

/* Queue pairs of the flood: an SQ of FLOOD_QD holds FLOOD_QD - 1. */
#define FLOOD_QD	128u
/* Guest LBAs of instance 1 the flood writes, of instance 2 the checks. */
#define FLOOD_LBA	1024u
#define CHECK_LBA	16u
#define CHECK_NR	(QD - 1)
/* Guest memory of the flood's data, its own VFIO mapping (unmap test). */
#define F_IOVA		0x13000000ULL
#define F_PAGES		128u
/* The drive may take this long per command: a throttled one is slow. */
#define SLOW_MS		60000u

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *parent_attr(const char *bdf, const char *name,
			       char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_nvme/%s",
		 bdf, name);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static long parent_resets(const char *bdf)
{
	char buf[32];

	parent_attr(bdf, "resets", buf, sizeof(buf));
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

static bool parent_live(const char *bdf, const char *after)
{
	char buf[32];

	parent_attr(bdf, "state", buf, sizeof(buf));
	return ok(!strcmp(buf, "live"), "after %s: controller %s is live (%s)",
		  after, bdf, buf[0] ? buf : "no state");
}

/* Queue pair @q of @in again, with FLOOD_QD entries. */
static int flood_queues(struct inst *in, uint16_t q)
{
	struct nvme_dev *d = &in->dev;
	int st;

	st = nvme_delete_q(d, NVME_ADM_DELETE_SQ, q);
	st = st ? st : nvme_delete_q(d, NVME_ADM_DELETE_CQ, q);
	st = st ? st : nvme_io_cq_create(d, &in->cq[q], q, FLOOD_QD,
					 q == 1 ? G_IOCQ1 : G_IOCQ2);
	return st ? st : nvme_io_sq_create(d, &in->sq[q], q, FLOOD_QD,
					   q == 1 ? G_IOSQ1 : G_IOSQ2,
					   &in->cq[q]);
}

/* @n single-page writes on SQ @q, data from @iova; rung, not reaped. */
static void flood(struct inst *in, uint16_t q, unsigned int n, uint64_t iova)
{
	struct nvme_sqe sqe;
	unsigned int i;

	for (i = 0; i < n; i++) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE, FLOOD_LBA + 8 * i, 8,
			     iova + (uint64_t)(i % F_PAGES) * G_PAGE, 0);
		nvme_io_push(&in->dev, &in->sq[q], &sqe);
	}
	nvme_io_ring(&in->dev, &in->sq[q]);
}

/*
 * Wait until instance 1's polling thread has taken the flood of @nr_sqs
 * SQs to the hardware: until then a reset or deletion would find nothing
 * in flight.  Each flooded SQ costs at least one hardware doorbell;
 * whatever of a flood is left after the first doorbell goes in the
 * thread's next passes, a few milliseconds later.
 */
static bool wait_fetched(struct inst *in, long doorbells0, unsigned int nr_sqs,
			 const char *what)
{
	uint64_t end = now_ms() + 5000;
	long db;

	do {
		db = stat_of(in, "host_doorbells");
		if (doorbells0 >= 0 && db >= doorbells0 + nr_sqs) {
			sleep_ms(200);
			return true;
		}
		sleep_ms(1);
	} while (now_ms() < end);
	return ok(false, "%s: instance 1's flood reached the hardware (doorbells %ld -> %ld)",
		  what, doorbells0, db);
}

/* Instance 2's writes in flight: CHECK_NR random pages from G_BIG. */
static void check_submit(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	struct nvme_sqe sqe;
	unsigned int i;

	fill_random(gptr(d, G_BIG), (size_t)CHECK_NR * G_PAGE);
	for (i = 0; i < CHECK_NR; i++) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE, CHECK_LBA + 8 * i, 8,
			     giova(G_BIG + (uint64_t)i * G_PAGE), 0);
		nvme_io_push(d, &in->sq[1], &sqe);
	}
	nvme_io_ring(d, &in->sq[1]);
}

/*
 * Reap instance 2's writes: each must succeed, or fail with a status the
 * guest retries (@retry_ok: the controller was reset), then be written
 * again; then all read back.  One TAP test.
 */
static void check_finish(struct inst *in, const char *during, bool retry_ok)
{
	struct nvme_dev *d = &in->dev;
	unsigned int i, good = 0, retried = 0, lost = 0, bad = 0;
	uint8_t *r = gptr(d, G_BIG + 512 * 1024);
	struct nvme_cqe cqe;
	uint16_t sf;
	int st;

	for (i = 0; i < CHECK_NR; i++) {
		if (!nvme_io_reap(d, &in->cq[1], &cqe, SLOW_MS)) {
			lost++;
			break;
		}
		sf = cqe.status >> 1;
		if (!sf)
			good++;
		else if (retry_ok && (sf & 0x7ff) == SC_ABORT_REQUESTED &&
			 !(sf & 0x4000))
			retried++;
		else
			diag("%s: instance 2 write cid %u: status 0x%x", during,
			     cqe.cid, sf);
	}
	/* What a guest driver does with a retryable status: write again. */
	for (i = 0; retried && !lost && i < CHECK_NR; i++) {
		st = io_rw(in, 1, NVME_CMD_WRITE, CHECK_LBA + 8 * i, 8,
			   giova(G_BIG + (uint64_t)i * G_PAGE), 0);
		if (st)
			lost++;
	}
	for (i = 0; !lost && i < CHECK_NR; i++) {
		memset(r, 0, G_PAGE);
		st = io_rw(in, 1, NVME_CMD_READ, CHECK_LBA + 8 * i, 8,
			   giova(G_BIG + 512 * 1024), 0);
		bad += st || memcmp(r, gptr(d, G_BIG + (uint64_t)i * G_PAGE),
				    G_PAGE);
	}
	ok(!lost && good + retried == CHECK_NR && !bad,
	   "%s: instance 2's %u writes in flight all done (%u ok, %u retried, %u lost) and read back (%u bad)",
	   during, CHECK_NR, good, retried, lost, bad);
}

/* Instance 1 again after what happened to it: fresh queues, I/O works. */
static void back_to_work(struct inst *in, const char *after, bool reopen)
{
	struct nvme_dev *d = &in->dev;
	uint32_t csts;
	bool up;

	if (reopen) {
		up = inst_setup(in, in->uuid, in->idx, 2) == 0;
	} else {
		csts = nvme_enable(d);
		up = !(csts & NVME_CSTS_CFS) && nvme_ready(d) &&
		     !nvme_io_cq_create(d, &in->cq[1], 1, QD, G_IOCQ1) &&
		     !nvme_io_sq_create(d, &in->sq[1], 1, QD, G_IOSQ1,
					&in->cq[1]) &&
		     !nvme_io_cq_create(d, &in->cq[2], 2, QD, G_IOCQ2) &&
		     !nvme_io_sq_create(d, &in->sq[2], 2, QD, G_IOSQ2,
					&in->cq[2]);
	}
	if (!ok(up, "after %s: instance 1 enabled with its queues again",
		after))
		return;
	still_works(in, after);
}

/* Flood both of instance 1's pairs and put instance 2's writes behind. */
static bool flood_both(struct inst *a, struct inst *b, const char *what)
{
	long db0;

	if (!ok(!flood_queues(a, 1) && !flood_queues(a, 2),
		"%s: instance 1 has two queue pairs of %u entries", what,
		FLOOD_QD))
		return false;
	db0 = stat_of(a, "host_doorbells");
	flood(a, 1, FLOOD_QD - 1, giova(G_BIG));
	flood(a, 2, FLOOD_QD - 1, giova(G_BIG));
	check_submit(b);
	return wait_fetched(a, db0, 2, what);
}

/*
 * Flood instance 1's SQ 1 with @n writes from @iova and put instance 2's
 * writes behind them.
 */
static bool flood_one(struct inst *a, struct inst *b, unsigned int n,
		      uint64_t iova, const char *what)
{
	long db0;

	if (!ok(!flood_queues(a, 1), "%s: instance 1 SQ 1 of %u entries",
		what, FLOOD_QD))
		return false;
	db0 = stat_of(a, "host_doorbells");
	flood(a, 1, n, iova);
	check_submit(b);
	return wait_fetched(a, db0, 1, what);
}

static void test_fault_reset(struct inst *a, struct inst *b, const char *bdf)
{
	long aborted = stat_of(a, "aborted_cmds");
	long flushes = stat_of(a, "cache_flushes");
	uint64_t t;
	uint32_t csts;

	if (!flood_both(a, b, "reset"))
		return;
	t = now_ms();
	csts = nvme_disable(&a->dev);
	diag("reset of instance 1 with %u writes in flight took %llu ms",
	     2 * (FLOOD_QD - 1), (unsigned long long)(now_ms() - t));
	ok(!(csts & (NVME_CSTS_RDY | NVME_CSTS_CFS)),
	   "reset: instance 1 disabled with its queues full (CSTS 0x%x)",
	   csts);
	check_finish(b, "reset of instance 1", false);
	parent_live(bdf, "instance 1's reset");
	/* The emulated controllers have a volatile write cache. */
	ok(flushes >= 0 && stat_of(a, "cache_flushes") > flushes,
	   "reset: instance 1's writes flushed from the drive's cache (%ld -> %ld)",
	   flushes, stat_of(a, "cache_flushes"));
	diag("commands aborted by the reset: %ld",
	     stat_of(a, "aborted_cmds") - aborted);
	back_to_work(a, "reset", false);
}

static void test_fault_delete_sq(struct inst *a, struct inst *b,
				 const char *bdf)
{
	struct nvme_dev *d = &a->dev;
	unsigned int posted = 0, bad = 0;
	struct nvme_cqe cqe;
	struct nvme_sqe sqe;
	uint16_t sf;
	int st;

	if (!flood_one(a, b, FLOOD_QD - 1, giova(G_BIG), "delete SQ"))
		return;
	nvme_sqe_init(&sqe, NVME_ADM_DELETE_SQ);
	sqe.cdw10 = 1;
	nvme_submit(d, &sqe);
	st = nvme_reap(d, &cqe, SLOW_MS) ? cqe.status >> 1 : -1;
	ok(st == 0, "delete SQ: instance 1 deletes SQ 1 with %u writes in flight (0x%x)",
	   FLOOD_QD - 1, st);
	/* Each command completed or was aborted by the deletion. */
	while (nvme_io_reap(d, &a->cq[1], &cqe, 100)) {
		sf = cqe.status >> 1;
		posted++;
		bad += sf && (sf & 0x7ff) != NVME_SF(0, 0x08);
	}
	ok(posted == FLOOD_QD - 1 && !bad,
	   "delete SQ: every command completed or aborted by the deletion (%u of %u, %u other statuses)",
	   posted, FLOOD_QD - 1, bad);
	ok(nvme_delete_q(d, NVME_ADM_DELETE_CQ, 1) == 0,
	   "delete SQ: then CQ 1 is deleted");
	check_finish(b, "SQ deletion on instance 1", false);
	parent_live(bdf, "instance 1's SQ deletion");
	ok(!nvme_io_cq_create(d, &a->cq[1], 1, QD, G_IOCQ1) &&
	   !nvme_io_sq_create(d, &a->sq[1], 1, QD, G_IOSQ1, &a->cq[1]),
	   "delete SQ: instance 1 creates queue pair 1 again");
	still_works(a, "SQ deletion");
}

static void test_fault_flr(struct inst *a, struct inst *b, const char *bdf)
{
	uint64_t t;
	int st;

	if (!flood_both(a, b, "FLR"))
		return;
	t = now_ms();
	st = vfio_user_reset(&a->dev.vu);
	diag("FLR of instance 1 took %llu ms", (unsigned long long)(now_ms() - t));
	ok(st == 0, "FLR: VFIO_DEVICE_RESET of instance 1 with its queues full (%d)",
	   st);
	check_finish(b, "FLR of instance 1", false);
	parent_live(bdf, "instance 1's FLR");
	nvme_pci_setup(&a->dev);
	back_to_work(a, "FLR", false);
}

/*
 * Instance 1's device was closed (@how) with its queues full: nothing of
 * it stays, instance 2's writes are untouched, and it opens again.
 */
static void after_close(struct inst *a, struct inst *b, const char *bdf,
			const char *how)
{
	char what[64];

	ok(sysfs_long(a->uuid, "open") == 0 &&
	   sysfs_long(a->uuid, "pinned_pages") == 0,
	   "%s: instance 1 closed with its queues full: open 0, pinned_pages 0",
	   how);
	snprintf(what, sizeof(what), "%s of instance 1", how);
	check_finish(b, what, false);
	parent_live(bdf, what);
	back_to_work(a, how, true);
}

static void test_fault_close(struct inst *a, struct inst *b, const char *bdf)
{
	if (!flood_both(a, b, "close"))
		return;
	nvme_dev_close(&a->dev);
	after_close(a, b, bdf, "close");
}

/* A VMM killed with its queues full: the kernel closes the device. */
static void test_fault_kill(struct inst *a, struct inst *b, const char *bdf)
{
	int ready[2], status;
	char c = 0;
	long db0;
	pid_t pid;

	nvme_disable(&a->dev);
	nvme_dev_close(&a->dev);
	db0 = stat_of(a, "host_doorbells");
	if (!ok(pipe(ready) == 0, "kill: pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		struct inst k;

		close(ready[0]);
		if (inst_setup(&k, a->uuid, 1, 2) || flood_queues(&k, 1) ||
		    flood_queues(&k, 2))
			_exit(1);
		flood(&k, 1, FLOOD_QD - 1, giova(G_BIG));
		flood(&k, 2, FLOOD_QD - 1, giova(G_BIG));
		c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (!ok(pid > 0 && read(ready[0], &c, 1) == 1 && c == 1,
		"kill: a VMM process opened instance 1 and filled its queues")) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		close(ready[0]);
		return;
	}
	close(ready[0]);
	check_submit(b);
	wait_fetched(a, db0, 2, "SIGKILL");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	after_close(a, b, bdf, "SIGKILL");
}

/* The VMM unmaps the memory its commands in flight use. */
static void test_fault_unmap(struct inst *a, struct inst *b, const char *bdf)
{
	struct nvme_dev *d = &a->dev;
	unsigned int posted = 0, bad = 0;
	struct nvme_cqe cqe;
	uint64_t t;
	uint8_t *f;
	uint16_t sf;
	int st;

	f = vfio_user_map(&d->vu, F_IOVA, (size_t)F_PAGES * G_PAGE);
	if (!ok(f != NULL, "unmap: %u pages mapped at 0x%llx", F_PAGES,
		(unsigned long long)F_IOVA))
		return;
	fill_random(f, (size_t)F_PAGES * G_PAGE);
	if (!flood_one(a, b, FLOOD_QD - 1, F_IOVA, "unmap"))
		goto out;
	t = now_ms();
	st = vfio_user_unmap(&d->vu, F_IOVA, (size_t)F_PAGES * G_PAGE);
	diag("unmap under %u writes took %llu ms", FLOOD_QD - 1,
	     (unsigned long long)(now_ms() - t));
	ok(st == 0, "unmap: the range instance 1's writes use is unmapped (%d)",
	   st);
	while (posted < FLOOD_QD - 1 &&
	       nvme_io_reap(d, &a->cq[1], &cqe, SLOW_MS)) {
		sf = cqe.status >> 1;
		posted++;
		bad += sf && (sf & 0x7ff) != NVME_SF(0, 0x08);
	}
	ok(posted == FLOOD_QD - 1 && !bad,
	   "unmap: instance 1 gets a completion for every write (%u of %u, %u unexpected statuses)",
	   posted, FLOOD_QD - 1, bad);
	check_finish(b, "unmap on instance 1", false);
	parent_live(bdf, "instance 1's unmap");
	still_works(a, "unmap");
out:
	munmap(f, (size_t)F_PAGES * G_PAGE);
}

/*
 * Writes instance 1 submits on its SQ 2 while the controller is reset:
 * the module must hold them in the SQ until the controller is back
 * (QEMU reports a doorbell of a queue the reset deleted as a guest error,
 * which fails the run: tap-aggregate.sh).
 */
#define DURING_NR	(QD - 2)
struct during_reset {
	struct inst *in;
	unsigned int submitted;
	int stop;
};

static void *submit_during_reset(void *arg)
{
	struct during_reset *dr = arg;
	struct nvme_sqe sqe;

	while (!__atomic_load_n(&dr->stop, __ATOMIC_ACQUIRE) &&
	       dr->submitted < DURING_NR) {
		nvme_rw_init(&sqe, NVME_CMD_WRITE,
			     BATCH_LBA + 8 * dr->submitted, 8,
			     giova(G_DATA2 + (dr->submitted % 16) * G_PAGE),
			     0);
		nvme_io_push(&dr->in->dev, &dr->in->sq[2], &sqe);
		nvme_io_ring(&dr->in->dev, &dr->in->sq[2]);
		dr->submitted++;
		sleep_ms(5);
	}
	return NULL;
}

/* Every completion of @n on CQ @q: success or retryable; counts in @bad. */
static unsigned int reap_retryable(struct inst *in, uint16_t q, unsigned int n,
				   unsigned int *bad)
{
	unsigned int done = 0;
	struct nvme_cqe cqe;
	uint16_t sf;

	*bad = 0;
	while (done < n && nvme_io_reap(&in->dev, &in->cq[q], &cqe, SLOW_MS)) {
		sf = cqe.status >> 1;
		done++;
		*bad += sf && ((sf & 0x7ff) != SC_ABORT_REQUESTED ||
			       (sf & 0x4000));
	}
	return done;
}

/*
 * Reset the controller from outside: through its sysfs reset file, or by
 * running @inject, which makes the platform report a PCI error.  True
 * when the reset was asked for.
 */
static bool reset_parent(const char *bdf, const char *inject)
{
	char path[256];
	FILE *f;
	int ret;

	if (inject) {
		ret = system(inject);
		return ok(ret == 0, "%s: '%s' succeeded (%d)", "PCI error",
			  inject, ret);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", bdf);
	f = fopen(path, "w");
	ret = f ? fputs("1\n", f) : -1;
	ret = f && fclose(f) == 0 && ret >= 0 ? 0 : -1;
	return ok(ret == 0, "parent reset: 1 written to %s", path);
}

/* The resets counter of @bdf reaching @want within @ms. */
static long wait_resets(const char *bdf, long want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	long n;

	while ((n = parent_resets(bdf)) >= 0 && n < want && now_ms() < end)
		sleep_ms(20);
	return n;
}

/*
 * The controller itself is reset from outside with both instances busy
 * (@inject: by PCI error recovery, see reset_parent()): the module brings
 * it back, the instances make their hardware queues again, and their
 * commands complete or come back retryable.
 */
void test_parent_reset(struct inst *a, struct inst *b, const char *bdf,
		       const char *inject)
{
	const char *what = inject ? "PCI error" : "parent reset";
	long resets = parent_resets(bdf);
	struct during_reset dr = { .in = a };
	unsigned int done, bad, n = 40;
	pthread_t thr;
	bool started;

	if (!flood_one(a, b, n, giova(G_BIG), what))
		return;
	started = pthread_create(&thr, NULL, submit_during_reset, &dr) == 0;
	if (started && reset_parent(bdf, inject))
		/* Error recovery runs in the kernel after the report. */
		wait_resets(bdf, resets + 1, SLOW_MS);
	__atomic_store_n(&dr.stop, 1, __ATOMIC_RELEASE);
	if (started)
		pthread_join(thr, NULL);
	done = reap_retryable(a, 1, n, &bad);
	ok(done == n && !bad,
	   "%s: instance 1's %u writes all completed, successfully or retryable (%u done, %u other)",
	   what, n, done, bad);
	done = reap_retryable(a, 2, dr.submitted, &bad);
	ok(dr.submitted && done == dr.submitted && !bad,
	   "%s: instance 1's %u writes submitted during it all completed, successfully or retryable (%u done, %u other)",
	   what, dr.submitted, done, bad);
	check_finish(b, what, true);
	parent_live(bdf, what);
	ok(resets >= 0 && parent_resets(bdf) == resets + 1,
	   "%s: the module counted one controller reset (%ld -> %ld)",
	   what, resets, parent_resets(bdf));
	still_works(a, what);
	still_works(b, what);
}

void test_faults(struct inst *a, struct inst *b, const char *bdf)
{
	long resets = parent_resets(bdf);

	ok(resets == 0, "controller %s: no reset so far (%ld)", bdf, resets);
	test_fault_reset(a, b, bdf);
	test_fault_delete_sq(a, b, bdf);
	test_fault_flr(a, b, bdf);
	test_fault_unmap(a, b, bdf);
	test_fault_close(a, b, bdf);
	test_fault_kill(a, b, bdf);
	ok(parent_resets(bdf) == 0,
	   "no fault of instance 1 made the module reset the controller (%ld)",
	   parent_resets(bdf));
	test_parent_reset(a, b, bdf, NULL);
}
