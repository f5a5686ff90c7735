// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure helpers of vnvme.h that the core and the I/O path share: the
 * partial-dword pieces of a register access (BAR0 reads and writes, the
 * mapped doorbell page) and the CQ head doorbell rule (admin CQ, I/O
 * CQs).  Each is checked against a model that knows nothing of it: bytes
 * copied in and out of a little-endian array, and a walk from the old head
 * to the tail one entry at a time.
 */
#include "../../mdev_nvme/core/vnvme.h"
#include "tap.h"

static u32 le_bytes(const u8 *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (u32)b[3] << 24;
}

static void to_le_bytes(u32 v, u8 *b)
{
	u32 i;

	for (i = 0; i < 4; i++)
		b[i] = v >> (8 * i);
}

/* Bytes of [off, off + len) in the dword of @off: counted one by one. */
static u32 model_piece(u64 off, u32 len)
{
	u32 n = 0;
	u64 b;

	for (b = off; b < off + len; b++)
		n += b / 4 == off / 4;
	return n;
}

static void test_piece_and_mask(void)
{
	u32 off, len, n, i, mask;

	tap_test_begin();
	for (off = 0; off < 12; off++) {
		for (len = 0; len <= 9; len++)
			expectf(vnvme_dword_piece(off, len) ==
				model_piece(off, len),
				"piece(%u, %u) = %u", off, len,
				vnvme_dword_piece(off, len));
	}
	expect_eq(vnvme_dword_piece(0x1003, 0xffffffff), 1);
	expect_eq(vnvme_dword_piece(~0ULL, 8), 1);
	tap_test_end("dword_piece: bytes in the first dword, offsets 0-11, lengths 0-9 and huge");

	tap_test_begin();
	for (off = 0; off < 8; off++) {
		for (n = 0; n <= 4 - off % 4; n++) {
			mask = 0;
			for (i = off % 4; i < off % 4 + n; i++)
				mask |= 0xffU << (8 * i);
			expectf(vnvme_dword_mask(off, n) == mask,
				"mask(%u, %u) = %#x, want %#x", off, n,
				vnvme_dword_mask(off, n), mask);
		}
	}
	tap_test_end("dword_mask: every offset and piece length, 0 to the full dword");
}

static void test_merge_extract(void)
{
	static const u32 olds[] = { 0, 0xffffffff, 0x89abcdef };
	static const u8 src[4] = { 0x11, 0x22, 0x33, 0x44 };
	u8 want[4], got[6];
	u32 o, off, n, k;

	tap_test_begin();
	for (k = 0; k < ARRAY_SIZE(olds); k++) {
		for (off = 0; off < 8; off++) {
			for (n = 0; n <= 4 - off % 4; n++) {
				to_le_bytes(olds[k], want);
				memcpy(want + off % 4, src, n);
				expectf(vnvme_dword_merge(olds[k], off, src, n) ==
					le_bytes(want),
					"merge(%#x, %u, %u) = %#x, want %#x",
					olds[k], off, n,
					vnvme_dword_merge(olds[k], off, src, n),
					le_bytes(want));
			}
		}
	}
	tap_test_end("dword_merge: the piece's bytes, and only they, replaced");

	tap_test_begin();
	for (k = 0; k < ARRAY_SIZE(olds); k++) {
		for (off = 0; off < 8; off++) {
			for (n = 0; n <= 4 - off % 4; n++) {
				to_le_bytes(olds[k], want);
				memset(got, 0xa5, sizeof(got));
				vnvme_dword_extract(olds[k], off, got + 1, n);
				expectf(!memcmp(got + 1, want + off % 4, n),
					"extract(%#x, %u, %u)", olds[k], off, n);
				for (o = n + 1; o < sizeof(got); o++)
					expectf(got[o] == 0xa5,
						"extract(%#x, %u, %u) wrote byte %u",
						olds[k], off, n, o - 1);
				expect(got[0] == 0xa5);
			}
		}
	}
	tap_test_end("dword_extract: the piece's bytes, nothing around them");
}

/*
 * Whole accesses cut into pieces the way the callers do: writing and
 * reading @len bytes (1-8, any, as the doorbell page takes) at every
 * offset of a 4-dword register file is a byte copy.
 */
