#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Slurm, in one run (issue 11): srun's latency without and with the SPANK
plugin (median of RUNS steps), then the same churn steps as Slurm's
jobacct_gather/linux, jobacct_gather/cgroup and jobtrace see them, against
the step's CPU truth (a cpuacct cgroup that holds exactly the task's tree).

The cluster is tests/slurm/lab.sh's (with slurmdbd and MariaDB, so sacct has
the steps), restarted once per gather plugin; proctrack/cgroup in both, so
every step's processes, orphans included, are killed with it and the truth
is the same measurement. Each step's task is tests/kernel/test_slurm --step:
it runs churn, waits until its cgroup holds only itself, and waits again
while this script asks sstat (from outside the step) what Slurm sees live.

  tests/bench_slurm.py OUTPUT [RUNS]
Needs root, BPF, the Slurm packages and OUTPUT/tests/test_slurm.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OUT = sys.argv[1] if len(sys.argv) > 1 else ".output"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABSH = os.path.join(SRC, "tests", "slurm", "lab.sh")

WORKLOADS = [
    ("2,000 children", "--children 2000"),
    ("2,000 x 1 ms", "--children 2000 --burn-us 1000"),
    ("20 + 10 orphans x 0.2 s", "--children 20 --orphans 10 --burn-us 200000 --orphan-ms 100"),
]


def slurm_time_s(t):
    """Slurm's [D-][HH:]MM:SS[.mmm] in seconds."""
    days = 0
    if "-" in t:
        d, t = t.split("-", 1)
        days = int(d)
    parts = [float(x) for x in t.split(":")]
    s = 0.0
    for p in parts:
        s = s * 60 + p
    return days * 86400 + s


