#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/mdev-nvme.8 against the tool's own help (TAP output): every command
# 'mdev-nvme --help' lists has a section of the manual page, and the
# section names every option 'mdev-nvme COMMAND --help' lists; the page
# documents no command the tool lacks, and every environment variable and
# exit status of the main help.  So the two cannot drift apart.
#
#   prove tests/cli/manpage.t       (from the top of the repository)

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TOOL=$TOP/tools/mdev-nvme
PAGE=$TOP/tools/mdev-nvme.8

TAP_SKIP_EXIT=0
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$TOP/tests/vm/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/mnv-man.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$T"' EXIT
# words LIST: the lines of LIST on one line.
words() {
	paste -sd ' ' <<<"$1"
}

command -v man >/dev/null || tap_skip_all "man (man-db) is not installed"
if ! make -s -C "$TOP/tools" >"$T/build.log" 2>&1; then
	diag "$(cat "$T/build.log")"
	tap_bail "building tools/mdev-nvme failed"
fi

# The page as a reader sees it, one paragraph a line (no filling, no
# hyphenation), and groff's complaints about its source.
if ! LC_ALL=C.UTF-8 MANWIDTH=2000 man --warnings -E ascii -l "$PAGE" \
		>"$T/page.txt" 2>"$T/warnings"; then
	diag "$(cat "$T/warnings")"
	tap_bail "man cannot render $PAGE"
fi
if [ -s "$T/warnings" ]; then
	tap_fail "the page renders without groff warnings" "$(cat "$T/warnings")"
else
	tap_ok "the page renders without groff warnings"
fi

# section NAME: the text of the page's COMMANDS subsection for command NAME
# (from its heading, indented 3, to the next heading of any level).
section() {
	awk -v cmd="$1" '
		/^[A-Z]/ { in_cmds = ($0 == "COMMANDS"); on = 0; next }
		in_cmds && /^   [^ ]/ {
			split(substr($0, 4), w, " ")
			on = (w[1] == cmd)
		}
		on' "$T/page.txt"
}

# The commands of the main help: the lines of its "Commands:" block.
"$TOOL" --help >"$T/main.help"
tap_cond "mdev-nvme --help exits 0 and prints something" test -s "$T/main.help"
help_cmds=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 }
	on { print $1 }' "$T/main.help" | sort)
page_cmds=$(awk '/^[A-Z]/ { in_cmds = ($0 == "COMMANDS"); next }
	in_cmds && /^   [^ ]/ { print $1 }' "$T/page.txt" | sort)
tap_cond "the help lists commands" test -n "$help_cmds"
if [ "$help_cmds" = "$page_cmds" ]; then
	tap_ok "the page documents exactly the commands of --help ($(words "$help_cmds"))"
else
	tap_fail "the page documents exactly the commands of --help" \
		"--help: $(words "$help_cmds")" "page:   $(words "$page_cmds")"
fi

for cmd in $help_cmds; do
	if ! "$TOOL" "$cmd" --help >"$T/$cmd.help" 2>&1; then
		tap_fail "mdev-nvme $cmd --help exits 0" "$(cat "$T/$cmd.help")"
		continue
	fi
	section "$cmd" >"$T/$cmd.page"
	# Options: the long option words of the help's Options block.
	opts=$(awk '/^Options:/ { on = 1; next } on && /^[^ ]/ { on = 0 }
		on' "$T/$cmd.help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	missing=
	for o in $opts; do
		[ "$o" = --help ] && continue	# one entry for all, under OPTIONS
		grep -qF -- "$o" "$T/$cmd.page" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		tap_ok "$cmd: the page's section names its options ($(words "$opts"))"
	else
		tap_fail "$cmd: the page's section names its options" "missing:$missing"
	fi
	# The usage line's synopsis, the words the page's heading must carry.
	usage=$(sed -n '1s/^Usage: mdev-nvme //p' "$T/$cmd.help")
	heading=$(head -n 1 "$T/$cmd.page")
	missing=
	# shellcheck disable=SC2013 # one word a line
	for w in $(grep -oE -- '--[a-z-]+|\b(BDF|UUID)\b' <<<"$usage" | sort -u); do
		[ "$cmd" = create ] && [[ $w == --* ]] && continue	# [OPTIONS]
		grep -qF -- "$w" <<<"$heading" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then
		tap_ok "$cmd: the heading carries the usage's words ($heading)"
	else
		tap_fail "$cmd: the heading carries the usage's words" \
			"usage: $usage" "heading: $heading" "missing:$missing"
	fi
done

tap_cond "-h, --help documented" grep -qE -- '^ *-h, --help' "$T/page.txt"

# Environment variables of the main help, in ENVIRONMENT.
env_vars=$(awk '/^Environment:/ { on = 1; next } on && /^  [A-Z_]+ / { print $1 }' \
	"$T/main.help")
tap_cond "the help lists environment variables" test -n "$env_vars"
for v in $env_vars; do
	tap_cond "ENVIRONMENT documents $v" \
		sh -c "awk '/^[A-Z]/ { on = (\$0 == \"ENVIRONMENT\"); next } on' '$T/page.txt' |
			grep -qw '$v'"
done

# Exit statuses: each number the help names has an entry in EXIT STATUS.
codes=$(sed -n '/^Exit status:/,/^$/p' "$T/main.help" | grep -oE '\b[0-9]\b' | sort -u)
tap_cond "the help names exit statuses" test -n "$codes"
page_codes=$(awk '/^[A-Z]/ { on = ($0 == "EXIT STATUS"); next }
	on && /^       [0-9] / { print $1 }' "$T/page.txt" | sort -u)
if [ "$codes" = "$page_codes" ]; then
	tap_ok "EXIT STATUS lists the codes of --help ($(words "$codes"))"
else
	tap_fail "EXIT STATUS lists the codes of --help" "--help: $(words "$codes")" \
		"page: $(words "$page_codes")"
fi

tap_done
