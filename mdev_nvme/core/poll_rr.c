// SPDX-License-Identifier: GPL-2.0-only
/*
 * Round-robin turns of a shared poller; see poll_rr.h.
 *
 * Members are kept in the order they are served.  A new member is put
 * just before the cursor: it has its first turn at the end of the round
 * under way, so it waits at most one round and delays nobody else's
 * turn in this one.  A member removed before the cursor moves the cursor
 * back with the members behind it, so that the member whose turn was
 * next keeps it.
 */
#include "poll_rr.h"

void vnvme_rr_init(struct vnvme_rr *rr, void **items, unsigned int cap)
{
	rr->items = items;
	rr->cap = cap;
	rr->nr = 0;
	rr->next = 0;
}

/*
 * Move the members to @items, of @cap entries (at least the members'
 * number), keeping their order and the cursor.  Returns the old storage,
 * for the caller to free.
 */
void **vnvme_rr_move(struct vnvme_rr *rr, void **items, unsigned int cap)
{
	void **old = rr->items;

	if (rr->nr)
		memcpy(items, old, rr->nr * sizeof(*items));
	rr->items = items;
	rr->cap = cap;
	return old;
}

/* Add @item; -ENOSPC if the storage is full (the caller grows it first). */
int vnvme_rr_add(struct vnvme_rr *rr, void *item)
{
	unsigned int at;

	if (rr->nr >= rr->cap)
		return -ENOSPC;
	at = rr->next < rr->nr ? rr->next : rr->nr;
	memmove(&rr->items[at + 1], &rr->items[at],
		(rr->nr - at) * sizeof(*rr->items));
	rr->items[at] = item;
	rr->nr++;
	rr->next = at + 1;
	return 0;
}

/* Remove @item; false if it is no member. */
bool vnvme_rr_del(struct vnvme_rr *rr, void *item)
{
	unsigned int i;

	for (i = 0; i < rr->nr; i++)
		if (rr->items[i] == item)
			break;
	if (i == rr->nr)
		return false;
	memmove(&rr->items[i], &rr->items[i + 1],
		(rr->nr - i - 1) * sizeof(*rr->items));
	rr->nr--;
	if (i < rr->next)
		rr->next--;
	if (rr->next >= rr->nr)
		rr->next = 0;
	return true;
}

/* The member whose turn it is, the cursor moved past it; NULL if none. */
void *vnvme_rr_next(struct vnvme_rr *rr)
{
	void *item;

	if (!rr->nr)
		return NULL;
	if (rr->next >= rr->nr)
		rr->next = 0;
	item = rr->items[rr->next++];
	return item;
}
