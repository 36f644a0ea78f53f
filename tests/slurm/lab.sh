#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A single-node Slurm cluster in a scratch directory, from Debian's packages,
# for tests/kernel/test_slurm.c (facts: ../shared/reference/slurm-lab.md).
#   lab.sh start LAB PLUGIN_SO PLUGSTACK_ARGS...   munged, slurmctld -D, slurmd -D; waits for idle
#   lab.sh stop LAB                                 stops them by their recorded pids
# Every client needs SLURM_CONF=LAB/etc/slurm.conf.
set -eu
cmd=$1 LAB=$2
case $cmd in
start)
	so=$3; shift 3
	mkdir -p "$LAB/etc" "$LAB/munge" "$LAB/state" "$LAB/spool/localhost" "$LAB/log" "$LAB/pids"
	# munged wants its socket directory searchable by all (slurm-lab obstacle 1).
	chmod 755 "$LAB" "$LAB/munge" "$LAB/log"
	mungekey --create --keyfile="$LAB/munge/munge.key" 2>/dev/null || mungekey -c -k "$LAB/munge/munge.key"
	cat > "$LAB/etc/slurm.conf" <<CONF
ClusterName=lab
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$LAB/munge/munge.sock
StateSaveLocation=$LAB/state
SlurmdSpoolDir=$LAB/spool/%n
SlurmctldPidFile=$LAB/pids/slurmctld.pid
SlurmdPidFile=$LAB/pids/slurmd.pid
SlurmctldLogFile=$LAB/log/slurmctld.log
SlurmdLogFile=$LAB/log/slurmd.log
PlugStackConfig=$LAB/etc/plugstack.conf
ProctrackType=proctrack/cgroup
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/cgroup
JobAcctGatherFrequency=task=1
JobCompType=jobcomp/filetxt
JobCompLoc=$LAB/log/jobcomp.txt
AccountingStorageType=accounting_storage/none
SchedulerParameters=defer_batch=0
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	echo "CgroupPlugin=autodetect" > "$LAB/etc/cgroup.conf"
	echo "optional $so $*" > "$LAB/etc/plugstack.conf"
	chmod 644 "$LAB/etc/"*
	munged -F --key-file="$LAB/munge/munge.key" --socket="$LAB/munge/munge.sock" \
		--pid-file="$LAB/munge/munged.pid" --log-file="$LAB/log/munged.log" \
		--seed-file="$LAB/munge/munged.seed" >/dev/null 2>&1 &
	echo $! > "$LAB/pids/munged.bgpid"
	i=0; until [ -S "$LAB/munge/munge.sock" ]; do i=$((i+1)); [ $i -lt 100 ] || { echo "lab: munged did not start" >&2; exit 1; }; sleep 0.05; done
	export SLURM_CONF="$LAB/etc/slurm.conf"
	slurmctld -D -f "$SLURM_CONF" >"$LAB/log/slurmctld.out" 2>&1 &
	echo $! > "$LAB/pids/slurmctld.bgpid"
	slurmd -D -N localhost -f "$SLURM_CONF" >"$LAB/log/slurmd.out" 2>&1 &
	echo $! > "$LAB/pids/slurmd.bgpid"
	i=0; until [ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ]; do
		i=$((i+1)); [ $i -lt 300 ] || { echo "lab: the node never became idle" >&2; tail -5 "$LAB/log/slurmd.log" >&2; exit 1; }
		sleep 0.1
	done
	;;
stop)
	for d in slurmd slurmctld munged; do
		f="$LAB/pids/$d.bgpid"
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null || true
		i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$f"
	done
	# The empty cgroup roots slurmd leaves (slurm-lab.md).
	for c in /sys/fs/cgroup/*/slurm_localhost; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	;;
*)
	echo "usage: lab.sh start LAB PLUGIN_SO ARGS... | stop LAB" >&2; exit 2;;
esac
