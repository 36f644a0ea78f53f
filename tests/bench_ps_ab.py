#!/usr/bin/python3
"""A/B of `jobtrace ps` builds on the processes alive now, runs interleaved.

Usage: bench_ps_ab.py JOBTRACE [JOBTRACE...]   (N=runs, default 15)
For each build: the read itself (`ps -v`, the plain iterator, and `ps --json
-v`, the one with arguments), and `ps --json` whole: wall time and CPU time
(user + system, the child's rusage). Medians with [min-max]. Interleaving the
builds run by run is what makes two builds comparable on a shared machine,
where bench_snapshot.py's rows, minutes apart, move with the neighbours.
"""
import os
import re
import statistics
import subprocess
import sys
import time


def read_ms(cmd):
    err = subprocess.run(cmd + ["-v"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, check=True).stderr
    m = re.search(r"(\d+) processes, \d+ tasks from (\S+) in ([\d.]+) ms", err)
    return float(m.group(3)), int(m.group(1))


def timed(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status:
        raise subprocess.CalledProcessError(status, cmd)
    return (time.perf_counter() - t) * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3


def main():
    builds = sys.argv[1:]
    runs = int(os.environ.get("N", "15"))
    res = {b: {"read": [], "json read": [], "json wall": [], "json cpu": []} for b in builds}
    n = 0
    for _ in range(runs):
        for b in builds:
            # Each build pins its own iterators and removes the other's:
            # pinned again here, unmeasured, as a user's second ps finds them.
            timed([b, "ps"])
            timed([b, "ps", "--json"])
            r = res[b]
            ms, n = read_ms([b, "ps"])
            r["read"].append(ms)
            r["json read"].append(read_ms([b, "ps", "--json"])[0])
            wall, cpu = timed([b, "ps", "--json"])
            r["json wall"].append(wall)
            r["json cpu"].append(cpu)
    print(f"{n} processes, {runs} runs each, ms")
    for b in builds:
        print(b, "  ".join(f"{k} {statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]"
                           for k, v in res[b].items()))


if __name__ == "__main__":
    main()
