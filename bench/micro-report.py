#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The mediation micro-benchmark's table (bench/l1-micro.sh).

    micro-report.py OUTDIR RESULTS_DIR

RESULTS_DIR/micro.jsonl holds one object a line: the configuration
("passthrough", "mdev-MODE") and tests/vfio/vfio-perf's report of the
run, with each CPU's busy time during it: CPU 1 has the instance's
thread or poller, the client spins on CPU 0.
Writes OUTDIR/micro.json (the rows) and OUTDIR/micro.md: per workload and
queue depth, each configuration's IOPS and latency against passthrough
(the same controller whole, through vfio-pci), the microseconds the
mediation adds to an I/O, and CPU 1's busy time per I/O; then the
poll mode's targets of the benchmark, met or not.
"""
import json
import os
import sys

ORDER = ["passthrough", "mdev-poll", "mdev-poll-trapped", "mdev-adaptive",
         "mdev-interrupt"]
# Poll mode on a CPU of its own: at least passthrough's IOPS, at most its p99.
POLL_QDS = (1, 16, 64)


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            run = obj["run"]
            ios = run["ios"]
            rows.append({
                "config": obj["config"], "rw": run["rw"], "qd": run["qd"],
                "iops": run["iops"], "ios": ios,
                "mean_us": run["lat_us"]["mean"],
                "p50_us": run["lat_us"]["p50"],
                "p99_us": run["lat_us"]["p99"],
                "p999_us": run["lat_us"]["p999"],
                "doorbells": run["doorbells"],
                "mmio_doorbells": run["mmio_doorbells"],
                "cpu1_us_per_io":
                    run["cpu_busy_us"][1] / ios
                    if ios and len(run["cpu_busy_us"]) > 1 else None,
            })
    return rows


def rank(config):
    return ORDER.index(config) if config in ORDER else len(ORDER)


def fmt(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def table(rows):
    base = {(r["rw"], r["qd"]): r for r in rows
            if r["config"] == "passthrough"}
    out = ["| workload | QD | configuration | IOPS | × passthrough | "
           "mean µs | added µs/I/O | p99 µs | p99 × passthrough | "
           "CPU 1 µs/I/O | doorbells |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["rw"], r["qd"],
                                         rank(r["config"]))):
        b = base.get((r["rw"], r["qd"]))
        r["iops_ratio"] = r["iops"] / b["iops"] if b and b["iops"] else None
        r["added_us"] = r["mean_us"] - b["mean_us"] if b else None
        r["p99_ratio"] = r["p99_us"] / b["p99_us"] if b and b["p99_us"] \
            else None
        out.append("| {} | {} | {} | {:.0f} | {} | {:.1f} | {} | {:.1f} | "
                   "{} | {} | {} |".format(
                       r["rw"], r["qd"], r["config"], r["iops"],
                       fmt(r["iops_ratio"]), r["mean_us"],
                       fmt(r["added_us"], "{:+.1f}"), r["p99_us"],
                       fmt(r["p99_ratio"]),
                       fmt(r["cpu1_us_per_io"], "{:.1f}"),
                       r["doorbells"]))
    return out


def targets(rows):
    out = ["", "Poll mode with its thread on a CPU of its own, against "
           "passthrough (target: ≥ 1.0× IOPS and p99 ≤ passthrough):", "",
           "| workload | QD | IOPS × passthrough | p99 × passthrough | "
           "met |", "|---|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["rw"], r["qd"])):
        if r["config"] != "mdev-poll" or r["qd"] not in POLL_QDS:
            continue
        met = (r.get("iops_ratio") or 0) >= 1.0 and \
            (r.get("p99_ratio") or 99) <= 1.0
        out.append("| {} | {} | {} | {} | {} |".format(
            r["rw"], r["qd"], fmt(r.get("iops_ratio")),
            fmt(r.get("p99_ratio")), "yes" if met else "no"))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: micro-report.py OUTDIR RESULTS_DIR")
    outdir, raw = sys.argv[1], sys.argv[2]
    path = os.path.join(raw, "micro.jsonl")
    rows = load(path)
    if not rows:
        sys.exit("micro-report: no results in " + path)
    lines = ["## Mediation micro-benchmark (L1, no nested guest)", "",
             "A userspace NVMe driver (tests/vfio/vfio-perf) on L1 CPU 0, "
             "random 4 KiB I/O on one queue pair, completions polled; the "
             "same controller whole through vfio-pci (passthrough) or "
             "through a vNVMe whose thread runs on CPU 1.", ""]
    lines += table(rows) + targets(rows)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "micro.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "micro.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
