#!/usr/bin/python3
"""Host mode's cost: what `jobtrace watch --all` in the background does to
the host's workloads, and what the collector itself costs.

1. Overhead: churn (a fork-bound job, at BURN_US 0 and HOST_BURN_US) and
   pingpong (two processes bouncing a byte over pipes on one CPU: two
   context switches a round trip) alone, against the same under host mode
   started and stopped around each run; pingpong also under `jobtrace run`.
   HOST_RUNS alternating rounds, medians.
2. The collector: its CPU (user + system time of its own process) on the host as
   it is, over IDLE_S seconds, and its RSS over HOLD_S seconds with HOLD
   more sleeping processes on the host.

Usage: tests/bench_host.py OUTPUT_DIR WORK_DIR (sizes from the environment).
"""
import json
import os
import signal
import subprocess
import sys
import time

from benchlib import Background, cmdline, host_forks, median, run_truth

ENV = os.environ
RUNS = int(ENV.get("HOST_RUNS", 5))
CHILDREN = int(ENV.get("CHILDREN", 20000))
CONCURRENCY = int(ENV.get("CONCURRENCY", 8))
BURNS = sorted({int(ENV.get("BURN_US", 0)), int(ENV.get("HOST_BURN_US", 150))})
ROUNDS = int(ENV.get("PINGPONG_ROUNDS", 200000))
IDLE_S = float(ENV.get("IDLE_S", 20))
HOLD = int(ENV.get("HOLD", 5000))
HOLD_S = float(ENV.get("HOLD_S", 10))
ATTACHED = "jobtrace: attached"


def watch_argv(out, work, name):
    return [f"{out}/jobtrace", "watch", "--all", "--interval", "1", "--json", "-o",
            f"{work}/{name}.jsonl"]


def lost_events(path):
    """Ring records lost, from the last host record of a watch's output."""
    lost = 0
    with open(path) as f:
        for line in f:
            if line.startswith('{"type":"host"'):
                lost = json.loads(line)["lost"]["exit_records"]
    return lost


def overhead(out, work):
    churn = lambda burn, truth: [f"{out}/churn", "--children", CHILDREN, "--concurrency",
                                 CONCURRENCY, "--burn-us", burn, "--subreaper", "--truth", truth]
    pingpong = lambda truth, cpu: [f"{out}/pingpong", "--rounds", ROUNDS, "--cpu", cpu,
                                   "--truth", truth]
    run = lambda argv: [f"{out}/jobtrace", "run", "-o", "/dev/null", "--"] + argv
    # workload name -> condition -> list of truths
    res = {}
    lost = 0

    def once(name, cond, argv, truth, host=False, floor=False):
        nonlocal lost
        if floor:
            with Background([f"{out}/bpf_floor"], ready="attached", log=f"{work}/floor.err"):
                t = run_truth(argv, truth)
        elif host:
            with Background(watch_argv(out, work, "host"), ready=ATTACHED,
                            log=f"{work}/host.err"):
                t = run_truth(argv, truth)
            lost += lost_events(f"{work}/host.jsonl")
        else:
            t = run_truth(argv, truth)
        res.setdefault(name, {}).setdefault(cond, []).append(t)

    for i in range(RUNS):
        for burn in BURNS:
            name = f"churn {CHILDREN}, {burn} us"
            t = f"{work}/churn.json"
            once(name, "alone", churn(burn, t), t)
            once(name, "host", churn(burn, t), t, host=True)
        for cpu in (0, -1):
            name = "pingpong, one CPU" if cpu == 0 else "pingpong, two CPUs"
            t = f"{work}/pingpong.json"
            once(name, "alone", pingpong(t, cpu), t)
            once(name, "host", pingpong(t, cpu), t, host=True)
            once(name, "run", run(pingpong(t, cpu)), t)
            if cpu == 0:
                once(name, "empty", pingpong(t, cpu), t, floor=True)

    def per(r, metric):  # per round trip for pingpong, per run for churn
        return r[metric] / r.get("rounds", 1)

    def fmt(x, name):
        return f"{x / 1e3:.2f} us" if name.startswith("pingpong") else f"{x / 1e9:.3f} s"

    print("host mode overhead: each workload alone, and with `jobtrace watch --all --interval 1`"
          " in the")
    print(f"background (started before and stopped after each run); {RUNS} alternating rounds."
          f" churn: its")
    print(f"{CHILDREN} children; pingpong: per round trip. wall: elapsed; CPU: the workload's"
          f" getrusage.")
    print("slowdown: median with / median alone - 1; by min: the same with the fastest runs"
          " (other load")
    print("on the host only adds time); noise: (max - min) / median of the runs alone")
    print(f"{'workload':<20}{'':<5}{'alone':>10}{'noise':>7}{'host mode':>11}{'slowdown':>9}"
          f"{'by min':>8}{'target':>7}{'under run':>11}{'slowdown':>9}")
    for name, conds in res.items():
        for metric, label in (("wall_ns", "wall"), ("cpu_ns", "CPU")):
            al = [per(r, metric) for r in conds["alone"]]
            ho = [per(r, metric) for r in conds["host"]]
            am, hm = median(al), median(ho)
            line = (f"{name if metric == 'wall_ns' else '':<20}{label:<5}{fmt(am, name):>10}"
                    f"{(max(al) - min(al)) / am * 100:>6.1f}%{fmt(hm, name):>11}"
                    f"{(hm / am - 1) * 100:>+8.1f}%{(min(ho) / min(al) - 1) * 100:>+7.1f}%")
            target = "<= 1%" if name.startswith("pingpong") else "<= 2%"
            line += f"{target if metric == 'wall_ns' else '':>7}"
            if "run" in conds:
                rm = median(per(r, metric) for r in conds["run"])
                line += f"{fmt(rm, name):>11}{(rm / am - 1) * 100:>+8.1f}%"
            print(line.rstrip())
    pp = res["pingpong, one CPU"]
    print("pingpong, one CPU, with only an empty sched_switch program attached (bpf/floor.bpf.c),"
          " what any program there costs:")
    for metric, label in (("wall_ns", "wall"), ("cpu_ns", "CPU")):
        al, em = (median(per(r, metric) for r in pp[c]) for c in ("alone", "empty"))
        print(f"  {label:<5}{fmt(em, 'pingpong'):>10} ({(em / al - 1) * 100:+.1f}%,"
              f" {(em - al) / 2:.0f} ns a switch at two switches a round trip)")
    print(f"ring records lost by host mode over these runs: {lost}")
    print("  alone:      " + cmdline(churn(BURNS[0], "t.json")))
    print("  host mode:  " + cmdline(watch_argv(out, ".", "host")) + " &")
    print("              # then the same workload, then kill %1")
    print("  pingpong:   " + cmdline(pingpong("t.json", 0)) + "  # ns_per_round in t.json")
    print("  under run:  " + cmdline(run(pingpong("t.json", 0))))


