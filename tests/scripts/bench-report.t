#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/report.py on raw results made here: fio JSON reports of known
# IOPS and latencies for each configuration, and four guests run at once.
# The ratios, the fairness of the guests run together (against one guest
# alone at their total depth) and the targets table must come out of
# those numbers, met or not as they say.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$TOP/tests/lib/tap.sh"

D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/raw" "$D/out"

# The raw results: CONFIG:QD:IOPS[:P99 us] per run, randread, numjobs 1.
python3 - "$D/raw" <<'EOF'
import json, os, sys
raw = sys.argv[1]
runs = {
    "native": [(1, 3000), (16, 6000), (64, 6000)],
    "passthrough": [(1, 1000), (16, 2000), (64, 2000)],
    "virtio-blk": [(1, 300), (16, 500), (64, 500)],
    "mdev-poll": [(1, 500), (16, 2100), (64, 2400)],
    "mdev-interrupt": [(1, 950), (16, 1500), (64, 1200)],
    "mdev-adaptive": [(1, 900), (16, 2000), (64, 2000)],
    # Four guests at QD 16 each: 64 in all, 1700 IOPS together.
    "multi-4-g1": [(16, 400)], "multi-4-g2": [(16, 400)],
    "multi-4-g3": [(16, 400)], "multi-4-g4": [(16, 500)],
}
for config, points in runs.items():
    with open(os.path.join(raw, config + ".out"), "w") as f:
        if config.startswith("multi-"):
            f.write("START 1000\n")
        for qd, iops in points:
            pct = {"50.000000": 1e6 / iops, "90.000000": 2e6 / iops,
                   "99.000000": 4e6 / iops, "99.900000": 8e6 / iops}
            rep = {"jobs": [{"read": {
                "iops": iops, "total_ios": iops * 5,
                "clat_ns": {"mean": 1.2e6 / iops, "percentile": pct}}}]}
            label = "randread-j1-qd%d" % qd
            f.write("BEGIN %s\nfio: a line before the JSON\n" % label)
            f.write(json.dumps(rep) + "\nEND %s\n" % label)
    if config == "mdev-interrupt":
        with open(os.path.join(raw, config + ".stats.json"), "w") as f:
            json.dump({"read_cmds": 800, "write_cmds": 200, "other_cmds": 0,
                       "mmio_doorbells": 970, "guest_irqs": 1000,
                       "hw_irqs": 1010, "idle_sleeps": 955,
                       "list_reads": 0}, f)
    with open(os.path.join(raw, config + ".cpu"), "w") as f:
        # Idle: 1 busy tick of 100 for mdev-adaptive, 5 for the others.
        busy = 1 if config == "mdev-adaptive" else 5
        f.write("BEGIN idle 0 0\nEND idle %d 100\n" % busy)
EOF
tap_eq "raw results made" 0 $?

python3 "$TOP/bench/report.py" "$D/out" "$D/raw" >"$D/report.txt" 2>&1
tap_eq "report.py ran" 0 $? || diag_file "$D/report.txt"

# field EXPR: a value of results.json, by a Python expression on it (j).
field() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$D/out/results.json" "$1"
}
row='[r for r in j["rows"] if r["config"] == "%s" and r["iodepth"] == %d][0]'
# shellcheck disable=SC2059 # the row's pattern is the format
tap_eq "interrupt QD 1: 0.95 of passthrough" 0.95 \
	"$(field "$(printf "$row" mdev-interrupt 1)[\"iops_vs_passthrough\"]")"
# shellcheck disable=SC2059
tap_eq "poll QD 16: 0.35 of native" 0.35 \
	"$(field "$(printf "$row" mdev-poll 16)[\"iops_vs_native\"]")"
# shellcheck disable=SC2059
# 8e6 / 1000 ns
tap_eq "p99.9 of passthrough QD 1 read from fio's percentiles" 8.0 \
	"$(field "$(printf "$row" passthrough 1)[\"lat_p999_us\"]")"

tap_eq "MMIO doorbells per command of the interrupt instance" 0.97 \
	"$(field 'j["events_per_command"]["mdev-interrupt"]["mmio_doorbells"]')"
tap_eq "its sleeps per command" 0.95 \
	"$(field 'j["events_per_command"]["mdev-interrupt"]["idle_sleeps"]')"
tap_eq "one group of guests run at once" 1 "$(field 'len(j["multi"])')"
tap_eq "their aggregate" 1700 "$(field 'j["multi"][0]["aggregate_iops"]')"
tap_eq "against one guest alone at their total depth (64)" 0.85 \
	"$(field 'j["multi"][0]["vs_one_guest"]')"
# 1700² / (4 · (3 · 400² + 500²)) = 0.9897
tap_eq "Jain's fairness index of 400, 400, 400, 500" 0.99 \
	"$(field 'j["multi"][0]["jain_fairness"]')"

# target TEXT: "yes" or "no", the targets table's verdict on TEXT.
target() {
	field "[t['met'] for t in j['targets'] if t['target'].startswith('$1')]"
}
tap_eq "interrupt QD 1 ≥ 0.9× passthrough: met (0.95)" "[True]" \
	"$(target "interrupt, randread QD 1: ≥ 0.9")"
tap_eq "interrupt QD 16 ≥ 0.8× passthrough: not met (0.75)" "[False]" \
	"$(target "interrupt, randread QD 16: ≥ 0.8")"
tap_eq "interrupt QD 1 ≥ 2.5× virtio-blk: met (3.17)" "[True]" \
	"$(target "interrupt, randread QD 1: ≥ 2.5")"
tap_eq "adaptive QD 1 against interrupt's 950: met (0.95)" "[True]" \
	"$(target "adaptive, randread QD 1:")"
tap_eq "adaptive QD 64 against poll's 2400: not met (0.83)" "[False]" \
	"$(target "adaptive, randread QD 64:")"
tap_eq "adaptive idle at 1 %: met" "[True]" "$(target "adaptive, idle")"
tap_eq "four guests' aggregate at 0.85: not met" "[False]" \
	"$(target "4 guests, randread QD 16 each: aggregate")"
tap_eq "four guests' fairness at 0.99: met" "[True]" \
	"$(target "4 guests, randread QD 16 each: Jain")"
tap_cond "results.md has the targets table" \
	grep -q '^| interrupt, randread QD 16: ≥ 0.8× passthrough | 0.75× | no |$' \
	"$D/out/results.md"
if command -v gnuplot >/dev/null; then
	tap_cond "a latency chart at QD 1" test -s "$D/out/latency-randread-qd1.png"
else
	tap_skip "a latency chart at QD 1" "no gnuplot"
fi
tap_done
