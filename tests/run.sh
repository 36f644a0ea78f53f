#!/usr/bin/env bash
# Runs the built test binaries and ends with one "N passed, N failed" line.
#   tests/run.sh            unit (ASan+UBSan), valgrind, kernel, kernel-nobpf, kernel-san
#   tests/run.sh unit|valgrind|kernel|kernel-nobpf|kernel-san
# Kernel tests need root and BPF; under CI=true they fail rather than skip.
# kernel-san runs kernel tests, built with ASan+UBSan, against the ASan+UBSan
# jobtrace ($OUTPUT/san); any sanitizer report from either fails. It runs
# SAN_KERNEL_TESTS: by default the ones that drive every command through
# its error paths and are not timed (the timed ones, slower under ASan, fail
# on a loaded machine for want of speed, not of correctness); "all" for all.
set -u
OUTPUT=${OUTPUT:-.output}
what=${1:-all}
passed=0
failed=0
skipped=0
failures=()
fail_lines=()
skipped_names=()

# Counts what one binary's output (in @file) says: label, exit status, seconds, file.
account() {
	local label=$1 rc=$2 secs=$3 file=$4 n_pass n_fail why
	sed "s|^|[$label] |" "$file"
	# What each binary costs the suite's wall time (make test has a budget).
	printf '[%s] took %d s\n' "$label" "$secs"
	n_pass=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$file" | tail -1)
	n_fail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$file" | tail -1)
	passed=$((passed + ${n_pass:-0}))
	failed=$((failed + ${n_fail:-0}))
	if [ "$rc" -ne 0 ]; then
		failures+=("$label (exit $rc)")
		# What failed, again at the end: a log read from its tail (CI's
		# is) would otherwise name the binary and not the test or why.
		# cmocka's first line of each failure and where, cut short; else
		# (a crash) the binary's last lines. Bytes as they are (a test
		# prints invalid UTF-8), and not only at a line's start: cmocka's
		# stderr can follow a test's unended stdout on one line.
		why=$(LC_ALL=C grep -a -oE '\[  (ERROR|FAILED) +\] .*|\[   LINE   \] .*' "$file" |
			LC_ALL=C grep -av 'test(s), listed below' | awk '!seen[$0]++' | head -8)
		[ -n "$why" ] || why=$(tail -3 "$file")
		[ -z "$why" ] ||
			fail_lines+=("$(printf '%s\n' "$why" | LC_ALL=C cut -c1-300 | sed "s|^|[$label] |")")
		# A crash or a sanitizer report counts as a failure even when no
		# cmocka summary said so.
		[ -n "${n_fail:-}" ] && [ "${n_fail:-0}" -gt 0 ] || failed=$((failed + 1))
	fi
}

run_one() { # label, command...
	local label=$1 out rc t0=$SECONDS
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	account "$label" "$rc" $((SECONDS - t0)) "$out"
	rm -f "$out"
}

