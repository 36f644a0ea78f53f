# Sourced by the benches that read bpf_stats (bench_bpf.sh, bench_switch.sh):
# which programs a process holds, their run counts and times, and a wait for
# a collector's "attached" line.

# The programs process $1 holds: a prog fd or a link fd says its prog_id.
prog_ids() { cat /proc/$1/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" {print $2}' | sort -u | tr '\n' ' '; }

# "id name run_cnt run_time_ns" for each of the programs $1 names.
stats() {
	bpftool prog show --json | python3 -c '
import json,sys
want=set(map(int,sys.argv[1].split()))
for x in json.load(sys.stdin):
    if x["id"] in want:
        print(x["id"], x.get("name","?"), x.get("run_cnt",0), x.get("run_time_ns",0))' "$1"
}

# Until file $1 holds text $2; exits (with the file shown) if process $3 ends first.
wait_for() {
	until grep -q "$2" "$1"; do
		kill -0 $3 2>/dev/null || { cat "$1" >&2; exit 1; }
		sleep 0.1
	done
}
