#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs each fuzz target for FUZZ_SECONDS over a scratch corpus seeded from
# tests/fixtures (tests/fuzz/seeds.py), never over the fixtures themselves.
# Called by `make fuzz`: run.sh OUTPUT TARGET...
# A crash leaves its input in OUTPUT/fuzz/artifacts/TARGET/ and fails the run
# after every target had its turn; one line per target says its executions.
set -u
out=$1
shift
secs=${FUZZ_SECONDS:-20}
here=$(dirname "$0")
failed=""
total=0
for bin in "$@"; do
	t=$(basename "$bin")
	corpus=$out/fuzz/corpus/$t
	seeds=$out/fuzz/seeds/$t
	art=$out/fuzz/artifacts/$t
	log=$out/fuzz/logs/$t.log
	mkdir -p "$corpus" "$art" "$(dirname "$log")"
	rm -rf "$seeds"
	python3 "$here/seeds.py" "$t" "$seeds" >/dev/null || exit 1
	# The corpus it grows goes first (libFuzzer writes new inputs there);
	# the seeds are read-only input. -timeout: a parser that spins is a bug too.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=${execs:-0}
	total=$((total + execs))
	if [ $rc -eq 0 ]; then
		printf '  FUZZ     %-22s %10s execs in %ss, no crash\n' "$t" "$execs" "$secs"
	else
		printf '  FUZZ     %-22s %10s execs: FAILED (rc %d), see %s and %s\n' \
			"$t" "$execs" "$rc" "$log" "$art" >&2
		failed="$failed $t"
	fi
done
echo "fuzz: $total executions over $# targets"
if [ -n "$failed" ]; then
	echo "jobtrace: fuzzing found crashes in:$failed" >&2
	exit 1
fi
