// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part three: shadow doorbells (Doorbell Buffer Config).
 *
 * The client turns them on for its I/O queues and from then on rings the
 * MMIO doorbells only when the event index asks for it, as Linux does
 * (nvme_io.c).  Checked: the idle polling thread arms the event index at
 * the tail it has seen; I/O keeps working and verifies, with CQ heads
 * reported only through the shadow page for most completions (a device
 * that ignored them would find the CQ full and stall); a tail beyond the
 * queue in the shadow page is ignored; and shadow pages the VMM unmaps
 * fail this controller (CSTS.CFS) rather than leave it waiting.
 */
#include <endian.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "io_test.h"

/* The two pages, in a mapping of their own so that it can go away. */
#define DB_IOVA		0x13000000ULL

static int dbbuf_config(struct nvme_dev *d, uint64_t db, uint64_t ei)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_DBBUF);
	sqe.prp1 = htole64(db);
	sqe.prp2 = htole64(ei);
	return nvme_admin(d, &sqe, NULL);
}

void test_shadow_doorbells(struct inst *in)
{
	struct nvme_dev *d = &in->dev;
	uint8_t *id = gptr(d, G_DATA);
	uint32_t *pages, csts = 0;
	unsigned long skipped, rung;
	unsigned int q, waited;
	int st, bad;

	st = nvme_identify(d, NVME_CNS_CTRL, 0, giova(G_DATA), 0);
	if (!check(st == 0 && (get16(id, ID_CTRL_OACS) & OACS_DBBUF),
		   "Identify: Doorbell Buffer Config offered (OACS bit 8)"))
		return;
	pages = vfio_user_map(&d->vu, DB_IOVA, 2 * G_PAGE);
	if (!check(pages != NULL, "map the shadow doorbell and event index pages"))
		return;
	/*
	 * The queues exist already: the shadow page starts from their state,
	 * and the event indices ask for a kick on the next submission.
	 */
	for (q = 1; q <= 2; q++) {
		pages[2 * q] = htole32(in->sq[q].tail);
		pages[2 * q + 1] = htole32(in->cq[q].head);
		pages[G_PAGE / 4 + 2 * q] = htole32(in->sq[q].tail);
	}
	st = dbbuf_config(d, DB_IOVA, DB_IOVA + G_PAGE);
	check(st == 0, "Doorbell Buffer Config (0x%x)", st);
	d->shadow_db = pages;
	d->event_idx = pages + G_PAGE / 4;

	st = write_read_back(in, 4, ZERO_LBA, 2);
	check(st == 0, "I/O through shadow doorbells (%d)", st);
	/* Idle now: the thread goes to sleep and arms the event index. */
	sleep_ms(100);
	check(le32toh(d->event_idx[2]) == in->sq[1].tail,
	      "idle thread armed SQ 1's event index at its tail (%u, tail %u)",
	      le32toh(d->event_idx[2]), in->sq[1].tail);

	skipped = d->db_skipped;
	rung = d->db_rung;
	bad = write_read_back(in, 40, ZERO_LBA, 2);
	check(bad == 0,
	      "80 commands, CQ 1 wrapping with heads in the shadow page only: all complete, data verified (%d)",
	      bad);
	skipped = d->db_skipped - skipped;
	rung = d->db_rung - rung;
	check(skipped >= 40, "doorbell writes that needed no MMIO: %lu of %lu",
	      skipped, skipped + rung);

	/* A shadow tail beyond the queue: ignored, the queue goes on. */
	d->shadow_db[2] = htole32(5000);
	bar_wr32(d, nvme_sq_db(d, 1), in->sq[1].tail);
	sleep_ms(50);
	d->shadow_db[2] = htole32(in->sq[1].tail);
	check(!(bar_rd32(d, NVME_REG_CSTS) & NVME_CSTS_CFS),
	      "shadow SQ tail 5000 (queue of %u): no fatal status", QD);
	still_works(in, "a shadow SQ tail beyond the queue");

	/* The pages vanish under the controller: it fails, visibly. */
	st = vfio_user_unmap(&d->vu, DB_IOVA, 2 * G_PAGE);
	for (waited = 0; waited < 2000; waited += 20) {
		csts = bar_rd32(d, NVME_REG_CSTS);
		if (csts & NVME_CSTS_CFS)
			break;
		sleep_ms(20);
	}
	check(st == 0 && (csts & NVME_CSTS_CFS),
	      "shadow doorbell pages unmapped: unmap done, CSTS.CFS set (0x%x)",
	      csts);
	d->shadow_db = NULL;
	d->event_idx = NULL;
	munmap(pages, 2 * G_PAGE);
}
