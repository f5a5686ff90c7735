// SPDX-License-Identifier: GPL-2.0-only
/*
 * The turns of a shared poller (core/poll_rr.c): members served in
 * order; one that joins waits at most a round; one that leaves is never
 * served again and takes nobody's turn with it; random joins and leaves
 * checked against a model that counts turns; and eight members with a
 * burst limit per turn, one of them with a backlog far beyond the
 * others', served with fair shares (Jain's index).
 */
#include <stdlib.h>

#include "../../mdev_nvme/core/poll_rr.h"
#include "tap.h"

#define CAP	64

static int obj[CAP];

static void test_order(void)
{
	void *items[CAP];
	struct vnvme_rr rr;

	vnvme_rr_init(&rr, items, CAP);
	ok(!vnvme_rr_next(&rr), "no member: no turn");
	vnvme_rr_add(&rr, &obj[0]);
	vnvme_rr_add(&rr, &obj[1]);
	vnvme_rr_add(&rr, &obj[2]);
	ok(vnvme_rr_next(&rr) == &obj[0] && vnvme_rr_next(&rr) == &obj[1] &&
	   vnvme_rr_next(&rr) == &obj[2] && vnvme_rr_next(&rr) == &obj[0],
	   "members served in the order they joined, round after round");
	/* After 0: 1 and 2 have their turns, then 0, then 3. */
	vnvme_rr_add(&rr, &obj[3]);
	ok(vnvme_rr_next(&rr) == &obj[1] && vnvme_rr_next(&rr) == &obj[2] &&
	   vnvme_rr_next(&rr) == &obj[0] && vnvme_rr_next(&rr) == &obj[3],
	   "a member joining mid-round comes last in the round under way");
	/* Order 0 3 1 2, cursor at 1. */
	vnvme_rr_next(&rr);	/* 1 */
	ok(vnvme_rr_del(&rr, &obj[0]), "a member before the cursor leaves");
	ok(vnvme_rr_next(&rr) == &obj[2], "the next member keeps its turn");
	ok(vnvme_rr_del(&rr, &obj[3]), "the member whose turn is next leaves");
	ok(vnvme_rr_next(&rr) == &obj[1], "the one after it has the turn");
	ok(!vnvme_rr_del(&rr, &obj[3]), "leaving twice is refused");
	ok(vnvme_rr_del(&rr, &obj[2]) && vnvme_rr_del(&rr, &obj[1]) &&
	   !vnvme_rr_next(&rr), "the last members leave: no turn");
	vnvme_rr_init(&rr, items, 1);
	ok(!vnvme_rr_add(&rr, &obj[0]) && vnvme_rr_add(&rr, &obj[1]) == -ENOSPC,
	   "a full set refuses a member");
}

static void test_move(void)
{
	void *small[2], *big[4];
	struct vnvme_rr rr;

	vnvme_rr_init(&rr, small, 2);
	vnvme_rr_add(&rr, &obj[0]);
	vnvme_rr_add(&rr, &obj[1]);
	vnvme_rr_next(&rr);
	ok(vnvme_rr_move(&rr, big, 4) == small, "moving gives the old storage back");
	ok(!vnvme_rr_add(&rr, &obj[2]), "the moved set takes more members");
	ok(vnvme_rr_next(&rr) == &obj[1] && vnvme_rr_next(&rr) == &obj[0] &&
	   vnvme_rr_next(&rr) == &obj[2], "order and cursor kept across the move");
}

/*
 * Random joins, leaves and turns.  The model: the turns each member had
 * since it joined, and the turns taken since.  Between two changes of
 * membership, any window of nr consecutive turns serves each member once:
 * a member waits at most as many turns as there were members since its
 * last turn, plus one for each that joined meanwhile; one that left is
 * never served.
 */
static void test_random(void)
{
	void *items[CAP];
	struct vnvme_rr rr;
	bool in[CAP] = { false };
	unsigned int wait[CAP] = { 0 };	/* turns since its last */
	unsigned int joins[CAP] = { 0 };	/* members joined since */
	unsigned int most[CAP] = { 0 };		/* most members since */
	unsigned int step, i, nr = 0, bad_gone = 0, bad_wait = 0, turns = 0;

	srand(11);
	vnvme_rr_init(&rr, items, CAP);
	for (step = 0; step < 200000; step++) {
		unsigned int r = rand() % 100;
		int *got;

		i = rand() % CAP;
		if (r < 2 && !in[i]) {
			vnvme_rr_add(&rr, &obj[i]);
			in[i] = true;
			wait[i] = 0;
			joins[i] = 0;
			nr++;
			for (r = 0; r < CAP; r++) {
				joins[r]++;
				if (most[r] < nr)
					most[r] = nr;
			}
			continue;
		}
		if (r < 4 && in[i]) {
			vnvme_rr_del(&rr, &obj[i]);
			in[i] = false;
			nr--;
			continue;
		}
		got = vnvme_rr_next(&rr);
		if (!got)
			continue;
		turns++;
		if (!in[got - obj])
			bad_gone++;
		for (i = 0; i < CAP; i++)
			if (in[i] && ++wait[i] > most[i] + joins[i])
				bad_wait++;
		wait[got - obj] = 0;
		joins[got - obj] = 0;
		most[got - obj] = nr;
	}
	ok(turns > 100000, "%u turns taken", turns);
	ok(!bad_gone, "no member served after it left (%u)", bad_gone);
	/* Each member that joined meanwhile may have a turn before it. */
	ok(!bad_wait, "no member waits more than a round and the newcomers' turns (%u)",
	   bad_wait);
}

/*
 * Eight members, a burst of 64 per turn: one has 100 times the others'
 * backlog, each of the others refills its queue to a depth of its own
 * (1 to 128) after each turn.  Over the first 10000 turns, every member
 * that has work is served each round, and the shares of the saturated
 * members (depth at least the burst) are equal.
 */
#define BURST	64

static double jain(const unsigned long *x, unsigned int n)
{
	double sum = 0, sq = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		sq += (double)x[i] * x[i];
	}
	return sq ? sum * sum / (n * sq) : 0;
}

static void test_burst(void)
{
	static const unsigned int depth[8] = { 6400, 64, 128, 96, 1, 16, 64, 100 };
	unsigned long served[8] = { 0 }, sat[8], backlog[8];
	void *items[8];
	struct vnvme_rr rr;
	unsigned int t, i, n = 0, starved = 0;

	vnvme_rr_init(&rr, items, 8);
	for (i = 0; i < 8; i++) {
		vnvme_rr_add(&rr, &obj[i]);
		backlog[i] = depth[i];
	}
	for (t = 0; t < 10000; t++) {
		int *m = vnvme_rr_next(&rr);
		unsigned long take;

		i = m - obj;
		take = backlog[i] < BURST ? backlog[i] : BURST;
		if (!take)
			starved++;
		served[i] += take;
		backlog[i] -= take;
		if (i)
			backlog[i] = depth[i];
		else if (!backlog[i])
			backlog[i] = depth[i];
	}
	for (i = 0; i < 8; i++)
		if (depth[i] >= BURST)
			sat[n++] = served[i];
	ok(!starved, "every turn found work: nobody waited behind the big backlog");
	ok(served[0] <= served[2], "the big backlog got no more than a burst a turn (%lu vs %lu)",
	   served[0], served[2]);
	ok(jain(sat, n) >= 0.999, "saturated members: Jain index %.4f", jain(sat, n));
	ok(served[4] == 10000 / 8, "a member at depth 1 had its %u turns", 10000 / 8);
}

int main(void)
{
	test_order();
	test_move();
	test_random();
	test_burst();
	return tap_done();
}
