#!/usr/bin/env bash
# Issue 18's figures at scale, for the lent many-core machine (the `device`
# tool: no network there, so what runs is carried from here).
#
# Here, after `make all`:
#   tests/bench_device.sh prepare [BASE_BINARY]
# copies the shared libraries jobtrace, churn, pingpong and bpf_floor link
# (all but libc's own), and bpftool with its libraries, into
# $OUTPUT/device/lib and $OUTPUT/device/bin; BASE_BINARY (an older build's
# jobtrace, to stand beside this one) into $OUTPUT/device/base/jobtrace.
# Then carry $OUTPUT/jobtrace, churn, pingpong, bpf_floor and
# $OUTPUT/device, and there run:
#   tests/bench_device.sh run
# which prints, for this build and the base side by side where there is one:
#   1. BPF time per tracked process (bpf_stats), host mode and a followed
#      job, under FORKERS churns at once (default: one per CPU) and the
#      fork rate they reach;
#   2. jobtrace's own CPU per tracked process under the same churn;
#   3. the pingpong switch cost, alone, in host mode, under run, and with an
#      empty sched_switch program (the floor any program costs);
#   4. host mode with HOLD (default 50,000) live processes: its CPU a
#      second and its RSS.
# Each part is the bench make bench runs here, at the device's scale; the
# same command repeats the run. Needs root and python3 (no psutil).
set -eu
OUTPUT=${OUTPUT:-.output}
dev=$OUTPUT/device
cmd=${1:-}

# The libraries @1 loads, but the C library's own (every machine has one).
libs_of() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
		grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' || true
}

case $cmd in
prepare)
	for b in jobtrace churn pingpong bpf_floor; do
		[ -x "$OUTPUT/$b" ] || { echo "bench_device: build first: make all ($OUTPUT/$b)" >&2; exit 2; }
	done
	rm -rf "$dev"
	mkdir -p "$dev/lib" "$dev/bin"
	bpftool=$(command -v bpftool || true)
	[ -n "$bpftool" ] || { echo "bench_device: no bpftool here (make deps installs it)" >&2; exit 2; }
	cp "$bpftool" "$dev/bin/"
	for b in "$OUTPUT/jobtrace" "$OUTPUT/churn" "$OUTPUT/pingpong" "$OUTPUT/bpf_floor" "$bpftool" \
		${2:+"$2"}; do
		for l in $(libs_of "$b"); do cp -L "$l" "$dev/lib/"; done
	done
	if [ -n "${2:-}" ]; then
		mkdir -p "$dev/base"
		cp "$2" "$dev/base/jobtrace"
	fi
	du -sh "$dev"
	echo "carry: $OUTPUT/jobtrace $OUTPUT/churn $OUTPUT/pingpong $OUTPUT/bpf_floor $dev"
	;;
run)
	[ "$(id -u)" = 0 ] || { echo "bench_device: needs root (BPF)" >&2; exit 2; }
	command -v python3 >/dev/null || { echo "bench_device: needs python3" >&2; exit 2; }
	[ -d "$dev/lib" ] && export LD_LIBRARY_PATH=$dev/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	[ -d "$dev/bin" ] && export PATH=$dev/bin:$PATH
	# bpf_stats, tracefs and bpffs: mounted here if the machine has not.
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
	cpus=$(nproc)
	FORKERS=${FORKERS:-$cpus}
	N=${N:-$((20000 * FORKERS))}
	HOLD=${HOLD:-50000}
	base=""
	[ -x "$dev/base/jobtrace" ] && base=$dev/base/jobtrace
	echo "machine: $cpus CPUs, $(uname -r); $FORKERS forkers, $N processes a churn, $HOLD held"
	echo
	echo "1. BPF time per tracked process (bpf_stats), host mode (watch --all --group-by tree):"
	BASE=$base FORKERS=$FORKERS CONCURRENCY=${CONCURRENCY:-4} N=$N RUNS=${RUNS:-3} \
		OUTPUT=$OUTPUT tests/bench_bpf.sh
	echo "   a followed job (watch --pid, as run follows its command):"
	BASE=$base FORKERS=$FORKERS CONCURRENCY=${CONCURRENCY:-4} N=$N RUNS=${RUNS:-3} \
		MODE="--pid SELF" OUTPUT=$OUTPUT tests/bench_bpf.sh
	echo
	echo "2. jobtrace's own cost (start-up, CPU per process under the churn, ps with $HOLD held):"
	BASE=$base FORKERS=$FORKERS CHILDREN=$N HOLD=$HOLD RUNS=${STARTUP_RUNS:-5} \
		python3 tests/bench_startup.py "$OUTPUT"
	echo
	echo "3 and 4. pingpong's switch cost; host mode's CPU and RSS with $HOLD more processes:"
	work=$(mktemp -d /tmp/jobtrace-bench-device-XXXXXX)
	# One forker per churn there: its 20,000 children, not all forkers' N.
	CHILDREN=${HOST_CHILDREN:-20000} CONCURRENCY=${CONCURRENCY:-4} HOLD=$HOLD \
		HOST_RUNS=${HOST_RUNS:-3} python3 tests/bench_host.py "$OUTPUT" "$work"
	rm -rf "$work"
	;;
*)
	echo "usage: tests/bench_device.sh prepare [BASE_BINARY] | run" >&2
	exit 2
	;;
esac
