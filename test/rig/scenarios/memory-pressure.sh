# Scenario: the standalone container `memory-pressure` (64 MiB limit, made by the prometheus component)
# fills 56 MiB of its /dev/shm. tmpfs pages are charged to the container's memory cgroup and cannot be
# reclaimed without swap (none: --memory-swap = --memory), so the rig's container exporter reports
# ~90 % of the limit and ContainerHighMemoryUsage fires for real (about 15-25 s: exporter every 5 s,
# `for: 10s`). Undo deletes the file; the alert resolves at the next evaluations.
source "$REPO/test/rig/components/prometheus.sh"

_mp_dk() { DOCKER_HOST=$(cat "$RIG_DIR/docker/DOCKER_HOST") /usr/bin/docker "$@"; }

scenario_apply() {
  prom_memory_container || rig_die "the rig Docker engine is not up (bash test/rig/rig.sh up docker)"
  _mp_dk exec "$PROM_MEM_CONTAINER" dd if=/dev/zero of=/dev/shm/fill bs=1M count=56 2>/dev/null \
    || rig_die "could not fill /dev/shm in $PROM_MEM_CONTAINER"
  wait_for 60 "ContainerHighMemoryUsage firing for $PROM_MEM_CONTAINER" _mp_firing \
    || rig_die "ContainerHighMemoryUsage did not fire; see http://127.0.0.1:$PROM_PORT/alerts"
}

scenario_undo() {
  local dh; dh=$(cat "$RIG_DIR/docker/DOCKER_HOST" 2>/dev/null) || return 0
  _mp_dk container inspect "$PROM_MEM_CONTAINER" >/dev/null 2>&1 || return 0
  _mp_dk exec "$PROM_MEM_CONTAINER" rm -f /dev/shm/fill 2>/dev/null || true
  wait_for 60 "ContainerHighMemoryUsage resolved" _mp_resolved || rig_die "ContainerHighMemoryUsage still active"
}

_mp_alerts() {
  curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/alerts" \
    | jq -e --arg n "$PROM_MEM_CONTAINER" "[.data.alerts[] | select(.labels.alertname == \"ContainerHighMemoryUsage\" and .labels.name == \$n $1)] | length $2"
}
_mp_firing() { _mp_alerts 'and .state == "firing"' '> 0'; }
_mp_resolved() { _mp_alerts '' '== 0'; }
