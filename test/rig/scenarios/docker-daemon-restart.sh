# Scenario docker-daemon-restart: the rig's Docker daemon goes down and comes back, like
# `systemctl restart docker` or a reboot of a host where docker is not started at boot (seed 001).
#
# apply: stops the rig dockerd gracefully (containers get SIGTERM and exit), waits
#        RIG_DOCKER_RESTART_PAUSE seconds (default 3), then starts the daemon again. Containers with
#        a restart policy come back by themselves (alphakraken's postgres/redis/mongodb, text-to-image's
#        milvus-standalone and monitoring); all the others stay Exited: the symptom an operator sees.
#        With RIG_DOCKER_KEEP_DOWN=1 the daemon is left stopped (socket refuses connections).
# undo:  starts the daemon if needed and runs `docker-compose up -d` for every project (what the
#        operator does), then waits until every container is healthy again.
# shellcheck source=../components/docker.sh
source "$REPO/test/rig/components/docker.sh"

DK_SCEN_MARK=$DK_DIR/scenario-daemon-restart

scenario_apply() {
  dk_lock
  dk_alive || rig_die "the rig dockerd is not running: run 'rig.sh up docker' first"
  dk ps --format '{{.Names}}' | sort > "$DK_SCEN_MARK.before"
  rig_log "stopping the rig dockerd ($(wc -l < "$DK_SCEN_MARK.before") containers running)"
  dk_stop_daemon
  date -u +%FT%TZ > "$DK_SCEN_MARK"
  if [[ ${RIG_DOCKER_KEEP_DOWN:-0} == 1 ]]; then
    rig_log "daemon left stopped (RIG_DOCKER_KEEP_DOWN=1); undo starts it and brings the projects back"
    dk_unlock
    return 0
  fi
  sleep "${RIG_DOCKER_RESTART_PAUSE:-3}"
  dk_start_daemon
  # containers with a restart policy are started by the daemon itself; give them a moment
  wait_for 30 "restart-policy containers" dk_policy_containers_running || true
  dk_prune_stale_ports
  local running exited
  running=$(dk ps -q | wc -l)
  exited=$(dk ps -aq --filter status=exited | wc -l)
  dk_unlock
  rig_log "daemon back: $running containers running (restart policy), $exited exited; undo: rig.sh scenario docker-daemon-restart --undo"
}

dk_policy_containers_running() {
  local id pol st
  for id in $(dk ps -aq); do
    read -r pol st < <(dk inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.State.Status}}' "$id")
    case "$pol" in always|unless-stopped) [[ $st == running ]] || return 1 ;; esac
  done
}

scenario_undo() {
  dk_lock
  dk_start_daemon
  dk_projects_up
  rm -f "$DK_SCEN_MARK" "$DK_SCEN_MARK.before"
  dk_unlock
  rig_log "$(docker_status)"
}
