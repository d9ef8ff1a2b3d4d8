#!/bin/bash
# A single-node Slurm for the sweep test, in a scratch folder, as root on localhost:
#   slurm-node.sh start DIR    write DIR/slurm.conf, start munged, slurmctld and slurmd; wait until the node is idle
#   slurm-node.sh stop DIR     stop the daemons started from DIR (by their pid files) and remove the pid files
# Client commands find the cluster with SLURM_CONF=DIR/slurm.conf. Needs Debian's slurmctld, slurmd, slurm-client
# and munge (`make test` installs them).
set -euo pipefail
cmd=$1; dir=$(realpath -m "$2")
case $cmd in
start)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=papertest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=3600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  mkdir -p /run/munge && chown munge:munge /run/munge
  # The daemons start with none of this script's descriptors. Foundation's Process (the test runs this script
  # with it) learns that its child has exited when a socket it handed down closes: a daemon that inherited that
  # socket keeps it open, and the test would wait for ever on a script that has long exited.
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec </dev/null >/dev/null 2>&1
    # A daemon that fails to start is reported below (munge -n, then the node never idle), not here.
    timeout 10 munge -n </dev/null >/dev/null 2>&1 || runuser -u munge -- munged --force || true
    slurmctld -f "$dir/slurm.conf" || true
    slurmd -f "$dir/slurm.conf" || true
  )
  timeout 10 munge -n </dev/null >/dev/null || { echo "munged did not start; see /var/log/munge/munged.log" >&2; exit 1; }
  deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if timeout 5 sinfo -h -o '%t' 2>/dev/null | grep -q idle; then exit 0; fi
    sleep 0.5
  done
  echo "the Slurm node did not become idle in 60 s; logs in $dir/log" >&2
  exit 1
  ;;
stop)
  # SIGTERM, then SIGKILL for a daemon still there after 5 s: a slurmd left behind would hold the node's port.
  for d in slurmd slurmctld; do
    pids=$( { cat "$dir/$d.pid" 2>/dev/null || true; pgrep -f "^$d -f $dir/slurm.conf" || true; } | sort -u)
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
      alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
      [ -z "$alive" ] && break; sleep 0.1
    done
    for p in $alive; do kill -9 "$p" 2>/dev/null || true; done
    rm -f "$dir/$d.pid"
  done
  ;;
*) echo "usage: slurm-node.sh start|stop DIR" >&2; exit 2 ;;
esac
