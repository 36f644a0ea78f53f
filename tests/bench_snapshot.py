#!/usr/bin/python3
"""Snapshot benchmark: every process of a host with N processes alive.

Compares, in one run: jobtrace's task-iterator read and its /proc walk (the
time of the read itself, as jobtrace ps -v reports it), `ps -eo
pid,ppid,rss,time,comm`, psutil's process_iter with the same fields, and
`jobtrace ps` as a whole process (BPF load and output included), and
`jobtrace ps --json` (every field, the command lines included: issue 18's
figure, >= 15x ps -eo at 5,000 processes).

Usage: bench_snapshot.py OUTPUT CHURN [--base=BASE_OUTPUT] [--sizes=N,...]
Each row is followed by the CPU time (user + system) of the same commands:
on a shared machine the wall times move with the neighbours' load.
With --base, the same row for BASE_OUTPUT/jobtrace follows each size's, on
the same sleepers (each build pins its own iterator, replacing the other's,
so each build's first, unmeasured, read pins it again).
"""
import os
import re
import statistics
import subprocess
import sys
import time

import psutil

REPEAT = 7


def wall(cmd):
    return timed(cmd)[0]


def timed(cmd):
    """Wall time and CPU time (user + system, from the child's rusage) of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    w = time.perf_counter() - t
    if status:
        raise subprocess.CalledProcessError(status, cmd)
    return w, ru.ru_utime + ru.ru_stime


def read_ms(cmd):
    out = subprocess.run(cmd + ["-v"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, check=True).stderr
    m = re.search(r"(\d+) processes, \d+ tasks from (\S+) in ([\d.]+) ms", out)
    return int(m.group(1)), m.group(2), float(m.group(3)) / 1e3


def psutil_iter():
    t = time.perf_counter()
    n = sum(1 for _ in psutil.process_iter(["pid", "ppid", "name", "memory_info", "cpu_times"]))
    return time.perf_counter() - t, n


def median(f):
    return statistics.median(f() for _ in range(REPEAT))


def median2(cmd):
    """Medians of wall and of CPU time over REPEAT runs of @cmd."""
    runs = [timed(cmd) for _ in range(REPEAT)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def row(jt, label):
    """One build's figures on the processes alive now; ps -eo's beside them."""
    wall(jt)
    wall(jt + ["--json"])  # pins this build's iterators, unmeasured
    n, src, _ = read_ms(jt)
    assert src == "bpf-iter", src
    it = median(lambda: read_ms(jt)[2])
    walk = median(lambda: read_ms(jt + ["--proc"])[2])
    ps, ps_cpu = median2(["ps", "-eo", "pid,ppid,rss,time,comm"])
    pu = median(lambda: psutil_iter()[0])
    whole, whole_cpu = median2(jt)
    js, js_cpu = median2(jt + ["--json"])
    print(f"{n:>10} {it * 1e3:>9.2f}ms {walk * 1e3:>9.1f}ms {ps * 1e3:>7.1f}ms "
          f"{pu * 1e3:>7.1f}ms {whole * 1e3:>10.1f}ms {js * 1e3:>8.1f}ms {ps / it:>7.0f}x "
          f"{ps / whole:>14.1f}x {ps / js:>12.1f}x{label}", flush=True)
    # On a shared machine the wall times move with the neighbours; CPU holds.
    print(f"{'cpu':>10} {'':>11} {'':>11} {ps_cpu * 1e3:>7.1f}ms {'':>9} "
          f"{whole_cpu * 1e3:>10.1f}ms {js_cpu * 1e3:>8.1f}ms {'':>8} "
          f"{ps_cpu / whole_cpu:>14.1f}x {ps_cpu / js_cpu:>12.1f}x", flush=True)


def main():
    out, churn = sys.argv[1], sys.argv[2]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[3:] if a.startswith("--") and "=" in a)
    sizes = [int(x) for x in opts.get("sizes", "1000,5000,10000").split(",")]
    builds = [([f"{out}/jobtrace", "ps"], "")]
    if "base" in opts:
        builds.append(([f"{opts['base']}/jobtrace", "ps"], "  (base)"))
    jt = builds[0][0]
    print(f"{'processes':>10} {'iter read':>11} {'/proc walk':>11} {'ps -eo':>9} {'psutil':>9}"
          f" {'jobtrace ps':>12} {'ps --json':>10} {'ps/iter':>8} {'ps/jobtrace ps':>15}"
          f" {'ps/ps --json':>13}")
    baseline = read_ms(jt)[0]
    for hold in sizes:
        holder = subprocess.Popen([churn, "--hold", str(hold)], stdout=subprocess.PIPE, text=True,
                                  start_new_session=True)
        holder.stdout.readline()  # "ready"
        try:
            for cmd, label in builds:
                row(cmd, label)
        finally:
            os.killpg(holder.pid, 9)
            holder.wait()
            # The children die with it; wait until they are reaped, so the
            # next size starts from this host's own count.
            deadline = time.time() + 30
            while read_ms(jt)[0] > baseline + 50 and time.time() < deadline:
                time.sleep(0.2)


if __name__ == "__main__":
    main()
