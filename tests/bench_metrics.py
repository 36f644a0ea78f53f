#!/usr/bin/python3
"""`jobtrace serve --listen`'s /metrics beside process-exporter, on one host
with JOBS jobs, in the same run.

The host: JOBS (1,000) v2 cgroups, each holding one sleeping process, so
host mode by cgroup2 makes 1,000 jobs. Then, side by side:
  jobtrace serve -g cgroup2 --listen 127.0.0.1:PORT -i 1
  prometheus-process-exporter (Debian's), grouping by cgroup ({{.Cgroups}}:
      one group per set of cgroup paths, so also one per bench cgroup)
1. Scrape time (a whole GET of /metrics, a new connection each: median of
   SCRAPES, the two tools in turn) and response size.
2. Each tool's own CPU (user + system, benchlib.proc_cpu_s) over WINDOW_S
   seconds scraped every second, as Prometheus would.
3. A churn job (CHURN_CHILDREN short children, each burning CHURN_BURN_US
   of CPU) in a cgroup of its own, both still scraped every second: each
   tool's CPU over the churn, and what each saw of the job against churn's
   own truth (getrusage of its reaped tree) and the cgroup's cpu.stat.

Every process it starts is stopped by its pid, every cgroup it makes is
removed, on failure and on SIGTERM / SIGINT too.

Usage: tests/bench_metrics.py OUTPUT_DIR WORK_DIR (sizes from the environment).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from benchlib import Background, Cgroup2, cmdline, host_forks, median, proc_cpu_s, proc_rss_bytes

ENV = os.environ
JOBS = int(ENV.get("JOBS", 1000))
SCRAPES = int(ENV.get("SCRAPES", 21))
WINDOW_S = float(ENV.get("WINDOW_S", 10))
SCRAPE_TIMEOUT_S = float(ENV.get("SCRAPE_TIMEOUT_S", 10))
CHURN_CHILDREN = int(ENV.get("CHURN_CHILDREN", 5000))
CHURN_BURN_US = int(ENV.get("CHURN_BURN_US", 1000))
EXPORTER = ENV.get("PROCESS_EXPORTER", "prometheus-process-exporter")
BENCH_ID = ENV.get("BENCH_ID", str(os.getpid()))
PREFIX = f"jobtrace-bench-{BENCH_ID}-"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown model"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    """(seconds, body): one GET of /metrics on a new connection; (None, None) when it is not
    answered within SCRAPE_TIMEOUT_S (as Prometheus's scrape_timeout would give up)."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                    timeout=SCRAPE_TIMEOUT_S) as r:
            body = r.read()
    except OSError:
        return None, None
    return time.perf_counter() - t0, body


def samples(body):
    """(name, {label: value}, float) for every sample of a text exposition."""
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m:
            yield m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))


def jobtrace_view(body, cgroup):
    """What jobtrace's /metrics says of the job of @cgroup (a key ending in it)."""
    if body is None:
        return None
    v = {"started": 0.0, "alive": 0.0, "cpu_s": 0.0, "exited": 0.0, "jobs": 0}
    for name, labels, value in samples(body):
        job = labels.get("job_key", "")
        if name == "jobtrace_job_processes" and PREFIX in job:
            v["jobs"] += 1
        if not job.endswith("/" + cgroup):
            continue
        if name == "jobtrace_job_processes_started_total":
            v["started"] = value
        elif name == "jobtrace_job_processes_exited_total":
            v["exited"] += value
        elif name == "jobtrace_job_processes":
            v["alive"] = value
        elif name == "jobtrace_job_cpu_seconds_total":
            v["cpu_s"] += value
    return v


