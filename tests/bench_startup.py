#!/usr/bin/python3
"""jobtrace's own cost: its start-up against /bin/true, its CPU per process
it tracks in run and in host mode, and jobtrace ps --json against ps; each
beside a previous build's when BASE names its binary.

    RUNS=20 CHILDREN=20000 HOLD=5000 FORKERS=1 BASE=/path/to/old/jobtrace \\
        tests/bench_startup.py .output

Start-up: medians of RUNS runs (wall, user+system CPU and peak RSS from the
child's rusage), loading BPF itself and through a serve --control that does
the tracking. CPU per process: jobtrace's user+system time, read once it
has attached and again after a churn of CHILDREN processes (2 at a time,
50 us of CPU each, from FORKERS churns side by side) and its last 1 s
interval, from its CPU-time clock (to the ns; /proc/PID/stat's ticks where
that clock cannot be read); divided by CHILDREN. ps: medians of 7 whole
runs with HOLD processes held alive.
"""
import os
import subprocess
import sys
import time

from benchlib import median, proc_cpu_s

RUNS = int(os.environ.get("RUNS", "20"))
CHILDREN = int(os.environ.get("CHILDREN", "20000"))
HOLD = int(os.environ.get("HOLD", "5000"))
FORKERS = int(os.environ.get("FORKERS", "1"))


def once(argv):
    """Wall s, CPU s and peak RSS bytes of one run of argv.

    The peak comes from /usr/bin/time, a small process: a child forked from
    this Python starts with Python's RSS as its peak, and keeps it past exec.
    """
    rss = f"/tmp/jobtrace-bench-startup-{os.getpid()}.rss"
    t = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss] + argv,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"bench_startup: {' '.join(argv)} failed")
    with open(rss) as f:
        kib = int(f.read().split()[-1])
    os.unlink(rss)
    return wall, ru.ru_utime + ru.ru_stime, kib * 1024


def startup(argv):
    runs = [once(argv) for _ in range(RUNS)]
    return [median(r[i] for r in runs) for i in range(3)]


def churn(out):
    """CHILDREN processes, 2 at a time, 50 us each; from FORKERS churns side by side."""
    one = [f"{out}/churn", "--children", str(CHILDREN // FORKERS), "--concurrency", "2",
           "--burn-us", "50"]
    if FORKERS == 1:
        return one
    return ["sh", "-c", f'for i in $(seq {FORKERS}); do "$@" & done; wait', "sh"] + one


def run_cost(jt, out):
    """run -i 1: its CPU from its command's start to the churn's last interval.

    The command says "ready" and waits for a line before the churn, says
    "done" after it, and waits again while run's last interval passes.
    """
    script = 'echo ready; read x; "$@" >/dev/null; echo done; read y'
    p = subprocess.Popen([jt, "run", "-i", "1", "-o", "/dev/null", "--", "sh", "-c", script,
                          "sh"] + churn(out), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    ok = False
    try:
        if p.stdout.readline().strip() != "ready":
            sys.exit("bench_startup: run's command did not start")
        a = proc_cpu_s(p.pid)
        p.stdin.write("go\n")
        p.stdin.flush()
        if p.stdout.readline().strip() != "done":
            sys.exit("bench_startup: run's churn did not end")
        time.sleep(1.5)
        b = proc_cpu_s(p.pid)
        p.stdin.write("end\n")
        p.stdin.flush()
        ok = True
    finally:
        if not ok:
            p.kill()  # not a churn started by the EOF below
        p.stdin.close()
        try:
            status = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            status = -1
    if status:
        sys.exit(f"bench_startup: run failed ({status})")
    return (b - a) / (CHILDREN // FORKERS * FORKERS)


def watch_cost(jt, out):
    """watch --all -i 1: its CPU from "attached" to the churn's last interval."""
    err = open(f"/tmp/jobtrace-bench-startup-{os.getpid()}.err", "w+")
    p = subprocess.Popen([jt, "watch", "--all", "-i", "1", "-o", "/dev/null"],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            err.seek(0)
            if "attached" in err.read():
                break
            time.sleep(0.05)
        a = proc_cpu_s(p.pid)
        subprocess.run(churn(out), stdout=subprocess.DEVNULL, check=True)
        time.sleep(1.5)
        b = proc_cpu_s(p.pid)
    finally:
        p.send_signal(2)
        p.wait()
        err.close()
        os.unlink(err.name)
    return (b - a) / (CHILDREN // FORKERS * FORKERS)


def served_startup(jt):
    """run -- /bin/true through a serve --control that does the tracking: no BPF load."""
    sock = f"/tmp/jobtrace-bench-startup-{os.getpid()}.sock"
    err = open(f"{sock}.err", "w+")
    p = subprocess.Popen([jt, "serve", "--control", sock, "-o", "/dev/null"],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + 30
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.05)
        return startup([jt, "run", "--control", sock, "--", "/bin/true"])
    finally:
        p.send_signal(15)
        p.wait()
        err.close()
        os.unlink(err.name)


def wall7(argv):
    return median(once(argv)[0] for _ in range(7))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else ".output"
    builds = [f"{out}/jobtrace"] + ([os.environ["BASE"]] if os.environ.get("BASE") else [])

    print(f"start-up, medians of {RUNS}: {'wall':>10} {'CPU':>10} {'peak RSS':>10}")
    rows = [("/bin/true", ["/bin/true"])] + [(f"{b} run -- /bin/true", [b, "run", "--", "/bin/true"])
                                            for b in builds]
    for label, argv in rows:
        w, c, m = startup(argv)
        print(f"  {label:<48} {w * 1e3:>7.1f} ms {c * 1e3:>7.1f} ms {m / 2**20:>6.1f} MiB")
    for b in builds:
        w, c, m = served_startup(b)
        print(f"  {b + ' run --control (serve tracks)':<48} {w * 1e3:>7.1f} ms {c * 1e3:>7.1f} ms"
              f" {m / 2**20:>6.1f} MiB")

    print()
    print(f"jobtrace's CPU per tracked process, 1 s intervals, {CHILDREN} processes"
          f" (2 at a time, 50 us each, {FORKERS} forker{'s' if FORKERS > 1 else ''}):")
    for b in builds:
        print(f"  {b:<48} run {run_cost(b, out) * 1e6:>6.2f} us"
              f"   watch --all {watch_cost(b, out) * 1e6:>6.2f} us")

    print()
    print(f"every process, {HOLD} held alive: whole commands, medians of 7")
    holder = subprocess.Popen([f"{out}/churn", "--hold", str(HOLD)], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        holder.stdout.readline()  # "ready"
        ps = wall7(["ps", "-eo", "pid,ppid,rss,time,comm"])
        print(f"  {'ps -eo pid,ppid,rss,time,comm':<48} {ps * 1e3:>7.1f} ms")
        for b in builds:
            s = wall7([b, "ps", "--json"])
            print(f"  {b + ' ps --json':<48} {s * 1e3:>7.1f} ms   ps / it: {ps / s:.1f}x")
    finally:
        os.killpg(holder.pid, 9)
        holder.wait()


if __name__ == "__main__":
    main()
