#!/usr/bin/env bash
# A long run of host mode under churn: does the collector stay flat?
#   SOAK_SECONDS=1800 tests/soak.sh        (default 30 minutes; not in make test)
# Runs `jobtrace watch --all` (jobs by tree) while .output/churn forks without
# pause, and every SOAK_EVERY seconds prints the collector's RSS, its CPU
# since the last line, the entries of its procs and jobs maps (bpftool), and
# the job lines written so far. Flat RSS and map entries are the target; the
# last line says how RSS and the procs map moved from the first sample on.
set -eu
OUTPUT=${OUTPUT:-.output}
SOAK_SECONDS=${SOAK_SECONDS:-1800}
SOAK_EVERY=${SOAK_EVERY:-30}
jt=$OUTPUT/jobtrace
churn=$OUTPUT/churn
[ "$(id -u)" = 0 ] || { echo "soak: needs root (BPF)" >&2; exit 2; }
[ -x "$jt" ] && [ -x "$churn" ] || { echo "soak: build first: make all" >&2; exit 2; }
command -v bpftool >/dev/null || { echo "soak: needs bpftool" >&2; exit 2; }
dir=$(mktemp -d /tmp/jobtrace-soak-XXXXXX)
"$jt" watch --all --group-by tree --json -o "$dir/out.jsonl" 2>"$dir/err" &
jt_pid=$!
churn_pid=
cleanup() {
	[ -n "$churn_pid" ] && kill "$churn_pid" 2>/dev/null
	kill "$jt_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
sleep 2
# Churn that never ends: batches of short children, orphans, execs, failures.
(while :; do "$churn" --children 400 --orphans 20 --exec 20 --fail 20 --kill 5 \
	--threads 4 --concurrency 8 >/dev/null 2>&1 || true; done) &
churn_pid=$!

map_id() { # the id of the collector's map named $1
	for f in /proc/$jt_pid/fdinfo/*; do
		id=$(sed -n 's/^map_id:\t*//p' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		bpftool map show id "$id" 2>/dev/null | grep -q " name $1 " && { echo "$id"; return; }
	done
}
entries() { # entries in map id $1
	bpftool map dump id "$1" 2>/dev/null | grep -c '"key"' || true
}
procs_id=$(map_id procs)
jobs_id=$(map_id jobs)
clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$jt_pid/stat"; }
printf '%6s %10s %7s %8s %6s %8s\n' t_s rss_kib cpu_pct procs jobs reports
start=$(date +%s)
last_ticks=$(cpu_ticks)
first_rss= first_procs=
while :; do
	sleep "$SOAK_EVERY"
	kill -0 "$jt_pid" 2>/dev/null || { echo "soak: the collector died" >&2; cat "$dir/err" >&2; exit 1; }
	now=$(($(date +%s) - start))
	rss=$(awk '/^VmRSS/{print $2}' "/proc/$jt_pid/status")
	ticks=$(cpu_ticks)
	cpu=$(awk -v d=$((ticks - last_ticks)) -v hz="$clk" -v s="$SOAK_EVERY" \
		'BEGIN{printf "%.1f", 100 * d / hz / s}')
	last_ticks=$ticks
	p=$(entries "$procs_id")
	j=$(entries "$jobs_id")
	r=$(grep -c '"type":"job"' "$dir/out.jsonl" || true)
	printf '%6d %10d %7s %8d %6d %8d\n' "$now" "$rss" "$cpu" "$p" "$j" "$r"
	[ -n "$first_rss" ] || { first_rss=$rss; first_procs=$p; }
	[ "$now" -lt "$SOAK_SECONDS" ] || break
done
repairs=$(grep -o '"repairs":[0-9]*' "$dir/out.jsonl" | awk -F: '{s += $2} END {print s + 0}')
lost=$(grep -o '"events":{[^}]*"lost":[0-9]*' "$dir/out.jsonl" | sed 's/.*://' | awk '{s += $1} END {print s + 0}')
echo "soak: RSS $first_rss -> $rss KiB, procs map $first_procs -> $p entries," \
	"$r job reports, $repairs repairs, $lost exit records lost"
