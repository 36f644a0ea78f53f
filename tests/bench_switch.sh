#!/usr/bin/env bash
# What the sched_switch program costs a context switch, from bpf_stats:
# pingpong (two processes bouncing a byte over pipes on one CPU, two
# switches a round trip) with jobtrace's handle_switch and an empty
# sched_switch program (bpf/floor.bpf.c) attached side by side. Two cases:
#   host mode (watch --all): both pingpong processes are tracked;
#   untracked: watch --pid follows an idle process, and pingpong is in no job.
# handle_switch's ns a call less the empty program's is what jobtrace's
# program adds to a switch; the empty program's is what bpf_stats and the
# call itself cost any program there (bench_host.py prints that floor in
# wall time too).  ROUNDS (200000) and RUNS (2) set the size.
set -u
OUTPUT=${OUTPUT:-.output}
ROUNDS=${ROUNDS:-200000}; RUNS=${RUNS:-2}
work=$(mktemp -d /tmp/jobtrace-switchbench-XXXXXX)
idle=""
trap 'rm -rf "$work"; sysctl -q kernel.bpf_stats_enabled=0; [ -z "$idle" ] || kill $idle 2>/dev/null' EXIT
sysctl -q kernel.bpf_stats_enabled=1
. "$(dirname "$0")/bpf_stats.sh"
# "name run_cnt run_time_ns" of handle_switch and floor_switch among the programs $1 names.
switch_stats() {
	stats "$1" | awk '$2 == "handle_switch" || $2 == "floor_switch" {print $2, $3, $4}' | sort
}
sleep 1000000 & idle=$!
printf '%-28s %16s %16s %14s\n' "pingpong, one CPU" "handle_switch" "empty program" "jobtrace adds"
for mode in "--all --group-by tree" "--pid $idle"; do
	label="host mode (tracked)"; [ "$mode" = "--pid $idle" ] && label="untracked (another job)"
	"$OUTPUT/jobtrace" watch $mode -o /dev/null 2>$work/w.err & W=$!
	"$OUTPUT/bpf_floor" 2>$work/f.err & F=$!
	wait_for $work/w.err attached $W
	wait_for $work/f.err attached $F
	ids="$(prog_ids $W) $(prog_ids $F)"
	for r in $(seq $RUNS); do
		switch_stats "$ids" >$work/s0
		"$OUTPUT/pingpong" --rounds $ROUNDS --cpu 0 --truth $work/pp.json
		switch_stats "$ids" >$work/s1
		paste $work/s0 $work/s1 | awk -v label="$label" '
			{ ns[$1] = ($6 - $3) / ($5 - $2) }
			END { printf "%-28s %13.1f ns %13.1f ns %11.1f ns\n", label, ns["handle_switch"],
			      ns["floor_switch"], ns["handle_switch"] - ns["floor_switch"] }'
	done
	kill -INT $W $F; wait $W $F 2>/dev/null
done
echo "  (ns a switch, bpf_stats run_time_ns / run_cnt over $ROUNDS round trips: tests/bench_switch.sh)"
