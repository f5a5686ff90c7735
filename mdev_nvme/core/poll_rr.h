/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Round-robin turns among the members of a shared poller (the module's
 * vctrl_poller.c): whose turn is next, and how members come and go
 * without one being skipped or served twice in a round.  Free of kernel
 * headers so that tests/unit checks it; it acts on no controller.
 *
 * The caller owns the storage (@items, @cap entries) and serialises every
 * call: the module holds its poller's spinlock.
 */
#ifndef VNVME_POLL_RR_H
#define VNVME_POLL_RR_H

#include "vnvme_types.h"

struct vnvme_rr {
	void **items;
	unsigned int cap;
	unsigned int nr;
	unsigned int next;	/* index of the member whose turn is next */
};

void vnvme_rr_init(struct vnvme_rr *rr, void **items, unsigned int cap);
void **vnvme_rr_move(struct vnvme_rr *rr, void **items, unsigned int cap);
int vnvme_rr_add(struct vnvme_rr *rr, void *item);
bool vnvme_rr_del(struct vnvme_rr *rr, void *item);
void *vnvme_rr_next(struct vnvme_rr *rr);

#endif /* VNVME_POLL_RR_H */
