#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A single-node Slurm cluster in a scratch directory, from Debian's packages,
# for tests/kernel/test_slurm.c and tests/bench_slurm.py (facts:
# ../shared/reference/slurm-lab.md).
#   lab.sh start LAB PLUGIN_SO PLUGSTACK_ARGS...   munged, [mariadbd, slurmdbd,] slurmctld -D,
#                                                   slurmd -D; waits for idle
#   lab.sh stop LAB                                 stops them by their recorded pids
# Environment of start: LAB_GATHER=cgroup|linux (jobacct_gather, default cgroup),
# LAB_PROCTRACK=cgroup|linuxproc (default cgroup), LAB_DBD=1 (slurmdbd with MariaDB, so
# sacct has the steps), LAB_TASK=cgroup (task/cgroup, limits enforced: ConstrainRAMSpace
# and ConstrainCores; default task/none), LAB_SELECT=CR_Core_Memory (memory a consumable;
# default CR_Core), LAB_NODES=2 (a second slurmd on this host, NODE2 on SLURMD2_PORT: a
# two-node cluster, as Debian's --enable-multiple-slurmd build allows).
# A lab that is stopped and started again keeps its ports and node.
# Every client needs SLURM_CONF=LAB/etc/slurm.conf. LAB/etc/lab.env says the node's name
# and the ports (NODE, SLURMCTLD_PORT, SLURMD_PORT, DBD_PORT, DB_PORT, SPARE_PORT: one for
# the caller, such as serve's --listen).
set -eu
cmd=$1 LAB=$2

port_free()
{
	! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Six free ports in a row and a node name of their own: two labs on one host
# (two checkouts' tests) must not share slurmd's port or its cgroups
# (/slurm_<node>/uid_<U>/job_<N>, and job ids start at 1 in every lab).
choose_ports()
{
	base=$((20000 + ($$ % 2000) * 10))
	while :; do
		ok=1
		for i in 0 1 2 3 4 5; do port_free $((base + i)) || { ok=0; break; }; done
		[ $ok = 1 ] && break
		base=$((base + 10)); [ $base -lt 60000 ] || base=20000
	done
	cat > "$LAB/etc/lab.env" <<ENV
NODE=n$base
SLURMCTLD_PORT=$base
SLURMD_PORT=$((base + 1))
DBD_PORT=$((base + 2))
DB_PORT=$((base + 3))
SPARE_PORT=$((base + 4))
NODE2=n${base}b
SLURMD2_PORT=$((base + 5))
ENV
}

wait_for()
{
	what=$1 tries=$2; shift 2
	i=0; until "$@" >/dev/null 2>&1; do
		i=$((i+1)); [ $i -lt "$tries" ] || { echo "lab: $what did not start" >&2; return 1; }
		sleep 0.1
	done
}

start_db()
{
	mkdir -p "$LAB/db"
	if [ ! -d "$LAB/db/mysql" ]; then
		mariadb-install-db --no-defaults --datadir="$LAB/db" --user=root \
			--auth-root-authentication-method=socket >"$LAB/log/mariadb-install.log" 2>&1
	fi
	mariadbd --no-defaults --datadir="$LAB/db" --user=root --socket="$LAB/db/mysqld.sock" \
		--bind-address=127.0.0.1 --port="$DB_PORT" --skip-name-resolve \
		--pid-file="$LAB/db/mariadbd.pid" --log-error="$LAB/log/mariadbd.log" \
		--innodb-buffer-pool-size=64M >/dev/null 2>&1 &
	echo $! > "$LAB/pids/mariadbd.bgpid"
	wait_for mariadbd 300 mariadb --no-defaults -S "$LAB/db/mysqld.sock" -e 'select 1'
	mariadb --no-defaults -S "$LAB/db/mysqld.sock" -e \
		"CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'lab';
		 GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
	umask 077
	cat > "$LAB/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$LAB/munge/munge.sock
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=lab
StorageLoc=slurm_acct_db
PidFile=$LAB/pids/slurmdbd.pid
LogFile=$LAB/log/slurmdbd.log
CONF
	umask 022
	slurmdbd -D >"$LAB/log/slurmdbd.out" 2>&1 &
	echo $! > "$LAB/pids/slurmdbd.bgpid"
	wait_for slurmdbd 300 sacctmgr -n list cluster
	sacctmgr -i add cluster lab >/dev/null 2>&1 || true
}

case $cmd in
start)
	so=$3; shift 3
	mkdir -p "$LAB/etc" "$LAB/munge" "$LAB/state" "$LAB/log" "$LAB/pids"
	[ -f "$LAB/etc/lab.env" ] || choose_ports
	. "$LAB/etc/lab.env"
	mkdir -p "$LAB/spool/$NODE" "$LAB/spool/$NODE2"
	# munged wants its socket directory searchable by all (slurm-lab obstacle 1).
	chmod 755 "$LAB" "$LAB/munge" "$LAB/log"
	[ -f "$LAB/munge/munge.key" ] ||
		mungekey --create --keyfile="$LAB/munge/munge.key" 2>/dev/null ||
		mungekey -c -k "$LAB/munge/munge.key"
	if [ "${LAB_DBD:-0}" = 1 ]; then
		# AuthInfo= does not reach the dbd link: its munged is named here (obstacle 3).
		acct="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$LAB/munge/munge.sock"
	else
		acct="AccountingStorageType=accounting_storage/none"
	fi
	node2= pernode=
	[ "${LAB_NODES:-1}" = 2 ] &&
		node2="NodeName=$NODE2 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$SLURMD2_PORT CPUs=2 RealMemory=2048 State=UNKNOWN" \
		pernode=-%n
	cat > "$LAB/etc/slurm.conf" <<CONF
