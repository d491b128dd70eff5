#!/usr/bin/env bash
# Checks the rig's ssh hosts, slurm, Airflow (2.10 and 3), Prometheus and Postgres after `rig.sh up`, and that the
# host-reboot, host-key-changed, ssh-drop, pool-busy and memory-pressure scenarios produce their symptom and --undo
# removes it. Last line: "N passed, M failed"; exit status 1 when anything failed.
#   bash test/rig/test/hosts.test.sh [--no-scenarios]
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RIG_DIR=${RIG_DIR:-$REPO/.rig}
RIG="$REPO/test/rig/rig.sh"
CFG="$RIG_DIR/ssh/ssh_config"
pass=0; fail=0
ok()  { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '      %s\n' "$2" | head -5; }
check() { # check NAME CMD... : passes when CMD succeeds
  local name=$1 out; shift
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
rssh() { timeout 30 ssh -F "$CFG" -o BatchMode=yes -o StrictHostKeyChecking=yes "$@"; }

# --- ssh hosts -----------------------------------------------------------------------------------
for h in kraken-dbs kraken-infra kraken-workers cluster-head; do
  check "ssh $h with verified host key" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes -o StrictHostKeyChecking=yes "$2" hostname) == "$2" ]]' _ "$CFG" "$h"
done
check "cluster-head goes through ProxyJump kraken-infra" bash -c 'ssh -F "$1" -G cluster-head | grep -qx "proxyjump kraken-infra"'  _ "$CFG"
check "cluster-head refuses direct logins (bastion only)" bash -c '! timeout 20 ssh -F "$1" -o BatchMode=yes -o ProxyJump=none cluster-head true' _ "$CFG"
check "kraken-workers has its pool mounts" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes kraken-workers findmnt -rn -o TARGET | grep -c "^/fs/pool/pool-") -eq 4 ]]' _ "$CFG"
check "kraken-workers sees raw files through pool-instrument1" bash -c 'timeout 30 ssh -F "$1" -o BatchMode=yes kraken-workers ls /fs/pool/pool-instrument1 | grep -q "\.raw$"' _ "$CFG"
check "kraken-dbs docker service is active" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes kraken-dbs systemctl is-active docker) == active ]]' _ "$CFG"
# The docker component is optional here: with its engine down, the docker parts are skipped.
DOCKER_UP=0
if [[ -s "$RIG_DIR/docker/DOCKER_HOST" ]] && DOCKER_HOST=$(cat "$RIG_DIR/docker/DOCKER_HOST") /usr/bin/docker version >/dev/null 2>&1; then
  DOCKER_UP=1
  check "kraken-dbs: docker ps reaches the rig engine" rssh kraken-dbs docker ps
else
  echo "skip  docker checks (rig docker engine not up)"
fi

# --- slurm ---------------------------------------------------------------------------------------
check "sinfo on cluster-head shows partition p.node1" bash -c 'timeout 30 ssh -F "$1" -o BatchMode=yes cluster-head sinfo -h -o %P | grep -q "^p.node1"' _ "$CFG"
check "squeue on cluster-head shows the alphakraken job" bash -c 'timeout 30 ssh -F "$1" -o BatchMode=yes cluster-head squeue -h -o %j | grep -qx alphakraken' _ "$CFG"
check "squeue --json parses" bash -c 'timeout 30 ssh -F "$1" -o BatchMode=yes cluster-head squeue --json | jq -e "[.jobs[] | select(.name == \"alphakraken\")] | length > 0"' _ "$CFG"

# --- postgres ------------------------------------------------------------------------------------
check "psql connects to the main-db with the password from .rig" bash -c 'set -a; source "$1/postgres/env"; set +a; [[ $(psql -X -tAc "SELECT count(*) > 100 FROM records") == t ]]' _ "$RIG_DIR"

# --- airflow -------------------------------------------------------------------------------------
af() { curl -fsS -u "$(cat "$RIG_DIR/airflow/username"):$(cat "$RIG_DIR/airflow/password")" "$(cat "$RIG_DIR/airflow/url")/api/v1$1"; }
check "Airflow pools API lists the three pools" bash -c "$(declare -f af)"'; af /pools | jq -e "[.pools[] | {(.name): .slots}] | add | .file_copy_pool == 3 and .cluster_slots_pool == 30 and .s3_upload_pool == 2"' _
check "Airflow pools API refuses wrong credentials" bash -c '! curl -fsS -u admin:wrong "$(cat "$1/airflow/url")/api/v1/pools"' _ "$RIG_DIR"