def exporter_view(body, cgroup):
    """What process-exporter says of the group whose cgroup paths include @cgroup."""
    if body is None:
        return None
    v = {"alive": 0.0, "cpu_s": 0.0, "jobs": 0, "seen": False}
    for name, labels, value in samples(body):
        group = labels.get("groupname", "")
        if name == "namedprocess_namegroup_num_procs" and PREFIX in group and value > 0:
            v["jobs"] += 1
        if f"/{cgroup} " not in group + " " and f"/{cgroup}]" not in group:
            continue
        v["seen"] = True
        if name == "namedprocess_namegroup_num_procs":
            v["alive"] = value
        elif name == "namedprocess_namegroup_cpu_seconds_total":
            v["cpu_s"] += value
    return v


def settle(counts, started, timeout=300):
    """Scrapes every tool each 0.5 s until it shows JOBS jobs, or the same number for 5 s.
    @counts: name -> a function giving that number (None: not answered); @started: name ->
    time.monotonic() of its start. Returns name -> seconds from its start to settling."""
    done, last, since = {}, {}, {}
    deadline = time.monotonic() + timeout
    while len(done) < len(counts):
        for name, count in counts.items():
            if name in done:
                continue
            n, now = count(), time.monotonic()
            if n is None:  # not answered: the tool is busy, which is not settled
                last[name], since[name] = None, now
            elif n >= JOBS:
                done[name] = now - started[name]
            elif n != last.get(name):
                last[name], since[name] = n, now
            elif now - since[name] >= 5:
                done[name] = since[name] - started[name]
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench_metrics: still learning jobs after {timeout} s: "
                               + ", ".join(n for n in counts if n not in done))
        time.sleep(0.5)
    return done


