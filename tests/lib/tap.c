// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TAP producer of the C tests; see tap.h for the output contract.
 * Every line is flushed at once: a client that crashes or is killed
 * leaves all the results it printed, and they interleave correctly with
 * what the calling script prints around them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static unsigned int tap_count;
static unsigned int tap_failed;
static bool tap_planned;

/* State of the test between tap_test_begin() and tap_test_end() */
static bool cur_failed;
static const char *cur_skip;

void tap_plan(unsigned int n)
{
	printf("1..%u\n", n);
	fflush(stdout);
	tap_planned = true;
}

/* "ok N - " or "not ok N - ", the name, and @tail */
static void tap_line(bool pass, const char *tail, const char *fmt, va_list ap)
{
	printf("%sok %u - ", pass ? "" : "not ", ++tap_count);
	vprintf(fmt, ap);
	printf("%s\n", tail);
	if (!pass)
		tap_failed++;
}

bool tap_result(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(pass, "", fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return pass;
}

bool tap_is(unsigned long long got, unsigned long long want, const char *file,
	    int line, const char *fmt, ...)
{
	bool pass = got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_line(pass, "", fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   failed at %s:%d: got 0x%llx, expected 0x%llx\n",
		       file, line, got, want);
	fflush(stdout);
	return pass;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	char tail[256];
	va_list ap;

	snprintf(tail, sizeof(tail), " # SKIP %s", why);
	va_start(ap, fmt);
	tap_line(true, tail, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

int tap_done(void)
{
	if (!tap_planned)
		printf("1..%u\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

unsigned int tap_failures(void)
{
	return tap_failed;
}

void tap_test_begin(void)
{
	cur_failed = false;
	cur_skip = NULL;
}

bool tap_expect(bool pass, int line, const char *fmt, ...)
{
	va_list ap;

	if (pass)
		return true;
	printf("#   line %d: ", line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	cur_failed = true;
	return false;
}

bool tap_expect_eq(unsigned long long got, unsigned long long want, int line,
		   const char *got_expr, const char *want_expr)
{
	return tap_expect(got == want, line, "%s = 0x%llx, expected %s = 0x%llx",
			  got_expr, got, want_expr, want);
}

void tap_test_skip(const char *why)
{
	cur_skip = why;
}

bool tap_test_end(const char *fmt, ...)
{
	char tail[256] = "";
	va_list ap;

	if (!cur_failed && cur_skip)
		snprintf(tail, sizeof(tail), " # SKIP %s", cur_skip);
	va_start(ap, fmt);
	tap_line(!cur_failed, tail, fmt, ap);
	va_end(ap);
	fflush(stdout);
	return !cur_failed;
}

void tap_run_fixture(const struct tap_fixture *f,
		     const struct tap_variant *v, size_t nv,
		     const struct tap_test *t, size_t nt)
{
	static const struct tap_variant none = { .name = "" };
	size_t i, j;

	for (i = 0; i < (nv ? nv : 1); i++) {
		const struct tap_variant *var = nv ? &v[i] : &none;

		for (j = 0; j < nt; j++) {
			void *self = calloc(1, f->size);

			if (!self)
				tap_bail("%s: out of memory", f->name);
			diag("%s: %s%s%s%s", f->name, t[j].name,
			     *var->name ? " (" : "", var->name,
			     *var->name ? ")" : "");
			if (f->setup(self, var, t[j].name))
				t[j].run(self, var);
			else
				ok(false, "%s: %s%s%s%s: setup", f->name,
				   t[j].name, *var->name ? " (" : "",
				   var->name, *var->name ? ")" : "");
			f->teardown(self, var, t[j].name);
			free(self);
		}
	}
}
