// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-fault: one step of a vNVMe's life under injected allocation
 * failures, then the proof that the instance recovered.
 *
 *   vfio-fault [-t] (-a | -n N | -c) STEP UUID
 *   vfio-fault (-a | -n N) -w FILE STRING
 *
 * STEP is the step under injection, the ones before it run clean:
 *   open     open the vNVMe as a VMM does (container, group, device fd)
 *            and map 4 MiB of guest memory
 *   enable   program the admin queue and set CC.EN
 *   queues   create an I/O completion and submission queue (admin
 *            commands)
 *   io       write 8 blocks and read them back (the I/O thread pins the
 *            buffers and submits to the hardware)
 * -a fails every allocation of the target (/proc/PID/make-it-fail; the
 * fault attributes in debugfs must have task-filter set), -n N only its
 * N-th fault site (/proc/PID/task/PID/fail-nth), so that a loop over N
 * reaches each allocation in turn; -c injects nothing (a plain run of
 * every step, twice).  The target is this process, or with
 * -t the instance's I/O thread ("mnv/" and the first 8 characters of the
 * UUID), which exists once the device is open.
 *
 * A step may succeed (the failed allocation had a fallback, or none was
 * reached) or fail cleanly: an errno from the system call, CSTS.CFS, or
 * an NVMe error status in the completion.  It must never leave a command
 * without completion and the controller without CFS (a guest would hang),
 * nor complete a read with wrong data.  After the step, with injection
 * off, the device is closed, opened again and must run every step.
 *
 * With -w, STRING is written to FILE (e.g. an mdev type's "create") under
 * injection; nothing else is done, the caller checks the result.
 *
 * Output: "# " diagnostics, then "step STEP: ok|failed: WHY",
 * "injected: N" (faults injected, from the debugfs "times" counters) and
 * "recovered: yes|no".  Exit status: 0 when the step succeeded or failed
 * cleanly and the instance recovered, 1 otherwise, 2 on bad usage or when
 * the injection could not be set up.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme_guest.h"
#include "nvme_io.h"

#define FAULT_DEBUGFS	"/sys/kernel/debug"
#define IO_TIMEOUT_MS	10000
#define IOQ_SIZE	64
#define IO_NLB		8
#define IO_BYTES	(IO_NLB * 512)

enum step { S_OPEN, S_ENABLE, S_QUEUES, S_IO, S_DONE };
static const char *const step_names[] = { "open", "enable", "queues", "io" };

/* How the target is armed: which file, what to write to arm it. */
struct arm {
	int fd;			/* make-it-fail or fail-nth of the target */
	char on[16];
	bool nth;
};

static void die_setup(const char *fmt, ...)
{
	va_list ap;

	printf("# setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(2);
}

/* Faults injected so far by failslab and fail_page_alloc together. */
static long faults_left(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	char path[128], buf[32];
	long sum = 0;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s/times", attrs[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die_setup("%s: %s", path, strerror(errno));
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			die_setup("%s: unreadable", path);
		buf[n] = 0;
		sum += strtol(buf, NULL, 10);
	}
	return sum;
}

/*
 * Open the arming file of task @pid (0: this thread) before injection
 * starts: the open itself allocates.
 */
static void arm_prepare(struct arm *a, pid_t pid, bool nth, long n)
{
	char path[64];

	if (nth && pid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/fail-nth", pid, pid);
	else if (nth)
		snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
	else if (pid)
		snprintf(path, sizeof(path), "/proc/%d/make-it-fail", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/make-it-fail");
	a->fd = open(path, O_RDWR);
	if (a->fd < 0)
		die_setup("%s: %s", path, strerror(errno));
	a->nth = nth;
	snprintf(a->on, sizeof(a->on), "%ld", nth ? n : 1L);
}

/* Neither arming nor disarming allocates: the file is open already. */
static void arm_set(struct arm *a, bool on)
{
	const char *v = on ? a->on : "0";

	if (pwrite(a->fd, v, strlen(v), 0) != (ssize_t)strlen(v))
		die_setup("arming the fault: %s", strerror(errno));
}

static void arm_release(struct arm *a)
{
	arm_set(a, false);
	close(a->fd);
}

/* pid of the instance's I/O thread, found by its name; 0 if none. */
static pid_t io_thread_pid(const char *uuid)
{
	char want[16], path[300], comm[32];
	struct dirent *e;
	pid_t pid = 0;
	DIR *dir;

	snprintf(want, sizeof(want), "mnv/%.8s", uuid);
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (!pid && (e = readdir(dir))) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, want))
				pid = atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(dir);
	return pid;
}

/* A BAR0 write whose failure is reported, unlike bar_wr32()'s. */
static int wr32(struct nvme_dev *d, uint32_t off, uint32_t val)
{
	uint32_t v = htole32(val);
	long n = vfio_user_rw(&d->vu, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4, 1);

	return n == 4 ? 0 : n < 0 ? (int)n : -EIO;
}

static int wr64(struct nvme_dev *d, uint32_t off, uint64_t val)
{
	int ret = wr32(d, off, (uint32_t)val);

	return ret ? ret : wr32(d, off + 4, (uint32_t)(val >> 32));
}

/* Why a step ended, for the report. */
static char why[256];

static int failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

/* The step went wrong in a way a guest could not cope with. */
static bool unclean;

static int broken(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	unclean = true;
	return -1;
}

/*
 * No completion came: clean only if the controller reports a fatal
 * status (the guest driver resets it), or the doorbell write failed.
 */
static int no_completion(struct nvme_dev *d, const char *what)
{
	uint32_t csts = bar_rd32(d, NVME_REG_CSTS);

	if (csts != ~0u && (csts & NVME_CSTS_CFS))
		return failed("%s: no completion, CSTS.CFS set (0x%x)", what, csts);
	return broken("%s: no completion within %u ms and CSTS 0x%x without CFS",
		      what, IO_TIMEOUT_MS, csts);
}

static int do_enable(struct nvme_dev *d)
{
	uint32_t csts;
	int ret;

	nvme_pci_setup(d);
	d->asq_iova = giova(G_ASQ);
	d->acq_iova = giova(G_ACQ);
	d->sq_tail = 0;
	d->cq_head = 0;
	d->phase = 1;
	memset(gptr(d, G_ASQ), 0, AQ_DEPTH * sizeof(struct nvme_sqe));
	memset(gptr(d, G_ACQ), 0, AQ_DEPTH * sizeof(struct nvme_cqe));
	ret = wr32(d, NVME_REG_AQA, (AQ_DEPTH - 1) << 16 | (AQ_DEPTH - 1));
	ret = ret ? ret : wr64(d, NVME_REG_ASQ, giova(G_ASQ));
	ret = ret ? ret : wr64(d, NVME_REG_ACQ, giova(G_ACQ));
	ret = ret ? ret : wr32(d, NVME_REG_CC, NVME_CC_DEFAULT | NVME_CC_EN);
	if (ret)
		return failed("register write: %s", strerror(-ret));
	csts = nvme_wait_csts(d, NVME_CSTS_RDY | NVME_CSTS_CFS, NVME_CSTS_RDY,
			      IO_TIMEOUT_MS);
	if (csts == ~0u)
		return failed("CSTS read failed");
	if (csts & NVME_CSTS_CFS)
		return failed("CSTS.CFS (0x%x)", csts);
	if (!(csts & NVME_CSTS_RDY))
		return broken("neither RDY nor CFS after %u ms (CSTS 0x%x)",
			      IO_TIMEOUT_MS, csts);
	return 0;
}

/* One admin command, with the doorbell write checked. */
static int admin(struct nvme_dev *d, struct nvme_sqe *sqe, const char *what)
{
	struct nvme_sqe *slot = (struct nvme_sqe *)gptr(d, G_ASQ) + d->sq_tail;
	struct nvme_cqe cqe;
	uint16_t cid = d->next_cid++;
	int ret;

	sqe->cid = htole16(cid);
	memcpy(slot, sqe, sizeof(*slot));
	d->sq_tail = (d->sq_tail + 1) % AQ_DEPTH;
	ret = wr32(d, NVME_REG_DB, d->sq_tail);
	if (ret)
		return failed("%s: doorbell write: %s", what, strerror(-ret));
	if (!nvme_reap(d, &cqe, IO_TIMEOUT_MS))
		return no_completion(d, what);
	if (cqe.cid != cid)
		return broken("%s: completion for cid %u, want %u", what, cqe.cid, cid);
	if (cqe.status >> 1)
		return failed("%s: status 0x%x", what, cqe.status >> 1);
	return 0;
}

static struct nvme_io_cq cq;
static struct nvme_io_sq sq;

static int do_queues(struct nvme_dev *d)
{
	struct nvme_sqe sqe;
	int ret;

	memset(&cq, 0, sizeof(cq));
	cq.qid = 1;
	cq.size = IOQ_SIZE;
	cq.phase = 1;
	cq.off = G_IOCQ1;
	memset(gptr(d, cq.off), 0, IOQ_SIZE * sizeof(struct nvme_cqe));
	nvme_sqe_init(&sqe, NVME_ADM_CREATE_CQ);
	sqe.prp1 = htole64(giova(cq.off));
	sqe.cdw10 = htole32((IOQ_SIZE - 1) << 16 | 1);
	sqe.cdw11 = htole32(1);		/* physically contiguous, no interrupt */
	ret = admin(d, &sqe, "create CQ");
	if (ret)
		return ret;

	memset(&sq, 0, sizeof(sq));
	sq.qid = 1;
	sq.size = IOQ_SIZE;
	sq.off = G_IOSQ1;
	sq.cq = &cq;
	memset(gptr(d, sq.off), 0, IOQ_SIZE * sizeof(struct nvme_sqe));
	nvme_sqe_init(&sqe, NVME_ADM_CREATE_SQ);
	sqe.prp1 = htole64(giova(sq.off));
	sqe.cdw10 = htole32((IOQ_SIZE - 1) << 16 | 1);
	sqe.cdw11 = htole32(1u << 16 | 1);	/* CQ 1, contiguous */
	return admin(d, &sqe, "create SQ");
}

static int io_cmd(struct nvme_dev *d, uint8_t opcode, uint64_t off,
		  const char *what)
{
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	uint16_t cid;
	int ret;

	nvme_rw_init(&sqe, opcode, 0, IO_NLB, giova(off), 0);
	cid = nvme_io_push(d, &sq, &sqe);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ret = wr32(d, nvme_sq_db(d, sq.qid), sq.tail);
	if (ret)
		return failed("%s: doorbell write: %s", what, strerror(-ret));
	if (!nvme_io_reap(d, &cq, &cqe, IO_TIMEOUT_MS))
		return no_completion(d, what);
	if (cqe.cid != cid || cqe.sq_id != sq.qid)
		return broken("%s: completion for cid %u SQ %u, want %u SQ %u",
			      what, cqe.cid, cqe.sq_id, cid, sq.qid);
	if (cqe.status >> 1)
		return failed("%s: status 0x%x", what, cqe.status >> 1);
	return 0;
}

static unsigned int io_round;

static int do_io(struct nvme_dev *d)
{
	uint8_t *w = gptr(d, G_DATA), *r = gptr(d, G_DATA2);
	unsigned int i;
	int ret;

	/* A different pattern every time: stale data cannot pass. */
	io_round++;
	for (i = 0; i < IO_BYTES; i++)
		w[i] = (uint8_t)(i * 7 + io_round * 13 + getpid());
	memset(r, 0, IO_BYTES);
	ret = io_cmd(d, NVME_CMD_WRITE, G_DATA, "write");
	if (ret)
		return ret;
	ret = io_cmd(d, NVME_CMD_READ, G_DATA2, "read");
	if (ret)
		return ret;
	if (memcmp(w, r, IO_BYTES))
		return broken("read: success status but the data differs from what was written");
	return 0;
}

static int do_open(struct nvme_dev *d, const char *uuid)
{
	int ret = nvme_dev_open(d, uuid);

	if (ret)
		return failed("open: %s", strerror(-ret));
	return 0;
}

/*
 * With every allocation of this process failing, a page fault that needs
 * a page table cannot be served, and the fault handler retries it for
 * ever: fault in beforehand the stack, heap and code the steps use.
 */
static void __attribute__((noinline)) warm_up(const char *uuid)
{
	volatile char stack[64 * 1024];
	char path[128];
	void *heap;
	FILE *f;

	memset((char *)stack, 1, sizeof(stack));
	heap = malloc(256 * 1024);
	if (heap)
		memset(heap, 1, 256 * 1024);
	free(heap);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/queue_pairs", uuid);
	f = fopen(path, "r");
	if (f)
		fclose(f);
}

/*
 * Run the steps up to @last; injection armed for step @inject only
 * (S_DONE: never).  Returns the step that failed, or S_DONE.
 */
static enum step run(struct nvme_dev *d, const char *uuid, enum step inject,
		     enum step last, bool thread, bool nth, long n,
		     long *injected)
{
	enum step s;
	struct arm a;
	long before = 0;
	int ret = 0;

	for (s = S_OPEN; s <= last; s++) {
		bool armed = s == inject;

		if (armed) {
			pid_t pid = 0;

			if (!thread)
				warm_up(uuid);
			if (thread) {
				pid = io_thread_pid(uuid);
				if (!pid)
					die_setup("no I/O thread mnv/%.8s", uuid);
			}
			arm_prepare(&a, pid, nth, n);
			before = faults_left();
			arm_set(&a, true);
		}
		switch (s) {
		case S_OPEN: ret = do_open(d, uuid); break;
		case S_ENABLE: ret = do_enable(d); break;
		case S_QUEUES: ret = do_queues(d); break;
		case S_IO: ret = do_io(d); break;
		default: break;
		}
		if (armed) {
			arm_release(&a);
			*injected = before - faults_left();
		}
		if (ret)
			return s;
	}
	return S_DONE;
}

static int write_file(const char *file, const char *str, bool nth, long n)
{
	long before, injected;
	struct arm a;
	ssize_t w;
	int fd, err;

	fd = open(file, O_WRONLY);
	if (fd < 0)
		die_setup("%s: %s", file, strerror(errno));
	arm_prepare(&a, 0, nth, n);
	before = faults_left();
	arm_set(&a, true);
	w = write(fd, str, strlen(str));
	err = errno;
	arm_release(&a);
	injected = before - faults_left();
	close(fd);
	if (w == (ssize_t)strlen(str))
		printf("step write: ok\n");
	else
		printf("step write: failed: %s\n", w < 0 ? strerror(err) : "short write");
	printf("injected: %ld\n", injected);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-fault [-t] (-a | -n N | -c) open|enable|queues|io UUID\n"
			"       vfio-fault (-a | -n N) -w FILE STRING\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool thread = false, nth = false, all = false, clean = false;
	bool wfile = false;
	long n = 0, injected = 0;
	enum step inject, s;
	struct nvme_dev d;
	const char *uuid;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "tacn:w")) != -1) {
		switch (opt) {
		case 't': thread = true; break;
		case 'a': all = true; break;
		case 'c': clean = true; break;
		case 'n': nth = true; n = strtol(optarg, NULL, 10); break;
		case 'w': wfile = true; break;
		default: usage();
		}
	}
	if (all + nth + clean != 1 || (nth && n <= 0) || argc - optind != 2)
		usage();
	if (wfile) {
		if (thread || clean)
			usage();
		return write_file(argv[optind], argv[optind + 1], nth, n);
	}
	for (inject = S_OPEN; inject < S_DONE; inject++)
		if (!strcmp(argv[optind], step_names[inject]))
			break;
	if (inject == S_DONE || (thread && inject == S_OPEN))
		usage();	/* the thread starts with the open */
	uuid = argv[optind + 1];

	memset(&d, 0, sizeof(d));
	s = run(&d, uuid, clean ? S_DONE : inject, inject, thread, nth, n,
		&injected);
	if (s == S_DONE)
		printf("step %s: ok\n", step_names[inject]);
	else if (s != inject)
		printf("step %s: not reached: %s failed without injection: %s\n",
		       step_names[inject], step_names[s], why);
	else
		printf("step %s: failed: %s\n", step_names[inject], why);
	printf("injected: %ld\n", injected);
	nvme_dev_close(&d);
	if (s != S_DONE && s != inject)
		return 1;

	/* Injection is off: the instance must do everything again. */
	memset(&d, 0, sizeof(d));
	s = run(&d, uuid, S_DONE, S_IO, false, false, 0, &injected);
	nvme_dev_close(&d);
	if (s != S_DONE) {
		printf("recovered: no (%s: %s)\n", step_names[s], why);
		return 1;
	}
	printf("recovered: yes\n");
	return unclean ? 1 : 0;
}
