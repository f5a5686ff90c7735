#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the benchmark's raw results into a table, JSON and a chart.

    report.py OUTDIR RESULTS_DIR...

Each RESULTS_DIR holds, per configuration NAME, NAME.out (fio JSON
reports between "BEGIN label" / "END label" lines) and NAME.cpu (L1 CPU
ticks sampled at those lines), as bench/lib-bench.sh leaves them.
Writes OUTDIR/results.json, OUTDIR/results.md and, if gnuplot is
installed, OUTDIR/iops-RW.png (IOPS against queue depth) and
OUTDIR/latency-RW-qdQD.png (latency percentiles per configuration).

Configurations named multi-N-gI are guest I of N run at once on one
controller (lib-bench.sh multi_config): they get a table of their own,
with the aggregate, its ratio to one guest alone (mdev-adaptive) and to
passthrough at the same total queue depth, and Jain's fairness index.

The guest-side targets of the benchmark (interrupt and adaptive modes,
several guests at once) are checked against the rows in a last table;
the poll mode's, on a CPU of its own, are micro-report.py's.

Runs of another block size than 4 KiB (labels ending in -bsSIZE: the
mdev-lists-* configurations of l1-bench.sh) get a table of their own,
and so do the PRP list reads the instances counted (NAME.stats.json,
mdev-nvme stats --json): how many, how many through VFIO rather than
the pin cache, and the nanoseconds one took on average.
"""
import json
import os
import re
import shutil
import subprocess
import sys

USER_HZ = 100
IDLE_MIN_TICKS = USER_HZ  # ticks of all CPUs: /proc/stat counts in USER_HZ
# fio's percentile keys, and the names the rows and charts give them.
PERCENTILES = (("50.000000", "p50"), ("90.000000", "p90"),
               ("99.000000", "p99"), ("99.900000", "p99.9"))
# The queue depths the latency charts are drawn for.
LATENCY_QDS = (1, 16)
ORDER = ["native", "passthrough", "virtio-blk", "emulated-nvme",
         "mdev-poll", "mdev-poll-trapped", "mdev-adaptive", "mdev-interrupt"]
MULTI = re.compile(r"^multi-(\d+)-g(\d+)$")


def parse_out(path):
    """label -> fio JSON report."""
    runs, label, buf = {}, None, []
    with open(path, errors="replace", newline="\n") as f:
        for line in f:
            m = re.match(r"^(BEGIN|END) (\S+)", line)
            if m and m.group(1) == "BEGIN":
                label, buf = m.group(2), []
            elif m and label:
                text = "".join(buf)
                start = text.find("{")
                if start >= 0:
                    try:
                        runs[label] = json.loads(text[start:])
                    except ValueError:
                        pass
                label = None
            elif label:
                buf.append(line)
    return runs


def parse_start(path):
    """The "START <epoch seconds>" line a guest prints, or None."""
    with open(path, errors="replace", newline="\n") as f:
        for line in f:
            m = re.match(r"^START (\d+)", line)
            if m:
                return int(m.group(1))
    return None


def parse_cpu(path):
    """label -> (busy ticks, total ticks) between its BEGIN and END."""
    begin, spans = {}, {}
    if not os.path.exists(path):
        return spans
    # Guest lines may end in CR LF (serial port): CR is not a line break.
    with open(path, newline="\n") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue
            mark, label, busy, total = parts[0], parts[1], int(parts[2]), int(parts[3])
            if mark == "BEGIN":
                begin[label] = (busy, total)
            elif label in begin:
                b0, t0 = begin.pop(label)
                spans[label] = (busy - b0, total - t0)
    return spans


def parse_stats(path):
    """The instance counters mdev-nvme stats --json left, or None."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def row_of(config, label, report, cpu):
    m = re.match(r"(randread|randwrite)-j(\d+)-qd(\d+)(?:-bs(\w+))?$", label)
    if not m:
        return None
    rw, jobs, qd = m.group(1), int(m.group(2)), int(m.group(3))
    job = report["jobs"][0]
    side = job["read"] if rw == "randread" else job["write"]
    clat = side.get("clat_ns", {})
    pct = clat.get("percentile", {})
    ios = side.get("total_ios", 0)
    busy = cpu.get(label, (None, None))[0]
    row = {
        "config": config, "rw": rw, "numjobs": jobs, "iodepth": qd,
        "bs": m.group(4) or "4k",
        "iops": round(side.get("iops", 0.0), 1),
        "lat_mean_us": round(clat.get("mean", 0.0) / 1000, 1),
        "host_cpu_us_per_io": (round(busy * 1e6 / USER_HZ / ios, 1)
                               if busy is not None and ios else None),
    }
    for key, name in PERCENTILES:
        row[pct_field(name)] = round(pct.get(key, 0) / 1000, 1)
    return row


