// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TAP producer every C test uses (tests/lib/tap.c): the lines the
 * shell harnesses parse, the exit status, and fixtures that keep tests
 * independent (a failed setup or a failed test does not stop the next,
 * teardown always runs).  Each scenario runs in a child with its output
 * captured, before this program prints anything of its own, so that the
 * child starts with fresh counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

struct run {
	char out[4096];
	int status;	/* exit status, -1 if the child did not exit */
};

/* Run @fn in a child with stdout captured; its return is the exit status. */
static void run_child(int (*fn)(void), struct run *r)
{
	size_t len = 0;
	ssize_t n;
	int p[2], st;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(p))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		exit(fn());
	}
	close(p[1]);
	while ((n = read(p[0], r->out + len, sizeof(r->out) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
}

/* Does @out hold @line as a whole line? */
static bool has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = out; (p = strstr(p, line)); p += n)
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* Does a line of @out start with @prefix? */
static bool has_prefix(const char *out, const char *prefix)
{
	const char *p;

	for (p = out; (p = strstr(p, prefix)); p++)
		if (p == out || p[-1] == '\n')
			return true;
	return false;
}

static int checks(void)
{
	ok(1, "passes");
	ok(0, "fails");
	is(2, 3, "differs");
	tap_skip("not here", "skipped");
	diag("a note");
	return tap_done();
}

static int all_pass(void)
{
	ok(1, "one");
	is(7, 7, "two");
	return tap_done();
}

static int expectations(void)
{
	tap_plan(3);
	tap_test_begin();
	expect(1 == 1);
	expect_eq(1, 2);
	tap_test_end("with a failed expectation");
	tap_test_begin();
	tap_test_skip("no device");
	tap_test_end("skipped test");
	tap_test_begin();
	expectf(true, "never printed");
	tap_test_end("passing test");
	return tap_done();
}

static int bails(void)
{
	ok(1, "before");
	tap_bail("cannot go on");
}

/* Fixture: setup gives fresh state; a test may leave it dirty. */
struct state {
	int fresh;
	int dirty;
};

static int teardowns;

static bool fx_setup(void *self, const struct tap_variant *v,
		     const char *test)
{
	struct state *s = self;

	(void)v;
	s->fresh = !s->dirty;
	return strcmp(test, "setup fails") != 0;
}

static void fx_teardown(void *self, const struct tap_variant *v,
			const char *test)
{
	(void)self;
	teardowns++;
	ok(1, "%s (%s): torn down %d", test, v->name, teardowns);
}

static void t_dirty(void *self, const struct tap_variant *v)
{
	struct state *s = self;

	s->dirty = 1;
	ok(0, "dirty %s", (const char *)v->data);
}

static void t_fresh(void *self, const struct tap_variant *v)
{
	struct state *s = self;

	ok(s->fresh && !s->dirty, "fresh %s", (const char *)v->data);
}

static int fixtures(void)
{
	static const struct tap_fixture fx = {
		.name = "fx", .size = sizeof(struct state),
		.setup = fx_setup, .teardown = fx_teardown,
	};
	static const struct tap_variant vs[] = {
		{ .name = "v1", .data = "one" },
		{ .name = "v2", .data = "two" },
	};
	static const struct tap_test ts[] = {
		{ "dirty", t_dirty },
		{ "setup fails", t_fresh },
		{ "fresh", t_fresh },
	};

	tap_run_fixture(&fx, vs, 2, ts, 3);
	return tap_done();
}

int main(void)
{
	struct run c, a, e, b, f;

	run_child(checks, &c);
	run_child(all_pass, &a);
	run_child(expectations, &e);
	run_child(bails, &b);
	run_child(fixtures, &f);

	ok(has_line(c.out, "ok 1 - passes") &&
	   has_line(c.out, "not ok 2 - fails") &&
	   has_prefix(c.out, "#   failed at ") &&
	   has_line(c.out, "not ok 3 - differs") &&
	   strstr(c.out, "got 0x2, expected 0x3") &&
	   has_line(c.out, "ok 4 - skipped # SKIP not here") &&
	   has_line(c.out, "# a note") && has_line(c.out, "1..4"),
	   "ok, not ok with where, is with both values, SKIP, diag, plan at the end");
	if (tap_failures())
		diag("output:\n%s", c.out);
	is(c.status, 1, "exit status 1 when a check failed");
	ok(has_line(a.out, "1..2") && !strstr(a.out, "not ok"),
	   "all passing: plan 1..2, no not ok");
	is(a.status, 0, "exit status 0 when every check passed");

	ok(!strncmp(e.out, "1..3\n", 5) &&
	   has_line(e.out, "not ok 1 - with a failed expectation") &&
	   strstr(e.out, "1 = 0x1, expected 2 = 0x2") &&
	   has_line(e.out, "ok 2 - skipped test # SKIP no device") &&
	   has_line(e.out, "ok 3 - passing test") &&
	   !strstr(e.out, "never printed") && !strstr(e.out, "\n1..3"),
	   "expectations: one line per test, the plan up front only");
	is(e.status, 1, "expectations: exit status 1");

	ok(has_line(b.out, "ok 1 - before") &&
	   has_line(b.out, "Bail out! cannot go on") && !strstr(b.out, "1.."),
	   "tap_bail: Bail out! line, no plan");
	is(b.status, 1, "tap_bail: exit status 1");

	ok(has_line(f.out, "not ok 1 - dirty one") &&
	   has_line(f.out, "not ok 3 - fx: setup fails (v1): setup") &&
	   has_line(f.out, "ok 5 - fresh one") &&
	   has_line(f.out, "not ok 7 - dirty two") &&
	   has_line(f.out, "ok 11 - fresh two"),
	   "fixtures: a failed test or setup does not stop the next; each variant runs every test");
	ok(has_line(f.out, "ok 4 - setup fails (v1): torn down 2") &&
	   has_line(f.out, "ok 12 - fresh (v2): torn down 6") &&
	   has_line(f.out, "1..12"),
	   "fixtures: teardown after every test, a failed setup too");
	ok(has_line(f.out, "# fx: fresh (v2)"),
	   "fixtures: a diagnostic names each test and variant");
	is(f.status, 1, "fixtures: exit status 1");
	if (tap_failures())
		diag("outputs:\n%s\n%s\n%s\n%s", a.out, e.out, b.out, f.out);
	return tap_done();
}
