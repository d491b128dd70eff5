# Rig component: a one-node SLURM cluster (Debian slurm-wlm 22.05 + munge) running on the rig host
# cluster-head: munged, slurmctld and slurmd run inside cluster-head's network, mount and UTS
# namespaces, so `ssh cluster-head sinfo|squeue|sbatch` works and nothing listens in the root namespace.
# Inside cluster-head, /etc/slurm and /run/munge are bind mounts of $RIG_DIR/slurm/{etc,munge-run}.
# Node node1 (slurmd -N node1), partition p.node1; a long job named alphakraken is kept queued/running.
# Needs the ssh component (cluster-head).

SLURM_HOME="$RIG_DIR/slurm"
SLURM_HOST=cluster-head
SLURM_NODE=node1
SLURM_PARTITION=p.node1

_slurm_in() { ssh_host_exec "$SLURM_HOST" "$@"; }

slurm_up() {
  apt_need slurm-wlm munge
  # shellcheck disable=SC1091
  source "$REPO/test/rig/components/ssh.sh"
  daemon_alive "ssh-$SLURM_HOST-holder" || rig_die "host $SLURM_HOST is not running: rig.sh up ssh first"
  mkdir -p "$SLURM_HOME"/{etc,munge-run,munge,state,spool,log}
  chown munge:munge "$SLURM_HOME/munge" "$SLURM_HOME/munge-run"
  chmod 700 "$SLURM_HOME/munge"; chmod 755 "$SLURM_HOME/munge-run"
  if [[ ! -f "$SLURM_HOME/munge/munge.key" ]]; then
    mungekey --create --keyfile="$SLURM_HOME/munge/munge.key" 2>/dev/null \
      || dd if=/dev/urandom of="$SLURM_HOME/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$SLURM_HOME/munge/munge.key"; chmod 400 "$SLURM_HOME/munge/munge.key"
  fi
  local cpus mem
  cpus=$(nproc); mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  cat > "$SLURM_HOME/etc/slurm.conf" <<EOF
# pilothouse rig: one-node cluster on $SLURM_HOST
ClusterName=kraken
SlurmctldHost=$SLURM_HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=/run/munge/munge.socket.2
StateSaveLocation=$SLURM_HOME/state
SlurmdSpoolDir=$SLURM_HOME/spool
SlurmctldPidFile=$SLURM_HOME/slurmctld.pid
SlurmdPidFile=$SLURM_HOME/slurmd.pid
SlurmctldLogFile=$SLURM_HOME/log/slurmctld.log
SlurmdLogFile=$SLURM_HOME/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=$SLURM_NODE NodeHostname=$SLURM_HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$SLURM_PARTITION Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mkdir -p /etc/slurm /run/munge
  if ! _slurm_in mountpoint -q /etc/slurm; then
    _slurm_in mount --bind "$SLURM_HOME/etc" /etc/slurm
    _slurm_in mount --bind "$SLURM_HOME/munge-run" /run/munge
  fi
  local p; p=$(ssh_holder_pid "$SLURM_HOST")
  start_daemon slurm-munged "$SLURM_HOME/log/munged.out" \
    nsenter -t "$p" -m -n -u -- runuser -u munge -- /usr/sbin/munged -F --force \
      --key-file="$SLURM_HOME/munge/munge.key" --socket=/run/munge/munge.socket.2 \
      --pid-file="$SLURM_HOME/munge/munged.pid" --log-file="$SLURM_HOME/log/munged.log" \
      --seed-file="$SLURM_HOME/munge/munged.seed"
  wait_for 15 munged _slurm_in test -S /run/munge/munge.socket.2 || rig_die "munged did not start; see $SLURM_HOME/log/munged.*"
  start_daemon slurm-slurmctld "$SLURM_HOME/log/slurmctld.out" nsenter -t "$p" -m -n -u -- /usr/sbin/slurmctld -D
  start_daemon slurm-slurmd "$SLURM_HOME/log/slurmd.out" nsenter -t "$p" -m -n -u -- /usr/sbin/slurmd -D -N "$SLURM_NODE"
  wait_for 60 "node $SLURM_NODE idle" _slurm_node_ready || rig_die "slurm node not ready; see $SLURM_HOME/log"
  # The long-running alphakraken job (as kraken-read, like the real submit_job.sh).
  if [[ -z $(_slurm_in squeue -h -n alphakraken -o %i) ]]; then
    _slurm_in runuser -u kraken-read -- sbatch --job-name=alphakraken --partition="$SLURM_PARTITION" \
      --chdir=/tmp --output=/tmp/alphakraken-%j.out --time=UNLIMITED --wrap 'echo alphadia-1.10.0 search; exec sleep 1000000' >/dev/null \
      || rig_die "sbatch failed"
  fi
  wait_for 30 "alphakraken job running" _slurm_job_running || rig_log "warning: alphakraken job is not running yet"
  write_rig_file slurm/host "$SLURM_HOST"
  write_rig_file slurm/partition "$SLURM_PARTITION"
  rig_log "slurm on $SLURM_HOST: partition $SLURM_PARTITION, node $SLURM_NODE (ssh -F $RIG_DIR/ssh/ssh_config $SLURM_HOST squeue)"
}
_slurm_node_ready() { _slurm_in sinfo -h -N -o %t | grep -Eq '^(idle|mix|alloc)'; }
_slurm_job_running() { [[ $(_slurm_in squeue -h -n alphakraken -o %T) == *RUNNING* ]]; }

slurm_down() {
  # shellcheck disable=SC1091
  source "$REPO/test/rig/components/ssh.sh"
  if daemon_alive "ssh-$SLURM_HOST-holder"; then _slurm_in scancel -n alphakraken 2>/dev/null || true; sleep 1; fi
  stop_daemon slurm-slurmd; stop_daemon slurm-slurmctld; stop_daemon slurm-munged
  if daemon_alive "ssh-$SLURM_HOST-holder"; then
    _slurm_in umount /etc/slurm 2>/dev/null || true
    _slurm_in umount /run/munge 2>/dev/null || true
  fi
  rmdir /run/munge 2>/dev/null || true
  rm -rf "$SLURM_HOME"
}

slurm_status() {
  # shellcheck disable=SC1091
  source "$REPO/test/rig/components/ssh.sh"
  daemon_alive slurm-slurmctld || { echo "slurmctld not running"; return 1; }
  local n j
  n=$(_slurm_in sinfo -h -N -o '%N %t' 2>&1) || { echo "sinfo failed: $n"; return 1; }
  j=$(_slurm_in squeue -h -o '%i %j %T' 2>&1) || { echo "squeue failed: $j"; return 1; }
  echo "on $SLURM_HOST: node $n; jobs: $(echo "$j" | tr '\n' ';')"
}
