# Scenario pool-busy: triggers 5 runs of acquisition_handler.rig_instrument1 whose copy_raw_file
# tasks sleep for an hour, so file_copy_pool (3 slots) is fully occupied (3 running) and more
# copy_raw_file tasks wait for a slot (GET /api/v1/pools shows it). --undo marks those runs failed
# (the running tasks are killed), pauses the DAG and waits until the pool is empty.
POOL_DAG=acquisition_handler.rig_instrument1
POOL_RUNS=${RIG_POOL_RUNS:-5}

_pool_api() { # _pool_api METHOD PATH [JSON]
  local url user pw
  url=$(cat "$RIG_DIR/airflow/url") && user=$(cat "$RIG_DIR/airflow/username") && pw=$(cat "$RIG_DIR/airflow/password") \
    || rig_die "airflow is not up (rig.sh up airflow)"
  if (($# > 2)); then
    curl -fsS -u "$user:$pw" -X "$1" -H 'Content-Type: application/json' -d "$3" "$url/api/v1$2"
  else
    curl -fsS -u "$user:$pw" -X "$1" "$url/api/v1$2"
  fi
}
_pool_occupied() { _pool_api GET /pools/file_copy_pool | jq -r '.occupied_slots'; }
_pool_full() { [[ $(_pool_occupied) -ge 3 ]]; }
_pool_empty() { [[ $(_pool_occupied) -eq 0 ]]; }

scenario_apply() {
  _pool_api PATCH "/dags/$POOL_DAG?update_mask=is_paused" '{"is_paused": false}' >/dev/null
  local i ts; ts=$(date +%s)
  for (( i = 1; i <= POOL_RUNS; i++ )); do
    _pool_api POST "/dags/$POOL_DAG/dagRuns" \
      "$(jq -nc --arg id "pool-busy-$ts-$i" --arg f "20261123_astral1_sample$i.raw" \
          '{dag_run_id: $id, conf: {copy_seconds: 3600, raw_file: $f}, note: "rig scenario pool-busy"}')" >/dev/null
  done
  wait_for 120 "file_copy_pool to fill" _pool_full || rig_die "file_copy_pool did not fill up"
  rig_log "file_copy_pool: $(_pool_api GET /pools/file_copy_pool | jq -c '{slots, occupied_slots, running_slots, queued_slots, scheduled_slots}')"
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

scenario_undo() {
  _pool_api PATCH "/dags/$POOL_DAG?update_mask=is_paused" '{"is_paused": true}' >/dev/null \
    || { sleep 2; _pool_api PATCH "/dags/$POOL_DAG?update_mask=is_paused" '{"is_paused": true}' >/dev/null; }
  _pool_fail_runs
  # The scheduler frees the slots on its next loops; on a loaded 2-core runner that can take minutes.
  wait_for 240 "file_copy_pool to empty" _pool_released \
    || rig_die "file_copy_pool still occupied: $(_pool_api GET /pools/file_copy_pool | jq -c '{occupied_slots, running_slots, queued_slots}')"
  rig_log "file_copy_pool: $(_pool_api GET /pools/file_copy_pool | jq -c '{slots, occupied_slots, running_slots, queued_slots}')"
}