def collector_cost(out, work):
    print()
    print("collector cost: `jobtrace watch --all --interval 1 --json -o FILE`: its own CPU time"
          " (its")
    print("CPU-time clock, benchlib.proc_cpu_s) and VmRSS, after the attach")
    argv = watch_argv(out, work, "cost")
    with Background(argv, ready=ATTACHED, log=f"{work}/cost.err") as w:
        attach_cpu = w.cpu_now()
        c0, f0, t0 = w.cpu_now(), host_forks(), time.monotonic()
        time.sleep(IDLE_S)
        c1, f1, t1 = w.cpu_now(), host_forks(), time.monotonic()
        rss = w.rss_now()
    pct = (c1 - c0) / (t1 - t0) * 100
    print(f"  host as it is, {IDLE_S:.0f} s: {c1 - c0:.2f} s CPU = {pct:.2f}% of a core "
          f"(target <= 1%); RSS {rss / 2**20:.1f} MiB")
    print(f"    ({attach_cpu:.2f} s CPU to attach; the host forked "
          f"{(f1 - f0) / (t1 - t0):.0f} processes/s meanwhile)")

    holder = subprocess.Popen([f"{out}/churn", "--hold", str(HOLD)], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        holder.stdout.readline()  # "ready"
        with Background(argv, ready=ATTACHED, log=f"{work}/cost.err") as w:
            rss = [w.rss_now()]
            c0, t0 = w.cpu_now(), time.monotonic()
            end = t0 + HOLD_S
            while time.monotonic() < end:
                time.sleep(0.5)
                rss.append(w.rss_now())
            c1, t1 = w.cpu_now(), time.monotonic()
    finally:
        # The held children die with it (PR_SET_PDEATHSIG).
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    pct = (c1 - c0) / (t1 - t0) * 100
    print(f"  {HOLD} more sleeping processes, {HOLD_S:.0f} s: RSS {max(rss) / 2**20:.1f} MiB at"
          f" most, {rss[-1] / 2**20:.1f} MiB at the end")
    print(f"    (target <= 16 MiB); CPU {c1 - c0:.2f} s = {pct:.2f}% of a core")
    print("  " + cmdline([f"{out}/churn", "--hold", HOLD]) + " &  # then:")
    print("  " + cmdline(watch_argv(out, ".", "cost")) + " &")
    print("  # then read its CPU clock (clock_getcpuclockid($!)) and /proc/$!/status (VmRSS)")


def main():
    out, work = sys.argv[1], sys.argv[2]
    overhead(out, work)
    collector_cost(out, work)


if __name__ == "__main__":
    main()
