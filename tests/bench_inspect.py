#!/usr/bin/python3
"""One process in full, and every socket with its owner: jobtrace against psutil.

In one run, against a process this script starts (100 open files, 20
sockets, 8 threads):
- `jobtrace inspect --json --maps --environ PID` as a whole process, against
  psutil's Process(PID).as_dict() both in-process (import paid already) and
  as a whole `python3 -c` process, the way a script or an agent pays it;
- `jobtrace connections --json --kind all` against psutil's
  net_connections('all') in-process and `ss -apn` as a whole process.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import psutil

REPEAT = 7

TARGET = r"""
import os, socket, sys, tempfile, threading, time
d = tempfile.mkdtemp()
files = [open(os.path.join(d, f"f{i}"), "w") for i in range(100)]
socks = []
for i in range(10):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); socks.append(s)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); socks.append(u)
for i in range(8):
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def inproc(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def median(f):
    return statistics.median(f() for _ in range(REPEAT))


def main():
    out = sys.argv[1]
    jt = f"{out}/jobtrace"
    target = subprocess.Popen([sys.executable, "-c", TARGET], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    target.stdout.readline()
    pid = target.pid
    try:
        # Both tools must see what the target holds before they are timed.
        mine = json.loads(subprocess.run([jt, "inspect", "--json", str(pid)], check=True,
                                         capture_output=True, text=True).stdout)[0]
        theirs = psutil.Process(pid).as_dict()
        # ... and agree on it: the same files at the same offsets, the same sockets.
        assert len(mine["open_files"]) >= 100
        assert sorted((f["fd"], f["path"], f["position"], f["mode"]) for f in mine["open_files"]) \
            == sorted((f.fd, f.path, f.position, f.mode) for f in theirs["open_files"])
        assert sorted((c["fd"], c["lport"], c["status"] or "NONE") for c in mine["connections"]) \
            == sorted((c.fd, c.laddr.port, c.status) for c in theirs["connections"])
        assert len(mine["connections"]) == 20
        assert mine["num_threads"] == theirs["num_threads"] == 9

        jt_inspect = median(lambda: wall([jt, "inspect", "--json", "--maps", "--environ",
                                          str(pid)]))
        pu_inproc = median(lambda: inproc(lambda: psutil.Process(pid).as_dict()))
        pu_whole = median(lambda: wall([sys.executable, "-c",
                                        f"import psutil; psutil.Process({pid}).as_dict()"]))
        jt_conns = median(lambda: wall([jt, "connections", "--json", "--kind", "all"]))
        pc_inproc = median(lambda: inproc(lambda: psutil.net_connections("all")))
        ss = median(lambda: wall(["ss", "-apn"]))
    finally:
        target.stdin.close()
        target.wait()

    print(f"{'case':<44}{'jobtrace':>10}{'psutil':>10}{'psutil+start':>14}{'ss -apn':>10}")
    print(f"{'one process in full (inspect / as_dict)':<44}{jt_inspect * 1e3:>8.1f}ms"
          f"{pu_inproc * 1e3:>8.1f}ms{pu_whole * 1e3:>12.1f}ms{'-':>10}")
    print(f"{'every socket and owner (net_connections)':<44}{jt_conns * 1e3:>8.1f}ms"
          f"{pc_inproc * 1e3:>8.1f}ms{'-':>14}{ss * 1e3:>8.1f}ms")
    print(f"jobtrace's figures are whole processes; 'psutil' is the call alone in a warm "
          f"interpreter, 'psutil+start' a fresh python3 that imports psutil and calls it.")


if __name__ == "__main__":
    main()
