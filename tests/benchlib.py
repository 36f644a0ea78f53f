"""What the benchmark scripts share: workloads with a truth file, a collector
started in the background and stopped by its pid, /proc figures of one
process, and a v2 cgroup made for one run and removed after it.

Nothing here kills by name: every process it stops is one it started, by pid.
"""
import json
import os
import shlex
import signal
import statistics
import subprocess
import time

TICK_S = 1 / os.sysconf("SC_CLK_TCK")
CGROUP2 = "/sys/fs/cgroup/unified" if os.path.exists("/sys/fs/cgroup/unified/cgroup.procs") \
    else "/sys/fs/cgroup"


def median(xs):
    return statistics.median(xs)


def cmdline(argv):
    """The command as one shell line, to print next to the figure it gave."""
    return shlex.join(str(a) for a in argv)


def proc_cpu_s(pid):
    """CPU time of one process (all its threads, user + system), in seconds.

    From its CPU-time clock (clock_getcpuclockid(3): the scheduler's runtime,
    to the nanosecond); where that clock cannot be read, utime + stime from
    /proc/PID/stat, which count in clock ticks (10 ms at 100 Hz: a cost per
    process under a tick over a churn reads as 0 there).
    """
    try:
        # clock_getcpuclockid(pid): the process clock, CPUCLOCK_SCHED (2).
        return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9
    except OSError:
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "(comm)", field (3) state is index 0: (14) utime, (15) stime.
    return (int(fields[11]) + int(fields[12])) * TICK_S


def proc_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def host_forks():
    """The host's forks since boot (/proc/stat `processes`)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("processes "):
                return int(line.split()[1])
    return 0


def run_truth(argv, truth, **kw):
    """Runs a workload that writes --truth FILE; returns the truth as a dict."""
    subprocess.run([str(a) for a in argv], check=True, stdout=subprocess.DEVNULL, **kw)
    with open(truth) as f:
        return json.load(f)


class Background:
    """A collector started in the background, stopped by its own pid.

    `ready` is what its standard error (kept in the file `log`) says once it
    is collecting (None: ready at once). stop() sends `stop_signal` and
    returns the process's whole CPU (user + system, from wait4) in seconds.
    """

    def __init__(self, argv, ready=None, stop_signal=signal.SIGTERM, timeout=30, log=None,
                 **kw):
        self.argv = argv
        self.stop_signal = stop_signal
        self.log = log or "/dev/null"
        assert log or not ready, "a ready line is looked for in the log"
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen([str(a) for a in argv], stderr=err, **kw)
        self.pid = self.proc.pid
        self.cpu_s = None
        deadline = time.time() + timeout
        while ready:
            with open(self.log) as f:
                said = f.read()
            if ready in said:
                break
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"{cmdline(argv)} did not say {ready!r}: {said.strip()}")
            time.sleep(0.02)

    def cpu_now(self):
        return proc_cpu_s(self.pid)

    def rss_now(self):
        return proc_rss_bytes(self.pid)

    def stop(self, timeout=60):
        if self.cpu_s is not None:
            return self.cpu_s
        if self.proc.returncode is not None:  # already reaped by poll()
            self.cpu_s = float("nan")
            return self.cpu_s
        try:
            os.kill(self.pid, self.stop_signal)
        except ProcessLookupError:
            pass
        deadline = time.time() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(self.pid, 0)
                break
            time.sleep(0.05)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu_s = ru.ru_utime + ru.ru_stime
        return self.cpu_s

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Cgroup2:
    """A v2 cgroup for one run, removed when done (it must be empty by then)."""

    def __init__(self, name):
        self.path = os.path.join(CGROUP2, name)
        self.rel = "/" + os.path.relpath(self.path, CGROUP2)
        os.mkdir(self.path)

    def enter(self):
        """For preexec_fn: moves the calling (child) process into the cgroup."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write("0")

    def cpu_stat(self):
        with open(os.path.join(self.path, "cpu.stat")) as f:
            return {k: int(v) for k, v in (line.split() for line in f)}

    def remove(self):
        deadline = time.time() + 10
        while True:
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                # EBUSY while the last zombies are being reaped.
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
