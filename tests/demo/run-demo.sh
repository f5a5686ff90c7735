#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: boot the L1 test VM (QEMU/TCG) on the newest Debian 6.1 kernel,
# create a vNVMe inside it and run fio with verification in an L2 guest on
# nested KVM.  The verdict is the test suite's: tests/vm/tap-aggregate.sh
# on the results (every step, a bail-out, the kernel logs of L1 and of the
# guest); any "not ok" makes the demo fail with a non-zero exit.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$repo/scripts/pick-kernel.sh" --boot 6.1)
[ -n "$kver" ] || { echo "demo: error: no Debian 6.1 kernel installed (run: make deps)" >&2; exit 1; }
out=$repo/build/demo
mkdir -p "$out"
echo "demo: booting L1 ($kver) with two emulated NVMe controllers; this takes a few minutes under TCG"
# One L1 CPU, as for the L2 tests (tests/vm/l2-cases/run-l1.args).
"$repo/tests/vm/run-l1.sh" --kver "$kver" --smp 1 --out "$out" "$repo/tests/demo/demo-case.sh"
rc=$?
[ "$rc" -ne 1 ] || { echo "demo: FAILED: the VM could not be set up" >&2; exit 1; }
echo
echo "== L2 guest output"
tr -d '\r' <"$out/demo-guest.txt" 2>/dev/null
echo
echo "== Verdict (tests/vm/tap-aggregate.sh $out)"
"$repo/tests/vm/tap-aggregate.sh" "$out"
verdict=$?
echo
if [ "$verdict" -ne 0 ] || [ "$rc" -ne 0 ]; then
	echo "demo: FAILED (see the \"not ok\" lines above; results in $out)" >&2
	exit 1
fi
echo "demo: done: fio wrote 32 MiB in the L2 guest and read every block back verified"
