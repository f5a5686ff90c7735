// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kept record of written LBAs on the namespace found at the next bind
 * (core/dirty_map.c): what counts as the same namespace, and every range
 * rescaled and clamped, checked against a model that knows nothing of
 * shifts: the bytes the range covered, one block at a time.
 */
#include "../../mdev_nvme/core/dirty_map.h"
#include "tap.h"

static struct vnvme_ns_id ns(u8 shift, u64 nsze)
{
	struct vnvme_ns_id id = { .nsze = nsze, .lba_shift = shift };

	id.nguid[15] = 0x42;
	id.eui64[0] = 0x52;
	return id;
}

static void test_change(void)
{
	struct vnvme_ns_id was = ns(9, 1000), now;

	tap_test_begin();
	now = was;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_SAME);
	now.nsze = 2000;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_SAME);
	now.nsze = 999;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_SHRUNK);
	now = ns(12, 125);
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_RESCALED);
	now = was;
	now.nguid[0] = 1;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_OTHER);
	now = was;
	memset(now.nguid, 0, sizeof(now.nguid));
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_OTHER);
	now = was;
	now.eui64[7] = 1;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_OTHER);
	/* Another identity wins over another format. */
	now = ns(12, 125);
	now.eui64[7] = 1;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_OTHER);
	/* Neither reported, before and after: only the format tells. */
	memset(was.nguid, 0, sizeof(was.nguid));
	memset(was.eui64, 0, sizeof(was.eui64));
	now = was;
	now.lba_shift = 12;
	expect_eq(vnvme_ns_change(&was, &now), VNVME_NS_RESCALED);
	tap_test_end("ns_change: same, grown, shrunk, reformatted, NGUID or EUI64 changed or gone");
}

static void test_proven(void)
{
	struct vnvme_ns_id was = ns(9, 1000), now = was;

	tap_test_begin();
	expect(vnvme_ns_proven(&was, &now));
	/* Reformatted, resized: still the namespace its NGUID names. */
	now = ns(12, 10);
	expect(vnvme_ns_proven(&was, &now));
	/* One of the two identifiers is enough. */
	memset(now.nguid, 0, sizeof(now.nguid));
	expect(vnvme_ns_proven(&was, &now));
	now = was;
	memset(now.eui64, 0, sizeof(now.eui64));
	expect(vnvme_ns_proven(&was, &now));
	now.nguid[3] = 7;
	expect(!vnvme_ns_proven(&was, &now));
	/* Identifiers never reported prove nothing, equal as they are. */
	memset(was.nguid, 0, sizeof(was.nguid));
	memset(was.eui64, 0, sizeof(was.eui64));
	now = was;
	expect(!vnvme_ns_proven(&was, &now));
	tap_test_end("ns_proven: a reported NGUID or EUI64 still there, never blank ones");
}

/*
 * The model: the blocks of @now holding a byte of [start, +count) of
 * @was, on a namespace small enough to walk.
 */
static bool model_map(const struct vnvme_ns_id *was,
		      const struct vnvme_ns_id *now, u64 start, u64 count,
		      u64 *m_start, u64 *m_count)
{
	u64 bs_was = 1ULL << was->lba_shift, bs_now = 1ULL << now->lba_shift;
	u64 lba, first = ~0ULL, last = 0;

	for (lba = 0; lba < now->nsze; lba++) {
		u64 b0 = lba * bs_now, b1 = b0 + bs_now;

		/* Does block @lba of @now share a byte with the range? */
		if (b0 < (start + count) * bs_was && start * bs_was < b1) {
			if (first == ~0ULL)
				first = lba;
			last = lba;
		}
	}
	if (first == ~0ULL)
		return false;
	*m_start = first;
	*m_count = last - first + 1;
	return true;
}

/* The model: the LBAs of [start, +count) of @was with a byte past @now. */
static bool model_beyond(const struct vnvme_ns_id *was,
			 const struct vnvme_ns_id *now, u64 start, u64 count,
			 u64 *b_start, u64 *b_count)
{
	u64 bs_was = 1ULL << was->lba_shift, end = now->nsze << now->lba_shift;
	u64 lba;

	for (lba = start; lba < start + count; lba++) {
		if ((lba + 1) * bs_was > end) {
			*b_start = lba;
			*b_count = start + count - lba;
			return true;
		}
	}
	return false;
}

static void test_beyond_model(void)
{
	static const u8 shifts[] = { 9, 10, 12, 13, 16 };
	u64 start, count, s, c, ms, mc;
	unsigned int i, j, checked = 0;
	bool got, want;

	tap_test_begin();
	for (i = 0; i < sizeof(shifts); i++) {
		for (j = 0; j < sizeof(shifts); j++) {
			/* 64 KiB before; after, a third of it or more. */
			struct vnvme_ns_id was = ns(shifts[i], 65536 >> shifts[i] << 4);
			struct vnvme_ns_id now = ns(shifts[j], (65536 >> shifts[j] << 4) / 3 + 1);

			for (start = 0; start < was.nsze; start += 1 + start / 3) {
				for (count = 1; start + count <= was.nsze; count += 1 + count / 2) {
					s = start;
					c = count;
					got = vnvme_dirty_beyond(&was, &now, &s, &c);
					want = model_beyond(&was, &now, start, count, &ms, &mc);
					expectf(got == want && (!got || (s == ms && c == mc)),
						"2^%u [%llu, +%llu) past 2^%u x %llu: %d [%llu, +%llu], model %d [%llu, +%llu]",
						was.lba_shift, (unsigned long long)start,
						(unsigned long long)count, now.lba_shift,
						(unsigned long long)now.nsze, got,
						(unsigned long long)s, (unsigned long long)c,
						want, (unsigned long long)ms,
						(unsigned long long)mc);
				}
			}
			checked++;
		}
	}
	tap_test_end("dirty_beyond: %u pairs of LBA sizes, what a smaller namespace leaves out, as the byte model says",
		     checked);
}

