# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# TAP for the shell tests, as tests/lib/tap.c is for the C ones: the VM
# cases (through tests/vm/lib.sh), the .t scripts of tests/cli,
# tests/scripts and tests/packaging, the VM suite's own report
# (tests/vm/l1-tap.sh, tap-aggregate.sh) and the scripts that run in an L2
# guest's initramfs (tests/vm/l2/run-l2.sh ships this file as /tap.sh).
# The guests run it under busybox sh: POSIX sh only here, no "local"
# (variables of a function carry a _tap prefix instead).
#
# Output follows kselftest TAP: "1..N", "ok N - name", "not ok N - name",
# "ok N - name # SKIP reason", "# diagnostic".  Tests are numbered
# automatically.  The plan may be declared up front (tap_plan N) or left to
# tap_done, which then prints it at the end (a trailing plan is valid TAP).
# Finish with tap_done: its exit status is 0 when nothing failed.
#
# This file only defines functions and variables; it does not change the
# caller's shell options, and everything here is safe under "set -u".

# Guard against double sourcing: the counters must not be reset midway.
if [ -n "${MNV_TAP_SH_LOADED:-}" ]; then
	return 0
fi
MNV_TAP_SH_LOADED=1

TAP_N=0		# number of the last test printed
TAP_FAILS=0	# how many "not ok" so far (TODO ones aside)
TAP_PLANNED=	# plan printed up front, if any
# A command that cuts the diagnostics of one call to diag (and so of one
# failure), e.g. "head -n 8": usage texts and fio reports would drown a
# guest's results otherwise.  Empty: all of them.
TAP_DIAG_CUT=${TAP_DIAG_CUT:-}

# kselftest exit codes: the VM runner treats 4 as "skipped", anything but
# 0 or 4 as a failure of the case as a whole.
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
# The exit status of tap_skip_all: kselftest's for the VM runner.  A script
# that prove runs sets it to 0: prove counts any other status as a
# failure, even after a "1..0 # SKIP" plan.
TAP_SKIP_EXIT=${TAP_SKIP_EXIT:-$KSFT_SKIP}

# diag MSG...: print each MSG argument (and each line in it) as a TAP
# diagnostic line.
diag() {
	if [ -n "$TAP_DIAG_CUT" ]; then
		printf '%s\n' "$@" | $TAP_DIAG_CUT | sed 's/^/# /'
	else
		printf '%s\n' "$@" | sed 's/^/# /'
	fi
}

# diag_file FILE [MAXLINES]: print the tail of a file as diagnostics.
diag_file() {
	[ -s "$1" ] || return 0
	tail -n "${2:-40}" -- "$1" | sed 's/^/#   /'
}

tap_plan() {
	TAP_PLANNED=$1
	printf '1..%s\n' "$1"
}

# Test names must not contain '#': it would start a TAP directive.
_tap_name() {
	case $* in
	*'#'*) printf '%s' "$*" | tr '#' _ ;;
	*) printf '%s' "$*" ;;
	esac
}

# tap_line STATUS NAME [DIRECTIVE]: one test line, STATUS "ok" or
# "not ok", DIRECTIVE e.g. "SKIP reason" or "TODO reason" (a "not ok"
# with TODO is no failure).  The other tap_* functions print through it.
tap_line() {
	TAP_N=$((TAP_N + 1))
	if [ -n "${3:-}" ]; then
		printf '%s %d - %s # %s\n' "$1" "$TAP_N" "$(_tap_name "$2")" "$3"
	else
		printf '%s %d - %s\n' "$1" "$TAP_N" "$(_tap_name "$2")"
	fi
	case "$1 ${3:-}" in
	"not ok "[Tt][Oo][Dd][Oo]*) ;;
	"not ok"*) TAP_FAILS=$((TAP_FAILS + 1)) ;;
	esac
}

tap_ok() {
	tap_line ok "$*"
}

