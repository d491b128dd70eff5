# Scenario host-reboot: kraken-workers and kraken-dbs (or $RIG_REBOOT_HOSTS) "reboot": every process
# of the host is killed (sshd and all sessions), the host boots a fresh mount namespace, so its pool
# mounts (/fs/pool/pool-*) are gone, and docker does not start at boot (`docker ps` fails,
# `systemctl is-active docker` says inactive); the host's alphakraken containers on the rig engine
# (its compose profile: dbs / workers / infrastructure) are stopped. ssh works again after ~1 s,
# with the same host key. --undo does the runbook: mount the pools, start docker and the containers.
# shellcheck disable=SC1091
source "$REPO/test/rig/components/ssh.sh"
REBOOT_STATE="$RIG_DIR/scenarios/host-reboot"
read -r -a REBOOT_HOSTS <<<"${RIG_REBOOT_HOSTS:-kraken-workers kraken-dbs}"

_reboot_services() { # alphakraken compose services that run on a host
  case $1 in
    kraken-dbs) echo postgres-service redis-service mongodb-service ;;
    kraken-infra) echo airflow-webserver airflow-scheduler webapp rest-api ;;
    kraken-workers) echo airflow-worker-file-mover airflow-worker-file-remover airflow-worker-astral1 ;;
  esac
}
_reboot_dk() { # the rig docker engine, if the docker component is up
  local sock; sock=$(cat "$RIG_DIR/docker/DOCKER_HOST" 2>/dev/null) || return 1
  DOCKER_HOST=$sock /usr/bin/docker "$@"
}

scenario_apply() {
  mkdir -p "$REBOOT_STATE"
  local h s ids
  for h in "${REBOOT_HOSTS[@]}"; do
    daemon_alive "ssh-$h-holder" || rig_die "host $h is not running (rig.sh up ssh)"
    touch "$REBOOT_STATE/$h.containers"   # kept across repeated applies until --undo
    if _reboot_dk version >/dev/null 2>&1; then
      for s in $(_reboot_services "$h"); do
        ids=$(_reboot_dk ps -q --filter label=com.docker.compose.project=alphakraken \
              --filter "label=com.docker.compose.service=$s") || continue
        [[ -n $ids ]] && printf '%s\n' $ids >> "$REBOOT_STATE/$h.containers"
      done
      if [[ -s "$REBOOT_STATE/$h.containers" ]]; then
        # shellcheck disable=SC2046
        _reboot_dk stop -t 2 $(cat "$REBOOT_STATE/$h.containers") >/dev/null || rig_log "could not stop containers of $h"
      fi
    fi
    rig_log "rebooting $h (stopped $(wc -l < "$REBOOT_STATE/$h.containers") containers)"
    ssh_halt_host "$h"
    ssh_boot_host "$h"   # no pool mounts, docker not started
  done
}

scenario_undo() {
  local h
  for h in "${REBOOT_HOSTS[@]}"; do
    daemon_alive "ssh-$h-holder" || ssh_boot_host "$h"
    ssh_mount_pools "$h"
    date +%s > "$(ssh_hostdir "$h")/state/docker-running"
    if [[ -s "$REBOOT_STATE/$h.containers" ]] && _reboot_dk version >/dev/null 2>&1; then
      # shellcheck disable=SC2046
      _reboot_dk start $(sort -u "$REBOOT_STATE/$h.containers") >/dev/null || rig_log "could not start containers of $h"
    fi
    rm -f "$REBOOT_STATE/$h.containers"
    rig_log "$h: pools mounted ($(ssh_mounted_pools "$h" | wc -l)), docker running"
  done
  rmdir "$REBOOT_STATE" "$RIG_DIR/scenarios" 2>/dev/null || true
}
