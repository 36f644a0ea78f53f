#!/usr/bin/python3
"""jobtrace's host mode against the host-wide collectors it replaces, on one
churn job in its own v2 cgroup, in the same run:

- atop at a 1 s interval writing its raw log (`atop -w FILE 1`), with process
  accounting through atopacctd (Debian's atop package), so it sees processes
  that lived between two samples;
- a psutil collector polling every process and grouping by cgroup at 1 s
  (tests/psutil_cgroup.py);
- `jobtrace watch --all --group-by cgroup2 --interval 1 --json`.

Each of PEER_RUNS rounds runs the job alone and under each tool, the tool
started just before and stopped TAIL_S seconds after the job (one more
interval). A tool's CPU is its own utime + stime from the job's start to its
exit (atopacctd's counted with atop's); the job's slowdown is against the
median of the runs alone; what it saw of the job (processes, CPU) is set
against churn's own truth (getrusage with --subreaper) and the cgroup's
cpu.stat.

Usage: tests/bench_peers.py OUTPUT_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from benchlib import Background, Cgroup2, cmdline, median, proc_cpu_s, run_truth

ENV = os.environ
RUNS = int(ENV.get("PEER_RUNS", 3))
CHILDREN = int(ENV.get("CHILDREN", 20000))
CONCURRENCY = int(ENV.get("CONCURRENCY", 8))
BURN_US = int(ENV.get("BURN_US", 0))
TAIL_S = float(ENV.get("TAIL_S", 1.5))
PYTHON = ENV.get("PYTHON", "/usr/bin/python3")
ATOPACCTD_PID = "/run/atopacctd.pid"
BENCH_ID = ENV.get("BENCH_ID", str(os.getpid()))  # names this run's cgroups


def alive(pid, name):
    """Whether pid is a live (not zombie) process called name."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            comm, rest = f.read().split(" (", 1)[1].rsplit(") ", 1)
    except (OSError, IndexError, ValueError):
        return False
    return comm == name and rest[0] != "Z"


class Atopacctd:
    """atopacctd, started here unless one already runs, and stopped by its
    pid if started here (its SIGTERM handler switches process accounting
    off and removes /run/pacct_source). `why_not` says why it cannot run."""

    def __init__(self, work):
        self.pid, self.started, self.why_not = None, False, None
        exe = shutil.which("atopacctd") or "/usr/sbin/atopacctd"
        pid = self._running()
        if pid:
            self.pid = pid
            return
        if not os.access(exe, os.X_OK):
            self.why_not = f"{exe} is not installed"
            return
        # It daemonizes with our stderr still open: a pipe would never see EOF.
        err = os.path.join(work, "atopacctd.err")
        with open(err, "w") as f:
            r = subprocess.run([exe], stdout=subprocess.DEVNULL, stderr=f)
        deadline = time.time() + 5
        while time.time() < deadline and not self._running():
            time.sleep(0.05)
        self.pid = self._running()
        self.started = self.pid is not None
        if not self.pid:
            with open(err) as f:
                said = f.read().strip()
            self.why_not = f"atopacctd exited with {r.returncode}: {said or 'no message'}"

    @staticmethod
    def _running():
        try:
            with open(ATOPACCTD_PID) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid, "atopacctd") else None

    def cpu_s(self):
        return proc_cpu_s(self.pid) if self.pid and alive(self.pid, "atopacctd") else 0.0

    def stop(self):
        if not self.started or not alive(self.pid, "atopacctd"):
            return
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.time() + 10
        while alive(self.pid, "atopacctd") and time.time() < deadline:
            time.sleep(0.05)
        # It leaves its pid file behind.
        if not alive(self.pid, "atopacctd") and os.path.exists(ATOPACCTD_PID):
            os.unlink(ATOPACCTD_PID)


# PRG: pid (name) state ruid rgid tgid nthr exitcode start (cmdline) ppid ... is_process
PRG = re.compile(r"^PRG \S+ (\d+) \S+ \S+ \d+ (\d+) \((.*?)\) (\S) -?\d+ -?\d+ \d+ \d+ -?\d+ \d+ "
                 r"\((.*)\) (\d+)(?: -?\d+)+ ([yn]) ")
# PRC: pid (name) state ticks_per_s utime stime nice prio rtprio policy cpu sleepavg tgid is_process
PRC = re.compile(r"^PRC \S+ (\d+) \S+ \S+ \d+ (\d+) \((.*?)\) (\S) (\d+) (\d+) (\d+)"
                 r"(?: -?\d+){6} \d+ ([yn]) ")


