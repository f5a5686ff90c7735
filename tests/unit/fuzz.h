/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer targets (fuzz_*.c): the input read as a stream
 * of little-endian values (zeroes once it runs out), and the check that
 * aborts, so that libFuzzer keeps the input, when an invariant breaks.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#include "../../mdev_nvme/core/vnvme_types.h"

struct input {
	const u8 *p;
	size_t left;
};

static inline u64 take(struct input *in, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->left; i++, in->left--)
		v |= (u64)*in->p++ << (8 * i);
	return v;
}

static inline void check(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#endif /* FUZZ_H */
