#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The mediation micro-benchmark's table (bench/l1-micro.sh).

    micro-report.py OUTDIR RESULTS_DIR

RESULTS_DIR/micro.jsonl holds one object a line: the configuration
("passthrough", "mdev-MODE"), the round (every configuration is measured
once a round, in turn), and tests/vfio/vfio-perf's report of the run,
with each CPU's busy time during it: CPU 1 has the instance's thread or
poller, the client spins on CPU 0.
Writes OUTDIR/micro.json (the rows) and OUTDIR/micro.md: per workload and
queue depth, each configuration's median over the rounds of IOPS and
latency, its IOPS against passthrough's in the same round (median, and
lowest to highest), the microseconds the mediation adds to an I/O, and
CPU 1's busy time per I/O; then the poll mode's targets of the
benchmark, met or not, on the medians.
"""
import json
import os
import statistics
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
                "config": obj["config"], "round": obj.get("round", 1),
                "wait": run.get("wait", "poll"),
                "rw": run["rw"], "qd": run["qd"],
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


MEDIANS = ("iops", "mean_us", "p50_us", "p99_us", "p999_us",
           "cpu1_us_per_io")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs):
    """One row per configuration, workload and depth, from its rounds:
    the median of each measure, and the IOPS ratio to passthrough taken
    round by round (the two measured minutes apart, on the same host
    load), as median, lowest and highest."""
    base = {(r["round"], r["rw"], r["qd"]): r for r in runs
            if r["config"] == "passthrough"}
    groups = {}
    for r in runs:
        groups.setdefault((r["config"], r["rw"], r["qd"]), []).append(r)
    rows = []
    for (config, rw, qd), group in groups.items():
        row = {"config": config, "rw": rw, "qd": qd,
               "rounds": len(group),
               "doorbells": group[-1]["doorbells"]}
        for key in MEDIANS:
            row[key] = median(r[key] for r in group)
        ratios = []
        for r in group:
            b = base.get((r["round"], rw, qd))
            if b and b["iops"]:
                ratios.append(r["iops"] / b["iops"])
        row["iops_ratio"] = median(ratios)
        row["iops_ratio_lo"] = min(ratios) if ratios else None
        row["iops_ratio_hi"] = max(ratios) if ratios else None
        rows.append(row)
    return rows


def table(rows):
    base = {(r["rw"], r["qd"]): r for r in rows
            if r["config"] == "passthrough"}
    out = ["| workload | QD | configuration | rounds | IOPS | "
           "× passthrough | lowest–highest | mean µs | added µs/I/O | "
           "p99 µs | p99 × passthrough | CPU 1 µs/I/O | doorbells |",
           "|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["rw"], r["qd"],
                                         rank(r["config"]))):
        b = base.get((r["rw"], r["qd"]))
        r["added_us"] = r["mean_us"] - b["mean_us"] if b else None
        r["p99_ratio"] = r["p99_us"] / b["p99_us"] if b and b["p99_us"] \
            else None
        spread = "-" if r["iops_ratio_lo"] is None else "{:.2f}–{:.2f}".format(
            r["iops_ratio_lo"], r["iops_ratio_hi"])
        out.append("| {} | {} | {} | {} | {:.0f} | {} | {} | {:.1f} | {} | "
                   "{:.1f} | {} | {} | {} |".format(
                       r["rw"], r["qd"], r["config"], r["rounds"], r["iops"],
                       fmt(r["iops_ratio"]), spread, r["mean_us"],
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
    runs = load(path)
    if not runs:
        sys.exit("micro-report: no results in " + path)
    rows = summarise(runs)
    waits = " and ".join(sorted({
        "waited for on the queue's MSI-X interrupt" if r["wait"] == "irq"
        else "polled" for r in runs}))
    lines = ["## Mediation micro-benchmark (L1, no nested guest)", "",
             "A userspace NVMe driver (tests/vfio/vfio-perf) on L1 CPU 0, "
             "random 4 KiB I/O on one queue pair, completions {}; the "
             "same controller whole through vfio-pci (passthrough) or "
             "through a vNVMe whose thread or poller runs on CPU 1.  Each "
             "configuration was measured {} time(s), in turn with the "
             "others; the table gives medians, and the lowest and highest "
             "of the IOPS ratio to passthrough measured in the same "
             "round.".format(waits, max(r["round"] for r in runs)), ""]
    lines += table(rows) + targets(rows)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "micro.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "micro.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
