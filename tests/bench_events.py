#!/usr/bin/python3
"""What an exec costs under `jobtrace run`, and what --events adds.

churn --exec N forks N children that each exec /bin/true. It runs alone,
under `jobtrace run`, and under `jobtrace run --events /dev/null`, in
EVENT_RUNS alternating rounds. `run` always captures each exec's arguments
(its failed-process list shows them), so run against alone is the cost of
tracking plus argument capture; --events against run is the cost of writing
a JSON line per process. Per exec: the job's wall time and its CPU (churn's
getrusage over the whole tree, which is where the BPF programs' time is
charged). jobtrace's own CPU is its wait4 total less the tree's.

Usage: tests/bench_events.py OUTPUT_DIR WORK_DIR
"""
import json
import os
import sys

from benchlib import cmdline, median

ENV = os.environ
RUNS = int(ENV.get("EVENT_RUNS", 5))
EXECS = int(ENV.get("EXECS", 5000))
CONCURRENCY = int(ENV.get("CONCURRENCY", 8))


def run(argv, truth_path):
    """Runs argv; returns churn's truth and the CPU of argv's whole process
    tree (wait4: the process and every child it reaped), in seconds."""
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execv(argv[0], [str(a) for a in argv])
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmdline(argv)} failed: {status}")
    with open(truth_path) as f:
        return json.load(f), ru.ru_utime + ru.ru_stime


def main():
    out, work = sys.argv[1], sys.argv[2]
    truth = f"{work}/events.truth.json"
    report = f"{work}/events.report.json"
    churn = [f"{out}/churn", "--exec", EXECS, "--concurrency", CONCURRENCY, "--subreaper",
             "--truth", truth]
    conds = {
        "alone": churn,
        "run": [f"{out}/jobtrace", "run", "--json", "-o", report, "--"] + churn,
        "run --events": [f"{out}/jobtrace", "run", "--json", "-o", report, "--events",
                         "/dev/null", "--"] + churn,
    }
    res = {c: [] for c in conds}
    for _ in range(RUNS):
        for c, argv in conds.items():
            t, tree_cpu_s = run(argv, truth)
            row = {"wall_s": t["wall_ns"] / 1e9, "cpu_s": t["cpu_ns"] / 1e9,
                   "self_cpu_s": tree_cpu_s - t["cpu_ns"] / 1e9, "execs": t["execs"]}
            if c != "alone":
                with open(report) as f:
                    r = json.load(f)
                row["records"] = r["processes"]["exited"]
                row["records_per_s"] = r["processes"]["exited"] / r["job"]["wall_s"]
                row["lost"] = r["events"]["lost"]
            res[c].append(row)

    med = {c: {k: median(x[k] for x in xs) for k in xs[0]} for c, xs in res.items()}
    print(f"execs: churn --exec {EXECS} (each child execs /bin/true, {CONCURRENCY} in flight);"
          f" {RUNS} alternating rounds, medians")
    print(f"{'':<22}{'wall s':>9}{'job CPU s':>11}{'jobtrace CPU s':>16}{'records/s':>11}"
          f"{'wall/exec':>11}{'CPU/exec':>11}")
    for c, m in med.items():
        line = f"{c:<22}{m['wall_s']:>9.3f}{m['cpu_s']:>11.3f}"
        if c == "alone":
            print(line + f"{'-':>16}{'-':>11}")
            continue
        prev = med["alone" if c == "run" else "run"]
        dw = (m["wall_s"] - prev["wall_s"]) / EXECS * 1e9
        dc = (m["cpu_s"] - prev["cpu_s"]) / EXECS * 1e9
        print(line + f"{m['self_cpu_s']:>16.3f}{m['records_per_s']:>11,.0f}{dw:>+9.0f}ns"
              f"{dc:>+9.0f}ns")
    fast = {c: {k: min(x[k] for x in xs) for k in ("wall_s", "cpu_s")} for c, xs in res.items()}
    pe = lambda c, prev, k: (fast[c][k] - fast[prev][k]) / EXECS * 1e9
    print(f"{'by the fastest runs':<22}{'':>47}{pe('run', 'alone', 'wall_s'):>+9.0f}ns"
          f"{pe('run', 'alone', 'cpu_s'):>+9.0f}ns  (run)")
    print(f"{'':<22}{'':>47}{pe('run --events', 'run', 'wall_s'):>+9.0f}ns"
          f"{pe('run --events', 'run', 'cpu_s'):>+9.0f}ns  (--events)")
    lost = sum(x["lost"] for c in conds if c != "alone" for x in res[c])
    spread = lambda xs: (max(xs) - min(xs)) / median(xs) * 100
    print("per exec: 'run' against alone (tracking + argument capture), 'run --events' against"
          " 'run'")
    print(f"(a JSON line per process); {lost} records lost. The runs alone spread "
          f"{spread([x['wall_s'] for x in res['alone']]):.1f}% in wall time,")
    print(f"{spread([x['cpu_s'] for x in res['alone']]):.1f}% in CPU (max - min over median):"
          f" a difference per exec below that share of an exec's cost is noise")
    ev = med["run --events"]["self_cpu_s"] - med["run"]["self_cpu_s"]
    print(f"jobtrace's own CPU for the JSON lines: {ev / EXECS * 1e6:+.1f} us per record")
    print("  " + cmdline(conds["alone"][:-2] + ["--truth", "t.json"]))
    print("  " + cmdline([f"{out}/jobtrace", "run", "--events", "/dev/null", "--"]
                         + churn[:-2] + ["--truth", "t.json"]))


if __name__ == "__main__":
    main()