# Airflow 3 (component airflow3): /api/v2 with a bearer token from POST /auth/token; basic auth refused.
af3_token() {
  curl -fsS -m 20 -X POST -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg u "$(cat "$RIG_DIR/airflow3/username")" --arg p "$(cat "$RIG_DIR/airflow3/password")" '{username:$u, password:$p}')" \
    "$(cat "$RIG_DIR/airflow3/url")/auth/token" | jq -er .access_token
}
af3() { # af3 PATH [curl args...]
  local p=$1; shift
  curl -fsS -m 30 -H "Authorization: Bearer $(af3_token)" "$@" "$(cat "$RIG_DIR/airflow3/url")/api/v2$p"
}
AF3=0
if [[ -s "$RIG_DIR/airflow3/url" ]]; then
  AF3=1
  AF3FN="$(declare -f af3_token af3); RIG_DIR=$(printf %q "$RIG_DIR")"
  check "Airflow 3: POST /auth/token gives a token" af3_token
  check "Airflow 3: pools API lists the three pools (bearer token)" bash -c "$AF3FN"'; af3 /pools | jq -e "[.pools[] | {(.name): .slots}] | add | .file_copy_pool == 3 and .cluster_slots_pool == 30 and .s3_upload_pool == 2"' _
  check "Airflow 3: pools API pages (limit=1&offset=1 gives one pool of four)" bash -c "$AF3FN"'; af3 "/pools?limit=1&offset=1" | jq -e "(.pools | length) == 1 and .total_entries == 4"' _
  check "Airflow 3: pools API refuses basic auth (401)" bash -c '[[ $(curl -sS -o /dev/null -w "%{http_code}" -u "admin:$(cat "$1/airflow3/password")" "$(cat "$1/airflow3/url")/api/v2/pools") == 401 ]]' _ "$RIG_DIR"
  check "Airflow 3: /auth/token refuses a wrong password" bash -c '! curl -fsS -X POST -H "Content-Type: application/json" -d "{\"username\":\"admin\",\"password\":\"wrong\"}" "$(cat "$1/airflow3/url")/auth/token"' _ "$RIG_DIR"
  # The plane PATCHes the whole body: update_mask alone is refused (422) by this version.
  check "Airflow 3: PATCH with update_mask and only slots is refused (422)" bash -c "$AF3FN"'; [[ $(curl -sS -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(af3_token)" -X PATCH -H "Content-Type: application/json" -d "{\"slots\": 4}" "$(cat "$RIG_DIR/airflow3/url")/api/v2/pools/s3_upload_pool?update_mask=slots") == 422 ]]' _
  check "Airflow 3: PATCH a pool with the whole body, then restore it" bash -c "$AF3FN"'
    body() { jq -nc --argjson s "$1" "{name: \"s3_upload_pool\", slots: \$s, description: \"Uploads to S3\", include_deferred: false}"; }
    set_slots() { af3 /pools/s3_upload_pool -X PATCH -H "Content-Type: application/json" -d "$(body "$1")"; }
    r=$(set_slots 5) && back=$(set_slots 2) || { set_slots 2; exit 1; }
    jq -e ".slots == 5 and .open_slots == 5" <<<"$r" && jq -e ".slots == 2 and .include_deferred == false" <<<"$back"' _
else
  echo "skip  Airflow 3 checks (airflow3 not up: rig.sh up airflow3)"
fi

# --- prometheus ----------------------------------------------------------------------------------
PROM=$(cat "$RIG_DIR/prometheus/url" 2>/dev/null)
check "Prometheus has node-exporter series" bash -c 'curl -fsS "$1/api/v1/query?query=node_memory_MemTotal_bytes" | jq -e ".data.result | length > 0"' _ "$PROM"
check "Prometheus loaded NodeOutOfMemory, ContainerHighMemoryUsage, SearchRequestHighLatency" bash -c \
  'curl -fsS "$1/api/v1/rules" | jq -e "[.data.groups[].rules[].name] as \$n | [\"NodeOutOfMemory\",\"ContainerHighMemoryUsage\",\"SearchRequestHighLatency\"] | all(. as \$x | \$n | index(\$x))"' _ "$PROM"
