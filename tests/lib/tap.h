/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TAP producer of every C test program (unit tests, VFIO clients), in
 * the style of the kernel's kselftest harness.
 *
 * Output, the contract the shell harnesses parse (tests/vm/lib.sh
 * tap_reemit, prove):
 *   ok N - NAME                 a check that passed
 *   not ok N - NAME             one that failed, followed by a "#" line
 *                               saying where
 *   ok N - NAME # SKIP REASON   one that could not run here
 *   # TEXT                      diagnostics
 *   Bail out! REASON            nothing further can run (exit status 1)
 *   1..N                        the plan: up front with tap_plan(), else
 *                               printed by tap_done() at the end
 * The exit status (tap_done()'s return value) is 0 if every check passed,
 * 1 if one failed.
 *
 * Three levels of use:
 *  - one TAP line per check: ok(), is();
 *  - one TAP line per test made of several expectations (kselftest's
 *    EXPECT_*): tap_test_begin(), expect()/expect_eq() ..., tap_test_end();
 *  - tests that each need their own fresh state (kselftest's FIXTURE,
 *    FIXTURE_VARIANT, TEST_F): tap_run_fixture() sets the state up before
 *    each test and tears it down after, once per variant, so that one test
 *    that fails or wrecks its state cannot fail the next.
 */
#ifndef MNV_TEST_TAP_H
#define MNV_TEST_TAP_H

#include <stdbool.h>
#include <stddef.h>

#define TAP_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* Print the plan now; tap_done() then prints none. */
void tap_plan(unsigned int n);
/* One TAP line for @pass; returns @pass. */
bool tap_result(bool pass, const char *file, int line, const char *fmt, ...)
	TAP_PRINTF(4, 5);
/* One TAP line: @got == @want, both values shown on failure. */
bool tap_is(unsigned long long got, unsigned long long want, const char *file,
	    int line, const char *fmt, ...) TAP_PRINTF(5, 6);
/* One "ok ... # SKIP @why" line. */
void tap_skip(const char *why, const char *fmt, ...) TAP_PRINTF(2, 3);
/* A "# " line. */
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/* "Bail out!" and exit status 1. */
void tap_bail(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
/* Print the plan unless given up front; the exit status to return. */
int tap_done(void);
/* Checks that failed so far */
unsigned int tap_failures(void);

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is(got, want, ...) \
	tap_is((unsigned long long)(got), (unsigned long long)(want), \
	       __FILE__, __LINE__, __VA_ARGS__)

/*
 * A test of several expectations: each failed expectation is a diagnostic
 * line and fails the test; tap_test_end() prints the test's one TAP line.
 */
void tap_test_begin(void);
/* Record a failed expectation unless @pass; returns @pass. */
bool tap_expect(bool pass, int line, const char *fmt, ...) TAP_PRINTF(3, 4);
/* The test cannot run here; a failed expectation still wins. */
void tap_test_skip(const char *why);
/* The test's TAP line; returns whether it passed (or was skipped). */
bool tap_test_end(const char *fmt, ...) TAP_PRINTF(1, 2);

#define expect(cond)		tap_expect(!!(cond), __LINE__, "%s", #cond)
#define expectf(cond, ...)	tap_expect(!!(cond), __LINE__, __VA_ARGS__)
/* @got == @want, each evaluated once (a register read has effects) */
bool tap_expect_eq(unsigned long long got, unsigned long long want, int line,
		   const char *got_expr, const char *want_expr);
#define expect_eq(got, want) \
	tap_expect_eq((unsigned long long)(got), (unsigned long long)(want), \
		      __LINE__, #got, #want)

/*
 * Fixtures.  For each variant (or once, with none) and each test:
 * setup() on a zeroed @size-byte state; if it fails, one "not ok ...
 * setup" line and the test does not run.  teardown() runs after it in
 * any case, so it must cope with a setup that stopped half-way; it may add
 * checks of its own (say, that nothing stays pinned).  A test's TAP lines
 * are its own checks; @test is the test's name for theirs.
 */
struct tap_variant {
	const char *name;	/* prefixed to the setup line, "" for none */
	const void *data;
};

struct tap_fixture {
	const char *name;
	size_t size;
	bool (*setup)(void *self, const struct tap_variant *v,
		      const char *test);
	void (*teardown)(void *self, const struct tap_variant *v,
			 const char *test);
};

struct tap_test {
	const char *name;
	void (*run)(void *self, const struct tap_variant *v);
};

/* Run @nt tests over @nv variants (@v may be NULL with @nv 0). */
void tap_run_fixture(const struct tap_fixture *f,
		     const struct tap_variant *v, size_t nv,
		     const struct tap_test *t, size_t nt);

#endif /* MNV_TEST_TAP_H */
