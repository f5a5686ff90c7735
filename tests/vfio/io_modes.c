// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-io, part four: how the polling thread waits, per the instance's
 * "mode" attribute (read here from sysfs; set by the caller while the
 * device was closed).  I/O must verify in every mode; an idle instance
 * in adaptive or interrupt mode must make no polling pass at all (no CPU
 * use), and one in poll mode must never go to sleep.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "io_test.h"

/* @sleeps0: the instance's idle_sleeps before the device was opened. */
void test_thread_mode(struct inst *in, long sleeps0)
{
	char path[256], mode[32] = "";
	long p1, p2, s2;
	int bad;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mode",
		 in->uuid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%31s", mode) != 1)
		mode[0] = '\0';
	if (f)
		fclose(f);

	bad = write_read_back(in, 16, SCRATCH_LBA, 1);
	check(bad == 0, "mode %s: 16 writes read back (%d)", mode, bad);

	sleep_ms(300);
	p1 = stat_of(in, "polls");
	sleep_ms(300);
	p2 = stat_of(in, "polls");
	s2 = stat_of(in, "idle_sleeps");
	if (!strcmp(mode, "poll"))
		check(p2 - p1 > 10 && s2 == sleeps0,
		      "mode poll, idle: the thread keeps polling (%ld passes in 300 ms) and never slept (%ld)",
		      p2 - p1, s2 - sleeps0);
	else
		check(p1 >= 0 && p2 == p1 && s2 > sleeps0,
		      "mode %s, idle: no polling pass in 300 ms (%ld), the thread sleeps (%ld times so far)",
		      mode, p2 - p1, s2 - sleeps0);
}
