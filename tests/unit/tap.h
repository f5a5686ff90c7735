/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal TAP producer in the style of the kselftest harness: one
 * "ok N - name" / "not ok N - name" line per check and the "1..N" plan
 * when the program ends.  The exit status is non-zero if a check failed.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count;
static int tap_failed;

static inline int tap_vok(int pass, const char *file, int line,
			  const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

static inline int tap_ok(int pass, const char *file, int line,
			 const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return ret;
}

static inline int tap_is(unsigned long long got, unsigned long long want, const char *file,
			 int line, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!ret)
		printf("#   got 0x%llx, expected 0x%llx\n", got, want);
	return ret;
}

static inline void tap_diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...)	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is(got, want, ...) \
	tap_is((unsigned long long)(got), (unsigned long long)(want), __FILE__, __LINE__, \
	       __VA_ARGS__)

#endif /* TAP_H */
