// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-chaos: one VMM of the chaos run (tests/vm/chaos-cases/).  It
 * drives a vNVMe as a guest driver would, with verified I/O on every
 * queue pair, and interleaves random faults of its own:
 *
 *   reset      CC.EN = 0 with commands in flight, then enable again
 *   flr        VFIO_DEVICE_RESET with commands in flight
 *   flr-cfg    Initiate Function Level Reset in the PCIe Device Control
 *              register (config space), with commands in flight
 *   queues     Delete SQ and CQ of one pair under load, create them again
 *   unmap      unmap half of the data buffers under load, map them back
 *   ring       unmap the memory of the rings under load: mapped back at
 *              once, I/O goes on; left unmapped, the controller fails
 *              (CSTS.CFS); then map it back, re-initialise
 *   busmaster  clear Bus Master Enable for a while, then set it again
 *
 *   vfio-chaos --chaos SECONDS SEED --state FILE UUID
 *
 * What must hold, whatever else happens (the driver script kills and
 * restarts this process, destroys and re-creates its instance, resets
 * the controller under it):
 *  - a Read returns what the last successful Write of each block put
 *    there, at the right LBA (every 512-byte block names its host LBA,
 *    its write sequence and the slice);
 *  - every command completes, except when the controller is reset or
 *    fails (CSTS.CFS), which ends what it had;
 *  - a status with DNR clear (Command Abort Requested after a reset of
 *    the controller by the module, Command Aborted due to SQ Deletion)
 *    is retried; any other error status is an error.
 *
 * What the last successful write of each chunk was is kept in FILE, a
 * shared mapping, so that it outlives a SIGKILL and the instance: the
 * next incarnation verifies what its predecessors wrote.  A write whose
 * outcome is unknown (in flight at a reset, a kill) leaves its chunk
 * "pending": such a chunk is written before it is read again.
 *
 * When the instance is removed while open (the request interrupt), the
 * process closes the device at once and exits with status 3.  At the
 * end of SECONDS it drains its commands, reads back every chunk whose
 * content it knows, disables the controller, closes the device and
 * prints TAP and its counts.  Exit status 0 iff no error was seen.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "nvme_guest.h"
#include "nvme_io.h"
#include "tap.h"

#define LBA_SIZE	512u
#define CHUNK_LBAS	8u		/* a chunk is one 4 KiB page */
#define MAX_CHUNKS	1024u		/* 4 MiB of the slice per instance */
#define MAX_XFER	4u		/* chunks per command, at most */
#define NQ_MAX		2u
#define CHAOS_QD	16u		/* SQ/CQ entries */
#define DEPTH		8u		/* commands in flight per queue pair */
#define NSLOTS		(NQ_MAX * DEPTH)

/*
 * Data buffers: MAX_XFER pages per slot, in two VFIO mappings of their
 * own (one per queue pair's slots) that the unmap fault takes away and
 * gives back.  PRP lists live in the main guest memory at G_BIG.
 */
#define DATA_IOVA	0x20000000ULL
#define HALF_PAGES	(DEPTH * MAX_XFER)
#define HALF_SIZE	((size_t)HALF_PAGES * G_PAGE)

/* Waits, all generous: the VM runs under TCG beside three other VMMs. */
#define ADMIN_MS	30000u	/* one admin command */
#define STALL_MS	30000u	/* no completion with commands in flight */
#define CSTS_LOOK_MS	100u	/* how often an idle wait reads CSTS */
#define DRAIN_MS	30000u
/* Unfetched at a Delete SQ is plausible for this long after submission. */
#define IMPLICIT_MS	5000u
/* Counts printed this often: a SIGKILL loses at most that much of them. */
#define NOTE_MS		5000u

/* Status codes a guest retries (DNR clear) and the one unmap may give */
#define SC_ABORT_REQ	NVME_SF(0, 0x07)
#define SC_ABORT_SQDEL	NVME_SF(0, 0x08)
#define SC_DATA_XFER	NVME_SF(0, 0x04)

#define STATE_MAGIC	0x6d6e7663u	/* "mnvc" */
#define CHUNK_PENDING	0x80000000u	/* write in flight, outcome unknown */

struct state_file {
	uint32_t magic;
	uint32_t nchunks;
	uint64_t lba_start;
	/* per chunk: sequence of its last good write | CHUNK_PENDING */
	uint32_t chunk[MAX_CHUNKS];
};

enum fault {
	F_RESET, F_FLR, F_FLR_CFG, F_QUEUES, F_UNMAP, F_RING, F_BME,
	NR_FAULTS
};

static const char *const fault_name[NR_FAULTS] = {
	"reset", "flr", "flr-cfg", "queues", "unmap", "ring", "busmaster"
};

/* Relative weights: the ring fault upsets the whole controller, rarer. */
static const unsigned int fault_weight[NR_FAULTS] = { 4, 2, 2, 4, 4, 2, 4 };

struct slot {
	bool busy;
	bool write;
	uint8_t q;
	uint16_t cid;
	uint32_t chunk;		/* first chunk */
	uint32_t n;		/* chunks */
	uint32_t seq[MAX_XFER];	/* written sequence of each chunk */
	unsigned int unmap_gen;	/* unmap faults when submitted */
	unsigned int tries;
	uint64_t pushed_ms;
};