def pct_field(name):
    """The row's field of percentile NAME: p99.9 -> lat_p999_us."""
    return "lat_%s_us" % name.replace(".", "")


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir, dirs = sys.argv[1], sys.argv[2:]
    rows, idle, stats = [], {}, {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if name.endswith(".stats.json"):
                s = parse_stats(os.path.join(d, name))
                if s is not None:
                    stats[name[:-len(".stats.json")]] = s
            if not name.endswith(".out"):
                continue
            config = name[:-4]
            runs = parse_out(os.path.join(d, name))
            cpu = parse_cpu(os.path.join(d, config + ".cpu"))
            # A configuration that sits idle for no time (the mdev-lists-*
            # ones) has a window of a few ticks, all of them busy with
            # the runner itself: a percentage only from a second of ticks.
            if "idle" in cpu and cpu["idle"][1] >= IDLE_MIN_TICKS:
                idle[config] = round(100.0 * cpu["idle"][0] / cpu["idle"][1], 1)
            start = (parse_start(os.path.join(d, name))
                     if MULTI.match(config) else None)
            for label, report in runs.items():
                r = row_of(config, label, report, cpu)
                if r and start is not None:
                    r["start"] = start
                if r:
                    rows.append(r)
    multi = [r for r in rows if MULTI.match(r["config"])]
    big = [r for r in rows if r["bs"] != "4k" and not MULTI.match(r["config"])]
    rows = [r for r in rows if r["bs"] == "4k" and not MULTI.match(r["config"])]
    if not rows:
        sys.exit("report: no fio results found in " + " ".join(dirs))

    key = {(r["config"], r["rw"], r["numjobs"], r["iodepth"]): r for r in rows}
    for r in rows:
        k = (r["rw"], r["numjobs"], r["iodepth"])
        for peer in ("native", "passthrough"):
            p = key.get((peer,) + k)
            r["iops_vs_" + peer] = ratio(r["iops"], p["iops"] if p else None)
    rank = {c: i for i, c in enumerate(ORDER)}
    rows.sort(key=lambda r: (r["rw"], r["numjobs"], r["iodepth"],
                             rank.get(r["config"], 99), r["config"]))

    groups = multi_groups(multi, key)
    big.sort(key=lambda r: (r["config"], r["rw"], r["bs"], r["numjobs"],
                            r["iodepth"]))
    lists = list_reads(stats)
    events = events_per_command(stats)
    goals = targets(key, idle, groups)

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"rows": rows, "idle_host_cpu_percent": idle,
                   "multi": groups, "other_block_sizes": big,
                   "list_reads": lists, "events_per_command": events,
                   "targets": goals}, f, indent=1)

    lines = ["| rw | jobs | QD | configuration | IOPS | vs native | vs passthrough"
             " | mean us | p50 us | p99 us | host CPU us/IO |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        cells = [r["rw"], r["numjobs"], r["iodepth"], r["config"], r["iops"],
                 r["iops_vs_native"], r["iops_vs_passthrough"], r["lat_mean_us"],
                 r["lat_p50_us"], r["lat_p99_us"], r["host_cpu_us_per_io"]]
        lines.append("| " + " | ".join("-" if c is None else str(c)
                                         for c in cells) + " |")
    lines += ["", "Host (L1) CPU busy while the guest sat idle for the first"
              " seconds of each configuration:", "",
              "| configuration | idle host CPU % |", "| --- | ---: |"]
    for c in sorted(idle, key=lambda c: rank.get(c, 99)):
        lines.append("| %s | %s |" % (c, idle[c]))
    if groups:
        lines += ["", "Several instances on one controller, one L2 guest each,"
                  " reading at the same time (adaptive mode; QD is each"
                  " guest's, the one guest alone ran at their total):", "",
                  "| guests | rw | jobs | QD | IOPS per guest | aggregate"
                  " | vs one guest | vs passthrough | fairness (Jain) |"
                  " slowest / fastest | p99 us, worst | start spread s |",
                  "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for g in groups:
            cells = [g["guests"], g["rw"], g["numjobs"], g["iodepth"],
                     " / ".join(str(x) for x in g["iops_per_guest"]),
                     g["aggregate_iops"], g["vs_one_guest"],
                     g["vs_passthrough"], g["jain_fairness"],
                     g["min_over_max"], g["worst_p99_us"],
                     g["start_spread_s"]]
            lines.append("| " + " | ".join("-" if c is None else str(c)
                                             for c in cells) + " |")
    if big:
        lines += ["", "Other block sizes (the mdev-lists-* configurations:"
                  " PRP lists read from the pin cache, or through VFIO):", "",
                  "| configuration | rw | bs | jobs | QD | IOPS | mean us"
                  " | p99 us | host CPU us/IO |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in big:
            cells = [r["config"], r["rw"], r["bs"], r["numjobs"], r["iodepth"],
                     r["iops"], r["lat_mean_us"], r["lat_p99_us"],
                     r["host_cpu_us_per_io"]]
            lines.append("| " + " | ".join("-" if c is None else str(c)
                                             for c in cells) + " |")
    if lists:
        lines += ["", "PRP list and DSM range reads of the I/O command check,"
                  " as the instances counted them (all workloads of the"
                  " configuration):", "",
                  "| configuration | list reads | through VFIO | ns per read |",
                  "| --- | ---: | ---: | ---: |"]
        for c in sorted(lists):
            e = lists[c]
            cells = [c, e["list_reads"], e["list_reads_rw"], e["ns_per_read"]]
            lines.append("| " + " | ".join("-" if x is None else str(x)
                                             for x in cells) + " |")
    if events:
        lines += ["", "What the instance's work cost, per guest command over"
                  " all workloads of the configuration (its counters): MMIO"
                  " doorbells the guest rang (each a VM exit), interrupts"
                  " raised in the guest, completion interrupts of the"
                  " hardware queues, and the times the thread went to sleep"
                  " until a doorbell:", "",
                  "| configuration | commands | MMIO doorbells | guest"
                  " interrupts | hardware interrupts | sleeps |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for c in sorted(events, key=lambda c: rank.get(c, 99)):
            e = events[c]
            cells = [c, e["commands"]] + [e[k] for k in EVENTS]
            lines.append("| " + " | ".join("-" if x is None else str(x)
                                             for x in cells) + " |")
    if goals:
        lines += ["", "Targets in L2 guests (the poll mode's, on a CPU of its"
                  " own, are the micro-benchmark's below):", "",
                  "| target | measured | met |", "| --- | --- | --- |"]
        for g in goals:
            lines.append("| %s | %s | %s |" % (g["target"], g["measured"],
                                              "yes" if g["met"] else "no"))
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    if shutil.which("gnuplot"):
        for rw in ("randread", "randwrite"):
            plot(outdir, rw, rows, rank)
            for qd in LATENCY_QDS:
                plot_latency(outdir, rw, qd, rows, rank)


def list_reads(stats):
    """config -> its list reads, for the instances that read any."""
    out = {}
    for config, s in stats.items():
        n = s.get("list_reads")
        if not n:
            continue
        out[config] = {
            "list_reads": n, "list_reads_rw": s.get("list_reads_rw"),
            "list_read_ns": s.get("list_read_ns"),
            "ns_per_read": (round(s["list_read_ns"] / n)
                            if s.get("list_read_ns") is not None else None),
        }
    return out


# Instance counters reported per guest command (events_per_command).
EVENTS = ("mmio_doorbells", "guest_irqs", "hw_irqs", "idle_sleeps")


def events_per_command(stats):
    """config -> its counters of EVENTS per guest command, for the
    configurations of one instance (mdev-*.stats.json)."""
    out = {}
    for config, s in stats.items():
        n = sum(s.get(k, 0) for k in ("read_cmds", "write_cmds", "other_cmds"))
        if not n or not all(k in s for k in EVENTS):
            continue
        out[config] = {"commands": n}
        out[config].update({k: round(s[k] / n, 2) for k in EVENTS})
    return out


def multi_groups(multi, key):
    """One entry per (guests, rw, jobs, QD) run together."""
    by = {}
    for r in multi:
        n = int(MULTI.match(r["config"]).group(1))
        by.setdefault((n, r["rw"], r["numjobs"], r["iodepth"]), []).append(r)
    groups = []
    for (n, rw, jobs, qd), rs in sorted(by.items()):
        rs.sort(key=lambda r: int(MULTI.match(r["config"]).group(2)))
        iops = [r["iops"] for r in rs]
        total = sum(iops)
        # One guest alone with the same total depth as all of them.
        alone = key.get(("mdev-adaptive", rw, jobs, qd * n))
        pt = key.get(("passthrough", rw, jobs, qd * n))
        squares = sum(x * x for x in iops)
        starts = [r["start"] for r in rs if r.get("start") is not None]
        groups.append({
            "guests": n, "reported": len(rs), "rw": rw, "numjobs": jobs,
            "iodepth": qd, "iops_per_guest": iops,
            "aggregate_iops": round(total, 1),
            "vs_one_guest": ratio(total, alone["iops"] if alone else None),
            "vs_passthrough": ratio(total, pt["iops"] if pt else None),
            "jain_fairness": (round(total * total / (len(iops) * squares), 3)
                              if squares else None),
            "min_over_max": ratio(min(iops), max(iops)),
            "worst_p99_us": max(r["lat_p99_us"] for r in rs),
            "start_spread_s": (max(starts) - min(starts)
                               if len(starts) == len(rs) else None),
        })
    return groups


def targets(key, idle, groups):
    """The guest-side targets: [{"target", "measured", "met"}]."""
    out = []

    def iops(config, rw, qd):
        r = key.get((config, rw, 1, qd))
        return r["iops"] if r else None

    def add(target, value, low, fmt="%.2f×"):
        """Met: VALUE at least LOW.  None: a workload not run."""
        if value is not None:
            out.append({"target": target, "value": value,
                        "met": value >= low, "measured": fmt % value})

    for rw in ("randread", "randwrite"):
        for qd, want in ((1, 0.9), (16, 0.8)):
            v = ratio(iops("mdev-interrupt", rw, qd), iops("passthrough", rw, qd))
            add("interrupt, %s QD %d: ≥ %.1f× passthrough" % (rw, qd, want),
                v, want)
        v = ratio(iops("mdev-interrupt", rw, 1), iops("virtio-blk", rw, 1))
        add("interrupt, %s QD 1: ≥ 2.5× virtio-blk" % rw, v, 2.5)
        qds = sorted({k[3] for k in key if k[0] == "mdev-adaptive" and
                      k[1] == rw and k[2] == 1})
        for qd in qds:
            best = max(filter(None, (iops("mdev-poll", rw, qd),
                                     iops("mdev-interrupt", rw, qd))),
                       default=None)
            v = ratio(iops("mdev-adaptive", rw, qd), best)
            add("adaptive, %s QD %d: ≥ 0.9× the better of poll and interrupt"
                % (rw, qd), v, 0.9)
    if "mdev-adaptive" in idle:
        v = idle["mdev-adaptive"]
        out.append({"target": "adaptive, idle guest: < 3 % of a CPU",
                    "value": v, "met": v < 3.0, "measured": "%.1f %%" % v})
    for g in groups:
        what = "%d guests, %s QD %d each" % (g["guests"], g["rw"], g["iodepth"])
        add(what + ": aggregate ≥ 0.9× one guest alone", g["vs_one_guest"], 0.9)
        add(what + ": Jain fairness ≥ 0.95", g["jain_fairness"], 0.95, "%.3f")
    return out


def plot(outdir, rw, rows, rank):
    configs = sorted({r["config"] for r in rows
                      if r["rw"] == rw and r["numjobs"] == 1},
                     key=lambda c: rank.get(c, 99))
    if not configs:
        return
    data = os.path.join(outdir, "iops-%s.dat" % rw)
    with open(data, "w") as f:
        for c in configs:
            f.write('"%s"\n' % c)
            for r in rows:
                if r["config"] == c and r["rw"] == rw and r["numjobs"] == 1:
                    f.write("%d %s\n" % (r["iodepth"], r["iops"]))
            f.write("\n\n")
    gnuplot(os.path.join(outdir, "iops-%s.png" % rw),
            "4 KiB %s, numjobs 1" % rw, [
                'set xlabel "iodepth"', 'set ylabel "IOPS"', "set logscale x 2",
                'plot for [i=0:%d] "%s" index i using 1:2 with linespoints'
                " title columnhead(1)" % (len(configs) - 1, data)])


def plot_latency(outdir, rw, qd, rows, rank):
    """Latency percentiles at numjobs 1 and depth QD, a line per
    configuration, on a logarithmic scale."""
    picked = sorted((r for r in rows if r["rw"] == rw and r["numjobs"] == 1
                     and r["iodepth"] == qd and r["lat_p50_us"]),
                    key=lambda r: rank.get(r["config"], 99))
    if not picked:
        return
    data = os.path.join(outdir, "latency-%s-qd%d.dat" % (rw, qd))
    with open(data, "w") as f:
        for r in picked:
            f.write('"%s"\n' % r["config"])
            for i, (_, name) in enumerate(PERCENTILES):
                f.write('%d "%s" %s\n' % (i, name, r[pct_field(name)]))
            f.write("\n\n")
    gnuplot(os.path.join(outdir, "latency-%s-qd%d.png" % (rw, qd)),
            "4 KiB %s, numjobs 1, iodepth %d: completion latency" % (rw, qd), [
                'set xlabel "percentile"', 'set ylabel "microseconds"',
                "set logscale y",
                "set xrange [-0.3:%f]" % (len(PERCENTILES) - 0.7),
                'plot for [i=0:%d] "%s" index i using 1:3:xtic(2) with'
                " linespoints title columnhead(1)" % (len(picked) - 1, data)])


def gnuplot(png, title, commands):
    """Draw PNG: a chart of TITLE, gnuplot COMMANDS after the settings
    every chart shares."""
    script = "\n".join([
        "set terminal pngcairo size 900,560" if "cairo" in gp_terms() else
        "set terminal png size 900,560",
        'set output "%s"' % png,
        'set title "%s (nested TCG: compare ratios only)"' % title,
        "set key outside right", "set grid"] + commands)
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


def gp_terms():
    try:
        return subprocess.run(["gnuplot", "-e", "set terminal"], text=True,
                              capture_output=True, check=False).stderr
    except OSError:
        return ""


if __name__ == "__main__":
    main()
