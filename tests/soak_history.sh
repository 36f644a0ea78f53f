#!/usr/bin/env bash
# Issue 20's "done when", for --history: serve under churn for SOAK_SECONDS
# (default 600), killed with -9 while the churn goes on, restarted on the
# same --history directory, SOAK_AFTER (default 60) seconds more churn, then
# stopped. Then:
#   - `jobtrace history --json` over the whole span has every job line and
#     every process record serve wrote to -o (the same records; -o is the
#     reference), but those of the pass the kill landed in (said, counted,
#     and each within 2 s of the kill: a kill -9 loses at most the last pass);
#   - every line it prints is valid against schema/ (tests/schema/validate.py);
#   - `top --replay --batch --at T` for T in the middle of the first serve's
#     run shows the churn's jobs that -o says were alive then (their
#     interval at T; the host's other jobs are in the history, not checked
#     on the screen, which has room for a few).
#   SOAK_SECONDS=600 tests/soak_history.sh      (not in make test; root, BPF)
# Each job is a cgroup of its own (serve -g cgroup2) in which one churn runs.
set -eu
OUTPUT=${OUTPUT:-.output}
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_AFTER=${SOAK_AFTER:-60}
PYTHON=${PYTHON:-/usr/bin/python3}
jt=$OUTPUT/jobtrace
churn=$OUTPUT/churn
[ "$(id -u)" = 0 ] || { echo "soak_history: needs root (BPF)" >&2; exit 2; }
[ -x "$jt" ] && [ -x "$churn" ] || { echo "soak_history: build first: make all" >&2; exit 2; }
dir=$(mktemp -d /tmp/jobtrace-soak-history-XXXXXX)
# Where cgroup v2 is mounted: /sys/fs/cgroup, or .../unified beside v1's.
cg=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
[ -n "$cg" ] || { echo "soak_history: no cgroup2 filesystem is mounted" >&2; exit 2; }
prefix=jt-soakh-$$
serve_pid= churn_pid=
cleanup() {
	[ -n "$churn_pid" ] && kill "$churn_pid" 2>/dev/null
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
	wait 2>/dev/null || true
	for d in "$cg/$prefix"-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] && echo "soak_history: kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT

serve() { # serve with history and -o $1
	"$jt" serve -g cgroup2 -i 1 --history "$dir/history" -o "$1" 2>>"$dir/serve.err" &
	serve_pid=$!
	for _ in $(seq 100); do
		grep -q 'jobtrace: serving' "$dir/serve.err" 2>/dev/null && return
		sleep 0.1
	done
	echo "soak_history: serve did not start" >&2
	cat "$dir/serve.err" >&2
	exit 1
}

# Churn without end, a job (cgroup) a batch that waits 1.5 s (a job alive
# across passes), then short children, orphans, execs,
# failures and kills, as a build host has them.
churn_loop() {
	n=0
	while :; do
		n=$((n + 1))
		mkdir -p "$cg/$prefix-$n"
		sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" --children 300 --orphans 10 \
			--exec 20 --fail 15 --kill 5 --concurrency 2 --varied --delay-ms 1500' \
			sh "$cg/$prefix-$n" "$churn" >/dev/null 2>&1 || true
		sleep 0.2
		rmdir "$cg/$prefix-$n" 2>/dev/null || true
	done
}

t0=$(date +%s.%N)
serve "$dir/out1.jsonl"
sleep 2
churn_loop &
churn_pid=$!
echo "soak_history: serve under churn for $SOAK_SECONDS s (history in $dir/history)"
sleep "$SOAK_SECONDS"
kill -0 "$serve_pid" || { echo "soak_history: serve died" >&2; cat "$dir/serve.err" >&2; exit 1; }
kill -9 "$serve_pid"
t_kill=$(date +%s.%N)
wait "$serve_pid" 2>/dev/null || true
serve_pid=
echo "soak_history: killed -9 at $t_kill; restarted"
serve "$dir/out2.jsonl"
sleep "$SOAK_AFTER"
kill "$churn_pid"
wait "$churn_pid" 2>/dev/null || true
churn_pid=
sleep 3
kill "$serve_pid"
wait "$serve_pid" || { echo "soak_history: serve exited $?" >&2; exit 1; }
serve_pid=
t_end=$(date +%s.%N)