struct chaos {
	struct nvme_dev d;
	const char *uuid;
	uint64_t lba_start;
	uint32_t nchunks;
	unsigned int nq;
	struct nvme_io_cq cq[NQ_MAX + 1];
	struct nvme_io_sq sq[NQ_MAX + 1];
	struct slot slot[NSLOTS];
	bool chunk_busy[MAX_CHUNKS];
	struct state_file *st;
	uint8_t *data;		/* the host view of both data halves */
	int req_fd;
	unsigned int unmap_gen;	/* unmap faults done so far */
	unsigned int inflight[NQ_MAX + 1];

	/* counters */
	unsigned long writes_ok, reads_ok, chunks_verified, final_verified;
	unsigned long retries, retry_abort_req, retry_sqdel, retry_dte;
	unsigned long implicit_aborts;	/* no completion after Delete SQ */
	int last_fault;			/* what was done last, for reports */
	uint64_t last_fault_ms;
	unsigned long dropped;		/* ended by a reset of ours */
	unsigned long reinits, cfs_seen, module_resets;
	/* the ring fault: mapped back at once (CFS or not), or left out */
	unsigned long ring_remap_ok, ring_remap_cfs, ring_gone_cfs;
	unsigned long faults[NR_FAULTS];
	unsigned long data_errors, status_errors, lost, admin_errors;
	unsigned long stalls;
};

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* --- the data pattern ------------------------------------------------------ */

/*
 * Block @host_lba written with sequence @seq: a header that names both
 * and the slice, then bytes that depend on all three, so that a block
 * from another write, another LBA or another instance never matches.
 */
static void pattern_block(uint8_t *b, uint64_t host_lba, uint32_t seq,
			  uint64_t slice)
{
	uint64_t x = host_lba * 0x9e3779b97f4a7c15ULL ^ (uint64_t)seq << 32 ^
		     slice ^ 0x2545f4914f6cdd1dULL;
	unsigned int i;

	memset(b, 0, 32);
	snprintf((char *)b, 32, "chaos %llu/%u",
		 (unsigned long long)host_lba, seq);
	for (i = 32; i < LBA_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b + i, &x, 8);
	}
}

static void pattern_chunk(struct chaos *c, uint8_t *p, uint32_t chunk,
			  uint32_t seq)
{
	uint64_t lba = c->lba_start + (uint64_t)chunk * CHUNK_LBAS;
	unsigned int i;

	for (i = 0; i < CHUNK_LBAS; i++)
		pattern_block(p + i * LBA_SIZE, lba + i, seq, c->lba_start);
}

static uint8_t *slot_page(struct chaos *c, unsigned int s, unsigned int i)
{
	return c->data + ((size_t)s * MAX_XFER + i) * G_PAGE;
}

static uint64_t slot_iova(unsigned int s, unsigned int i)
{
	return DATA_IOVA + ((uint64_t)s * MAX_XFER + i) * G_PAGE;
}

/* --- the state file ----------------------------------------------------------- */

static int state_open(struct chaos *c, const char *path)
{
	struct state_file *st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(*st))) {
		perror(path);
		return -1;
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  0);
	close(fd);
	if (st == MAP_FAILED) {
		perror("mmap state");
		return -1;
	}
	/* Another slice (or the first run): nothing is known yet. */
	if (st->magic != STATE_MAGIC || st->nchunks != c->nchunks ||
	    st->lba_start != c->lba_start) {
		memset(st, 0, sizeof(*st));
		st->nchunks = c->nchunks;
		st->lba_start = c->lba_start;
		st->magic = STATE_MAGIC;
	}
	c->st = st;
	return 0;
}

static bool chunk_known(struct chaos *c, uint32_t i)
{
	uint32_t v = c->st->chunk[i];

	return v && !(v & CHUNK_PENDING);
}

/* --- admin commands with a long wait --------------------------------------------- */

/* The Status Field of @sqe on the admin queue, or -1 without completion. */
static int admin(struct chaos *c, struct nvme_sqe *sqe)
{
	struct nvme_cqe cqe;
	uint16_t cid = nvme_submit(&c->d, sqe);

	if (!nvme_reap(&c->d, &cqe, ADMIN_MS)) {
		diag("%s: ERROR: admin opcode 0x%02x: no completion in %u ms",
		     c->uuid, sqe->opcode, ADMIN_MS);
		return -1;
	}
	if (cqe.cid != cid) {
		diag("%s: ERROR: admin opcode 0x%02x: completion for cid %u, not %u",
		     c->uuid, sqe->opcode, cqe.cid, cid);
		return -1;
	}
	return cqe.status >> 1;
}

static int delete_q(struct chaos *c, uint8_t opcode, uint16_t qid)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, opcode);
	sqe.cdw10 = htole32(qid);
	return admin(c, &sqe);
}

static uint64_t cq_off(unsigned int q)
{
	return q == 1 ? G_IOCQ1 : G_IOCQ2;
}

static uint64_t sq_off(unsigned int q)
{
	return q == 1 ? G_IOSQ1 : G_IOSQ2;
}

