#!/usr/bin/python3
"""The host-wide sampling collector jobtrace's host mode replaces: psutil
polling every process of the host and grouping them by cgroup, as
process-exporter-style agents do.

Every --interval seconds it walks psutil.process_iter(), reads each
process's cgroup (/proc/PID/cgroup: psutil has no call for it) and its
cpu_times(), and keeps per cgroup the distinct processes it saw, keyed by
(pid, create_time), and the last CPU it read of each. On SIGTERM or SIGINT
it prints one JSON object: {"polls", "groups": {cgroup: {"seen", "cpu_s"}}}.
A process that lived between two polls is never seen; one that was seen is
credited with the CPU it had at its last poll, not what it had at its end.
"""
import argparse
import json
import signal
import sys
import time

import psutil


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop()


def cgroup_of(pid, hierarchy):
    """The process's path in the v2 hierarchy ("0::"), or in the v1
    hierarchy that has controller `hierarchy`."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if hierarchy == "cgroup2" and hid == "0" and ctrls == "":
                return path
            if hierarchy != "cgroup2" and hierarchy in ctrls.split(","):
                return path
    return None


def poll(groups, hierarchy):
    for p in psutil.process_iter(["create_time", "cpu_times"]):
        try:
            cg = cgroup_of(p.pid, hierarchy)
        except (FileNotFoundError, ProcessLookupError):
            continue
        t = p.info["cpu_times"]
        if cg is None or t is None:
            continue
        groups.setdefault(cg, {})[(p.pid, p.info["create_time"])] = t.user + t.system


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--hierarchy", default="cgroup2",
                    help="cgroup2, or a v1 controller (memory, cpu, pids, ...)")
    ap.add_argument("-o", "--output", help="the JSON to FILE instead of standard output")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    groups, polls = {}, 0
    print("psutil_cgroup: polling", file=sys.stderr, flush=True)
    try:
        next_t = time.monotonic()
        while True:
            poll(groups, args.hierarchy)
            polls += 1
            next_t += args.interval
            time.sleep(max(0.0, next_t - time.monotonic()))
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    res = {"polls": polls, "interval_s": args.interval, "hierarchy": args.hierarchy,
           "groups": {cg: {"seen": len(procs), "cpu_s": sum(procs.values())}
                      for cg, procs in groups.items()}}
    with open(args.output, "w") if args.output else sys.stdout as f:
        json.dump(res, f)
        f.write("\n")


if __name__ == "__main__":
    main()
