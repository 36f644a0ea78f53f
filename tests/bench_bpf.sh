#!/usr/bin/env bash
# What watching costs in the kernel, and run's accuracy, for this build and
# another one side by side, in alternating rounds on the same machine:
#   BASE=/path/to/old/.output/jobtrace tests/bench_bpf.sh
# BPF time per tracked process: the run_time_ns that kernel.bpf_stats_enabled
# counts for the programs one `watch --all` loaded (those that appeared as it
# attached), over a churn of N children, divided by N. Then run's counts,
# lost records and CPU error against churn's own getrusage().
# N (6000), RUNS (3). Without BASE, this build alone.
set -u
OUTPUT=${OUTPUT:-.output}
B1=$OUTPUT/jobtrace; B0=${BASE:-}; CH=$OUTPUT/churn
N=${N:-6000}; RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/jobtrace-bpfbench-XXXXXX)
trap 'rm -rf "$work"; sysctl -q kernel.bpf_stats_enabled=0' EXIT
sysctl -q kernel.bpf_stats_enabled=1
ids() { bpftool prog show --json | python3 -c '
import json,sys
print(" ".join(str(x["id"]) for x in json.load(sys.stdin)))'; }
stats() { # ids -> "run_cnt run_time_ns" summed over those programs
	bpftool prog show --json | python3 -c '
import json,sys
p=json.load(sys.stdin); c=t=0; want=set(map(int,sys.argv[1].split()))
for x in p:
    if x["id"] in want:
        c+=x.get("run_cnt",0); t+=x.get("run_time_ns",0)
print(c,t)' "$1"
}
tags="this"; [ -n "$B0" ] && tags="base this"
for r in $(seq $RUNS); do
 for tag in $tags; do
  bin=$B1; [ $tag = base ] && bin=$B0
  # host mode: BPF ns per process, from bpf_stats, while a churn of N runs
  before=" $(ids) "
  $bin watch --all --group-by tree -o /dev/null 2>$work/w.err & W=$!
  until grep -q attached $work/w.err; do sleep 0.1; done
  mine=""; for i in $(ids); do [[ "$before" == *" $i "* ]] || mine="$mine $i"; done
  read c0 t0 < <(stats "$mine")
  $CH --children $N --concurrency 2 --burn-us 50 >/dev/null
  read c1 t1 < <(stats "$mine")
  kill -INT $W; wait $W 2>/dev/null
  # run: lost records and CPU error against churn's own getrusage
  $bin run --json -o $work/r.json -- $CH --children $N --concurrency 8 --subreaper --truth $work/t.json >/dev/null 2>&1
  python3 - "$tag" "$c0" "$t0" "$c1" "$t1" "$N" "$work" <<'PY'
import json,sys
tag,c0,t0,c1,t1,n=sys.argv[1],*map(int,sys.argv[2:7])
r=json.load(open(sys.argv[7]+'/r.json')); t=json.load(open(sys.argv[7]+'/t.json'))
err=(r['cpu']['total_ns']-t['cpu_ns'])/t['cpu_ns']*100
print(f"{tag:5} watch --all: {(t1-t0)/n:7.0f} ns of BPF per process ({c1-c0} calls); "
      f"run: started {r['processes']['started']} of {t['processes']}, lost {r['events']['lost']}, "
      f"CPU error {err:+.3f}%, wall {t['wall_ns']/1e9:.3f} s")
PY
 done
done