/* Queue pair @q, polled (no interrupt), as nvme_io.c tracks it. */
static int create_pair(struct chaos *c, unsigned int q)
{
	struct nvme_io_cq *cq = &c->cq[q];
	struct nvme_io_sq *sq = &c->sq[q];
	struct nvme_sqe sqe;
	int st;

	memset(cq, 0, sizeof(*cq));
	cq->qid = q;
	cq->size = CHAOS_QD;
	cq->phase = 1;
	cq->off = cq_off(q);
	memset(gptr(&c->d, cq->off), 0, CHAOS_QD * sizeof(struct nvme_cqe));
	nvme_sqe_init(&sqe, NVME_ADM_CREATE_CQ);
	sqe.prp1 = htole64(giova(cq->off));
	sqe.cdw10 = htole32((CHAOS_QD - 1) << 16 | q);
	sqe.cdw11 = htole32(1);		/* physically contiguous */
	st = admin(c, &sqe);
	if (st)
		return st;

	memset(sq, 0, sizeof(*sq));
	sq->qid = q;
	sq->size = CHAOS_QD;
	sq->off = sq_off(q);
	sq->cq = cq;
	memset(gptr(&c->d, sq->off), 0, CHAOS_QD * sizeof(struct nvme_sqe));
	nvme_sqe_init(&sqe, NVME_ADM_CREATE_SQ);
	sqe.prp1 = htole64(giova(sq->off));
	sqe.cdw10 = htole32((CHAOS_QD - 1) << 16 | q);
	sqe.cdw11 = htole32((uint32_t)q << 16 | 1);
	return admin(c, &sqe);
}

/* --- slots ------------------------------------------------------------------------- */

static void slot_free(struct chaos *c, struct slot *s)
{
	uint32_t i;

	for (i = 0; i < s->n; i++)
		c->chunk_busy[s->chunk + i] = false;
	c->inflight[s->q]--;
	s->busy = false;
}

/*
 * Every command in flight is gone (a reset of ours, the controller
 * failed, the device closed): their writes stay pending, to be written
 * again before their chunks are read.
 */
static void drop_all(struct chaos *c)
{
	unsigned int i;

	for (i = 0; i < NSLOTS; i++) {
		if (!c->slot[i].busy)
			continue;
		c->dropped++;
		slot_free(c, &c->slot[i]);
	}
}

/* Put slot @s's command on its SQ (no doorbell). */
static void slot_push(struct chaos *c, unsigned int idx)
{
	struct slot *s = &c->slot[idx];
	uint64_t list = G_BIG + (uint64_t)idx * G_PAGE;
	uint64_t prp2 = 0;
	struct nvme_sqe sqe;
	unsigned int i;

	if (s->n == 2) {
		prp2 = slot_iova(idx, 1);
	} else if (s->n > 2) {
		uint64_t *e = gptr(&c->d, list);

		for (i = 1; i < s->n; i++)
			e[i - 1] = htole64(slot_iova(idx, i));
		prp2 = giova(list);
	}
	nvme_rw_init(&sqe, s->write ? NVME_CMD_WRITE : NVME_CMD_READ,
		     (uint64_t)s->chunk * CHUNK_LBAS, s->n * CHUNK_LBAS,
		     slot_iova(idx, 0), prp2);
	s->unmap_gen = c->unmap_gen;
	s->pushed_ms = now_ms();
	s->cid = nvme_io_push(&c->d, &c->sq[s->q], &sqe);
}

/* A new command on queue pair @q, if a free slot and free chunks exist. */
static bool slot_start(struct chaos *c, unsigned int q)
{
	unsigned int idx, i, n, first = (q - 1) * DEPTH;
	bool all_known = true;
	struct slot *s = NULL;
	uint32_t chunk;

	for (idx = first; idx < first + DEPTH; idx++) {
		if (!c->slot[idx].busy) {
			s = &c->slot[idx];
			break;
		}
	}
	if (!s)
		return false;
	n = 1 + rnd_below(MAX_XFER);
	chunk = rnd_below(c->nchunks - n + 1);
	for (i = 0; i < n; i++) {
		if (c->chunk_busy[chunk + i])
			return false;
		all_known &= chunk_known(c, chunk + i);
	}
	memset(s, 0, sizeof(*s));
	s->busy = true;
	s->q = q;
	s->chunk = chunk;
	s->n = n;
	/* Unknown content is written first; known content is read 1 in 2. */
	s->write = !all_known || rnd_below(2);
	for (i = 0; i < n; i++) {
		uint32_t *v = &c->st->chunk[chunk + i];

		c->chunk_busy[chunk + i] = true;
		if (!s->write) {
			memset(slot_page(c, idx, i), 0xa5, G_PAGE);
			continue;
		}
		s->seq[i] = ((*v & ~CHUNK_PENDING) + 1) & ~CHUNK_PENDING;
		if (!s->seq[i])
			s->seq[i] = 1;
		pattern_chunk(c, slot_page(c, idx, i), chunk + i, s->seq[i]);
		/* Pending before the device may see it: a kill keeps that. */
		__atomic_store_n(v, *v | CHUNK_PENDING, __ATOMIC_SEQ_CST);
	}
	c->inflight[q]++;
	slot_push(c, idx);
	return true;
}

