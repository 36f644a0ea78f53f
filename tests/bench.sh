#!/usr/bin/env bash
# make bench: jobtrace against the workload alone and against a psutil
# poller, in the same run, on a churn workload at this machine's fork rate;
# then host mode's overhead and cost, host-wide peers (atop, a psutil
# collector by cgroup) on one job, and what an exec and --events cost.
#   RUNS=9 CHILDREN=20000 CONCURRENCY=8 tests/bench.sh
#   HOST_RUNS=5 HOST_BURN_US=150 PINGPONG_ROUNDS=200000 IDLE_S=20 HOLD=5000 \
#   PEER_RUNS=3 EVENT_RUNS=5 EXECS=5000 tests/bench.sh
#   BASE=/path/to/old/jobtrace tests/bench.sh: start-up and own cost beside an older build
set -euo pipefail
OUTPUT=${OUTPUT:-.output}
RUNS=${RUNS:-9}
CHILDREN=${CHILDREN:-20000}
CONCURRENCY=${CONCURRENCY:-8}
BURN_US=${BURN_US:-0} # CPU each child burns: 0 forks as fast as the machine goes
# Debian's python3-psutil lives with /usr/bin/python3, whatever python3 is first on PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d /tmp/jobtrace-bench-XXXXXX)
# The helpers name the v2 cgroups they make after this script's pid and
# remove them; one left by an interrupted run is removed here, if empty.
export BENCH_ID=$$ OUTPUT CHILDREN CONCURRENCY BURN_US PYTHON
cleanup() {
	rm -rf "$work"
	for cg in /sys/fs/cgroup/{unified/,}jobtrace-bench-"$BENCH_ID"-*; do
		[ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
	done
}
trap cleanup EXIT

churn=("$OUTPUT/churn" --children "$CHILDREN" --concurrency "$CONCURRENCY" --burn-us "$BURN_US"
	--subreaper)

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root to load BPF programs" >&2
	exit 1
fi

echo "churn: $CHILDREN children, $CONCURRENCY in flight, each burning ${BURN_US} us of CPU;"
echo "$RUNS alternating runs without and with jobtrace, then one under a psutil poller"
for i in $(seq "$RUNS"); do
	"${churn[@]}" --truth "$work/base.$i.json"
	"$OUTPUT/jobtrace" run --json -o "$work/report.$i.json" -- \
		"${churn[@]}" --truth "$work/traced.$i.json"
done
"$PYTHON" tests/psutil_poll.py --interval 0.1 -- "${churn[@]}" --truth "$work/psutil.truth.json" \
	> "$work/psutil.json"

"$PYTHON" - "$work" "$RUNS" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
load = lambda n: json.load(open(f"{work}/{n}"))
base = [load(f"base.{i}.json") for i in range(1, runs + 1)]
traced = [load(f"traced.{i}.json") for i in range(1, runs + 1)]
reports = [load(f"report.{i}.json") for i in range(1, runs + 1)]
ps, ps_truth = load("psutil.json"), load("psutil.truth.json")

created = sum(t["processes"] for t in traced)
counted = sum(r["processes"]["started"] for r in reports)
lost = sum(r["events"]["lost"] for r in reports)
cpu_truth = sum(t["cpu_ns"] for t in traced) / 1e9
cpu_rep = sum(r["cpu"]["total_ns"] for r in reports) / 1e9
errs = [abs(r["cpu"]["total_ns"] - t["cpu_ns"]) / t["cpu_ns"] * 100 for r, t in zip(reports, traced)]
wb = statistics.median(t["wall_ns"] for t in base) / 1e9
wt = statistics.median(t["wall_ns"] for t in traced) / 1e9
rate = statistics.median(t["processes"] / (t["wall_ns"] / 1e9) for t in base)

print()
print(f"{'tool':<24}{'created':>10}{'counted':>10}{'lost':>7}{'CPU truth s':>13}{'CPU seen s':>12}{'CPU error':>11}")
print(f"{'jobtrace run':<24}{created:>10}{counted:>10}{lost:>7}{cpu_truth:>13.3f}{cpu_rep:>12.3f}"
      f"{(cpu_rep - cpu_truth) / cpu_truth * 100:>+10.3f}%")
pt = ps_truth["cpu_ns"] / 1e9
print(f"{'psutil poller, 10 Hz':<24}{ps_truth['processes']:>10}{ps['seen']:>10}{'-':>7}{pt:>13.3f}"
      f"{ps['cpu_s']:>12.3f}{(ps['cpu_s'] - pt) / pt * 100:>+10.1f}%")
print()
print(f"worst per-run CPU error under jobtrace: {max(errs):.3f}%")
print(f"fork+exit rate without jobtrace: {rate:,.0f}/s (median)")
print(f"workload wall time, median of {runs}: {wb:.3f} s alone, {wt:.3f} s under jobtrace: "
      f"slowdown {(wt / wb - 1) * 100:+.1f}%")
PY

echo
echo "jobtrace's own cost: start-up, CPU per tracked process, ps (BASE=old/jobtrace: beside it)"
"$PYTHON" tests/bench_startup.py "$OUTPUT"

echo
echo "BPF time per tracked process, per program, beside an empty program's floor (bpf_stats)"
echo "(BASE=path/to/old/jobtrace puts an older build beside each figure)"
echo "host mode (watch --all --group-by tree):"
OUTPUT=$OUTPUT RUNS=${BPF_RUNS:-3} tests/bench_bpf.sh
echo "a followed job (watch --pid, as run follows its command):"
OUTPUT=$OUTPUT RUNS=${BPF_RUNS:-3} MODE="--pid SELF" tests/bench_bpf.sh
echo "an untracked churn (watch --pid of an idle process; the churn outside its job):"
OUTPUT=$OUTPUT RUNS=${BPF_RUNS:-3} MODE="--pid IDLE" tests/bench_bpf.sh
echo "host mode's fork and close of a process, step by step (a BPF_PROFILE=1 build, bpf/profile.bpf.h):"
OUTPUT=$OUTPUT RUNS=${BPF_RUNS:-3} tests/bench_bpf_split.sh
echo "a context switch: jobtrace's sched_switch program beside an empty one (bpf_stats)"
OUTPUT=$OUTPUT tests/bench_switch.sh

echo
echo "snapshot of every process: jobtrace's task iterator and /proc walk against ps and psutil"
echo "(medians of 7; 'iter read' and '/proc walk' are the read itself, 'jobtrace ps' the whole command)"
"$PYTHON" tests/bench_snapshot.py "$OUTPUT" "$OUTPUT/churn"

echo
echo "one process in full and every socket with its owner: jobtrace against psutil and ss"
echo "(medians of 7, against a process holding 100 files, 20 sockets and 8 threads)"
"$PYTHON" tests/bench_inspect.py "$OUTPUT"

echo
"$PYTHON" tests/bench_host.py "$OUTPUT" "$work"

echo
"$PYTHON" tests/bench_peers.py "$OUTPUT" "$work"

echo
"$PYTHON" tests/bench_events.py "$OUTPUT" "$work"

echo
"$PYTHON" tests/bench_top.py "$OUTPUT"

echo; "$OUTPUT/bench_stream"

echo; "$PYTHON" tests/bench_metrics.py "$OUTPUT" "$work"

echo; "$PYTHON" tests/bench_serve_scale.py "$OUTPUT" "$work"

echo; tests/bench_scrape_flood.sh "$OUTPUT"

echo; "$PYTHON" tests/bench_slurm.py "$OUTPUT"

echo; "$PYTHON" tests/bench_history.py "$OUTPUT" "$work"
