#!/usr/bin/python3
"""What `jobtrace top` costs beside procps top and htop, on one host.

The host: HOLD more sleeping processes (churn --hold) and a churn job
forking children in a v2 cgroup of its own (so host mode makes it a job).
Each tool then runs alone on that host, refreshing every second, for
TOP_WINDOW_S seconds after TOP_WARMUP_S (the attach, the first samples);
its CPU is user + system time (benchlib.proc_cpu_s) over the window:
  jobtrace top     the screen, in a detached 80x24 tmux session
  jobtrace top -b  batch mode, to /dev/null
  top -b -d 1      procps, to /dev/null
  htop -d 10       in a detached tmux session (htop has no batch mode)
TOP_RUNS rounds, the tools in turn; medians.

Usage: tests/bench_top.py OUTPUT_DIR (sizes from the environment).
"""
import os
import signal
import subprocess
import sys
import time

from benchlib import Cgroup2, cmdline, host_forks, median, proc_cpu_s

ENV = os.environ
HOLD = int(ENV.get("HOLD", 5000))
RUNS = int(ENV.get("TOP_RUNS", 1))
WINDOW_S = float(ENV.get("TOP_WINDOW_S", 10))
WARMUP_S = float(ENV.get("TOP_WARMUP_S", 3))
BURN_US = int(ENV.get("TOP_BURN_US", 200))
SOCK = f"jt-bench-top-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCK, "-f", "/dev/null", *args], check=True,
                          capture_output=True, text=True).stdout


def in_tmux(argv):
    """Starts argv in a detached 80x24 session; returns the tool's pid (exec'd by the pane)."""
    tmux("new-session", "-d", "-s", "bench", "-x", "80", "-y", "24",
         "exec env TERM=xterm-256color " + cmdline(argv))
    return int(tmux("list-panes", "-t", "bench", "-F", "#{pane_pid}").split()[0])


def measure(name, argv, screen):
    """The tool's CPU over the window, in % of a core."""
    proc = None
    if screen:
        pid = in_tmux(argv)
    else:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = proc.pid
    try:
        time.sleep(WARMUP_S)
        c0, t0, f0 = proc_cpu_s(pid), time.monotonic(), host_forks()
        time.sleep(WINDOW_S)
        c1, t1, f1 = proc_cpu_s(pid), time.monotonic(), host_forks()
    finally:
        if screen:
            subprocess.run(["tmux", "-L", SOCK, "kill-server"], capture_output=True)
        else:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return (c1 - c0) / (t1 - t0) * 100, (f1 - f0) / (t1 - t0)


def main():
    out = sys.argv[1]
    jt = f"{out}/jobtrace"
    tools = [
        ("jobtrace top", [jt, "top", "-d", "1"], True),
        ("jobtrace top -b", [jt, "top", "-b", "-d", "1"], False),
        ("procps top -b", ["top", "-b", "-d", "1"], False),
        ("htop", ["htop", "-d", "10"], True),
    ]
    bench_id = ENV.get("BENCH_ID", str(os.getpid()))
    holder = subprocess.Popen([f"{out}/churn", "--hold", str(HOLD)], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    cg = Cgroup2(f"jobtrace-bench-{bench_id}-top")
    job = None
    res = {name: [] for name, _, _ in tools}
    forks = []
    try:
        holder.stdout.readline()  # "ready"
        job = subprocess.Popen([f"{out}/churn", "--children", "100000000", "--burn-us",
                                str(BURN_US), "--concurrency", "2"],
                               stdout=subprocess.DEVNULL, preexec_fn=cg.enter,
                               start_new_session=True)
        for _ in range(RUNS):
            for name, argv, screen in tools:
                pct, fps = measure(name, argv, screen)
                res[name].append(pct)
                forks.append(fps)
    finally:
        if job:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
        cg.remove()

    print(f"top's own CPU: {HOLD} more sleeping processes and a churn job "
          f"({median(forks):.0f} forks/s), 1 s refresh, {WINDOW_S:.0f} s windows, "
          f"median of {RUNS}")
    print(f"  {'tool':<18}{'CPU % of a core':>16}")
    for name, argv, _ in tools:
        print(f"  {name:<18}{median(res[name]):>16.2f}")
    print("  (" + cmdline([f"{out}/churn", "--hold", HOLD]) + " & and churn in a cgroup; then "
          "each tool, its CPU-time clock over the window)")


if __name__ == "__main__":
    main()
