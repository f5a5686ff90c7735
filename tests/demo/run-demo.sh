#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: boot the L1 test VM (QEMU/TCG) on the newest Debian 6.1 kernel,
# create a vNVMe inside it and run fio in an L2 guest on nested KVM.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(ls -d /lib/modules/6.1.0-*-amd64/build 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f4)
[ -n "$kver" ] || { echo "demo: error: no Debian 6.1 kernel installed (run: make deps)" >&2; exit 1; }
out=$repo/build/demo
mkdir -p "$out"
echo "demo: booting L1 ($kver) with two emulated NVMe controllers; this takes a few minutes under TCG"
# One L1 CPU, as for the L2 tests (tests/vm/l2-cases/run-l1.args).
"$repo/tests/vm/run-l1.sh" --kver "$kver" --smp 1 --out "$out" "$repo/tests/demo/demo-case.sh" || exit 1
echo
echo "== L1 steps"
cat "$out/demo-case.tap"
echo
echo "== L2 guest output"
cat "$out/demo-guest.txt" 2>/dev/null
grep -q '^not ok' "$out/demo-case.tap" && { echo "demo: FAILED" >&2; exit 1; }
echo "demo: done"