/* LBA sizes no drive reports: shifts of 64 or more saturate. */
static void test_map_wide_shift(void)
{
	struct vnvme_ns_id was = ns(9, 1000), now = ns(73, 4);
	u64 s = 10, c = 20;

	tap_test_begin();
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 0);
	expect_eq(c, 1);
	s = 0;
	c = 1;
	expect(vnvme_dirty_map(&now, &was, &s, &c));
	expect_eq(s, 0);
	expect_eq(c, 1000);
	s = 1;
	c = 1;
	expect(!vnvme_dirty_map(&now, &was, &s, &c));
	s = 10;
	c = 20;
	expect(!vnvme_dirty_beyond(&was, &now, &s, &c));
	s = 1;
	c = 2;
	expect(vnvme_dirty_beyond(&now, &was, &s, &c));
	expect_eq(s, 1);
	expect_eq(c, 2);
	tap_test_end("dirty_map, dirty_beyond: an LBA size difference of 64 bits or more");
}

static void test_map_model(void)
{
	static const u8 shifts[] = { 9, 10, 12, 13, 16 };
	u64 start, count, s, c, ms, mc;
	unsigned int i, j, checked = 0;
	bool got, want;

	tap_test_begin();
	for (i = 0; i < sizeof(shifts); i++) {
		for (j = 0; j < sizeof(shifts); j++) {
			/* 64 KiB before; after, as much or half of it. */
			struct vnvme_ns_id was = ns(shifts[i], 65536 >> shifts[i] << 4);
			struct vnvme_ns_id now = ns(shifts[j], (65536 >> shifts[j] << 4) >> (checked & 1));

			for (start = 0; start < was.nsze; start += 1 + start / 3) {
				for (count = 1; start + count <= was.nsze; count += 1 + count / 2) {
					s = start;
					c = count;
					got = vnvme_dirty_map(&was, &now, &s, &c);
					want = model_map(&was, &now, start, count, &ms, &mc);
					expectf(got == want && (!got || (s == ms && c == mc)),
						"2^%u [%llu, +%llu) on 2^%u (%llu LBAs): %d [%llu, +%llu], model %d [%llu, +%llu]",
						was.lba_shift, (unsigned long long)start,
						(unsigned long long)count, now.lba_shift,
						(unsigned long long)now.nsze, got,
						(unsigned long long)s, (unsigned long long)c,
						want, (unsigned long long)ms,
						(unsigned long long)mc);
				}
			}
			checked++;
		}
	}
	tap_test_end("dirty_map: %u pairs of LBA sizes, every range rescaled outward and clamped as the byte model says",
		     checked);
}

static void test_map_edges(void)
{
	struct vnvme_ns_id was, now;
	u64 s, c;

	tap_test_begin();
	/* Same format: as is; beyond a shrunk end: clamped, or gone. */
	was = ns(9, 1000);
	now = was;
	s = 10;
	c = 20;
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 10);
	expect_eq(c, 20);
	now.nsze = 15;
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 10);
	expect_eq(c, 5);
	s = 15;
	c = 1;
	expect(!vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 15);
	/* 512 to 4096: one byte written is the whole block around it. */
	now = ns(12, 125);
	s = 9;
	c = 1;
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 1);
	expect_eq(c, 1);
	s = 7;
	c = 2;
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 0);
	expect_eq(c, 2);
	/* 4096 to 512. */
	s = 1;
	c = 1;
	expect(vnvme_dirty_map(&now, &was, &s, &c));
	expect_eq(s, 8);
	expect_eq(c, 8);
	/*
	 * Bytes past 64 bits: a range that starts there is past any end,
	 * one that ends there runs to the end.
	 */
	was = ns(16, ~0ULL);
	now = ns(9, ~0ULL);
	s = 1ULL << 60;
	c = 2;
	expect(!vnvme_dirty_map(&was, &now, &s, &c));
	s = 1;
	c = ~0ULL;
	expect(vnvme_dirty_map(&was, &now, &s, &c));
	expect_eq(s, 128);
	expect_eq(c, ~0ULL - 128);
	tap_test_end("dirty_map: shrunk, one block each way, ranges past 64 bits of bytes");
}

int main(void)
{
	test_change();
	test_proven();
	test_map_model();
	test_map_edges();
	test_beyond_model();
	test_map_wide_shift();
	return tap_done();
}
