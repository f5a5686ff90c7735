/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of vfio-io share: the instance as the tests see it, the
 * guest LBAs and pages each test group uses.  TAP output: tests/lib/tap.h.
 */
#ifndef MNV_TEST_IO_TEST_H
#define MNV_TEST_IO_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvme_guest.h"
#include "nvme_io.h"
#include "tap.h"

#define LBA_SIZE	512u
#define MIN_SLICE1	8192u
#define MIN_SLICE2	64u
#define MARK_NLB	8u

/* I/O queue depth: small enough that a batch fills the whole queue. */
#define QD		32u

/*
 * Guest LBAs of instance 1 used by the data tests, all away from the
 * placement marks: [SCRATCH_LBA, +8) for the check after each refused
 * command, [DATA_LBA, +1024) for the transfers, [BATCH_LBA, +8 * QD) for
 * batches, [ZERO_LBA, +16) for Write Zeroes and Dataset Management.
 */
#define SCRATCH_LBA	1000u
#define DATA_LBA	2048u
#define BATCH_LBA	4096u
#define ZERO_LBA	6000u

/*
 * Data pages: the 256 pages at G_BIG, used in a scattered order so that a
 * path assuming contiguous guest memory cannot pass.  PRP lists live in
 * the 16 pages at G_LIST.
 */
#define BIG_PAGES	256u
#define LIST_PAGES	16u
#define FILL_WRITE	0xeeu
#define FILL_READ	0x11u

/* One instance as the tests see it */
struct inst {
	struct nvme_dev dev;
	const char *uuid;
	unsigned int idx;	/* 1 or 2, for names and tags */
	uint64_t nsze;
	uint64_t lba_start;
	uint32_t max_bytes;	/* MDTS in bytes */
	uint16_t oncs;
	struct nvme_io_cq cq[3];
	struct nvme_io_sq sq[3];
};

/* A refused command completes with exactly its status and DNR set. */
bool refused(int sf, unsigned int want);
/* The number in file @path; -1 if none */
long file_long(const char *path);
/* Attribute @attr of mdev @uuid as a number; -1 if none */
long sysfs_long(const char *uuid, const char *attr);
/* Counter @name of the instance's stats/ directory; -1 if none */
long stat_of(struct inst *in, const char *name);
void sleep_ms(unsigned int ms);
void fill_random(uint8_t *p, size_t len);
/* One Read or Write on SQ @q; the Status Field or -1 */
int io_rw(struct inst *in, unsigned int q, uint8_t opcode, uint64_t slba,
	  uint32_t nlb, uint64_t prp1, uint64_t prp2);
/*
 * @n single-page writes, each read back at once: data pages G_DATA and
 * G_DATA2 (16 each, in turn), 8 LBAs each from @lba over @span places.
 * Return: pages that came back different, or -1 if a command failed.
 */
int write_read_back(struct inst *in, unsigned int n, uint64_t lba,
		    unsigned int span);
/*
 * Delete queue pair @q and create it again: a CQ of @cq_entries at
 * @cq_off interrupting on @vector (-1: no interrupt), an SQ of QD entries
 * at @sq_off.  Returns 0 or the first failing Status Field.
 */
int qpair_recreate(struct inst *in, uint16_t q, uint16_t cq_entries,
		   uint64_t cq_off, uint64_t sq_off, int vector);
/* A write and read back at SCRATCH_LBA, as one TAP test */
void still_works(struct inst *in, const char *after);

/* vfio-io -x: inst_setup() opens instances that never write MSI-X's capability */
extern bool msix_set_irqs_only;

/* Open @uuid, enable it, create @nq queue pairs of QD entries; 0 or -1 */
int inst_setup(struct inst *in, const char *uuid, unsigned int idx,
	       unsigned int nq);

/* io_faults.c */
void test_faults(struct inst *a, struct inst *b, const char *bdf);
void test_parent_reset(struct inst *a, struct inst *b, const char *bdf,
		       const char *inject);

/* io_lists.c: 1 if lists are read from pinned pages, 0 if not, -1 unknown */
int pinned_list_reads(void);
void test_list_reads(struct inst *in);
void test_list_remap(struct inst *in);

/* io_limits.c */
/* Drop CAP_IPC_LOCK and limit locked memory to @pages; 0 or -errno */
int memlock_limit(unsigned long pages);
void test_memlock(struct inst *in, unsigned long limit);
void test_bounce_share(struct inst *in, bool bounced);
/* Does this kernel's command line force bounce buffers? */
bool swiotlb_forced(void);

/* io_pins_irqs.c */
void test_pin_cache(struct inst *in);
void test_remap(struct inst *in);
void test_release_keeps_data(struct inst *in);
void test_remap_at_once(struct inst *in);
void test_readonly_map(struct inst *in);
void test_coalescing(struct inst *in);
void test_bus_master(struct inst *in);
void test_msix_set_irqs(struct inst *in);

/* io_modes.c */
void test_thread_mode(struct inst *in, long sleeps0);
void test_doorbell_page(struct inst *in);
void test_doorbell_page_close(struct inst *in);
void test_adaptive_stall(struct inst *in);

/* io_rings.c */
void test_ring_pins(struct inst *in);

/* io_shadow_db.c */
void test_shadow_doorbells(struct inst *in);

/* io_stale.c: @count reads kept in flight, each checked at its completion */
void test_stale_completions(struct inst *in, unsigned int count);

/* io_uffd.c */
void test_uffd_region(struct inst *in);

#endif /* MNV_TEST_IO_TEST_H */