class Sleepers:
    """JOBS v2 cgroups, each with one sleeping process: JOBS jobs for host mode."""

    def __init__(self):
        self.cgroups, self.procs = [], []

    def start(self, n):
        """Made one by one, so remove() undoes what a failure half-way left."""
        for i in range(n):
            cg = Cgroup2(f"{PREFIX}m{i:04d}")
            self.cgroups.append(cg)
            self.procs.append(subprocess.Popen(["sleep", "100000"], preexec_fn=cg.enter,
                                               stdin=subprocess.DEVNULL))

    def remove(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            p.wait()
        failed = []
        for cg in self.cgroups:  # each one tried, whatever another did
            try:
                cg.remove()
            except OSError as e:
                failed.append(f"{cg.path}: {e.strerror}")
        if failed:
            raise RuntimeError("bench_metrics: cannot remove " + ", ".join(failed))


def on_signal(sig, frame):
    # Unwinds through every finally below: the cleanup runs as on any failure.
    raise SystemExit(f"bench_metrics: stopped by signal {sig}")


def main():
    out, work = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        sys.exit("bench_metrics: needs root (BPF, cgroups)")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jt_port, pe_port = free_port(), free_port()
    config = os.path.join(work, "process-exporter.yml")
    with open(config, "w") as f:
        # One group per distinct set of cgroup paths: the churn's cgroup is a group of its own.
        f.write("process_names:\n  - name: '{{.Cgroups}}'\n    cmdline: ['.+']\n")
    jt_argv = [f"{out}/jobtrace", "serve", "-g", "cgroup2", "--listen", f"127.0.0.1:{jt_port}",
               "-i", "1"]
    pe_argv = [EXPORTER, "-config.path", config, "-web.listen-address", f"127.0.0.1:{pe_port}"]
    churn_cg = PREFIX + "churn"
    churn_argv = [f"{out}/churn", "--children", CHURN_CHILDREN, "--burn-us", CHURN_BURN_US,
                  "--concurrency", 2, "--subreaper", "--truth", f"{work}/metrics-churn.json"]

    print(f"/metrics with {JOBS} jobs: jobtrace serve beside process-exporter, on this host "
          f"({os.cpu_count()} CPUs, {cpu_model()})")
    t0 = time.monotonic()
    sleepers = Sleepers()
    jt = pe = churn = cg = None
    tools = {}
    try:
        sleepers.start(JOBS)
        started = {"jobtrace serve": time.monotonic()}
        jt = Background(jt_argv, ready="/metrics on http", log=f"{work}/serve.err")
        started["process-exporter"] = time.monotonic()
        pe = Background(pe_argv, log=f"{work}/process-exporter.err")
        tools = {"jobtrace serve": (jt, jt_port, jobtrace_view),
                 "process-exporter": (pe, pe_port, exporter_view)}
        # Both must have learnt every bench job they will before anything is timed.
        made_s = started["jobtrace serve"] - t0

        def jobs_in(port, view):
            v = view(scrape(port)[1], churn_cg)
            return v and v["jobs"]

        settle_s = settle({name: (lambda port=port, view=view: jobs_in(port, view))
                           for name, (_, port, view) in tools.items()}, started)
        jobs_seen = {name: jobs_in(port, view) for name, (_, port, view) in tools.items()}
        times = {name: [] for name in tools}
        sizes = {name: [] for name in tools}
        unanswered = {name: 0 for name in tools}
        for _ in range(SCRAPES):
            for name, (_, port, _) in tools.items():
                s, body = scrape(port)
                if s is None:
                    unanswered[name] += 1
                    continue
                times[name].append(s)
                sizes[name].append(len(body))
            time.sleep(0.1)

        def scraped_window(until):
            """Scrapes both once a second until until() is true; each one's CPU % meanwhile."""
            c0 = {name: proc_cpu_s(p.pid) for name, (p, _, _) in tools.items()}
            w0, f0 = time.monotonic(), host_forks()
            seen = {name: [] for name in tools}
            tick = w0
            while not until(time.monotonic() - w0):
                for name, (_, port, view) in tools.items():
                    v = view(scrape(port)[1], churn_cg)
                    if v is None:
                        unanswered[name] += 1
                    else:
                        seen[name].append(v)
                tick += 1
                time.sleep(max(0.0, tick - time.monotonic()))
            w = time.monotonic() - w0
            cpu = {name: (proc_cpu_s(p.pid) - c0[name]) / w * 100
                   for name, (p, _, _) in tools.items()}
            return cpu, w, (host_forks() - f0) / w, seen

        idle_cpu, idle_w, idle_forks, _ = scraped_window(lambda t: t >= WINDOW_S)
        rss = {name: proc_rss_bytes(p.pid) for name, (p, _, _) in tools.items()}

        cg = Cgroup2(churn_cg)
        churn = subprocess.Popen([str(a) for a in churn_argv], preexec_fn=cg.enter,
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        usage0 = cg.cpu_stat()["usage_usec"]
        churn_cpu, churn_w, churn_forks, seen = scraped_window(
            lambda t: churn.poll() is not None)
        if churn.returncode != 0:
            raise RuntimeError(f"bench_metrics: churn exited {churn.returncode}")
        usage_s = (cg.cpu_stat()["usage_usec"] - usage0) / 1e6
        with open(f"{work}/metrics-churn.json") as f:
            truth = json.load(f)
        # Two more intervals: jobtrace's last interval record of the churn is out by then.
        time.sleep(2.5)
        final = {}
        for name, (_, port, view) in tools.items():
            body = scrape(port)[1]
            final[name] = view(body, churn_cg)
            if body is None:
                unanswered[name] += 1
                continue
            # Kept for a look afterwards (the work folder goes with the run).
            with open(os.path.join(work, name.replace(" ", "-") + ".metrics"), "wb") as f:
                f.write(body)
    finally:
        if churn and churn.poll() is None:
            os.killpg(churn.pid, signal.SIGKILL)
            churn.wait()
        for p in (jt, pe):
            if p:
                p.stop()
        try:
            if cg:
                cg.remove()
        finally:
            sleepers.remove()

    print(f"  ({JOBS} cgroups under {os.path.dirname(sleepers.cgroups[0].path)}, one sleeping "
          f"process each, made in {made_s:.1f} s)")
    print(f"  {'tool':<18}{'scrape ms':>10}{'min ms':>8}{'size KiB':>10}{'jobs seen':>10}"
          f"{'CPU % idle':>12}{'CPU % churn':>13}{'RSS MiB':>9}{'unanswered':>12}")

    def ms(xs, fn):
        return f"{fn(xs) * 1e3:.1f}" if xs else "-"

    for name in tools:
        print(f"  {name:<18}{ms(times[name], median):>10}{ms(times[name], min):>8}"
              f"{median(sizes[name]) / 1024 if sizes[name] else float('nan'):>10.0f}"
              f"{jobs_seen[name] if jobs_seen[name] is not None else '-':>10}"
              f"{idle_cpu[name]:>12.2f}{churn_cpu[name]:>13.2f}{rss[name] / 2**20:>9.1f}"
              f"{unanswered[name]:>12}")
    for name in tools:
        print(f"  {name} showed them {settle_s[name]:.1f} s after it started"
              f" (scraped every 0.5 s)")
    for name in tools:
        if unanswered[name]:
            print(f"  NOTE: {name} left {unanswered[name]} scrapes unanswered within "
                  f"{SCRAPE_TIMEOUT_S:.0f} s")
        if jobs_seen[name] is not None and jobs_seen[name] < JOBS:
            print(f"  NOTE: {name} shows {jobs_seen[name]} of the {JOBS} cgroups as jobs of their"
                  f" own")
    print(f"  scrape: median and fastest of {SCRAPES} GETs each, a new connection each (Python's"
          f" urllib);")
    print(f"  CPU: each tool's utime + stime over {idle_w:.0f} s with no churn "
          f"({idle_forks:.0f} forks/s on the host)")
    print(f"  and over the {churn_w:.1f} s of the churn ({churn_forks:.0f} forks/s), scraped "
          f"every second. jobtrace's BPF")
    print("  programs run in the forking tasks: their cost is in the workload's CPU, not here.")

    children = truth["processes"] - 1  # churn itself was moved into its cgroup, not forked there
    print()
    print(f"what each saw of the churn job ({children} children of {CHURN_BURN_US} us CPU each, "
          f"2 at a time; cgroup {churn_cg}):")
    print(f"  {'':<18}{'started':>10}{'most alive':>12}{'CPU s':>9}{'of truth':>10}")
    print(f"  {'truth':<18}{children:>10}{2 + 1:>12}{truth['cpu_ns'] / 1e9:>9.3f}{'':>10}"
          f"   (churn's getrusage; cpu.stat: {usage_s:.3f} s)")
    if ENV.get("BENCH_DEBUG"):
        print(json.dumps(seen, indent=None))
    truth_s = truth["cpu_ns"] / 1e9
    for name, labels, started in (
            ("jobtrace serve", "jobtrace_job_processes_started_total, _processes, "
             "_cpu_seconds_total", "started"),
            ("process-exporter", "namedprocess_namegroup_num_procs, _cpu_seconds_total", None)):
        v = final[name]
        alive = max((x["alive"] for x in seen[name]), default=float("nan"))
        if v is None:
            print(f"  {name:<18}{'no answer to the last scrape':>41}")
            continue
        n = f"{v[started]:.0f}" if started else "-"
        print(f"  {name:<18}{n:>10}{alive:>12.0f}{v['cpu_s']:>9.3f}"
              f"{v['cpu_s'] / truth_s * 100:>9.1f}%   ({labels})")
    print("  process-exporter has no count of processes started: it reads /proc at each scrape,"
          " so a")
    print("  child that lives between two scrapes is never seen, nor is its CPU.")
    print("  jobtrace: " + cmdline(jt_argv))
    print("  process-exporter: " + cmdline(pe_argv) + "  # config: name '{{.Cgroups}}',"
          " cmdline ['.+']")
    print("  churn: " + cmdline(churn_argv[:-2]) + "  # in its own v2 cgroup")


if __name__ == "__main__":
    main()
