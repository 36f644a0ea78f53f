#!/usr/bin/env python3
"""make bench: serve's history against its budgets (issue 20).

Through the real writer (tests/bench_history.c: serve's history sink on a
clock of its own), each figure beside its goal:
  - bytes on disk per process record (an hour of exits alone), per job
    interval record and per host interval (a host record and its "system"
    line, from a real sample of this host every pass), and a day of a
    build host at 100 processes/s from them (goal: 8.6 M process records
    in 500 MB);
  - the time `jobtrace history` takes to answer a one-hour query over a
    whole day written the same way (goal: 2 s);
  - the writer's CPU per record: formatting, writing, compressing (goal:
    1 us);
  - `top --replay` over that day: a jump to a moment, and a step forward
    from it (which goes on from where the frame before stopped reading).

  tests/bench_history.py OUTPUT WORKDIR     (HISTORY_DAY_S=86400 HISTORY_RATE=100)
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import time

output, work = sys.argv[1], sys.argv[2]
DAY_S = int(os.environ.get("HISTORY_DAY_S", 86400))
RATE = int(os.environ.get("HISTORY_RATE", 100))
JOBS = 20
START = 1796515200  # 2026-12-06 00:00 UTC: files are named by it
GOAL_DAY_BYTES = 500e6
GOAL_QUERY_S = 2.0
GOAL_CPU_US = 1.0


def written(name, *args):
    d = os.path.join(work, "history-" + name)
    shutil.rmtree(d, ignore_errors=True)
    out = subprocess.run([f"{output}/bench_history", d, "--start", str(START), *map(str, args)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    r["dir"] = d
    r["bytes"] = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    return r


exits = written("exits", "--only", "exits", "--seconds", 3600, "--rate", RATE)
intervals = written("intervals", "--only", "intervals", "--seconds", 3600, "--jobs", JOBS)
hosts = written("host", "--only", "host", "--seconds", 300)
per_exit = exits["bytes"] / exits["exits"]
per_interval = intervals["bytes"] / intervals["intervals"]
per_host = hosts["bytes"] / hosts["hosts"]
day_exits = 86400 * 100
day = day_exits * per_exit + 86400 * JOBS * per_interval + 86400 * per_host

print("history on disk (serve's writer, zstd), and serve's CPU for it, against issue 20's budgets")
print(f"{'':<44}{'measured':>14}{'goal':>14}")
print(f"{'bytes per process record':<44}{per_exit:>14.1f}{GOAL_DAY_BYTES / day_exits:>14.1f}")
print(f"{'bytes per job interval record':<44}{per_interval:>14.1f}{'':>14}")
print(f"{'bytes per host interval (host + system)':<44}{per_host:>14.1f}{'':>14}")
print(f"{'a day: 8.64 M exits, 20 jobs, 1 s ticks, MB':<44}{day / 1e6:>14.1f}"
      f"{GOAL_DAY_BYTES / 1e6:>14.0f}")
cpu_exit = exits["sink_cpu_s"] / exits["exits"] * 1e6
cpu_interval = intervals["sink_cpu_s"] / intervals["intervals"] * 1e6
cpu_host = hosts["sink_cpu_s"] / hosts["hosts"] * 1e6
print(f"{'writer CPU per process record, us':<44}{cpu_exit:>14.2f}{GOAL_CPU_US:>14.1f}")
print(f"{'writer CPU per job interval record, us':<44}{cpu_interval:>14.2f}{GOAL_CPU_US:>14.1f}")
print(f"{'writer CPU per host interval, us':<44}{cpu_host:>14.2f}{'':>14}")

# A whole day through the writer (a real sample each minute), then an hour of it asked for.
t0 = time.monotonic()
full = written("day", "--seconds", DAY_S, "--rate", RATE, "--jobs", JOBS, "--sample-every", 60)
gen_s = time.monotonic() - t0
records = full["exits"] + full["intervals"] + full["hosts"]
mid = START + DAY_S // 2
queries = [
    ("jobs of one hour", ["--since", mid, "--until", mid + 3600]),
    ("processes of one hour", ["--processes", "--since", mid, "--until", mid + 3600]),
    ("failed processes of one hour, JSON", ["--json", "--failed", "--since", mid,
                                            "--until", mid + 3600]),
]
print()
print(f"a day written: {full['exits']:,} process records, {full['intervals']:,} job intervals, "
      f"{full['hosts']:,} host intervals, {full['jobs']:,} jobs ended, in "
      f"{full['bytes'] / 1e6:.1f} MB ({len(os.listdir(full['dir']))} files; writer CPU "
      f"{full['sink_cpu_s'] / records * 1e6:.2f} us per record; made in {gen_s:.0f} s)")
for name, args in queries:
    times, cpus, lines = [], [], 0
    for _ in range(3):
        t, r = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([f"{output}/jobtrace", "history", *map(str, args), full["dir"]],
                             check=True, capture_output=True).stdout
        times.append(time.monotonic() - t)
        r2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Its CPU too: a busy machine stretches the wall time, not this.
        cpus.append(r2.ru_utime - r.ru_utime + r2.ru_stime - r.ru_stime)
        lines = out.count(b"\n")
    print(f"  {name:<40}{sorted(times)[1]:>8.3f} s, CPU {sorted(cpus)[1]:.3f} s (medians of 3; "
          f"goal {GOAL_QUERY_S:.0f} s), {lines:,} lines")
# top --replay over the same day: a jump (a frame built from its warm-up), then steps forward.
# A step costs well under a millisecond, less than the jump's spread from run to run: 200 of
# them are timed, and each figure is the least of 3 runs (other load only adds CPU).
replay = [f"{output}/jobtrace", "top", "--replay", "-b", "-w", "200", "--at", str(mid), full["dir"]]
STEPS = 200
costs = {}
for n in (1, 1 + STEPS):
    runs = []
    for _ in range(3):
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(replay[:4] + ["-n", str(n)] + replay[4:], check=True, capture_output=True)
        r2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append(r2.ru_utime - r.ru_utime + r2.ru_stime - r.ru_stime)
    costs[n] = min(runs)
step = (costs[1 + STEPS] - costs[1]) / STEPS
print(f"  {'top --replay: a jump, CPU s':<40}{costs[1]:>8.3f} (least of 3)")
if step > 0:
    print(f"  {'top --replay: a step forward, CPU s':<40}{step:>8.5f} ({STEPS} steps; least of 3)")
else:
    print(f"  {'top --replay: a step forward, CPU s':<40}{'< noise':>8} ({STEPS} steps cost less "
          f"than the jump's spread)")
for r in (exits, intervals, hosts, full):
    shutil.rmtree(r["dir"], ignore_errors=True)