def atop_saw(raw, root):
    """Processes of the job atop saw end, and the CPU it credited them:
    samples of the root and of its children (ppid), each sample's PRC delta."""
    out = subprocess.run(["atop", "-r", raw, "-P", "PRG,PRC"], capture_output=True,
                         text=True).stdout
    mine, exited = set(), 0
    for line in out.splitlines():
        m = PRG.match(line)
        if m and m.group(7) == "y" and (int(m.group(2)) == root or int(m.group(6)) == root):
            mine.add((m.group(1), m.group(2)))
            exited += m.group(4) == "E"
    cpu = 0.0
    for line in out.splitlines():
        m = PRC.match(line)
        if m and m.group(8) == "y" and (m.group(1), m.group(2)) in mine:
            cpu += (int(m.group(6)) + int(m.group(7))) / int(m.group(5))
    return exited, cpu


def jobtrace_saw(path, cgroup):
    """The job records of the cgroup (one per time it filled and emptied)."""
    seen, cpu, lost = 0, 0.0, 0
    with open(path) as f:
        for line in f:
            if not line.startswith('{"type":"job"'):
                continue
            r = json.loads(line)
            if r["job"].get("cgroup") != cgroup:
                continue
            # The root was forked outside and moved in; its children were started in it.
            seen += r["processes"]["started"] + r["processes"]["moved_in"]
            cpu += r["cpu"]["total_s"]
            lost += r["events"]["lost"]
    return seen, cpu, lost


