# Rig component: Apache Airflow 2.10.5 (PyPI, virtualenv cached in $RIG_CACHE) on 127.0.0.1:58080.
# Webserver + scheduler (LocalExecutor) on the rig's Postgres (database airflow, role airflow);
# falls back to SQLite + SequentialExecutor when the postgres component is not up.
# REST API with basic auth (airflow.api.auth.backend.basic_auth); admin user in $RIG_DIR/airflow.
# Pools file_copy_pool (3), cluster_slots_pool (30), s3_upload_pool (2); DAGs in test/rig/airflow/dags.
# Files: $RIG_DIR/airflow/{url,username,password,env,home/}.

AIRFLOW_VERSION=2.10.5
AIRFLOW_PORT=58080
AIRFLOW_RIG="$RIG_DIR/airflow"
AIRFLOW_VENV="$RIG_CACHE/airflow-$AIRFLOW_VERSION-py3.11"
# No constraints file (it lives on GitHub): pin the few packages whose newer majors break 2.10.
AIRFLOW_REQS=(
  "apache-airflow==$AIRFLOW_VERSION" "apache-airflow-providers-fab==1.5.3" "SQLAlchemy<2"
  "marshmallow<4" "Flask<2.3" "werkzeug<2.3" "connexion[flask]<3" "pendulum<4" "psycopg2-binary<2.10"
)
AIRFLOW_POOLS=("file_copy_pool 3 Copying raw files from instruments to the backup pool"
               "cluster_slots_pool 30 Jobs submitted to the cluster"
               "s3_upload_pool 2 Uploads to S3")

_airflow_install() {
  local stamp; stamp=$(printf '%s\n' "${AIRFLOW_REQS[@]}" | md5sum | cut -c1-12)
  [[ -f "$AIRFLOW_VENV/.complete-$stamp" ]] && return 0
  rig_log "installing Airflow $AIRFLOW_VERSION into $AIRFLOW_VENV (cold: ~30-60 s with uv)"
  local t0; t0=$(date +%s)
  local py; py=$(command -v python3.11 || command -v python3)
  rm -rf "$AIRFLOW_VENV"
  "$py" -m venv "$AIRFLOW_VENV"
  "$AIRFLOW_VENV/bin/pip" install -q --disable-pip-version-check uv >/dev/null
  if ! "$AIRFLOW_VENV/bin/uv" pip install -q --python "$AIRFLOW_VENV/bin/python" "${AIRFLOW_REQS[@]}"; then
    rig_log "uv failed; falling back to pip (slow)"
    "$AIRFLOW_VENV/bin/pip" install -q --disable-pip-version-check "${AIRFLOW_REQS[@]}" || rig_die "Airflow install failed"
  fi
  touch "$AIRFLOW_VENV/.complete-$stamp"
  rig_log "Airflow installed in $(( $(date +%s) - t0 ))s"
}

# Environment shared by every airflow command the rig runs (also written to $AIRFLOW_RIG/env).
_airflow_env() {
  local conn executor
  if [[ -s "$AIRFLOW_RIG/db-password" ]]; then
    conn="postgresql+psycopg2://airflow:$(cat "$AIRFLOW_RIG/db-password")@127.0.0.1:55432/airflow"
    executor=LocalExecutor
  else
    conn="sqlite:///$AIRFLOW_RIG/home/airflow.db"; executor=SequentialExecutor
  fi
  cat <<EOF
AIRFLOW_HOME=$AIRFLOW_RIG/home
AIRFLOW__CORE__DAGS_FOLDER=$REPO/test/rig/airflow/dags
AIRFLOW__CORE__LOAD_EXAMPLES=False
AIRFLOW__CORE__EXECUTOR=$executor
AIRFLOW__CORE__PARALLELISM=16
AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
AIRFLOW__CORE__FERNET_KEY=
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$conn
AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS=False
AIRFLOW__API__AUTH_BACKENDS=airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session
AIRFLOW__WEBSERVER__WEB_SERVER_HOST=127.0.0.1
AIRFLOW__WEBSERVER__WEB_SERVER_PORT=$AIRFLOW_PORT
AIRFLOW__WEBSERVER__WORKERS=1
AIRFLOW__WEBSERVER__SECRET_KEY=pilothouse-rig-secret
AIRFLOW__WEBSERVER__EXPOSE_CONFIG=True
AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL=10
AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=10
AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2
AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
AIRFLOW__LOGGING__BASE_LOG_FOLDER=$AIRFLOW_RIG/home/logs
NO_PROXY=*
PYTHONDONTWRITEBYTECODE=1
EOF
}

