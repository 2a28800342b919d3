#!/bin/sh
# A real one-node Slurm on this machine, from Debian's packages (slurmctld,
# slurmd, slurm-client, munge), without systemd: what `curate slurm` is tested
# on, and a way to try it without a cluster.
#
#   scripts/slurm-local.sh start  [DIR]   start munged, slurmctld and slurmd; wait for the node
#   scripts/slurm-local.sh stop   [DIR]   stop the daemons started in DIR, by their PIDs
#   scripts/slurm-local.sh status [DIR]   which of them run; the node and the queue
#   scripts/slurm-local.sh env    [DIR]   the line that points Slurm's commands at DIR
#
# DIR (default /tmp/curate-slurm) holds everything: slurm.conf, cgroup.conf, a
# private munge key and socket, state, spool, logs, PID files. It must be a
# short path (at most 60 characters: Unix socket paths are limited to 108
# bytes). After `start`, run Slurm's commands with SLURM_CONF=DIR/slurm.conf
# (`eval "$(scripts/slurm-local.sh env DIR)"`). Needs root: slurmd launches
# jobs as the submitting user, and munged checks its files' owner.
#
# Every setting below was needed on Debian 12 (Slurm 22.05) without systemd:
# - proctrack/linuxproc and task/none: the cgroup defaults make every job step
#   fail; slurmd loads a cgroup plugin all the same, so cgroup.conf names
#   cgroup/v1 (autodetection fails).
# - No slurmdbd: accounting and job accounting off, jobcomp/filetxt keeps the
#   exit codes of finished jobs.
# - batch_sched_delay=0 starts batch jobs within about a second;
#   kill_invalid_depend (its own line in 22.05: under SchedulerParameters it is
#   ignored) cancels a chain whose dependency failed instead of leaving it
#   pending forever.
# - select/cons_tres with CR_CPU: each array task takes its CPUs, memory is
#   not a consumable resource on a shared machine.
set -eu

die() { echo "slurm-local: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-/tmp/curate-slurm}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
[ ${#dir} -le 60 ] || die "state directory '$dir' is longer than 60 characters (socket paths are limited to 108 bytes)"

conf=$dir/slurm.conf
DAEMONS="slurmd slurmctld munged"

pid_of() { # pid_of NAME: the PID from DIR/NAME.pid if that process still runs
	[ -f "$dir/$1.pid" ] || return 1
	p=$(cat "$dir/$1.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

# free_port FROM: the first TCP port at or after FROM that nobody listens on
# (from /proc/net/tcp*: state 0A is LISTEN; no iproute2 needed).
free_port() {
	awk -v from="$1" '
		function hex(s, i, n) {
			for (i = 1; i <= length(s); i++)
				n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
			return n
		}
		FNR > 1 && $4 == "0A" { n = split($2, a, ":"); busy[hex(a[n])] = 1 }
		END { p = from; while (p in busy) p++; print p }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

write_conf() { # write_conf CTLD_PORT SLURMD_PORT
	# The node as slurmd sees it, under the name localhost.
	node=$(slurmd -C | sed -n 's/^NodeName=[^ ]* \(.*\)/\1/p' | sed 's/ *UpTime=.*//')
	[ -n "$node" ] || die "slurmd -C gave no node line"
	cat >"$conf" <<EOF
ClusterName=curate
SlurmctldHost=localhost
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	echo "CgroupPlugin=cgroup/v1" >"$dir/cgroup.conf"
}

# wait_for WHAT SECONDS COMMAND...: poll COMMAND every 0.1 s.
wait_for() {
	what=$1 n=$(($2 * 10))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
	[ -n "$what" ]
}

node_ready() {
	SLURM_CONF=$conf sinfo -h -n localhost -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'
}

start() {
	[ "$(id -u)" = 0 ] || die "needs root (slurmd launches jobs; munged checks its files' owner)"
	for b in munged mungekey slurmctld slurmd sinfo; do
		command -v "$b" >/dev/null || die "'$b' not found: apt-get install slurmctld slurmd slurm-client munge"
	done
	for d in $DAEMONS; do
		! pid_of "$d" >/dev/null || die "$d already runs from $dir (pid $(pid_of "$d")); stop it first"
	done
	# munged refuses a key or socket whose directories are writable by group
	# or others (sticky /tmp excepted), so DIR is 0755 and ours.
	mkdir -p "$dir"
	chmod 0755 "$dir"
	mkdir -p "$dir/state" "$dir/spool"
	rm -f "$dir/munge.socket" "$dir/munge.socket.lock"
	[ -f "$dir/munge.key" ] || mungekey -c -k "$dir/munge.key"
	munged --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
		--pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
		--seed-file="$dir/munged.seed"
	wait_for munged 10 test -S "$dir/munge.socket" || die "munged did not start; see $dir/munged.log"

	# Two instances on one machine (tests of several checkouts) must not
	# take the same ports: choose them under a lock, and hold it until the
	# daemons listen.
	exec 9>/tmp/.curate-slurm-ports.lock
	flock 9
	ctld_port=$(free_port 6817)
	slurmd_port=$(free_port $((ctld_port + 1)))
	write_conf "$ctld_port" "$slurmd_port"
	SLURM_CONF=$conf slurmctld -c -f "$conf"
	wait_for slurmctld 15 pid_of slurmctld || die "slurmctld did not start; see $dir/slurmctld.log"
	SLURM_CONF=$conf slurmd -N localhost -f "$conf"
	wait_for slurmd 15 pid_of slurmd || die "slurmd did not start; see $dir/slurmd.log"
	if ! wait_for node 30 node_ready; then
		stop
		die "the node did not come up; see $dir/slurmctld.log and $dir/slurmd.log"
	fi
	flock -u 9
	echo "slurm-local: one-node Slurm up in $dir (slurmctld port $ctld_port, slurmd port $slurmd_port)" >&2
	echo "export SLURM_CONF=$conf"
}

# Stop what DIR's PID files name (only processes that still run), newest
# first, and wait for each to exit; SIGKILL after 10 s.
stop() {
	for d in $DAEMONS; do
		p=$(pid_of "$d") || continue
		kill "$p" 2>/dev/null || true
		n=100
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
		rm -f "$dir/$d.pid"
	done
}

status() {
	rc=0
	for d in munged slurmctld slurmd; do
		if p=$(pid_of "$d"); then
			echo "$d: running (pid $p)"
		else
			echo "$d: not running"
			rc=1
		fi
	done
	if [ $rc = 0 ]; then
		SLURM_CONF=$conf sinfo -N -o "%N %t %c %m" || rc=1
		SLURM_CONF=$conf squeue || rc=1
	fi
	return $rc
}

case $cmd in
start) start ;;
stop) stop ;;
status) status ;;
env) echo "export SLURM_CONF=$conf" ;;
*) sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