ClusterName=lab
SlurmctldHost=localhost
SlurmctldPort=$SLURMCTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$LAB/munge/munge.sock
StateSaveLocation=$LAB/state
SlurmdSpoolDir=$LAB/spool/%n
SlurmctldPidFile=$LAB/pids/slurmctld.pid
SlurmdPidFile=$LAB/pids/slurmd$pernode.pid
SlurmctldLogFile=$LAB/log/slurmctld.log
SlurmdLogFile=$LAB/log/slurmd$pernode.log
PlugStackConfig=$LAB/etc/plugstack.conf
ProctrackType=proctrack/${LAB_PROCTRACK:-cgroup}
PrologFlags=Contain
TaskPlugin=task/${LAB_TASK:-none}
SelectType=select/cons_tres
SelectTypeParameters=${LAB_SELECT:-CR_Core}
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/${LAB_GATHER:-cgroup}
JobAcctGatherFrequency=task=1
JobCompType=jobcomp/filetxt
JobCompLoc=$LAB/log/jobcomp.txt
$acct
SchedulerParameters=defer_batch=0
NodeName=$NODE NodeHostname=localhost NodeAddr=127.0.0.1 Port=$SLURMD_PORT CPUs=2 RealMemory=2048 State=UNKNOWN
$node2
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	echo "CgroupPlugin=autodetect" > "$LAB/etc/cgroup.conf"
	[ "${LAB_TASK:-none}" = cgroup ] &&
		printf 'ConstrainCores=yes\nConstrainRAMSpace=yes\nConstrainSwapSpace=yes\nAllowedSwapSpace=0\n' \
			>> "$LAB/etc/cgroup.conf"
	echo "optional $so $*" > "$LAB/etc/plugstack.conf"
	chmod 644 "$LAB/etc/slurm.conf" "$LAB/etc/cgroup.conf" "$LAB/etc/plugstack.conf" \
		"$LAB/etc/lab.env"
	munged -F --key-file="$LAB/munge/munge.key" --socket="$LAB/munge/munge.sock" \
		--pid-file="$LAB/munge/munged.pid" --log-file="$LAB/log/munged.log" \
		--seed-file="$LAB/munge/munged.seed" >/dev/null 2>&1 &
	echo $! > "$LAB/pids/munged.bgpid"
	wait_for munged 100 test -S "$LAB/munge/munge.sock"
	export SLURM_CONF="$LAB/etc/slurm.conf"
	[ "${LAB_DBD:-0}" = 1 ] && start_db
	slurmctld -D -f "$SLURM_CONF" >"$LAB/log/slurmctld.out" 2>&1 &
	echo $! > "$LAB/pids/slurmctld.bgpid"
	slurmd -D -N "$NODE" -f "$SLURM_CONF" >"$LAB/log/slurmd.out" 2>&1 &
	echo $! > "$LAB/pids/slurmd.bgpid"
	want=idle
	if [ "${LAB_NODES:-1}" = 2 ]; then
		slurmd -D -N "$NODE2" -f "$SLURM_CONF" >"$LAB/log/slurmd2.out" 2>&1 &
		echo $! > "$LAB/pids/slurmd2.bgpid"
		want="idle
idle"
	fi
	i=0; until [ "$(sinfo -h -N -o %t 2>/dev/null)" = "$want" ]; do
		i=$((i+1)); [ $i -lt 300 ] || { echo "lab: the node never became idle" >&2; tail -5 "$LAB/log/slurmd.log" >&2; exit 1; }
		sleep 0.1
	done
	;;
stop)
	for d in slurmd slurmd2 slurmctld slurmdbd mariadbd munged; do
		f="$LAB/pids/$d.bgpid"
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null || true
		i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$f"
	done
	# The empty cgroup roots slurmd leaves (slurm-lab.md): this lab's node only.
	if [ -f "$LAB/etc/lab.env" ]; then
		. "$LAB/etc/lab.env"
		for c in /sys/fs/cgroup/*/"slurm_$NODE" /sys/fs/cgroup/*/"slurm_${NODE2:-$NODE}"; do
			[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	fi
	;;
*)
	echo "usage: lab.sh start LAB PLUGIN_SO ARGS... | stop LAB" >&2; exit 2;;
esac
