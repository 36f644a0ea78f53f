#!/usr/bin/python3
"""The sampling monitor jobtrace replaces: psutil polling a job's tree.

Starts the command, polls Process(root).children(recursive=True) every
--interval seconds as ApMon-style agents do, and prints JSON with how many
distinct processes it saw and how much CPU it could credit to them (the
last cpu_times() it read of each, plus the root's own).
"""
import argparse
import json
import subprocess
import sys
import time

import psutil


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    child = subprocess.Popen(cmd)
    root = psutil.Process(child.pid)
    seen = {}  # (pid, create_time) -> cpu seconds last read
    polls = 0
    while child.poll() is None:
        polls += 1
        try:
            procs = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                with p.oneshot():
                    key = (p.pid, p.create_time())
                    t = p.cpu_times()
                    seen[key] = t.user + t.system
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        time.sleep(args.interval)
    json.dump({"seen": len(seen), "cpu_s": sum(seen.values()), "polls": polls,
               "exit_code": child.returncode}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