def main():
    out, work = sys.argv[1], sys.argv[2]
    truth_path = f"{work}/peer.truth.json"
    churn = [f"{out}/churn", "--children", str(CHILDREN), "--concurrency", str(CONCURRENCY),
             "--burn-us", str(BURN_US), "--subreaper", "--truth", truth_path]
    watch = [f"{out}/jobtrace", "watch", "--all", "--group-by", "cgroup2", "--interval", "1",
             "--json", "-o", f"{work}/peer.jsonl"]
    here = os.path.relpath(os.path.dirname(os.path.abspath(__file__)))
    psu = [PYTHON, os.path.join(here, "psutil_cgroup.py"), "--interval",
           "1", "-o", f"{work}/peer.psutil.json"]
    atop = ["atop", "-w", f"{work}/peer.atop.raw", "1"]
    tools = ["alone", "atop", "psutil", "jobtrace"]
    if not shutil.which("atop"):
        print("atop is not installed (make deps installs it): no atop row")
        tools.remove("atop")
    acctd = Atopacctd(work) if "atop" in tools else None
    if acctd and acctd.why_not:
        print(f"atopacctd cannot run here ({acctd.why_not}): atop falls back to switching process"
              f" accounting on itself, or sees only what its samples catch")
    rows = {t: [] for t in tools}
    try:
        for r in range(RUNS):
            for tool in tools:
                with Cgroup2(f"jobtrace-bench-{BENCH_ID}-{tool}-{r}") as cg:
                    if tool == "atop" and os.path.exists(atop[2]):
                        os.unlink(atop[2])
                    bg = None
                    if tool == "atop":
                        bg = Background(atop, stop_signal=signal.SIGUSR2, stdout=subprocess.DEVNULL)
                        time.sleep(1.2)  # its first sample is taken
                    elif tool == "psutil":
                        bg = Background(psu, ready="polling", log=f"{work}/peer.psutil.err")
                    elif tool == "jobtrace":
                        bg = Background(watch, ready="attached", log=f"{work}/peer.err")
                    cpu0 = bg.cpu_now() if bg else 0.0
                    acct0 = acctd.cpu_s() if acctd else 0.0
                    proc = subprocess.Popen(churn, preexec_fn=cg.enter, stdout=subprocess.DEVNULL)
                    root = proc.pid
                    proc.wait()
                    with open(truth_path) as f:
                        truth = json.load(f)
                    stat = cg.cpu_stat()
                    row = {"truth": truth, "cg_cpu_s": stat["usage_usec"] / 1e6}
                    if bg:
                        time.sleep(TAIL_S)
                        row["cpu_s"] = bg.stop() - cpu0
                    if tool == "atop":
                        row["acctd_cpu_s"] = acctd.cpu_s() - acct0
                        row["seen"], row["seen_cpu_s"] = atop_saw(atop[2], root)
                    elif tool == "psutil":
                        with open(psu[-1]) as f:
                            g = json.load(f)["groups"].get(cg.rel, {"seen": 0, "cpu_s": 0.0})
                        row["seen"], row["seen_cpu_s"] = g["seen"], g["cpu_s"]
                    elif tool == "jobtrace":
                        row["seen"], row["seen_cpu_s"], row["lost"] = jobtrace_saw(watch[-1],
                                                                                   cg.rel)
                    rows[tool].append(row)
    finally:
        if acctd:
            acctd.stop()

    base = median(x["truth"]["wall_ns"] for x in rows["alone"])
    print(f"host-wide collectors on one job: churn, {CHILDREN} children ({CONCURRENCY} in"
          f" flight, {BURN_US} us each),")
    print(f"in its own v2 cgroup; {RUNS} rounds of: the job alone, then under each tool at 1 s,"
          f" started")
    print(f"before the job and stopped {TAIL_S} s after it. CPU s: the tool's own from the job's"
          f" start to")
    print("its exit, median per run; slowdown: the job's median wall time against alone; seen /"
          " truth:")
    print("summed over the runs, truth from churn's getrusage; cpu.stat: the cgroup's usage_usec")
    print(f"{'tool':<24}{'CPU s':>7}{'slowdown':>10}{'processes seen / truth':>24}"
          f"{'CPU s seen / truth':>22}{'cpu.stat':>10}")
    for tool in tools:
        xs = rows[tool]
        wall = median(x["truth"]["wall_ns"] for x in xs)
        procs = sum(x["truth"]["processes"] for x in xs)
        cpu_t = sum(x["truth"]["cpu_ns"] for x in xs) / 1e9
        cg_cpu = sum(x["cg_cpu_s"] for x in xs)
        name = {"alone": "none (the job alone)", "atop": "atop -w 1 + atopacctd",
                "psutil": "psutil by cgroup, 1 s", "jobtrace": "jobtrace watch --all"}[tool]
        if tool == "alone":
            print(f"{name:<24}{'-':>7}{wall / 1e9:>8.2f} s{'-':>13} / {procs:<8}{'-':>11} /"
                  f" {cpu_t:<8.2f}{cg_cpu:>10.2f}")
            continue
        cpu = median(x["cpu_s"] + x.get("acctd_cpu_s", 0.0) for x in xs)
        seen = sum(x["seen"] for x in xs)
        seen_cpu = sum(x["seen_cpu_s"] for x in xs)
        print(f"{name:<24}{cpu:>7.2f}{(wall / base - 1) * 100:>+9.1f}%{seen:>13} / {procs:<8}"
              f"{seen_cpu:>11.2f} / {cpu_t:<8.2f}{cg_cpu:>10.2f}")
    al = [x["truth"]["wall_ns"] for x in rows["alone"]]
    print(f"(the alone row's slowdown column is its wall time; its runs spread"
          f" {(max(al) - min(al)) / base * 100:.1f}% (max - min over median):")
    print(" a slowdown within that is noise, one below zero is too)")
    a = rows.get("atop")
    if a:
        how = ("through atopacctd, started by this benchmark and stopped after it"
               if acctd.started else "through an atopacctd that already ran" if acctd.pid
               else f"without atopacctd ({acctd.why_not})")
        print(f"atop: its own CPU {median(x['cpu_s'] for x in a):.2f} s, atopacctd's "
              f"{median(x['acctd_cpu_s'] for x in a):.2f} s; CPU seen: the ticks process"
              f" accounting records")
        print(f"  per process; process accounting {how}")
    lost = sum(x["lost"] for x in rows["jobtrace"])
    print(f"jobtrace: {lost} ring records lost; processes seen: started + moved_in (the root"
          f" moves in before it execs)")
    cgdir = "/sys/fs/cgroup/unified/job"
    print(f"  job:      mkdir {cgdir}; sh -c 'echo $$ > {cgdir}/cgroup.procs; exec "
          + cmdline(churn[:-2] + ["--truth", "t.json"]) + "'")
    print("  atop:     /usr/sbin/atopacctd; " + cmdline(atop[:2] + ["atop.raw", "1"])
          + " &  # job; kill -USR2 %1; atop -r atop.raw -P PRG,PRC")
    print("  psutil:   " + cmdline(psu[:-1] + ["ps.json"]) + " &  # job; kill %1")
    print("  jobtrace: " + cmdline(watch[:-1] + ["host.jsonl"])
          + " &  # job; kill %1; grep '\"type\":\"job\"' host.jsonl")


if __name__ == "__main__":
    main()
