#!/usr/bin/env bash
# Where a tracked process's BPF time goes, step by step (issue 18): the
# lineage programs built with BPF_PROFILE=1 (bpf/profile.bpf.h) into
# PROF_OUTPUT ($OUTPUT-prof), then `watch MODE` over a churn of N children,
# RUNS times. Each step's ns per call (less what a point itself costs) and
# per process, the medians over the runs. bench_bpf.sh gives the programs'
# whole time from bpf_stats; this says which step a change should go after.
# CPUS (all): a taskset list for watch and the churn alike; CPUS=0 puts them
# on one CPU, which leaves out what cache lines moving between CPUs cost.
#   RUNS=3 N=6000 MODE="--all --group-by tree" tests/bench_bpf_split.sh
set -u
OUTPUT=${OUTPUT:-.output}
P=${PROF_OUTPUT:-$OUTPUT-prof}
N=${N:-6000}; RUNS=${RUNS:-3}; MODE=${MODE:---all --group-by tree}; CPUS=${CPUS:-}
here=$(dirname "$0")
make --no-print-directory -s OUTPUT="$P" BPF_PROFILE=1 "$P/jobtrace" >/dev/null || exit 1
make --no-print-directory -s "$OUTPUT/churn" >/dev/null || exit 1
. "$here/bpf_stats.sh"
work=$(mktemp -d /tmp/jobtrace-bpfsplit-XXXXXX)
trap 'rm -rf "$work"' EXIT
pin=(); [ -n "$CPUS" ] && pin=(taskset -c "$CPUS")

# The jt_prof map's values (one per CPU) that process $1 holds, as bpftool's JSON.
prof_dump() {
	local id
	for id in $(cat /proc/$1/fdinfo/* 2>/dev/null | awk '$1 == "map_id:" {print $2}' | sort -u); do
		if bpftool map show id "$id" --json | grep -q '"name":"jt_prof"'; then
			bpftool map dump id "$id" --json
			return 0
		fi
	done
	echo "bench_bpf_split: watch $1 holds no jt_prof map: not a BPF_PROFILE build?" >&2
	return 1
}

for r in $(seq "$RUNS"); do
	"${pin[@]}" "$P/jobtrace" watch $MODE -o /dev/null 2>"$work/w.err" & W=$!
	wait_for "$work/w.err" attached $W
	"${pin[@]}" "$OUTPUT/churn" --children "$N" --concurrency 2 --burn-us 50 >/dev/null
	prof_dump $W >"$work/run$r.json" || { kill -INT $W; exit 1; }
	kill -INT $W; wait $W 2>/dev/null
done

python3 - "$here/../bpf/profile.bpf.h" "$N" "$work" "$RUNS" <<'PY'
import json, re, statistics, struct, sys
header, n, work, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
text = open(header).read()
body = re.search(r'enum jt_prof_point \{(.*?)\};', text, re.S).group(1)
names, what = [], {}
for m in re.finditer(r'JT_PROF_(\w+),[ \t]*(?:/\*\s*(.*?)\s*\*/)?', body):
    names.append(m.group(1)); what[m.group(1)] = m.group(2) or ''
points = names.index('POINTS')
steps = {}
for r in range(1, runs + 1):
    ns, cnt = [0] * points, [0] * points
    for cpu in json.load(open(f'{work}/run{r}.json'))[0]['values']:
        raw = bytes(int(b, 16) for b in cpu['value'])
        v = struct.unpack(f'<{1 + 2 * points}Q', raw[:8 * (1 + 2 * points)])
        for i in range(points):
            ns[i] += v[1 + i]; cnt[i] += v[1 + points + i]
    self_ns = ns[names.index('SELF')] / max(cnt[names.index('SELF')], 1)
    for i, name in enumerate(names[:points]):
        if name in ('NONE', 'SELF') or not cnt[i]:
            continue
        per_call = max(ns[i] / cnt[i] - self_ns, 0.0)
        steps.setdefault(name, []).append((cnt[i] / n, per_call, per_call * cnt[i] / n))
    steps.setdefault('(one point itself)', []).append((0, self_ns, 0))
print(f"{'step':18} {'calls/proc':>10} {'ns/call':>8} {'ns/proc':>8}  (medians of {runs} runs, {n} children)")
total = 0.0
for name, v in steps.items():
    m = [statistics.median(x[k] for x in v) for k in range(3)]
    if name.startswith('('):
        print(f"{name:18} {'':>10} {m[1]:8.0f}")
        continue
    total += m[2]
    print(f"{name.lower():18} {m[0]:10.2f} {m[1]:8.0f} {m[2]:8.0f}  {what[name]}")
print(f"{'all steps':18} {'':>10} {'':>8} {total:8.0f}  (calls, trampolines and untimed code not in it)")
PY
