#!/bin/bash
# serve keeping JOBS ended jobs (one /bin/true in a session each, -g
# session), scraped by CLIENTS curl loops (OpenMetrics, gzip) for SECONDS:
# serve's own CPU per scrape, from /proc/PID/stat, and the scrapes made.
# With BASE=path/to/jobtrace, the same for that build, in the same run.
#   tests/bench_scrape_flood.sh [OUTPUT]
set -u
OUTPUT=${1:-.output}
JOBS=${JOBS:-1500} CLIENTS=${CLIENTS:-4} SECONDS_=${SECONDS_:-6}
PORT=${PORT:-19631}
stream=/dev/shm/jobtrace-bench-flood.stream

flood() {
	local jt=$1 err s t0 t1 n body pids=""
	err=$(mktemp)
	"$jt" serve --config /dev/null -g session -i 0.5 --metrics-keep 900 \
		--listen 127.0.0.1:$PORT --stream $stream >/dev/null 2>"$err" &
	s=$!
	for _ in $(seq 100); do grep -q "serving" "$err" && break; sleep 0.1; done
	for _ in $(seq "$JOBS"); do setsid /bin/true; done
	sleep 2
	body=$(curl -s -H 'Accept: application/openmetrics-text' "http://127.0.0.1:$PORT/metrics" | wc -c)
	t0=$(awk '{print $14 + $15}' /proc/$s/stat)
	for k in $(seq "$CLIENTS"); do
		(
			end=$((SECONDS + SECONDS_)) n=0
			while [ $SECONDS -lt $end ]; do
				curl -s -H 'Accept-Encoding: gzip' \
					-H 'Accept: application/openmetrics-text' -o /dev/null \
					"http://127.0.0.1:$PORT/metrics"
				n=$((n + 1))
			done
			echo $n >"$err.$k"
		) &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	t1=$(awk '{print $14 + $15}' /proc/$s/stat)
	n=$(cat "$err".* | paste -sd+ | bc)
	kill $s
	wait $s 2>/dev/null
	rm -f "$err" "$err".* $stream $stream.lock
	printf '  %-40s %7d B body %5d scrapes  serve %6d ms CPU  %7.2f ms a scrape\n' \
		"$jt" "$body" "$n" $(((t1 - t0) * 1000 / $(getconf CLK_TCK))) \
		"$(echo "scale=3; ($t1 - $t0) * 1000 / $(getconf CLK_TCK) / $n" | bc)"
}

echo "serve keeping $JOBS ended jobs, $CLIENTS clients scraping /metrics for ${SECONDS_} s:"
flood "$OUTPUT/jobtrace"
[ -n "${BASE:-}" ] && flood "$BASE"
exit 0
