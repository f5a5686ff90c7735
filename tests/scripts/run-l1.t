#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-l1.sh's boot watchdog: a VM whose kernel never reaches the runner
# (here QEMU started with -S, so the guest never runs at all) is killed
# after --boot-timeout and reported as such, rather than holding the
# machine until the whole VM's --timeout.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
VMDIR=$REPO/tests/vm
TAP_SKIP_EXIT=0
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$VMDIR/lib.sh"

kver=$("$REPO/scripts/pick-kernel.sh" --boot 6.1 2>/dev/null)
[ -n "$kver" ] || tap_skip_all "no Debian 6.1 kernel installed (run: make deps)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$VMDIR/run-l1.sh" --kver "$kver" --out "$TMP/out" --timeout 300 \
	--boot-timeout 10 --qemu-arg -S "$VMDIR/cases/10-module-load.sh" \
	>"$TMP/log" 2>&1
rc=$?
# Timed from the results marker, which run-l1.sh writes once it holds the
# one-VM-at-a-time lock: waiting for another checkout's VM run is not the
# watchdog's time.
start=$(stat -c %Y "$TMP/out/.mnv-vm-results" 2>/dev/null || echo 0)
elapsed=$(($(date +%s) - start))
tap_eq "a VM that never boots fails the run (exit status)" 2 "$rc" ||
	diag_file "$TMP/log"
tap_eq "it is reported as a boot timeout" boot-timeout \
	"$(cat "$TMP/out/vm.status" 2>/dev/null)"
tap_cond "it is killed after --boot-timeout, not --timeout (${elapsed}s)" \
	[ "$elapsed" -lt 120 ]
# ([q]: pgrep must not find its own command line)
no_qemu_left() {
	! pgrep -f "[q]emu-system-x86_64 .*$TMP/out" >/dev/null
}
tap_cond "no QEMU of it is left" no_qemu_left
tap_done