airflow_cli() { ( set -a; source "$AIRFLOW_RIG/env"; set +a; exec "$AIRFLOW_VENV/bin/airflow" "$@" ); }

_airflow_postgres() {
  [[ -f "$RIG_DIR/postgres/env" ]] || return 1
  ( set -a; source "$RIG_DIR/postgres/env"; set +a; psql -X -tAc 'SELECT 1' >/dev/null 2>&1 ) || return 1
  local pw
  if [[ -s "$AIRFLOW_RIG/db-password" ]]; then pw=$(cat "$AIRFLOW_RIG/db-password")
  else pw="af-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"; fi
  ( set -a; source "$RIG_DIR/postgres/env"; set +a
    psql -X -q -v ON_ERROR_STOP=1 -v pw="$pw" <<'EOF'
SET client_min_messages = warning;
SELECT 'CREATE ROLE airflow LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'airflow') \gexec
ALTER ROLE airflow WITH LOGIN PASSWORD :'pw';
SELECT 'CREATE DATABASE airflow' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'airflow') \gexec
ALTER DATABASE airflow OWNER TO airflow;
\c airflow
ALTER SCHEMA public OWNER TO airflow;
EOF
  ) || return 1
  umask 077; printf '%s\n' "$pw" > "$AIRFLOW_RIG/db-password"; umask 022
}

_airflow_sql() { # one query on the airflow database as role airflow
  PGPASSWORD=$(cat "$AIRFLOW_RIG/db-password") psql -X -tA -h 127.0.0.1 -p 55432 -U airflow -d airflow -c "$1" 2>/dev/null
}