firing() { curl -fsS "$1/api/v1/alerts" | jq -e '[.data.alerts[] | select(.state == "firing")] | length > 0'; }
check "Prometheus has at least one firing alert" bash -c "$(declare -f firing)"'; for i in $(seq 60); do firing "$1" && exit 0; sleep 1; done; exit 1' _ "$PROM"
AM=$(cat "$RIG_DIR/prometheus/alertmanager-url" 2>/dev/null)
check "Prometheus sends to the rig Alertmanager" bash -c 'curl -fsS "$1/api/v1/alertmanagers" | jq -e --arg u "$2/api/v2/alerts" "[.data.activeAlertmanagers[].url] | index(\$u) != null"' _ "$PROM" "$AM"
check "Alertmanager holds RigWatchdog from Prometheus" bash -c 'for i in $(seq 90); do curl -fsS "$1/api/v2/alerts" | jq -e "[.[] | select(.labels.alertname == \"RigWatchdog\")] | length > 0" >/dev/null && exit 0; sleep 1; done; exit 1' _ "$AM"
check "the memory-pressure container has a 64 MiB limit in the exporter's series" bash -c \
  'curl -fsS "$1/api/v1/query?query=container_spec_memory_limit_bytes%7Bname%3D%22memory-pressure%22%7D" | jq -e ".data.result[0].value[1] == \"67108864\""' _ "$PROM"

if [[ ${1:-} == --no-scenarios ]]; then echo "$pass passed, $fail failed"; ((fail == 0)); exit; fi

# --- scenarios -----------------------------------------------------------------------------------
# A scenario's own log is shown only when it fails, so a red line in CI says why.
scen() {
  local out rc=0
  out=$(bash "$RIG" scenario "$@" 2>&1) || rc=$?
  ((rc == 0)) || printf '%s\n' "$out" | tail -n 15 | sed 's/^/      /' >&2
  return $rc
}

# alerts_within SECONDS JQ : true once Prometheus' active alerts satisfy the jq condition.
alerts_within() {
  local i
  for (( i = 0; i < $1; i++ )); do
    curl -fsS "$PROM/api/v1/alerts" | jq -e "$2" >/dev/null && return 0
    sleep 1
  done
  return 1
}

if scen host-reboot; then
  ok "scenario host-reboot applies"
  check "host-reboot: kraken-workers lost its pool mounts" bash -c '! timeout 30 ssh -F "$1" -o BatchMode=yes kraken-workers findmnt -rn -o TARGET | grep -q "^/fs/pool/pool-"' _ "$CFG"
  check "host-reboot: kraken-dbs docker is stopped" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes kraken-dbs systemctl is-active docker) == inactive ]] && ! timeout 30 ssh -F "$1" -o BatchMode=yes kraken-dbs docker ps' _ "$CFG"
  check "host-reboot: kraken-workers uptime restarted" bash -c 'timeout 30 ssh -F "$1" -o BatchMode=yes kraken-workers uptime | grep -q "up 0 min"' _ "$CFG"
  check "host-reboot: Prometheus fires PoolMountMissing for kraken-workers" \
    alerts_within 60 '[.data.alerts[] | select(.labels.alertname == "PoolMountMissing" and .labels.host == "kraken-workers" and .state == "firing")] | length > 0'
  # The seed's runbook, over ssh, on the worker host: mount the pools, start docker, compose up workers.
  check "host-reboot: runbook over ssh brings kraken-workers back" bash -c 'timeout 120 ssh -F "$1" -o BatchMode=yes kraken-workers "
      set -e; cd alphakraken; export ENV=production
      for e in backup output logs instrument1; do ./mount.sh \$e; done
      sudo systemctl start docker; systemctl is-active docker
      if [ $3 = 1 ]; then ./compose.sh --profile workers up -d; docker ps --format {{.Names}} | grep -q worker-file-mover; fi
      [ \$(findmnt -rn -o TARGET | grep -c ^/fs/pool/pool-) -eq 4 ]"' _ "$CFG" "$RIG_DIR" "$DOCKER_UP"
  if scen host-reboot --undo; then ok "scenario host-reboot --undo"; else bad "scenario host-reboot --undo"; fi
  check "host-reboot undone: mounts back" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes kraken-workers findmnt -rn -o TARGET | grep -c "^/fs/pool/pool-") -eq 4 ]]' _ "$CFG"
  check "host-reboot undone: PoolMountMissing resolves" \
    alerts_within 40 '[.data.alerts[] | select(.labels.alertname == "PoolMountMissing")] | length == 0'
  check "host-reboot undone: docker active" bash -c '[[ $(timeout 30 ssh -F "$1" -o BatchMode=yes kraken-dbs systemctl is-active docker) == active ]]' _ "$CFG"