static void verify_read(struct chaos *c, unsigned int idx)
{
	struct slot *s = &c->slot[idx];
	uint8_t want[G_PAGE];
	unsigned int i, b;

	for (i = 0; i < s->n; i++) {
		uint32_t chunk = s->chunk + i, seq = c->st->chunk[chunk];
		const uint8_t *got = slot_page(c, idx, i);

		pattern_chunk(c, want, chunk, seq);
		if (!memcmp(want, got, G_PAGE)) {
			c->chunks_verified++;
			continue;
		}
		c->data_errors++;
		if (c->data_errors > 8)
			continue;
		for (b = 0; b < CHUNK_LBAS; b++)
			if (memcmp(want + b * LBA_SIZE, got + b * LBA_SIZE,
				   LBA_SIZE))
				break;
		diag("%s: DATA ERROR: chunk %u (guest LBA %u, host LBA %llu), block %u: want '%.31s', got '%.31s' (%02x %02x %02x %02x ...)",
		     c->uuid, chunk, chunk * CHUNK_LBAS,
		     (unsigned long long)(c->lba_start + chunk * CHUNK_LBAS + b),
		     b, (const char *)want + b * LBA_SIZE,
		     (const char *)got + b * LBA_SIZE, got[b * LBA_SIZE],
		     got[b * LBA_SIZE + 1], got[b * LBA_SIZE + 2],
		     got[b * LBA_SIZE + 3]);
	}
}

/*
 * Is @sf one to retry (and count)?  DNR clear with one of the two aborts
 * the module gives; a Data Transfer Error only for a command that met an
 * unmap of its buffers (the hold-off may end before they are back).
 */
static bool retryable(struct chaos *c, const struct slot *s, uint16_t sf)
{
	uint16_t code = NVME_SF_CODE(sf);

	if (!(sf & NVME_SF_DNR) && code == SC_ABORT_REQ)
		c->retry_abort_req++;
	else if (!(sf & NVME_SF_DNR) && code == SC_ABORT_SQDEL)
		c->retry_sqdel++;
	else if (code == SC_DATA_XFER && s->unmap_gen != c->unmap_gen)
		c->retry_dte++;
	else
		return false;
	c->retries++;
	return true;
}

/* The completion @cqe arrived on CQ @q: finish, retry or count it. */
static void complete(struct chaos *c, unsigned int q, const struct nvme_cqe *cqe)
{
	unsigned int idx, i, first = (q - 1) * DEPTH;
	uint16_t sf = cqe->status >> 1;
	struct slot *s = NULL;

	for (idx = first; idx < first + DEPTH; idx++) {
		if (c->slot[idx].busy && c->slot[idx].cid == cqe->cid) {
			s = &c->slot[idx];
			break;
		}
	}
	if (!s || cqe->sq_id != q) {
		c->status_errors++;
		diag("%s: ERROR: completion for no command of ours: CQ %u SQ %u cid %u status 0x%x",
		     c->uuid, q, cqe->sq_id, cqe->cid, sf);
		return;
	}
	if (!sf) {
		if (s->write) {
			for (i = 0; i < s->n; i++)
				__atomic_store_n(&c->st->chunk[s->chunk + i],
						 s->seq[i], __ATOMIC_SEQ_CST);
			c->writes_ok++;
		} else {
			verify_read(c, idx);
			c->reads_ok++;
		}
		slot_free(c, s);
		return;
	}
	if (retryable(c, s, sf)) {
		if (++s->tries > 100) {
			c->status_errors++;
			diag("%s: ERROR: chunk %u: still 0x%x after 100 retries",
			     c->uuid, s->chunk, sf);
			slot_free(c, s);
			return;
		}
		if (!s->write)
			for (i = 0; i < s->n; i++)
				memset(slot_page(c, idx, i), 0xa5, G_PAGE);
		slot_push(c, idx);
		nvme_io_ring(&c->d, &c->sq[q]);
		return;
	}
	c->status_errors++;
	if (c->status_errors <= 8)
		diag("%s: ERROR: %s of chunks %u+%u: status 0x%x",
		     c->uuid, s->write ? "write" : "read", s->chunk, s->n, sf);
	slot_free(c, s);
}

static bool cq_ready(struct chaos *c, unsigned int q)
{
	struct nvme_io_cq *cq = &c->cq[q];
	struct nvme_cqe *e = (struct nvme_cqe *)gptr(&c->d, cq->off) + cq->head;

	return (le16toh(__atomic_load_n(&e->status, __ATOMIC_ACQUIRE)) & 1) ==
	       cq->phase;
}

/* Take in what the CQs hold; returns the number of completions. */
static unsigned int poll_cqs(struct chaos *c)
{
	unsigned int q, n = 0;
	struct nvme_cqe cqe;

	for (q = 1; q <= c->nq; q++) {
		while (cq_ready(c, q) && nvme_io_reap(&c->d, &c->cq[q], &cqe, 0)) {
			complete(c, q, &cqe);
			n++;
		}
	}
	return n;
}

static unsigned int inflight(struct chaos *c)
{
	unsigned int q, n = 0;

	for (q = 1; q <= c->nq; q++)
		n += c->inflight[q];
	return n;
}

/* --- bring-up and re-initialisation ----------------------------------------------------- */

static int map_data(struct chaos *c, unsigned int half)
{
	return vfio_user_map_va(&c->d.vu, DATA_IOVA + half * HALF_SIZE,
				c->data + half * HALF_SIZE, HALF_SIZE, true);
}

/*
 * Controller disabled (which also clears CSTS.CFS), enabled again, its
 * queue pairs made again.  Tries a few times: the controller under the
 * instance may be in the middle of a reset.
 */