static void test_accesses(void)
{
	u8 regs_b[16], want[16], buf[8], in[8];
	u32 regs[4], off, len, pos, n, i;

	tap_test_begin();
	for (len = 1; len <= 8; len++) {
		for (off = 0; off + len <= 16; off++) {
			for (i = 0; i < 4; i++)
				regs[i] = 0x01010101 * (0x50 + i);
			for (i = 0; i < 16; i++)
				want[i] = regs[i / 4] >> (8 * (i % 4));
			for (i = 0; i < len; i++)
				in[i] = 0xc0 + 8 * len + i;
			memcpy(want + off, in, len);

			for (pos = 0; pos < len; pos += n) {
				n = vnvme_dword_piece(off + pos, len - pos);
				regs[(off + pos) / 4] =
					vnvme_dword_merge(regs[(off + pos) / 4],
							  off + pos, in + pos, n);
			}
			for (i = 0; i < 4; i++)
				to_le_bytes(regs[i], regs_b + 4 * i);
			expectf(!memcmp(regs_b, want, 16),
				"write of %u bytes at %u", len, off);

			for (pos = 0; pos < len; pos += n) {
				n = vnvme_dword_piece(off + pos, len - pos);
				vnvme_dword_extract(regs[(off + pos) / 4],
						    off + pos, buf + pos, n);
			}
			expectf(!memcmp(buf, in, len),
				"read of %u bytes at %u", len, off);
		}
	}
	tap_test_end("accesses of 1-8 bytes at every offset, aligned, misaligned and straddling");
}

/* The heads reachable from @old by consuming posted entries up to @tail. */
static bool model_cq_head_ok(u32 head, u32 old, u32 tail, u32 size)
{
	u32 h = old;

	for (;;) {
		if (h == head)
			return true;
		if (h == tail)
			return false;
		h = (h + 1) % size;
	}
}

static void test_cq_head(void)
{
	u32 size, old, tail, head;

	tap_test_begin();
	for (size = 1; size <= 9; size++)
		for (old = 0; old < size; old++)
			for (tail = 0; tail < size; tail++)
				for (head = 0; head < size + 2; head++)
					expectf(vnvme_cq_head_ok(head, old, tail, size) ==
						(head < size &&
						 model_cq_head_ok(head, old, tail, size)),
						"head %u old %u tail %u size %u",
						head, old, tail, size);
	tap_test_end("cq_head_ok: every head, old head and tail of CQs of 1-9 entries");

	tap_test_begin();
	expect(!vnvme_cq_head_ok(0, 0, 0, 0));
	expect(!vnvme_cq_head_ok(0xffffffff, 0, 0, 16));
	expect(vnvme_cq_head_ok(0, 0, 0, 1));
	expect(!vnvme_cq_head_ok(1, 0, 0, 1));
	tap_test_end("cq_head_ok: a CQ of 0 entries takes nothing, of 1 only 0");

	tap_test_begin();
	expect(vnvme_cq_head_ok(5, 5, 5, 64));		/* empty, head stays */
	expect(!vnvme_cq_head_ok(6, 5, 5, 64));		/* empty, head moves */
	expect(vnvme_cq_head_ok(9, 5, 9, 64));		/* head == tail */
	expect(!vnvme_cq_head_ok(10, 5, 9, 64));	/* past the tail */
	expect(!vnvme_cq_head_ok(4, 5, 9, 64));		/* behind the head */
	expect(!vnvme_cq_head_ok(64, 5, 9, 64));	/* = size */
	tap_test_end("cq_head_ok: empty CQ, head at the tail, past it, behind, at the size");

	tap_test_begin();
	expect(vnvme_cq_head_ok(4095, 4090, 3, 4096));
	expect(vnvme_cq_head_ok(0, 4090, 3, 4096));
	expect(vnvme_cq_head_ok(3, 4090, 3, 4096));
	expect(!vnvme_cq_head_ok(4, 4090, 3, 4096));
	expect(!vnvme_cq_head_ok(4089, 4090, 3, 4096));
	expect(vnvme_cq_head_ok(4094, 4095, 4094, 4096));	/* full */
	expect(vnvme_cq_head_ok(1000, 4095, 4094, 4096));
	tap_test_end("cq_head_ok: wrap at the largest queue, and a full CQ");
}

int main(void)
{
	test_piece_and_mask();
	test_merge_extract();
	test_accesses();
	test_cq_head();
	return tap_done();
}
