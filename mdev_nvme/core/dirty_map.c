// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kept record of written LBAs on the namespace found at the next bind
 * (dirty_map.h).
 */
#include "dirty_map.h"

/**
 * vnvme_ns_change - what became of namespace @was, now @now
 * @was: as it was when the record was kept
 * @now: as the controller reports it now, under the same NSID
 *
 * A namespace deleted and created again, or replaced by another, has
 * another NGUID or EUI64 when the controller reports them; one that
 * reports neither can only be told by its format.
 */
enum vnvme_ns_change vnvme_ns_change(const struct vnvme_ns_id *was,
				     const struct vnvme_ns_id *now)
{
	if (memcmp(was->nguid, now->nguid, sizeof(was->nguid)) ||
	    memcmp(was->eui64, now->eui64, sizeof(was->eui64)))
		return VNVME_NS_OTHER;
	if (was->lba_shift != now->lba_shift)
		return VNVME_NS_RESCALED;
	return now->nsze < was->nsze ? VNVME_NS_SHRUNK : VNVME_NS_SAME;
}

/* Are all @n bytes of @id zero: the identifier not reported? */
static bool vnvme_id_blank(const u8 *id, size_t n)
{
	while (n--)
		if (id[n])
			return false;
	return true;
}

/**
 * vnvme_ns_proven - is @now the namespace @was by a unique identifier?
 * @was: as it was when the record was kept
 * @now: as the controller reports it now, under the same NSID
 *
 * An NGUID or EUI64 is unique to a namespace: a record whose namespaces
 * report one and still report it was kept from this drive.  Serial
 * number and model alone are not proof, since two drives may report the
 * same (blank serials, a cloned identity).
 *
 * Return: true if a non-zero NGUID or EUI64 of @was is @now's too.
 */
bool vnvme_ns_proven(const struct vnvme_ns_id *was,
		     const struct vnvme_ns_id *now)
{
	if (!vnvme_id_blank(was->nguid, sizeof(was->nguid)) &&
	    !memcmp(was->nguid, now->nguid, sizeof(was->nguid)))
		return true;
	return !vnvme_id_blank(was->eui64, sizeof(was->eui64)) &&
	       !memcmp(was->eui64, now->eui64, sizeof(was->eui64));
}

/* @v << @d, or U64_MAX if that does not fit in 64 bits. */
static u64 vnvme_shl_sat(u64 v, unsigned int d)
{
	if (!v)
		return 0;
	if (d >= 64 || v > U64_MAX >> d)
		return U64_MAX;
	return v << d;
}

/* @v >> @d, rounded up or down; a shift of 64 or more is no UB here. */
static u64 vnvme_shr(u64 v, unsigned int d, bool up)
{
	if (d >= 64)
		return up && v;
	return (v >> d) + (up && (v & ((1ULL << d) - 1)));
}

/**
 * vnvme_dirty_map - LBAs of @now that hold the bytes of LBAs of @was
 * @was: the namespace the LBAs were written on
 * @now: the same namespace now; vnvme_ns_change() is not VNVME_NS_OTHER
 * @lba_start: first LBA of @was in, of @now out
 * @lba_count: LBAs of @was in, of @now out
 *
 * Rescaled outward (the start rounded down, the end up), so that a
 * larger LBA size covers every byte that was written, and clamped to the
 * end of @now.  A range beyond what 64 bits of bytes hold runs to the
 * end of the namespace.
 *
 * Return: false if nothing of the range is left on @now.
 */
bool vnvme_dirty_map(const struct vnvme_ns_id *was,
		     const struct vnvme_ns_id *now, u64 *lba_start,
		     u64 *lba_count)
{
	u64 start = *lba_start, end = start + *lba_count;
	unsigned int d;

	if (end < start)
		end = U64_MAX;
	if (now->lba_shift > was->lba_shift) {
		d = now->lba_shift - was->lba_shift;
		start = vnvme_shr(start, d, false);
		end = vnvme_shr(end, d, true);
	} else if (now->lba_shift < was->lba_shift) {
		d = was->lba_shift - now->lba_shift;
		start = vnvme_shl_sat(start, d);
		end = vnvme_shl_sat(end, d);
	}
	end = min(end, now->nsze);
	if (start >= end)
		return false;
	*lba_start = start;
	*lba_count = end - start;
	return true;
}

/**
 * vnvme_dirty_beyond - LBAs of @was whose bytes are past the end of @now
 * @was: the namespace the LBAs were written on
 * @now: the same namespace now; vnvme_ns_change() is not VNVME_NS_OTHER
 * @lba_start: first LBA of @was in, first past the end of @now out
 * @lba_count: LBAs of @was in, of them past the end of @now out
 *
 * What vnvme_dirty_map() clamps away: a drive that reports a smaller
 * size once, then the former one again, still has those bytes, and the
 * caller keeps them in the terms of @was.  An LBA of @was that straddles
 * the end of @now is in both answers.
 *
 * Return: false if the whole range is on @now.
 */
bool vnvme_dirty_beyond(const struct vnvme_ns_id *was,
			const struct vnvme_ns_id *now, u64 *lba_start,
			u64 *lba_count)
{
	u64 start = *lba_start, end = start + *lba_count, cut;

	if (end < start)
		end = U64_MAX;
	/* The first LBA of @was holding a byte past the end of @now */
	if (now->lba_shift >= was->lba_shift)
		cut = vnvme_shl_sat(now->nsze, now->lba_shift - was->lba_shift);
	else
		cut = vnvme_shr(now->nsze, was->lba_shift - now->lba_shift,
				false);
	if (end <= cut)
		return false;
	start = max(start, cut);
	*lba_start = start;
	*lba_count = end - start;
	return true;
}