static bool reinit(struct chaos *c, const char *why)
{
	unsigned int q, attempt;
	uint32_t csts;

	drop_all(c);
	for (attempt = 0; attempt < 5; attempt++) {
		if (attempt)
			sleep_ms(1000);
		nvme_disable(&c->d);
		nvme_pci_setup(&c->d);
		csts = nvme_enable(&c->d);
		if ((csts & NVME_CSTS_CFS) || !nvme_ready(&c->d)) {
			diag("%s: after %s: enable gave CSTS 0x%x (trying again)", c->uuid,
			     why, csts);
			continue;
		}
		for (q = 1; q <= c->nq; q++)
			if (create_pair(c, q))
				break;
		if (q > c->nq) {
			c->reinits++;
			return true;
		}
		diag("%s: after %s: cannot create queue pair %u", c->uuid,
		     why, q);
	}
	c->admin_errors++;
	diag("%s: ERROR: no way back after %s", c->uuid, why);
	return false;
}

static int chaos_open(struct chaos *c, const char *uuid, const char *state)
{
	long v;
	int ret;

	c->uuid = uuid;
	c->req_fd = -1;
	c->last_fault = -1;
	ret = nvme_dev_open(&c->d, uuid);
	if (ret) {
		diag("cannot open %s: %s", uuid, strerror(-ret));
		return -1;
	}
	c->nq = c->d.qpairs < NQ_MAX ? c->d.qpairs : NQ_MAX;
	c->nchunks = c->d.lba_count / CHUNK_LBAS;
	if (c->nchunks > MAX_CHUNKS)
		c->nchunks = MAX_CHUNKS;
	{
		char path[256];
		FILE *f;
		unsigned long long s = 0;

		snprintf(path, sizeof(path),
			 "/sys/bus/mdev/devices/%s/lba_start", uuid);
		f = fopen(path, "r");
		v = f && fscanf(f, "%llu", &s) == 1 ? 0 : -1;
		if (f)
			fclose(f);
		c->lba_start = s;
	}
	if (v < 0 || c->nchunks < 2 * MAX_XFER || !c->nq) {
		diag("%s: unusable: slice start %lld, %u chunks, %u pairs",
		     uuid, (long long)v, c->nchunks, c->nq);
		return -1;
	}
	if (state_open(c, state))
		return -1;
	c->data = mmap(NULL, 2 * HALF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->data == MAP_FAILED || map_data(c, 0) || map_data(c, 1)) {
		diag("%s: cannot map the data buffers", uuid);
		return -1;
	}
	/* Removal while open signals this eventfd: we let go at once. */
	c->req_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->req_fd < 0 ||
	    vfio_user_set_irq_eventfds(&c->d.vu, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				       &c->req_fd)) {
		diag("%s: cannot connect the request interrupt", uuid);
		return -1;
	}
	if (!reinit(c, "open"))
		return -1;
	c->reinits = 0;
	return 0;
}

/* --- the faults ---------------------------------------------------------------------------- */

/* Fill every queue pair to DEPTH and ring each doorbell once. */
static void fill(struct chaos *c)
{
	unsigned int q, tries;
	bool pushed;

	for (q = 1; q <= c->nq; q++) {
		pushed = false;
		for (tries = 0; c->inflight[q] < DEPTH && tries < 4 * DEPTH;
		     tries++)
			pushed |= slot_start(c, q);
		if (pushed)
			nvme_io_ring(&c->d, &c->sq[q]);
	}
}

static void fault_reset(struct chaos *c)
{
	uint32_t csts = nvme_disable(&c->d);

	if (csts & NVME_CSTS_RDY) {
		c->admin_errors++;
		diag("%s: ERROR: reset: CSTS 0x%x, still ready", c->uuid, csts);
	}
	reinit(c, "reset");
}

static void fault_flr(struct chaos *c)
{
	int ret = vfio_user_reset(&c->d.vu);

	if (ret) {
		c->admin_errors++;
		diag("%s: ERROR: VFIO_DEVICE_RESET: %s", c->uuid, strerror(-ret));
	}
	/* An FLR clears the command register too: the driver sets it again. */
	reinit(c, "FLR");
}

/* The guest's own way: the PCIe capability, as Linux' pcie_flr() does. */
static void fault_flr_cfg(struct chaos *c)
{
	uint32_t devctl;

	if (!c->d.cap_exp) {
		c->admin_errors++;
		diag("%s: ERROR: no PCI Express capability for an FLR", c->uuid);
		return;
	}
	devctl = cfg_rd(&c->d, c->d.cap_exp + PCI_EXP_DEVCTL, 2);
	cfg_wr(&c->d, c->d.cap_exp + PCI_EXP_DEVCTL,
	       devctl | PCI_EXP_DEVCTL_BCR_FLR, 2);
	/* The function may take 100 ms to come back (PCIe 6.6.2). */
	sleep_ms(100);
	reinit(c, "an FLR through config space");
}

/*
 * Delete SQ @q under load: each of its commands completes, successfully
 * or aborted by the deletion (retried once the pair is back).
 */
