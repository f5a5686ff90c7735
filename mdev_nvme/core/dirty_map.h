/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a record of the LBAs former tenants wrote, kept while the
 * controller was unbound (slice.c), means on the namespace found when it
 * is bound again: another driver may have formatted it with another LBA
 * size, or deleted it and created another in its place.  Pure
 * arithmetic over plain values, for slice.c and the unit tests
 * (tests/unit/test_dirty_map.c).  Every answer errs on the side of more
 * LBAs: a byte a tenant wrote is never left out.
 */
#ifndef VNVME_DIRTY_MAP_H
#define VNVME_DIRTY_MAP_H

#include "vnvme_types.h"

/* A namespace as Identify Namespace describes it. */
struct vnvme_ns_id {
	u64 nsze;		/* LBAs */
	u8 lba_shift;		/* log2 of the LBA data size */
	u8 nguid[16];		/* all zeroes: none reported */
	u8 eui64[8];		/* all zeroes: none reported */
};

/* What became of a namespace between two Identify Namespace. */
enum vnvme_ns_change {
	VNVME_NS_SAME,		/* the same LBAs, as many or more */
	VNVME_NS_SHRUNK,	/* the same LBA size, fewer LBAs */
	VNVME_NS_RESCALED,	/* formatted with another LBA size */
	VNVME_NS_OTHER,		/* another namespace: NGUID or EUI64 differ */
};

enum vnvme_ns_change vnvme_ns_change(const struct vnvme_ns_id *was,
				     const struct vnvme_ns_id *now);

bool vnvme_ns_proven(const struct vnvme_ns_id *was,
		     const struct vnvme_ns_id *now);
bool vnvme_dirty_map(const struct vnvme_ns_id *was,
		     const struct vnvme_ns_id *now, u64 *lba_start,
		     u64 *lba_count);
bool vnvme_dirty_beyond(const struct vnvme_ns_id *was,
			const struct vnvme_ns_id *now, u64 *lba_start,
			u64 *lba_count);

#endif /* VNVME_DIRTY_MAP_H */
