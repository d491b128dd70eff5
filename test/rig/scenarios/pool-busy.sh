# Scenario pool-busy: triggers 5 runs of acquisition_handler.rig_instrument1 whose copy_raw_file
# tasks sleep for an hour, so file_copy_pool (3 slots) is fully occupied (3 running) and more
# copy_raw_file tasks wait for a slot (GET /api/v1/pools or /api/v2/pools shows it). --undo marks those
# runs failed (the running tasks are killed), pauses the DAG and waits until the pool is empty.
# It drives every rig Airflow that is up: airflow (2.10, /api/v1, basic auth) and airflow3 (3.x,
# /api/v2, bearer token). RIG_POOL_TARGET=airflow or airflow3 drives only that one.
POOL_DAG=acquisition_handler.rig_instrument1
POOL_RUNS=${RIG_POOL_RUNS:-5}

# The Airflows to drive: the one named, or every one whose .rig folder has a url.
_pool_targets() {
  if [[ -n ${RIG_POOL_TARGET:-} ]]; then
    [[ $RIG_POOL_TARGET == airflow || $RIG_POOL_TARGET == airflow3 ]] \
      || rig_die "RIG_POOL_TARGET must be airflow or airflow3, not '$RIG_POOL_TARGET'"
    [[ -s "$RIG_DIR/$RIG_POOL_TARGET/url" ]] || rig_die "$RIG_POOL_TARGET is not up (rig.sh up $RIG_POOL_TARGET)"
    echo "$RIG_POOL_TARGET"; return
  fi
  local t found=0
  for t in airflow airflow3; do [[ -s "$RIG_DIR/$t/url" ]] && { echo "$t"; found=1; }; done
  ((found)) || rig_die "no Airflow is up (rig.sh up airflow / airflow3)"
}

# _pool_use TARGET: point _pool_api at one Airflow (its URL, API version and credentials).
_pool_use() {
  POOL_TARGET=$1
  local dir="$RIG_DIR/$1" user pw
  POOL_URL=$(cat "$dir/url") && user=$(cat "$dir/username") && pw=$(cat "$dir/password") \
    || rig_die "$1 is not up (rig.sh up $1)"
  if [[ $1 == airflow3 ]]; then
    local token
    token=$(curl -fsS -m 20 -X POST -H 'Content-Type: application/json' \
      -d "$(jq -nc --arg u "$user" --arg p "$pw" '{username:$u, password:$p}')" "$POOL_URL/auth/token" | jq -er .access_token) \
      || rig_die "airflow3: POST $POOL_URL/auth/token failed"
    POOL_API=/api/v2; POOL_AUTH=(-H "Authorization: Bearer $token")
  else
    POOL_API=/api/v1; POOL_AUTH=(-u "$user:$pw")
  fi
}

_pool_api() { # _pool_api METHOD PATH [JSON]
  if (($# > 2)); then
    curl -fsS -m 30 "${POOL_AUTH[@]}" -X "$1" -H 'Content-Type: application/json' -d "$3" "$POOL_URL$POOL_API$2"
  else
    curl -fsS -m 30 "${POOL_AUTH[@]}" -X "$1" "$POOL_URL$POOL_API$2"
  fi
}
_pool_occupied() { _pool_api GET /pools/file_copy_pool | jq -r '.occupied_slots'; }
_pool_full() { [[ $(_pool_occupied) -ge 3 ]]; }
_pool_empty() { [[ $(_pool_occupied) -eq 0 ]]; }
_pool_pause() { _pool_api PATCH "/dags/$POOL_DAG?update_mask=is_paused" "{\"is_paused\": $1}" >/dev/null; }

_pool_trigger() {
  local i ts body; ts=$(date +%s)
  for (( i = 1; i <= POOL_RUNS; i++ )); do
    body=$(jq -nc --arg id "pool-busy-$ts-$i" --arg f "20261123_astral1_sample$i.raw" \
      '{dag_run_id: $id, conf: {copy_seconds: 3600, raw_file: $f}, note: "rig scenario pool-busy"}')
    # /api/v2 wants logical_date in the body; null lets runs of one DAG share a moment.
    [[ $POOL_API == /api/v2 ]] && body=$(jq -c '. + {logical_date: null}' <<<"$body")
    _pool_api POST "/dags/$POOL_DAG/dagRuns" "$body" >/dev/null
  done
}

scenario_apply() {
  local t targets; targets=$(_pool_targets) || exit 1
  for t in $targets; do
    _pool_use "$t"; RIG_COMPONENT="scenario:pool-busy:$t"
    _pool_pause false
    _pool_trigger
  done
  for t in $targets; do
    _pool_use "$t"; RIG_COMPONENT="scenario:pool-busy:$t"
    wait_for 120 "$t file_copy_pool to fill" _pool_full || rig_die "$t: file_copy_pool did not fill up"
    rig_log "file_copy_pool: $(_pool_api GET /pools/file_copy_pool | jq -c '{slots, occupied_slots, running_slots, queued_slots, scheduled_slots}')"
  done
}

# Marks every running or queued run of the DAG failed (which kills its running tasks). A run can slip
# past one pass (its PATCH times out on a loaded scheduler, or it was between states), so undo repeats
# this until the pool is empty.
_pool_fail_runs() {
  local id
  for id in $(_pool_api GET "/dags/$POOL_DAG/dagRuns?limit=100&state=running&state=queued" | jq -r '.dag_runs[].dag_run_id'); do
    _pool_api PATCH "/dags/$POOL_DAG/dagRuns/$id" '{"state": "failed"}' >/dev/null || rig_log "could not fail run $id (retrying)"
  done
}
_pool_released() { _pool_empty && return 0; _pool_fail_runs; sleep 3; _pool_empty; }

# Undo goes on through every Airflow even when one fails, and fails at the end if any did.
scenario_undo() {
  local t failed=() targets; targets=$(_pool_targets) || exit 1
  for t in $targets; do
    _pool_use "$t"; RIG_COMPONENT="scenario:pool-busy:$t"
    _pool_pause true || { sleep 2; _pool_pause true; } || rig_log "could not pause $POOL_DAG"
    _pool_fail_runs
  done
  for t in $targets; do
    _pool_use "$t"; RIG_COMPONENT="scenario:pool-busy:$t"
    # The scheduler frees the slots on its next loops; on a loaded 2-core runner that can take minutes.
    if wait_for 240 "$t file_copy_pool to empty" _pool_released; then
      rig_log "file_copy_pool: $(_pool_api GET /pools/file_copy_pool | jq -c '{slots, occupied_slots, running_slots, queued_slots}')"
    else
      rig_log "file_copy_pool still occupied: $(_pool_api GET /pools/file_copy_pool | jq -c '{occupied_slots, running_slots, queued_slots}')"
      failed+=("$t")
    fi
  done
  ((${#failed[@]} == 0)) || rig_die "file_copy_pool not emptied on: ${failed[*]}"
}