static void fault_queues(struct chaos *c)
{
	unsigned int q = 1 + rnd_below(c->nq), idx, first = (q - 1) * DEPTH;
	uint64_t end, t0;
	struct nvme_cqe cqe;
	struct slot *s;
	int st;

	t0 = now_ms();
	st = delete_q(c, NVME_ADM_DELETE_SQ, q);
	if (st) {
		c->admin_errors++;
		diag("%s: ERROR: Delete SQ %u: 0x%x", c->uuid, q, st);
		reinit(c, "a failed Delete SQ");
		return;
	}
	/* Retries would go to the deleted SQ: collect, then push again. */
	end = now_ms() + 2000;
	while (c->inflight[q] && now_ms() < end) {
		if (!cq_ready(c, q)) {
			sleep_ms(1);
			continue;
		}
		nvme_io_reap(&c->d, &c->cq[q], &cqe, 0);
		for (idx = first; idx < first + DEPTH; idx++) {
			s = &c->slot[idx];
			if (!s->busy || s->cid != cqe.cid)
				continue;
			/* Retries wait for the new SQ: pushed again below. */
			if ((cqe.status >> 1) && retryable(c, s, cqe.status >> 1))
				s->cid = 0xffff;
			else
				complete(c, q, &cqe);
			break;
		}
		if (idx == first + DEPTH) {
			c->status_errors++;
			diag("%s: ERROR: after Delete SQ %u: completion for no command (cid %u)",
			     c->uuid, q, cqe.cid);
		}
		/* Those waiting for their push count as settled here. */
		{
			unsigned int waiting = 0;

			for (idx = first; idx < first + DEPTH; idx++)
				waiting += c->slot[idx].busy &&
					   c->slot[idx].cid == 0xffff;
			if (waiting == c->inflight[q])
				break;
		}
	}
	/*
	 * The rest were aborted without a completion, as the specification
	 * lets a controller do with commands it had not fetched yet: a
	 * guest submits them again.  One that had waited IMPLICIT_MS
	 * before the deletion was not merely unfetched: a stall, hidden by
	 * the deletion.
	 */
	for (idx = first; idx < first + DEPTH; idx++) {
		s = &c->slot[idx];
		if (!s->busy || s->cid == 0xffff)
			continue;
		if (t0 - s->pushed_ms > IMPLICIT_MS) {
			c->lost++;
			diag("%s: ERROR: Delete SQ %u: no completion for cid %u (chunk %u), submitted %llu ms before the deletion",
			     c->uuid, q, s->cid, s->chunk,
			     (unsigned long long)(t0 - s->pushed_ms));
			slot_free(c, s);
			continue;
		}
		if (!c->implicit_aborts++ || c->implicit_aborts % 100 == 0)
			diag("%s: Delete SQ %u: no completion for cid %u, submitted %llu ms before the deletion, %llu ms after a %s fault (%lu so far): submitted again",
			     c->uuid, q, s->cid,
			     (unsigned long long)(t0 - s->pushed_ms),
			     (unsigned long long)(t0 - c->last_fault_ms),
			     c->last_fault < 0 ? "no" : fault_name[c->last_fault],
			     c->implicit_aborts);
		s->cid = 0xffff;
	}
	st = delete_q(c, NVME_ADM_DELETE_CQ, q);
	st = st ? st : create_pair(c, q);
	if (st) {
		c->admin_errors++;
		diag("%s: ERROR: queue pair %u again: 0x%x", c->uuid, q, st);
		reinit(c, "a failed queue re-creation");
		return;
	}
	for (idx = first; idx < first + DEPTH; idx++)
		if (c->slot[idx].busy)
			slot_push(c, idx);
	nvme_io_ring(&c->d, &c->sq[q]);
}

static void fault_unmap(struct chaos *c)
{
	unsigned int half = rnd_below(2);
	int ret;

	c->unmap_gen++;
	ret = vfio_user_unmap(&c->d.vu, DATA_IOVA + half * HALF_SIZE,
			      HALF_SIZE);
	/* The same memory comes back at once, as a vIOMMU remap would. */
	if (ret || map_data(c, half)) {
		c->admin_errors++;
		diag("%s: ERROR: unmap/map of data half %u failed (%d)", c->uuid,
		     half, ret);
	}
}

/*
 * The rings' memory (and the admin queue's, and the PRP lists') unmapped
 * under load.  Mapped back at once, as a vIOMMU remap would: the
 * queues fall back to vfio_dma_rw() on the new mapping and go on.  Left
 * unmapped: the controller fails at its next access to a ring
 * (CSTS.CFS), and the driver maps the memory back and re-initialises.
 */
static void fault_ring(struct chaos *c)
{
	bool at_once = rnd_below(2);
	uint64_t end;
	uint32_t csts = 0;
	int ret;

	ret = vfio_user_unmap(&c->d.vu, GMEM_IOVA, G_SPARE);
	if (!ret && at_once)
		ret = vfio_user_map_va(&c->d.vu, GMEM_IOVA, c->d.mem, G_SPARE,
				       true);
	if (ret) {
		c->admin_errors++;
		diag("%s: ERROR: ring memory unmap/map failed (%d)", c->uuid, ret);
	}
	/*
	 * The unmap waited for the commands using the range (all of them:
	 * their PRP lists and rings are in it), so the controller has
	 * nothing to do with the rings until it is given new commands:
	 * reap what it posted before, submit, ring.
	 */
	end = now_ms() + (at_once ? 1000 : 5000);
	do {
		poll_cqs(c);
		fill(c);
		csts = bar_rd32(&c->d, NVME_REG_CSTS);
		if (csts != ~0u && (csts & NVME_CSTS_CFS))
			break;
		sleep_ms(5);
	} while (now_ms() < end);
	if (csts != ~0u && (csts & NVME_CSTS_CFS)) {
		c->cfs_seen++;
		if (at_once)
			c->ring_remap_cfs++;
		else
			c->ring_gone_cfs++;
	} else if (at_once) {
		c->ring_remap_ok++;
	} else {
		c->admin_errors++;
		diag("%s: ERROR: rings unmapped with %u commands in flight: no CSTS.CFS in 5 s (CSTS 0x%x)",
		     c->uuid, inflight(c), csts);
	}
	if (!at_once &&
	    vfio_user_map_va(&c->d.vu, GMEM_IOVA, c->d.mem, G_SPARE, true)) {
		c->admin_errors++;
		diag("%s: ERROR: ring memory not mapped again", c->uuid);
	}
	reinit(c, "the ring unmap");
}