airflow_up() {
  apt_need python3 python3-venv postgresql-client-15 curl jq
  _airflow_install
  mkdir -p "$AIRFLOW_RIG/home"
  if ! _airflow_postgres; then
    rig_log "rig postgres not reachable: using SQLite + SequentialExecutor (one task at a time)"
    rm -f "$AIRFLOW_RIG/db-password"
  fi
  _airflow_env > "$AIRFLOW_RIG/env"
  local user=admin pw
  if [[ -s "$AIRFLOW_RIG/password" ]]; then pw=$(cat "$AIRFLOW_RIG/password")
  else pw="rig-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"; fi
  # Markers in .rig/airflow say what was done to the database; with Postgres ask the database itself
  # (the postgres component may have been recreated underneath).
  if [[ -s "$AIRFLOW_RIG/db-password" ]]; then
    _airflow_sql "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'" | grep -q 1 \
      || rm -f "$AIRFLOW_RIG/.migrated" "$AIRFLOW_RIG/.provisioned"
  fi
  if [[ ! -f "$AIRFLOW_RIG/.migrated" ]]; then
    rig_log "airflow db migrate"
    airflow_cli db migrate >"$AIRFLOW_RIG/migrate.log" 2>&1 || rig_die "airflow db migrate failed; see $AIRFLOW_RIG/migrate.log"
    touch "$AIRFLOW_RIG/.migrated"
  fi
  start_daemon airflow-scheduler "$AIRFLOW_RIG/scheduler.log" \
    bash -c 'set -a; source "$1"; set +a; exec "$2/bin/airflow" scheduler --skip-serve-logs' _ "$AIRFLOW_RIG/env" "$AIRFLOW_VENV"
  start_daemon airflow-webserver "$AIRFLOW_RIG/webserver.log" \
    bash -c 'set -a; source "$1"; set +a; exec "$2/bin/airflow" webserver' _ "$AIRFLOW_RIG/env" "$AIRFLOW_VENV"
  # Admin user: created once per database (CLI calls cost seconds each on a small machine).
  if [[ ! -f "$AIRFLOW_RIG/.provisioned" ]]; then
    airflow_cli users create -u "$user" -p "$pw" -r Admin -f Rig -l Admin -e admin@rig.invalid >/dev/null 2>&1 \
      || airflow_cli users reset-password -u "$user" -p "$pw" >/dev/null 2>&1 \
      || rig_die "could not create the airflow admin user"
    touch "$AIRFLOW_RIG/.provisioned"
  fi
  write_rig_file airflow/url "http://127.0.0.1:$AIRFLOW_PORT"
  write_rig_file airflow/username "$user"
  umask 077; write_rig_file airflow/password "$pw"; umask 022
  wait_for 180 "airflow webserver" curl -fsS "http://127.0.0.1:$AIRFLOW_PORT/health" \
    || rig_die "airflow webserver not answering; see $AIRFLOW_RIG/webserver.log"
  wait_for 60 "airflow pools API" curl -fsS -u "$user:$pw" "http://127.0.0.1:$AIRFLOW_PORT/api/v1/pools" \
    || rig_die "airflow REST API refused basic auth"
  # Pools over the REST API (idempotent: PATCH, or POST when missing).
  local p name slots desc body
  for p in "${AIRFLOW_POOLS[@]}"; do
    read -r name slots desc <<<"$p"
    body=$(jq -nc --arg n "$name" --argjson s "$slots" --arg d "$desc" '{name:$n, slots:$s, description:$d}')
    curl -fsS -u "$user:$pw" -X PATCH -H 'Content-Type: application/json' -d "$body" \
        "http://127.0.0.1:$AIRFLOW_PORT/api/v1/pools/$name" >/dev/null 2>&1 \
      || curl -fsS -u "$user:$pw" -X POST -H 'Content-Type: application/json' -d "$body" \
        "http://127.0.0.1:$AIRFLOW_PORT/api/v1/pools" >/dev/null \
      || rig_die "could not create pool $name"
  done
  rig_log "airflow on http://127.0.0.1:$AIRFLOW_PORT (user $user, password in $AIRFLOW_RIG/password)"
}

airflow_down() {
  stop_daemon airflow-webserver; stop_daemon airflow-scheduler
  if [[ -s "$AIRFLOW_RIG/db-password" && -f "$RIG_DIR/postgres/env" ]]; then
    ( set -a; source "$RIG_DIR/postgres/env"; set +a
      psql -X -q -c 'DROP DATABASE IF EXISTS airflow WITH (FORCE)' -c 'CREATE DATABASE airflow' -c 'DROP ROLE IF EXISTS airflow' ) >/dev/null 2>&1 || true
  fi
  rm -rf "$AIRFLOW_RIG"
}

airflow_status() {
  [[ -s "$AIRFLOW_RIG/password" ]] || { echo "not set up"; return 1; }
  local r
  r=$(curl -fsS -u "admin:$(cat "$AIRFLOW_RIG/password")" "http://127.0.0.1:$AIRFLOW_PORT/api/v1/pools/file_copy_pool" 2>&1) \
    || { echo "pools API not answering: $r"; return 1; }
  local h; h=$(curl -fsS "http://127.0.0.1:$AIRFLOW_PORT/health" 2>/dev/null)
  [[ $h == *'"scheduler": {'*'"status": "healthy"'* || $h == *'"scheduler":{'*'"status":"healthy"'* ]] \
    || { echo "scheduler not healthy: $h"; return 1; }
  echo "http://127.0.0.1:$AIRFLOW_PORT, file_copy_pool $(jq -r '"\(.occupied_slots)/\(.slots) occupied, \(.queued_slots) queued"' <<<"$r" 2>/dev/null)"
}