# Binaries that spend their time waiting on another daemon's clock (a real
# Prometheus scraping every 5 s, slurmd): they run beside the others, in
# the background, and are counted when the kernel phase ends. Their checks
# do not depend on a quiet host.
BESIDE_TESTS=" test_prometheus test_slurm test_slurm_alloc "
# They make cgroups of their own (test_prometheus 200 in cgroup2): a test
# that needs the host's cgroups to itself (a job map of two slots) runs
# after they have ended. They start at the head of the run, beside the unit
# and valgrind phases, which touch no cgroup and load no BPF.
# Also those whose figures are the host's (test_capacity bounds each job's
# rates by the host's own counters) or whose source drops under a busy
# host by design (test_procmode: the proc connector's queue): beside
# another test's churn they measure that test. test_host_grouping: the
# grouping watch --all picks is made from where the host's processes are,
# which a test beside it putting a child in a cgroup changes.
QUIET_TESTS=" test_limits test_capacity test_procmode test_host_grouping "
beside_dir=""
# Runs label's command in the background, its output and its exit status
# and seconds in @dir; collect() accounts for them once they have ended.
run_bg() { # dir, label, command...
	local dir=$1 label=$2 n
	shift 2
	n=$(printf '%s' "$label" | tr -c 'a-zA-Z0-9_' '_')
	printf '%s\n' "$label" >"$dir/$n.label"
	bg_rc="$dir/$n.rc"
	(
		t0=$SECONDS
		"$@" >"$dir/$n.out" 2>&1
		echo "$? $((SECONDS - t0))" >"$dir/$n.rc"
	) &
}
collect() { # dir, label suffix
	local f n rc secs
	for f in "$1"/*.label; do
		[ -e "$f" ] || continue
		n=${f%.label}
		read -r rc secs <"$n.rc"
		account "$(cat "$f")$2" "$rc" "$secs" "$n.out"
	done
	rm -rf "$1"
}
start_beside() { # label, command...
	[ -n "$beside_dir" ] || beside_dir=$(mktemp -d /tmp/jobtrace-beside.XXXXXX)
	run_bg "$beside_dir" "$@"
}
finish_beside() {
	[ -n "$beside_dir" ] || return 0
	wait
	collect "$beside_dir" " (beside)"
	beside_dir=""
}

if [ "$what" = all ] || [ "$what" = kernel ]; then
	# Can BPF load here? Under CI=true it must (the kernel tests then fail,
	# never skip); elsewhere a machine without it runs what does not need it
	# and says plainly what it did not run and why.
	bpf_err=$(mktemp)
	bpf=yes
	"$OUTPUT/jobtrace" run --mode bpf -- /bin/true >/dev/null 2>"$bpf_err" || bpf=no
	# (Where BPF cannot load they are skipped with the others, in the loop.)
	if [ "$bpf" = yes ] || [ "${CI:-}" = true ]; then
		for name in $BESIDE_TESTS; do
			[ -x "$OUTPUT/tests/$name" ] || continue
			start_beside "kernel $name" env OUTPUT="$OUTPUT" "$OUTPUT/tests/$name"
		done
	fi
fi

# Kernel test binaries run KERNEL_JOBS at a time (3 by default; 1 runs them
# one by one): most of their time is spent waiting for a job's intervals,
# a daemon's reply or a process's end, not on a CPU (on this project's
# 2-CPU machine the kernel phase took 235 s in two lanes, 184 s in three). Each binary makes its
# own cgroups, jobs and files; the ones that need the host to themselves
# (QUIET_TESTS) run alone, last. The unit binaries (ASan, then valgrind)
# run UNIT_JOBS at a time (as many as the CPUs by default): pure code over
# fixtures, each its own temporary files and sockets (named by its pid),
# nothing of the host's but CPU.
KERNEL_JOBS=${KERNEL_JOBS:-3}
UNIT_JOBS=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 1)}
lane_dir=""
lane_pids=()
lane_rcs=()
start_lane() { # label, command... (at most $lanes at a time: KERNEL_JOBS unless set)
	[ -n "$lane_dir" ] || lane_dir=$(mktemp -d /tmp/jobtrace-lanes.XXXXXX)
	while [ "$(lanes_running)" -ge "${lanes:-$KERNEL_JOBS}" ]; do
		# 127: no child left to wait for (a lane killed before its .rc).
		wait -n 2>/dev/null
		[ $? -ne 127 ] || break
	done
	run_bg "$lane_dir" "$@"
	lane_pids+=($!)
	lane_rcs+=("$bg_rc")
}
# A lane runs until its .rc is written. Not kill -0 on its pid: once it
# is reaped the pid is anyone's, and a long-lived process that took it
# (the suite forks thousands) held the loop above spinning on a wait
# that returned at once, the run stuck with no test running.
lanes_running() {
	local f k=0
	for f in "${lane_rcs[@]+"${lane_rcs[@]}"}"; do
		[ -e "$f" ] || k=$((k + 1))
	done
	echo "$k"
}
finish_lanes() {
	local p
	[ -n "$lane_dir" ] || return 0
	for p in "${lane_pids[@]+"${lane_pids[@]}"}"; do
		wait "$p" 2>/dev/null
	done
	lane_pids=()
	lane_rcs=()
	collect "$lane_dir" ""
	lane_dir=""
}

# A unit binary in a lane of its own, or alone where UNIT_JOBS is 1.
run_unit() { # label, command...
	if [ "$UNIT_JOBS" -gt 1 ]; then
		lanes=$UNIT_JOBS start_lane "$@"
	else
		run_one "$@"
	fi
}
if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$OUTPUT"/san/tests/test_*; do
		[ -x "$t" ] || continue
		[ -f "tests/unit/$(basename "$t").c" ] || continue
		run_unit "asan $(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = valgrind ]; then
	if command -v valgrind >/dev/null; then
		for t in "$OUTPUT"/tests/test_*; do
			[ -x "$t" ] || continue
			[ -f "tests/unit/$(basename "$t").c" ] || continue
			run_unit "valgrind $(basename "$t")" env JT_UNDER_VALGRIND=1 \
				valgrind -q --error-exitcode=99 \
				--suppressions=tests/valgrind.supp \
				--leak-check=full --errors-for-leak-kinds=definite "$t"
		done
	else
		failures+=("valgrind missing")
		failed=$((failed + 1))
	fi
fi
# The unit lanes' results, before the kernel tests take the lanes.
finish_lanes
# Kernel tests that probe what the machine permits and test every mode it
# has: they run where BPF cannot load too.
ANY_MACHINE_TESTS=" test_modes test_schema "

# The longest kernel binaries (each 35-60 s in a full run here) start
# first: in name order test_watch started last and ran alone in its lane
# for most of a minute while the other lane had nothing left.
SLOW_FIRST="test_watch test_history_serve test_badinput test_top test_schema"
# The kernel binaries, the SLOW_FIRST ones first, then the others in name order.
kernel_bins() {
	local name t
	for name in $SLOW_FIRST; do
		[ -x "$OUTPUT/tests/$name" ] && echo "$OUTPUT/tests/$name"
	done
	for t in "$OUTPUT"/tests/test_*; do
		[[ " $SLOW_FIRST " == *" $(basename "$t") "* ]] || echo "$t"
	done
}

if [ "$what" = all ] || [ "$what" = kernel ]; then
	quiet=()
	mapfile -t bins < <(kernel_bins)
	for t in "${bins[@]}"; do
		[ -x "$t" ] || continue
		[ -f "tests/kernel/$(basename "$t").c" ] || continue
		if [ "$bpf" = no ] && [ "${CI:-}" != true ] &&
			[[ "$ANY_MACHINE_TESTS" != *" $(basename "$t") "* ]]; then
			skipped=$((skipped + 1))
			skipped_names+=("$(basename "$t")")
			continue
		fi
		# Started at the head of the run, above.
		[[ "$BESIDE_TESTS" == *" $(basename "$t") "* ]] && continue
		# A test that needs the host's cgroups to itself runs after all others.
		if [[ "$QUIET_TESTS" == *" $(basename "$t") "* ]]; then
			quiet+=("$t")
			continue
		fi
		if [ "$KERNEL_JOBS" -gt 1 ]; then
			start_lane "kernel $(basename "$t")" env OUTPUT="$OUTPUT" "$t"
		else
			run_one "kernel $(basename "$t")" env OUTPUT="$OUTPUT" "$t"
		fi
	done
	finish_lanes
	finish_beside
	for t in "${quiet[@]+"${quiet[@]}"}"; do
		run_one "kernel $(basename "$t")" env OUTPUT="$OUTPUT" "$t"
	done
	if [ "${#skipped_names[@]}" -gt 0 ]; then
		echo "NOT RUN: ${skipped_names[*]}: they need BPF, which cannot load here:"
		sed 's/^/    /' "$bpf_err"
		echo "    (CI=true makes this a failure)"
	fi
	rm -f "$bpf_err"
fi

# The machine-probing tests again as a machine without BPF runs them (bpf(2)
# refused by seccomp, tests/nobpf.c): the fallbacks and their reports, on
# every machine. CI is unset for them: this part plays another machine.
if [ "$what" = all ] || [ "$what" = kernel-nobpf ]; then
	for name in $ANY_MACHINE_TESTS; do
		t="$OUTPUT/tests/$name"
		[ -x "$t" ] || continue
		run_one "kernel-nobpf $name" "$OUTPUT/nobpf" env -u CI OUTPUT="$OUTPUT" "$t"
	done
fi

if [ "$what" = all ] || [ "$what" = kernel-san ]; then
	# Reports go to files, not only to stderr: a jobtrace the test runs may
	# have its stderr captured, or be expected to fail, and its exit status
	# alone would not tell a sanitizer's error from its own.
	sanlog=$(mktemp -d /tmp/jobtrace-san.XXXXXX)
	san_names=()
	san_quiet=()
	for t in "$OUTPUT"/san/tests/test_*; do
		[ -x "$t" ] || continue
		[ -f "tests/kernel/$(basename "$t").c" ] || continue
		case " ${SAN_KERNEL_TESTS:-test_badinput test_cli test_inspect_cli test_ps_iter test_limits test_modes} " in
		*" all "* | *" $(basename "$t") "*) ;;
		*) continue ;;
		esac
		# Each binary's reports in a folder of its own: they may run at once.
		name=$(basename "$t")
		mkdir "$sanlog/$name"
		san_names+=("$name")
		set -- env OUTPUT="$OUTPUT/san" \
			ASAN_OPTIONS="detect_leaks=1:log_path=$sanlog/$name/asan" \
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$sanlog/$name/ubsan" "$t"
		if [ "$KERNEL_JOBS" -gt 1 ] && [[ "$QUIET_TESTS" != *" $name "* ]]; then
			start_lane "kernel-san $name" "$@"
		elif [ "$KERNEL_JOBS" -gt 1 ]; then
			# After the lanes, alone: run now, it waited for test_badinput's 44 s.
			san_quiet+=("$name")
		else
			run_one "kernel-san $name" "$@"
		fi
	done
	finish_lanes
	for name in "${san_quiet[@]+"${san_quiet[@]}"}"; do
		run_one "kernel-san $name" env OUTPUT="$OUTPUT/san" \
			ASAN_OPTIONS="detect_leaks=1:log_path=$sanlog/$name/asan" \
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$sanlog/$name/ubsan" \
			"$OUTPUT/san/tests/$name"
	done
	for name in "${san_names[@]+"${san_names[@]}"}"; do
		label="kernel-san $name"
		if compgen -G "$sanlog/$name/*" >/dev/null; then
			for r in "$sanlog/$name"/*; do
				sed "s|^|[$label] |" "$r"
			done
			failures+=("$label (sanitizer report)")
			fail_lines+=("$(cat "$sanlog/$name"/* | LC_ALL=C grep -a '^SUMMARY' | head -4 |
				LC_ALL=C cut -c1-300 | sed "s|^|[$label] |")")
			failed=$((failed + 1))
		fi
	done
	rm -rf "$sanlog"
fi

for f in "${fail_lines[@]+"${fail_lines[@]}"}"; do
	[ -n "$f" ] && printf '%s\n' "$f"
done
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "FAILED: $f"
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
