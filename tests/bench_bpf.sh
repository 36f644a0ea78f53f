#!/usr/bin/env bash
# What watching costs in the kernel, and run's accuracy, for this build and
# another one side by side, in alternating rounds on the same machine:
#   BASE=/path/to/old/.output/jobtrace tests/bench_bpf.sh
# BPF time per tracked process: the run_time_ns that kernel.bpf_stats_enabled
# counts for the programs one `watch` loaded (those its own fds hold: other
# BPF users of the machine are left out), over a churn of N children,
# divided by N, per program and in all. Beside them, in the same churn, the
# floor: an empty sched_switch program (bpf/floor.bpf.c), whose ns per call
# is what the stats themselves cost a call. Then run's counts, lost records
# and CPU error against churn's own getrusage().
# N (6000), RUNS (3), MODE (the watch options: --all --group-by tree; SELF
# stands for this script's pid, so MODE="--pid SELF" follows the churn as
# run follows its command, the bench's own few helpers counted with it;
# IDLE for a sleeping process of its own, so MODE="--pid IDLE" prices an
# untracked process while another job is followed),
# CHURN (what the watched churn's N processes do, --children N; with
# CHURN="--children 0 --exec N [--exec-path PATH]" each execs, and
# handle_exec's figures are an exec record's, PATH's walk included).
# FORKERS (1) churns fork side by side, N/FORKERS children each, CONCURRENCY
# (2) in flight in each: a many-core machine's rate needs several forkers.
# Without BASE, this build alone. At the end, each figure's median over
# the runs, BASE beside this build.
set -u
OUTPUT=${OUTPUT:-.output}
B1=$OUTPUT/jobtrace; B0=${BASE:-}; CH=$OUTPUT/churn; FLOOR=$OUTPUT/bpf_floor
N=${N:-6000}; RUNS=${RUNS:-3}; MODE=${MODE:---all --group-by tree}; MODE=${MODE//SELF/$$}
# IDLE: a sleeping process of this script's, so MODE="--pid IDLE" follows a job the churn is
# not in, and each figure is what an untracked process costs while a job is followed.
idle=""
if [[ $MODE == *IDLE* ]]; then
	sleep 1000000 & idle=$!
	MODE=${MODE//IDLE/$idle}
fi
FORKERS=${FORKERS:-1}; CONCURRENCY=${CONCURRENCY:-2}
if [ "$FORKERS" -gt 1 ] && [ -n "${CHURN:-}" ]; then
	echo "bench_bpf: CHURN is one forker's: with FORKERS > 1, set N alone" >&2
	exit 2
fi
# What the forkers make in all (N rounded down to a multiple of FORKERS): the divisor.
N=$((N / FORKERS * FORKERS))
CHURN=${CHURN:---children $((N / FORKERS))}
work=$(mktemp -d /tmp/jobtrace-bpfbench-XXXXXX)
trap 'rm -rf "$work"; sysctl -q kernel.bpf_stats_enabled=0; [ -z "$idle" ] || kill $idle' EXIT
sysctl -q kernel.bpf_stats_enabled=1
. "$(dirname "$0")/bpf_stats.sh"
tags="this"; [ -n "$B0" ] && tags="base this"
: >$work/all
for r in $(seq $RUNS); do
 for tag in $tags; do
  bin=$B1; [ $tag = base ] && bin=$B0
  # host mode: BPF ns per process, from bpf_stats, while a churn of N runs
  $bin watch $MODE -o /dev/null 2>$work/w.err & W=$!
  $FLOOR 2>$work/f.err & F=$!
  wait_for $work/w.err attached $W
  wait_for $work/f.err attached $F
  mine="$(prog_ids $W) $(prog_ids $F)"
  stats "$mine" >$work/s0
  forkers=(); t0=$(date +%s%N)
  for f in $(seq $FORKERS); do
    $CH $CHURN --concurrency $CONCURRENCY --burn-us 50 >/dev/null & forkers+=($!)
  done
  wait "${forkers[@]}"
  echo $(( $(date +%s%N) - t0 )) >$work/churn_ns
  stats "$mine" >$work/s1
  kill -INT $W $F; wait $W $F 2>/dev/null
  # run: lost records and CPU error against churn's own getrusage
  # (one forker's share: run's accuracy, not the rate, is asked here)
  $bin run --json -o $work/r.json -- $CH --children $((N / FORKERS)) --concurrency 8 --subreaper \
    --truth $work/t.json >/dev/null 2>&1
  python3 - "$tag" "$r" "$N" "$work" <<'PY'
import json,sys
tag,run,n,work=sys.argv[1],int(sys.argv[2]),int(sys.argv[3]),sys.argv[4]
def load(f):
    return {int(l.split()[0]): l.split()[1:] for l in open(f)}
a,b=load(work+'/s0'),load(work+'/s1')
rows=[]; tot_c=tot_t=0; floor=None
for i in sorted(b):
    name=b[i][0]; c=int(b[i][1])-int(a[i][1]); t=int(b[i][2])-int(a[i][2])
    if c == 0: continue
    if name == 'floor_switch': floor=(c,t); continue
    rows.append((name,c,t)); tot_c+=c; tot_t+=t
out=open(work+'/all','a')
churn_s=int(open(work+'/churn_ns').read())/1e9
print(f"{tag:5} run {run}: watch, over {n} processes forked at {n/churn_s:,.0f}/s:")
for name,c,t in rows+[('total',tot_c,tot_t)]:
    print(f"  {name:22} {c/n:6.2f} calls/proc {t/c:7.0f} ns/call {t/n:7.0f} ns/proc")
    print(tag,name,c/n,t/c,t/n,file=out)
if floor:
    c,t=floor
    print(f"  {'floor (empty switch)':22} {c/n:6.2f} calls/proc {t/c:7.0f} ns/call")
    print(tag,'floor',c/n,t/c,t/n,file=out)
r=json.load(open(work+'/r.json')); t=json.load(open(work+'/t.json'))
err=(r['cpu']['total_ns']-t['cpu_ns'])/t['cpu_ns']*100
print(f"  run: started {r['processes']['started']} of {t['processes']}, lost {r['events']['lost']}, "
      f"CPU error {err:+.3f}%, wall {t['wall_ns']/1e9:.3f} s")
print(tag,'run_cpu_error_pct',err,0,0,file=out)
PY
 done
done
python3 - "$tags" "$work/all" <<'PY'
import statistics,sys
tags=sys.argv[1].split(); rows={}
for l in open(sys.argv[2]):
    tag,name,*v=l.split(); rows.setdefault(name,{}).setdefault(tag,[]).append(tuple(map(float,v)))
print("medians" + ("".join(f" | {t:^34}" for t in tags)))
print(f"{'':22}" + " | calls/proc    ns/call    ns/proc" * len(tags))
for name in rows:
    if name == 'run_cpu_error_pct': continue
    line=f"{name:22}"
    for t in tags:
        v=rows[name].get(t)
        if not v: line+=" | " + " "*34; continue
        m=[statistics.median(x[k] for x in v) for k in range(3)]
        line+=f" | {m[0]:10.2f} {m[1]:10.0f} {m[2]:10.0f}"
    print(line)
for t in tags:
    e=rows.get('run_cpu_error_pct',{}).get(t,[])
    print(f"run's CPU error, {t}: " + ", ".join(f"{x[0]:+.3f}%" for x in e))
PY