"$jt" history --json --since "$t0" --until "$t_end" "$dir/history" >"$dir/history.jsonl"
"$PYTHON" tests/schema/validate.py "$dir/history.jsonl"
ls -l "$dir/history" | tail -n +2 | awk '{s += $5; n++} END {printf "soak_history: %d files, %.1f MB\n", n, s / 1e6}'

"$PYTHON" - "$dir" "$t0" "$t_kill" "$prefix" "$jt" <<'EOF'
import json, subprocess, sys
d, t0, t_kill, prefix, jt = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], \
    sys.argv[5]

def lines(path):
    with open(path) as f:
        for l in f:
            try:
                yield json.loads(l)
            except ValueError:
                pass  # the line a kill -9 cut in -o

exits, jobs, spans = {}, set(), {}
for n in (1, 2):
    for r in lines(f"{d}/out{n}.jsonl"):
        if r["type"] == "exit":
            exits[(r["pid"], r["start_ns"])] = (n, r["time"], r["job"])
        elif r["type"] == "job":
            jobs.add((r["job"]["key"], r["time"]))
        elif r["type"] == "interval" and n == 1 and prefix in r["job"]:
            spans.setdefault(r["job"], []).append((r["time"] - r["interval_s"], r["time"]))
# The moment for the replay: in the middle of the first run, where -o's
# intervals say a job was alive for the second before it and at it (the
# host tick the replay draws is in that second: a job that started or ended
# between that tick and T is not in the frame, rightly).
covers = lambda js, x: any(a <= x <= b for a, b in js)
mid = (t0 + t_kill) / 2
cands = sorted((abs(a + 1.5 - mid), a + 1.5) for js in spans.values() for a, b in js
               if b - a > 0.5 and t0 < a + 1.5 < t_kill - 2)
t_at = next((t for _, t in cands if any(covers(js, t - 1.0) and covers(js, t)
                                        for js in spans.values())), mid)
alive = {j for j, js in spans.items() if covers(js, t_at - 1.0) and covers(js, t_at)}
with open(f"{d}/replay.txt", "w") as out:
    subprocess.run([jt, "top", "--replay", "--batch", "-n", "1", "-w", "200", "-f", prefix,
                    "--at", f"{t_at:.3f}", f"{d}/history"], stdout=out, check=True)
h_exits, h_jobs = set(), set()
for r in lines(f"{d}/history.jsonl"):
    if r["type"] == "exit":
        h_exits.add((r["pid"], r["start_ns"]))
    elif r["type"] == "job":
        h_jobs.add((r["job"]["key"], r["time"]))
missing = [v for k, v in exits.items() if k not in h_exits]
late = [m for m in missing if not (m[0] == 1 and t_kill - 2 <= m[1] <= t_kill)]
jobs_missing = [j for j in jobs if j not in h_jobs]
jobs_late = [j for j in jobs_missing if not t_kill - 2 <= j[1] <= t_kill]
replay = open(f"{d}/replay.txt").read()
not_shown = [k for k in alive if k.split("/")[-1] not in replay]
print(f"soak_history: -o carried {len(exits)} process records and {len(jobs)} job lines; "
      f"history has {len(h_exits)} and {len(h_jobs)}")
print(f"soak_history: not in the history: {len(missing)} process records and "
      f"{len(jobs_missing)} job lines of the pass the kill -9 landed in (within 2 s of it), "
      f"{len(late)} and {len(jobs_late)} others")
print(f"soak_history: top --replay --at {t_at:.0f}: {len(alive) - len(not_shown)} of the "
      f"{len(alive)} jobs alive then shown")
bad = late or jobs_late or not_shown or not alive or not exits
if bad:
    print("soak_history: FAIL", late[:5], jobs_late[:5], not_shown[:5])
    sys.exit(1)
print("soak_history: OK")
EOF
