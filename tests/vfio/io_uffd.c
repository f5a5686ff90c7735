// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part six: a VMM whose buffer faults slowly.  A region read
 * into memory registered with userfaultfd waits in its copy to user
 * memory until the fault is resolved (here: by this test, on purpose,
 * only at the end).  The instance must keep serving I/O meanwhile: that
 * copy must not be made under the lock the polling thread and every
 * other region access need.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>

#include "io_test.h"

struct stalled_read {
	struct nvme_dev *d;
	void *buf;
	long ret;
};

static void *stalled_read_fn(void *arg)
{
	struct stalled_read *r = arg;

	r->ret = vfio_user_rw(&r->d->vu, VFIO_PCI_BAR0_REGION_INDEX,
			      NVME_REG_CSTS, r->buf, 4, 0);
	return NULL;
}

struct io_job {
	struct inst *in;
	int st;
	int done;
};

static void *io_job_fn(void *arg)
{
	struct io_job *j = arg;

	j->st = io_rw(j->in, 1, NVME_CMD_READ, SCRATCH_LBA, 8,
		      giova(G_DATA2), 0);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A userfaultfd that reports missing pages, also on kernel accesses */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -errno;
	}
	return fd;
}

void test_uffd_region(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	long page = sysconf(_SC_PAGESIZE);
	struct stalled_read rd = { .d = d, .ret = -1 };
	struct io_job job = { .in = in, .st = -1 };
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t rt, jt;
	bool faulted, served = false, job_started = false;
	unsigned int waited;
	uint32_t csts = 0;
	int uffd;

	uffd = uffd_open();
	if (uffd < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no userfaultfd (%s)",
			 strerror(-uffd));
		tap_skip(why, "region read into a userfaultfd page");
		return;
	}
	rd.buf = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)rd.buf;
	reg.range.len = (uint64_t)page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (!ok(rd.buf != MAP_FAILED && !ioctl(uffd, UFFDIO_REGISTER, &reg),
		"a page registered with userfaultfd") ||
	    !ok(!pthread_create(&rt, NULL, stalled_read_fn, &rd),
		"a thread reads CSTS into it")) {
		close(uffd);
		return;
	}

	pfd.fd = uffd;
	pfd.events = POLLIN;
	faulted = poll(&pfd, 1, 5000) == 1 &&
		  read(uffd, &msg, sizeof(msg)) == (ssize_t)sizeof(msg) &&
		  msg.event == UFFD_EVENT_PAGEFAULT;
	ok(faulted, "the region read faults on the page and waits");
	if (faulted && !pthread_create(&jt, NULL, io_job_fn, &job)) {
		job_started = true;
		for (waited = 0; waited < 3000; waited += 10) {
			if (__atomic_load_n(&job.done, __ATOMIC_ACQUIRE))
				break;
			sleep_ms(10);
		}
		served = __atomic_load_n(&job.done, __ATOMIC_ACQUIRE);
	}
	ok(served && job.st == 0,
	   "while it waits, a read on the instance completes (%s, 0x%x)",
	   served ? "served" : "stuck for 3 s", job.st);

	/* Resolve the fault: the read and anything stuck behind it finish. */
	memset(&zp, 0, sizeof(zp));
	zp.range.start = (uintptr_t)rd.buf;
	zp.range.len = (uint64_t)page;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		diag("UFFDIO_ZEROPAGE: %s", strerror(errno));
	pthread_join(rt, NULL);
	if (job_started)
		pthread_join(jt, NULL);
	memcpy(&csts, rd.buf, sizeof(csts));
	ok(rd.ret == 4 && (le32toh(csts) & NVME_CSTS_RDY),
	   "fault resolved: the region read returns CSTS (%ld, 0x%x)",
	   rd.ret, le32toh(csts));
	munmap(rd.buf, (size_t)page);
	close(uffd);
	still_works(in, "a region read that waited on a fault");
}