# tap_fail NAME [DIAG...]: a failed test, with optional diagnostics.
tap_fail() {
	tap_line "not ok" "$1"
	shift
	[ $# -eq 0 ] || diag "$@"
}

# tap_result RC NAME: ok when RC is 0.
tap_result() {
	_tap_rc=$1
	shift
	if [ "$_tap_rc" -eq 0 ]; then
		tap_ok "$@"
	else
		tap_fail "$*" "exit status $_tap_rc"
	fi
	return "$_tap_rc"
}

# tap_skip NAME REASON...
tap_skip() {
	_tap_skipped=$1
	shift
	tap_line ok "$_tap_skipped" "SKIP $*"
}

# tap_skip_all REASON: nothing (more) of the script applies; exits.  Before
# any test: a "1..0 # SKIP" plan.  After some: the rest of a plan given up
# front is skipped, and tap_done ends the script.
tap_skip_all() {
	if [ "$TAP_N" -ne 0 ] || [ -n "$TAP_PLANNED" ]; then
		diag "skipping the rest: $*"
		if [ -n "$TAP_PLANNED" ]; then
			while [ "$TAP_N" -lt "$TAP_PLANNED" ]; do
				tap_skip "not run" "$*"
			done
		fi
		tap_done
	fi
	printf '1..0 # SKIP %s\n' "$*"
	exit "$TAP_SKIP_EXIT"
}

# tap_bail REASON: abort (counts as a failure).
tap_bail() {
	printf 'Bail out! %s\n' "$*"
	exit "$KSFT_FAIL"
}

# tap_done: print the plan if none was given, and exit: 0 when every test
# passed, 1 otherwise.
tap_done() {
	if [ -z "$TAP_PLANNED" ]; then
		printf '1..%d\n' "$TAP_N"
	elif [ "$TAP_PLANNED" -ne "$TAP_N" ]; then
		diag "planned $TAP_PLANNED tests but ran $TAP_N"
		exit "$KSFT_FAIL"
	fi
	[ "$TAP_FAILS" -eq 0 ] && exit "$KSFT_PASS"
	exit "$KSFT_FAIL"
}

# --- run-and-check helpers --------------------------------------------------

# Output of the last tap_run* command (stdout and stderr together).
TAP_OUT=

# tap_run NAME CMD [ARGS...]: ok when CMD succeeds; its output becomes
# diagnostics on failure.  Returns CMD's status.
tap_run() {
	_tap_what=$1
	shift
	TAP_OUT=$("$@" 2>&1)
	_tap_rc=$?
	if [ "$_tap_rc" -eq 0 ]; then
		tap_ok "$_tap_what"
	else
		tap_fail "$_tap_what" "command: $*" "exit status $_tap_rc"
		[ -z "$TAP_OUT" ] || diag "$TAP_OUT"
	fi
	return "$_tap_rc"
}

# tap_setup NAME CMD [ARGS...]: a set-up step: a test like tap_run, and a
# bail-out when it fails, since nothing after it could run.
tap_setup() {
	tap_run "$@" || tap_bail "set-up step failed: $1"
}

# tap_run_fail NAME CMD [ARGS...]: ok when CMD FAILS (negative tests).
tap_run_fail() {
	_tap_what=$1
	shift
	if ! TAP_OUT=$("$@" 2>&1); then
		tap_ok "$_tap_what"
		return 0
	fi
	tap_fail "$_tap_what" "command unexpectedly succeeded: $*"
	[ -z "$TAP_OUT" ] || diag "$TAP_OUT"
	return 1
}

# tap_eq NAME EXPECTED ACTUAL
tap_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
		return 0
	fi
	tap_fail "$1" "expected: '$2'" "actual:   '$3'"
	return 1
}

# tap_cond NAME CMD...: like tap_run but for test(1)-style conditions whose
# output is not interesting.
tap_cond() {
	_tap_what=$1
	shift
	if "$@"; then
		tap_ok "$_tap_what"
		return 0
	fi
	tap_fail "$_tap_what" "condition failed: $*"
	return 1
}

# tap_reemit PREFIX FILE RC: re-emit the TAP of a sub-test (a client
# program, a guest) as tests of this script, then one more test: the
# sub-test ran its whole plan, did not bail out, and its exit status RC
# agrees with its results (0 iff nothing failed).
tap_reemit() {
	_tap_prefix=$1
	_tap_plan=
	_tap_ran=0
	_tap_failed=0
	_tap_bailed=
	while IFS= read -r _tap_l; do
		case $_tap_l in
		1..[0-9]*)
			_tap_plan=${_tap_l#1..}
			_tap_plan=${_tap_plan%%[!0-9]*}
			;;
		"ok "[0-9]*" - "*" # SKIP"*)
			_tap_ran=$((_tap_ran + 1))
			_tap_rest=${_tap_l#* - }
			_tap_why=${_tap_rest##* \# SKIP}
			tap_skip "$_tap_prefix: ${_tap_rest% \# SKIP*}" "${_tap_why# }"
			;;
		"ok "[0-9]*" - "*)
			_tap_ran=$((_tap_ran + 1))
			tap_ok "$_tap_prefix: ${_tap_l#* - }"
			;;
		"not ok "[0-9]*" - "*)
			_tap_ran=$((_tap_ran + 1))
			_tap_failed=$((_tap_failed + 1))
			tap_fail "$_tap_prefix: ${_tap_l#* - }"
			;;
		"Bail out!"*)
			_tap_bailed=${_tap_l#Bail out!}
			_tap_bailed=${_tap_bailed# }
			_tap_bailed=${_tap_bailed:-bailed out}
			diag "$_tap_prefix: $_tap_bailed"
			;;
		"#"*)
			printf '%s\n' "$_tap_l"
			;;
		esac
	done <"$2"
	if [ -z "$_tap_bailed" ] && [ -n "$_tap_plan" ] &&
		[ "$_tap_ran" -eq "$_tap_plan" ] &&
		{ { [ "$_tap_failed" -eq 0 ] && [ "$3" -eq 0 ]; } ||
		  { [ "$_tap_failed" -gt 0 ] && [ "$3" -eq 1 ]; }; }; then
		tap_ok "$_tap_prefix ran its plan of $_tap_plan tests, exit status $3"
	else
		tap_fail "$_tap_prefix ran its plan" \
			"plan '${_tap_plan:-none}', results $_tap_ran," \
			"failed $_tap_failed, exit status $3${_tap_bailed:+, bail out: $_tap_bailed}"
	fi
}