static void fault_bme(struct chaos *c)
{
	uint32_t cmd = cfg_rd(&c->d, PCI_COMMAND, 2);

	cfg_wr(&c->d, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	sleep_ms(10 + rnd_below(200));
	cfg_wr(&c->d, PCI_COMMAND, cmd | PCI_COMMAND_MASTER, 2);
}

static enum fault pick_fault(void)
{
	unsigned int total = 0, i, r;

	for (i = 0; i < NR_FAULTS; i++)
		total += fault_weight[i];
	r = rnd_below(total);
	for (i = 0; r >= fault_weight[i]; i++)
		r -= fault_weight[i];
	return (enum fault)i;
}

static void do_fault(struct chaos *c, enum fault f)
{
	c->faults[f]++;
	/* A queue fault names the one before it, so set this after. */
	if (f == F_QUEUES) {
		fault_queues(c);
		c->last_fault = f;
		c->last_fault_ms = now_ms();
		return;
	}
	c->last_fault = f;
	c->last_fault_ms = now_ms();
	switch (f) {
	case F_RESET:
		fault_reset(c);
		break;
	case F_FLR:
		fault_flr(c);
		break;
	case F_FLR_CFG:
		fault_flr_cfg(c);
		break;
	case F_QUEUES:
		fault_queues(c);
		break;
	case F_UNMAP:
		fault_unmap(c);
		break;
	case F_RING:
		fault_ring(c);
		break;
	case F_BME:
		fault_bme(c);
		break;
	case NR_FAULTS:
		break;
	}
}

/* --- the run --------------------------------------------------------------------------------- */

static bool removal_requested(struct chaos *c)
{
	return nvme_efd_count(c->req_fd) > 0;
}

/*
 * Nothing came back for a while: a controller that failed, or was reset
 * by the module into a state we must bring up again, is re-initialised;
 * one that says it is fine but completes nothing for STALL_MS is a hang.
 */
static void look_at_csts(struct chaos *c, uint64_t *last_progress)
{
	uint32_t csts = bar_rd32(&c->d, NVME_REG_CSTS);

	if (csts != ~0u && (csts & NVME_CSTS_CFS)) {
		c->cfs_seen++;
		diag("%s: CSTS.CFS with %u commands in flight: re-initialising",
		     c->uuid, inflight(c));
		reinit(c, "CSTS.CFS");
		*last_progress = now_ms();
	} else if (csts != ~0u && !(csts & NVME_CSTS_RDY)) {
		c->module_resets++;
		reinit(c, "CSTS.RDY cleared");
		*last_progress = now_ms();
	} else if (inflight(c) && now_ms() - *last_progress > STALL_MS) {
		c->stalls++;
		diag("%s: ERROR: STALL: %u commands in flight, nothing completed for %u ms (CSTS 0x%x)",
		     c->uuid, inflight(c), STALL_MS, csts);
		reinit(c, "a stall");
		*last_progress = now_ms();
	}
}

static void print_counts(struct chaos *c, const char *how)
{
	unsigned int f;
	char faults[256];
	int n = 0;

	for (f = 0; f < NR_FAULTS; f++)
		n += snprintf(faults + n, sizeof(faults) - n, " %s=%lu",
			      fault_name[f], c->faults[f]);
	printf("# counts %s: uuid=%s writes=%lu reads=%lu verified=%lu final_verified=%lu retries=%lu (abort_requested=%lu sq_deletion=%lu unmap_dte=%lu no_completion_at_sq_deletion=%lu) dropped_by_reset=%lu reinits=%lu cfs=%lu (ring_remapped_went_on=%lu ring_remapped_cfs=%lu ring_left_unmapped_cfs=%lu) module_resets=%lu faults:%s errors: data=%lu status=%lu lost=%lu admin=%lu stalls=%lu\n",
	       how, c->uuid, c->writes_ok, c->reads_ok, c->chunks_verified,
	       c->final_verified, c->retries, c->retry_abort_req,
	       c->retry_sqdel, c->retry_dte, c->implicit_aborts, c->dropped, c->reinits,
	       c->cfs_seen, c->ring_remap_ok, c->ring_remap_cfs,
	       c->ring_gone_cfs, c->module_resets,
	       faults, c->data_errors,
	       c->status_errors, c->lost, c->admin_errors, c->stalls);
	fflush(stdout);
}

/* Run until @end (ms) or removal; returns false on removal. */
static bool run(struct chaos *c, uint64_t end, bool faults)
{
	uint64_t next_fault = now_ms() + 200 + rnd_below(1300);
	uint64_t last_progress = now_ms(), last_look = now_ms(), last_note = now_ms();

	while (now_ms() < end) {
		if (removal_requested(c))
			return false;
		if (faults && now_ms() >= next_fault) {
			do_fault(c, pick_fault());
			next_fault = now_ms() + 200 + rnd_below(1300);
			last_progress = now_ms();
		}
		fill(c);
		if (poll_cqs(c)) {
			last_progress = now_ms();
			continue;
		}
		if (now_ms() - last_look >= CSTS_LOOK_MS) {
			look_at_csts(c, &last_progress);
			last_look = now_ms();
		}
		if (now_ms() - last_note >= NOTE_MS) {
			print_counts(c, "so far");
			last_note = now_ms();
		}
		sleep_ms(1);
	}
	return true;
}

/* No new commands: wait for those in flight. */
static bool drain(struct chaos *c)
{
	uint64_t end = now_ms() + DRAIN_MS, last_progress = now_ms();

	while (inflight(c) && now_ms() < end) {
		if (removal_requested(c))
			return false;
		if (poll_cqs(c)) {
			last_progress = now_ms();
			continue;
		}
		look_at_csts(c, &last_progress);
		sleep_ms(1);
	}
	if (inflight(c)) {
		c->lost += inflight(c);
		diag("%s: ERROR: %u commands never completed after the run",
		     c->uuid, inflight(c));
		drop_all(c);
	}
	return true;
}

/* Read back every chunk whose content is known, MAX_XFER at a time. */
static bool final_verify(struct chaos *c)
{
	unsigned long before = c->chunks_verified;
	unsigned int q, idx, i;
	uint32_t chunk = 0;

	while (chunk < c->nchunks) {
		for (q = 1; q <= c->nq && chunk < c->nchunks; q++) {
			idx = (q - 1) * DEPTH;
			if (c->slot[idx].busy)
				continue;
			while (chunk < c->nchunks && !chunk_known(c, chunk))
				chunk++;
			if (chunk >= c->nchunks)
				break;
			for (i = 0; i < MAX_XFER && chunk + i < c->nchunks &&
			     chunk_known(c, chunk + i); i++)
				;
			memset(&c->slot[idx], 0, sizeof(c->slot[idx]));
			c->slot[idx].busy = true;
			c->slot[idx].q = q;
			c->slot[idx].chunk = chunk;
			c->slot[idx].n = i;
			for (i = 0; i < c->slot[idx].n; i++) {
				c->chunk_busy[chunk + i] = true;
				memset(slot_page(c, idx, i), 0xa5, G_PAGE);
			}
			chunk += c->slot[idx].n;
			c->inflight[q]++;
			slot_push(c, idx);
			nvme_io_ring(&c->d, &c->sq[q]);
		}
		if (!drain(c))
			return false;
	}
	c->final_verified = c->chunks_verified - before;
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-chaos --chaos SECONDS SEED --state FILE UUID\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chaos", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	static struct chaos c;
	const char *state = NULL;
	unsigned long seconds = 0;
	unsigned long long seed = 0;
	bool have_seed = false, done;
	uint64_t end;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			seconds = strtoul(optarg, NULL, 0);
			/* The seed is the next word: --chaos SECONDS SEED. */
			if (optind >= argc)
				usage();
			seed = strtoull(argv[optind++], NULL, 0);
			have_seed = true;
			break;
		case 's':
			state = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_seed || !state || optind != argc - 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	diag("vfio-chaos %s: %lu s, seed %llu", argv[optind], seconds, seed);

	if (chaos_open(&c, argv[optind], state))
		tap_bail("%s unusable", argv[optind]);
	diag("%s: slice [%llu, +%u chunks of 4 KiB), %u queue pairs", c.uuid,
	     (unsigned long long)c.lba_start, c.nchunks, c.nq);
	end = now_ms() + seconds * 1000;
	done = run(&c, end, true) && drain(&c) && final_verify(&c);
	if (!done) {
		/* Removed while open: let go at once, as a VMM unplugging it. */
		diag("%s: removal requested: closing with %u commands in flight",
		     c.uuid, inflight(&c));
		drop_all(&c);
		nvme_dev_close(&c.d);
		print_counts(&c, "removed");
		return c.data_errors || c.status_errors || c.lost ||
		       c.admin_errors || c.stalls ? 1 : 3;
	}
	nvme_disable(&c.d);
	nvme_dev_close(&c.d);
	close(c.req_fd);
	print_counts(&c, "final");
	ok(c.writes_ok > 0 && c.reads_ok > 0,
	   "%s: verified I/O ran (%lu writes, %lu reads)", c.uuid,
	   c.writes_ok, c.reads_ok);
	ok(!c.data_errors, "%s: no data errors (%lu chunks verified, %lu in the final pass)",
	   c.uuid, c.chunks_verified, c.final_verified);
	ok(!c.status_errors, "%s: no unexpected completion status (%lu retried)",
	   c.uuid, c.retries);
	ok(!c.lost && !c.stalls, "%s: no command lost, no stall (%lu lost, %lu stalls)",
	   c.uuid, c.lost, c.stalls);
	ok(!c.admin_errors, "%s: every fault and re-initialisation went through (%lu errors)",
	   c.uuid, c.admin_errors);
	return tap_done();
}