else bad "scenario host-reboot applies"; scen host-reboot --undo; fi

if scen host-key-changed; then
  ok "scenario host-key-changed applies"
  check "host-key-changed: ssh refuses kraken-dbs (key mismatch)" bash -c 'out=$(timeout 30 ssh -F "$1" -o BatchMode=yes -o StrictHostKeyChecking=yes kraken-dbs true 2>&1); [[ $? -ne 0 && $out == *"HOST IDENTIFICATION HAS CHANGED"* ]]' _ "$CFG"
  if scen host-key-changed --undo; then ok "scenario host-key-changed --undo"; else bad "scenario host-key-changed --undo"; fi
  check "host-key-changed undone: kraken-dbs verifies again" rssh kraken-dbs true
else bad "scenario host-key-changed applies"; scen host-key-changed --undo; fi

if scen ssh-drop; then
  ok "scenario ssh-drop applies"
  check "ssh-drop: connecting to kraken-workers times out" bash -c 'out=$(timeout 30 ssh -F "$1" -o BatchMode=yes -o ConnectTimeout=3 kraken-workers true 2>&1); [[ $? -ne 0 && $out == *"timed out"* ]]' _ "$CFG"
  if scen ssh-drop --undo; then ok "scenario ssh-drop --undo"; else bad "scenario ssh-drop --undo"; fi
  check "ssh-drop undone: kraken-workers answers" rssh kraken-workers true
else bad "scenario ssh-drop applies"; scen ssh-drop --undo; fi

if scen pool-busy; then
  ok "scenario pool-busy applies"
  check "pool-busy: file_copy_pool fully occupied with more waiting" bash -c "$(declare -f af)"'
    for i in $(seq 90); do
      af /pools/file_copy_pool | jq -e ".occupied_slots == 3 and .running_slots == 3 and (.queued_slots + .scheduled_slots) >= 1" >/dev/null && exit 0
      sleep 1
    done; af /pools/file_copy_pool; exit 1' _
  ((AF3)) && check "pool-busy: Airflow 3 file_copy_pool fully occupied with more waiting" bash -c "$AF3FN"'
    for i in $(seq 90); do
      af3 /pools/file_copy_pool | jq -e ".occupied_slots == 3 and .running_slots == 3 and (.queued_slots + .scheduled_slots) >= 1" >/dev/null && exit 0
      sleep 1
    done; af3 /pools/file_copy_pool; exit 1' _
  if scen pool-busy --undo; then ok "scenario pool-busy --undo"; else bad "scenario pool-busy --undo"; fi
  check "pool-busy undone: file_copy_pool empty" bash -c "$(declare -f af)"'; af /pools/file_copy_pool | jq -e ".occupied_slots == 0 and .running_slots == 0"' _
  ((AF3)) && check "pool-busy undone: Airflow 3 file_copy_pool empty" bash -c "$AF3FN"'; af3 /pools/file_copy_pool | jq -e ".occupied_slots == 0 and .running_slots == 0"' _
else bad "scenario pool-busy applies"; scen pool-busy --undo; fi

if scen memory-pressure; then
  ok "scenario memory-pressure applies (ContainerHighMemoryUsage firing for memory-pressure)"
  check "memory-pressure: Alertmanager holds ContainerHighMemoryUsage" bash -c 'for i in $(seq 30); do curl -fsS "$1/api/v2/alerts" | jq -e "[.[] | select(.labels.alertname == \"ContainerHighMemoryUsage\" and .labels.name == \"memory-pressure\")] | length > 0" >/dev/null && exit 0; sleep 1; done; exit 1' _ "$AM"
  if scen memory-pressure --undo; then ok "scenario memory-pressure --undo (alert resolved)"; else bad "scenario memory-pressure --undo"; fi
else bad "scenario memory-pressure applies"; scen memory-pressure --undo; fi

echo "$pass passed, $fail failed"
((fail == 0))