class Lab:
    def __init__(self, root):
        self.root = root
        self.env = dict(os.environ, SLURM_CONF=os.path.join(root, "etc", "slurm.conf"))
        self.serve = None

    def start(self, gather, plugin=True):
        env = dict(self.env, LAB_DBD="1", LAB_GATHER=gather, LAB_PROCTRACK="cgroup")
        so = os.path.join(self.root, "jobtrace_spank.so")
        args = ["socket=%s/ctl.sock" % self.root, "reports=%s/reports" % self.root, "timeout=1000"]
        subprocess.run(["sh", LABSH, "start", self.root, so] + args, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        self.plugstack(plugin)

    def plugstack(self, on):
        so = os.path.join(self.root, "jobtrace_spank.so")
        with open(os.path.join(self.root, "etc", "plugstack.conf"), "w") as f:
            if on:
                f.write("optional %s socket=%s/ctl.sock reports=%s/reports timeout=1000\n"
                        % (so, self.root, self.root))

    def start_serve(self):
        log = open(os.path.join(self.root, "serve.log"), "w")
        self.serve = subprocess.Popen(
            [os.path.join(OUT, "jobtrace"), "serve", "--control", self.root + "/ctl.sock",
             "--reports", self.root + "/reports"], stdout=log, stderr=log)
        for _ in range(200):
            if os.path.exists(self.root + "/ctl.sock"):
                return
            time.sleep(0.05)
        log.close()
        with open(os.path.join(self.root, "serve.log")) as f:
            sys.stderr.write(f.read())
        raise SystemExit("bench_slurm: serve made no control socket")

    def stop_serve(self):
        if self.serve:
            self.serve.terminate()
            self.serve.wait()
            self.serve = None
            try:
                os.unlink(self.root + "/ctl.sock")
            except FileNotFoundError:
                pass

    def stop(self):
        self.stop_serve()
        subprocess.run(["sh", LABSH, "stop", self.root], env=self.env)

    def srun_s(self, argv):
        t0 = time.monotonic()
        subprocess.run(["srun", "-n1"] + argv, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - t0

    def churn_step(self, name, args):
        """One step: (truth s, sstat text, sacct TotalCPU s, jobtrace s, jobtrace processes)."""
        d = os.path.join(self.root, "out")
        sync = os.path.join(d, name + ".sync")
        usage = os.path.join(d, name + ".cpuacct.json")
        truth = os.path.join(d, name + ".truth.json")
        env = dict(self.env, JT_SYNC=sync)
        argv = ["srun", "-n1", self.root + "/test_slurm", "--step", "0", usage,
                self.root + "/churn", "--truth", truth] + args.split()
        p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2400):
            if os.path.exists(sync + ".done"):
                break
            time.sleep(0.05)
        with open(sync + ".done") as f:
            ids = f.read().strip()
        r = subprocess.run(["sstat", "-n", "-P", "-j", ids, "-o", "AveCPU,TresUsageInTot"],
                           env=self.env, capture_output=True, text=True)
        ave, tres = (r.stdout.strip().split("|") + ["", ""])[:2]
        tcpu = next((x[4:] for x in tres.split(",") if x.startswith("cpu=")), "?")
        open(sync + ".go", "w").close()
        if p.wait() != 0:
            raise SystemExit("bench_slurm: step %s failed" % ids)
        sacct = None
        for _ in range(100):
            r = subprocess.run(["sacct", "-n", "-P", "-j", ids, "-o", "State,TotalCPU"],
                               env=self.env, capture_output=True, text=True)
            line = r.stdout.strip().split("\n")[0]
            if "|" in line and not line.startswith("RUNNING"):
                sacct = slurm_time_s(line.split("|")[1])
                break
            time.sleep(0.1)
        report = os.path.join(self.root, "reports", "slurm:" + ids + ".json")
        for _ in range(200):
            if os.path.exists(report):
                break
            time.sleep(0.05)
        with open(report) as f:
            rep = json.load(f)
        with open(usage) as f:
            cg = json.load(f)
        with open(truth) as f:
            tr = json.load(f)
        return (cg["cpuacct_usage_ns"] / 1e9, "AveCPU %s, cpu=%s" % (ave, tcpu), sacct,
                rep["cpu"]["total_ns"] / 1e9, rep["processes"]["started"], tr["processes"] + 1)


def pct(x, t):
    return "%+.2f%%" % (100.0 * (x - t) / t) if x is not None and t > 0 else "-"


def main():
    if os.geteuid() != 0:
        raise SystemExit("bench_slurm: needs root (a cluster, BPF)")
    root = tempfile.mkdtemp(prefix="jobtrace-bench-slurm-")
    os.chmod(root, 0o755)
    for f in ("churn", "jobtrace_spank.so"):
        shutil.copy(os.path.join(OUT, f), root)
    shutil.copy(os.path.join(OUT, "tests", "test_slurm"), root)
    os.makedirs(os.path.join(root, "reports"))
    os.makedirs(os.path.join(root, "out"), mode=0o1777)
    lab = Lab(root)
    rows = []
    try:
        lab.start("cgroup")
        lab.start_serve()
        # Latency: steps of one allocation (no scheduling in the figure), alternating
        # without and with the plugin; plugstack.conf is read at every step's launch.
        r = subprocess.run(["salloc", "-n1", "--no-shell"], env=lab.env, capture_output=True,
                           text=True, check=True)
        alloc = [w for w in r.stderr.split() if w.isdigit()][0]
        step = ["--jobid=" + alloc, "/bin/true"]
        lab.srun_s(step)
        without, with_ = [], []
        for _ in range(RUNS):
            lab.plugstack(False)
            without.append(lab.srun_s(step))
            lab.plugstack(True)
            with_.append(lab.srun_s(step))
        subprocess.run(["scancel", alloc], env=lab.env)
        print("srun -n1 /bin/true in an allocation, median of %d (proctrack/cgroup, "
              "jobacct_gather/cgroup):" % RUNS)
        print("  without the plugin %.3f s, with it (serve running) %.3f s: %+.3f s"
              % (statistics.median(without), statistics.median(with_),
                 statistics.median(with_) - statistics.median(without)))
        running = "cgroup"
        for gather in ("linux", "cgroup"):
            if gather != running:
                lab.stop()
                lab.start(gather)
                lab.start_serve()
                running = gather
            for i, (name, args) in enumerate(WORKLOADS):
                rows.append((gather, name) + lab.churn_step("%s%d" % (gather, i), args))
    finally:
        lab.stop()
        if not os.environ.get("KEEP_LAB"):
            shutil.rmtree(root, ignore_errors=True)
    print()
    print("The same churn steps (proctrack/cgroup; truth: the task's cpuacct cgroup, under the")
    print("linux gather one the task makes after its exec: jobtrace also counts that exec):")
    print("| gather | workload | truth | sstat at the task's end | sacct TotalCPU | jobtrace "
          "(processes / truth) |")
    print("|---|---|---|---|---|---|")
    for g, name, truth, sstat, sacct, jt, started, procs in rows:
        print("| %s | %s | %.3f s | %s | %s | %.3f s %s (%d / %d) |"
              % (g, name, truth, sstat,
                 "%.3f s %s" % (sacct, pct(sacct, truth)) if sacct is not None else "-",
                 jt, pct(jt, truth), started, procs))


if __name__ == "__main__":
    main()
