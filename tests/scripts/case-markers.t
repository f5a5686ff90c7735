#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cases that need the debug kernel's fault injection carry the line
# "# mnv-case: debug-kernel", so that l1-tap.sh leaves them out of the
# suites that boot a distribution kernel; run there, such a case skips
# itself entirely, which the aggregator rightly counts as a failure.
# The rule: a case that reads debugfs fault attributes has the marker.
# A case may also name the one kernel series the suites run it on.
set -u
VMDIR=$(cd "$(dirname "$0")/../vm" && pwd)
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$VMDIR/lib.sh"

# marker_ok FILE: 0 when FILE needs no marker or has it.
marker_ok() {
	# shellcheck disable=SC2016 # $DBG is matched, not expanded
	grep -qE '/sys/kernel/debug|\$DBG/(failslab|fail_page_alloc|mdev_nvme)' "$1" ||
		return 0
	grep -qx '# mnv-case: debug-kernel' "$1"
}

# The rule itself, on cases written here.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '#!/bin/bash\nDBG=/sys/kernel/debug\n' >"$TMP/unmarked.sh"
printf '#!/bin/bash\n# mnv-case: debug-kernel\nDBG=/sys/kernel/debug\n' >"$TMP/marked.sh"
printf '#!/bin/bash\necho plain\n' >"$TMP/plain.sh"
if marker_ok "$TMP/unmarked.sh"; then
	tap_fail "a case reading debugfs without the marker is caught"
else
	tap_ok "a case reading debugfs without the marker is caught"
fi
for t in marked:"a marked case passes" \
	plain:"a case without fault injection needs no marker"; do
	if marker_ok "$TMP/${t%%:*}.sh"; then
		tap_ok "${t#*:}"
	else
		tap_fail "${t#*:}"
	fi
done

# Every case directory but debug-cases/ (only make check-debug runs it).
for f in "$VMDIR"/*cases/*.sh; do
	case "$f" in */debug-cases/*) continue ;; esac
	name=${f#"$VMDIR"/}
	if marker_ok "$f"; then
		tap_ok "$name: debug-kernel marker where fault injection is used"
	else
		tap_fail "$name: reads debugfs fault attributes without the debug-kernel marker line"
	fi
done

# A case that names its kernel series ("# mnv-case: series S") must name
# one whose suite runs its directory (l1-tap.sh S DIR in some .t file),
# or no suite would run it at all.
for f in "$VMDIR"/*cases/*.sh; do
	only=$(sed -n 's/^# mnv-case: series \([0-9.]*\)$/\1/p' "$f" | head -n 1)
	[ -n "$only" ] || continue
	dir=$(basename "$(dirname "$f")")
	name=${f#"$VMDIR"/}
	if grep -lE "l1-tap\.sh\" $only $dir\$" "$VMDIR"/*.t >/dev/null 2>&1; then
		tap_ok "$name: runs on the $only kernels, a suite of $dir/ boots them"
	else
		tap_fail "$name: series $only, but no suite runs $dir/ on it"
	fi
done

tap_done
