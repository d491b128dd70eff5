# Rig component: Apache Airflow 3 (PyPI, virtualenv cached in $RIG_CACHE) on 127.0.0.1:58081, beside the
# 2.10 one (component airflow, :58080), so both REST APIs are tested against real servers.
# api-server + scheduler + dag-processor (LocalExecutor) on the rig's Postgres (database airflow3, role
# airflow3). REST API /api/v2 with the simple auth manager: POST /auth/token {username,password} gives a
# bearer token; basic auth is refused. Same pools and DAGs (test/rig/airflow/dags) as the 2.10 one.
# Files: $RIG_DIR/airflow3/{url,username,password,env,home/}. See test/rig/docs/airflow.md.

AF3_VERSION=3.3.2
AF3_PORT=58081
AF3_RIG="$RIG_DIR/airflow3"
AF3_VENV="$RIG_CACHE/airflow-$AF3_VERSION-py3.11"
# Unlike 2.10, the 3.x metadata resolves to a working set without a constraints file.
# Postgres needs both drivers: psycopg2 for the sync engine, asyncpg for the async one (the API).
AF3_REQS=("apache-airflow==$AF3_VERSION" "psycopg2-binary<2.10" "asyncpg")
AF3_POOLS=("file_copy_pool 3 Copying raw files from instruments to the backup pool"
           "cluster_slots_pool 30 Jobs submitted to the cluster"
           "s3_upload_pool 2 Uploads to S3")

_af3_install() {
  local stamp; stamp=$(printf '%s\n' "${AF3_REQS[@]}" | md5sum | cut -c1-12)
  [[ -f "$AF3_VENV/.complete-$stamp" ]] && return 0
  rig_log "installing Airflow $AF3_VERSION into $AF3_VENV (cold: ~10-30 s with uv)"
  local t0; t0=$(date +%s)
  local py; py=$(command -v python3.11 || command -v python3)
  rm -rf "$AF3_VENV"
  "$py" -m venv "$AF3_VENV"
  "$AF3_VENV/bin/pip" install -q --disable-pip-version-check uv >/dev/null
  if ! "$AF3_VENV/bin/uv" pip install -q --python "$AF3_VENV/bin/python" "${AF3_REQS[@]}"; then
    rig_log "uv failed; falling back to pip (slow)"
    "$AF3_VENV/bin/pip" install -q --disable-pip-version-check "${AF3_REQS[@]}" || rig_die "Airflow $AF3_VERSION install failed"
  fi
  touch "$AF3_VENV/.complete-$stamp"
  rig_log "Airflow $AF3_VERSION installed in $(( $(date +%s) - t0 ))s"
}

# A secret kept in $AF3_RIG across warm starts (new only when the folder is new).
_af3_secret() {
  local f="$AF3_RIG/$1"
  [[ -s $f ]] || { umask 077; printf '%s-%s\n' "$2" "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$f"; umask 022; }
  cat "$f"
}

# Environment shared by every airflow command the rig runs (also written to $AF3_RIG/env).
_af3_env() {
  cat <<EOF
AIRFLOW_HOME=$AF3_RIG/home
AIRFLOW__CORE__DAGS_FOLDER=$REPO/test/rig/airflow/dags
AIRFLOW__CORE__LOAD_EXAMPLES=False
AIRFLOW__CORE__EXECUTOR=LocalExecutor
AIRFLOW__CORE__PARALLELISM=8
AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
AIRFLOW__CORE__FERNET_KEY=
AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$AF3_RIG/home/passwords.json
AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$AF3_PORT/execution/
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://airflow3:$(cat "$AF3_RIG/db-password")@127.0.0.1:55432/airflow3
AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS=False
AIRFLOW__API__HOST=127.0.0.1
AIRFLOW__API__PORT=$AF3_PORT
AIRFLOW__API__BASE_URL=http://127.0.0.1:$AF3_PORT
AIRFLOW__API__WORKERS=1
AIRFLOW__API__EXPOSE_CONFIG=True
AIRFLOW__API__SECRET_KEY=$(_af3_secret api-secret s)
AIRFLOW__API_AUTH__JWT_SECRET=$(_af3_secret jwt-secret j)
AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=10
AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=1
AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2
AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
AIRFLOW__LOGGING__BASE_LOG_FOLDER=$AF3_RIG/home/logs
NO_PROXY=*
PYTHONDONTWRITEBYTECODE=1
EOF
}

airflow3_cli() { ( set -a; source "$AF3_RIG/env"; set +a; exec "$AF3_VENV/bin/airflow" "$@" ); }

# Own role and database in the rig Postgres (never restarts it); the role's password stays in .rig.
_af3_postgres() {
  [[ -f "$RIG_DIR/postgres/env" ]] || return 1
  ( set -a; source "$RIG_DIR/postgres/env"; set +a; psql -X -tAc 'SELECT 1' >/dev/null 2>&1 ) || return 1
  local pw; pw=$(_af3_secret db-password af3)
  ( set -a; source "$RIG_DIR/postgres/env"; set +a
    psql -X -q -v ON_ERROR_STOP=1 -v pw="$pw" <<'EOF'
SET client_min_messages = warning;
SELECT 'CREATE ROLE airflow3 LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'airflow3') \gexec
ALTER ROLE airflow3 WITH LOGIN PASSWORD :'pw';
SELECT 'CREATE DATABASE airflow3' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'airflow3') \gexec
ALTER DATABASE airflow3 OWNER TO airflow3;
\c airflow3
ALTER SCHEMA public OWNER TO airflow3;
EOF
  )
}

_af3_sql() { # one query on the airflow3 database as role airflow3
  PGPASSWORD=$(cat "$AF3_RIG/db-password") psql -X -tA -h 127.0.0.1 -p 55432 -U airflow3 -d airflow3 -c "$1" 2>/dev/null
}

# airflow3_token: a bearer token for the rig admin (POST /auth/token).
airflow3_token() {
  curl -fsS -m 20 -X POST -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg u "$(cat "$AF3_RIG/username")" --arg p "$(cat "$AF3_RIG/password")" '{username:$u, password:$p}')" \
    "http://127.0.0.1:$AF3_PORT/auth/token" | jq -er .access_token
}

_af3_scheduler_healthy() {
  curl -fsS -m 10 "http://127.0.0.1:$AF3_PORT/api/v2/monitor/health" \
    | jq -e '.scheduler.status == "healthy" and .dag_processor.status == "healthy"' >/dev/null
}

airflow3_up() {
  apt_need python3 python3-venv postgresql-client-15 curl jq
  _af3_install
  mkdir -p "$AF3_RIG/home"
  _af3_postgres || rig_die "Airflow 3 needs the rig Postgres (rig.sh up postgres): could not reach it or create database airflow3"
  _af3_env > "$AF3_RIG/env"
  local user=admin pw; pw=$(_af3_secret password rig)
  # The simple auth manager reads passwords from this file (it would invent one for a missing user).
  umask 077; jq -nc --arg u "$user" --arg p "$pw" '{($u): $p}' > "$AF3_RIG/home/passwords.json"; umask 022
  # The database may have been recreated underneath (postgres component down/up): ask it, not a marker.
  if ! _af3_sql "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'" | grep -q 1 \
     || [[ ! -f "$AF3_RIG/.migrated" ]]; then
    rig_log "airflow db migrate (Airflow $AF3_VERSION)"
    airflow3_cli db migrate >"$AF3_RIG/migrate.log" 2>&1 || rig_die "airflow db migrate failed; see $AF3_RIG/migrate.log"
    touch "$AF3_RIG/.migrated"
  fi
  # The scheduler's log server would bind every interface; the api-server reads the local log files.
  start_daemon airflow3-dag-processor "$AF3_RIG/dag-processor.log" \
    bash -c 'set -a; source "$1"; set +a; exec "$2/bin/airflow" dag-processor' _ "$AF3_RIG/env" "$AF3_VENV"
  start_daemon airflow3-scheduler "$AF3_RIG/scheduler.log" \
    bash -c 'set -a; source "$1"; set +a; exec "$2/bin/airflow" scheduler --skip-serve-logs' _ "$AF3_RIG/env" "$AF3_VENV"
  start_daemon airflow3-api-server "$AF3_RIG/api-server.log" \
    bash -c 'set -a; source "$1"; set +a; exec "$2/bin/airflow" api-server' _ "$AF3_RIG/env" "$AF3_VENV"
  local url="http://127.0.0.1:$AF3_PORT"
  wait_for 180 "airflow 3 api-server" curl -fsS "$url/api/v2/monitor/health" \
    || rig_die "airflow 3 api-server not answering; see $AF3_RIG/api-server.log"
  write_rig_file airflow3/username "$user"
  umask 077; write_rig_file airflow3/password "$pw"; umask 022
  local token
  wait_for 60 "airflow 3 token" airflow3_token || rig_die "POST $url/auth/token refused the rig admin; see $AF3_RIG/api-server.log"
  token=$(airflow3_token)
  # Pools over the REST API (idempotent: PATCH with the whole body, or POST when missing).
  local p name slots desc body
  for p in "${AF3_POOLS[@]}"; do
    read -r name slots desc <<<"$p"
    body=$(jq -nc --arg n "$name" --argjson s "$slots" --arg d "$desc" '{name:$n, slots:$s, description:$d, include_deferred:false}')
    curl -fsS -m 20 -H "Authorization: Bearer $token" -X PATCH -H 'Content-Type: application/json' -d "$body" \
        "$url/api/v2/pools/$name" >/dev/null 2>&1 \
      || curl -fsS -m 20 -H "Authorization: Bearer $token" -X POST -H 'Content-Type: application/json' -d "$body" \
        "$url/api/v2/pools" >/dev/null \
      || rig_die "could not create pool $name"
  done
  wait_for 120 "airflow 3 scheduler and dag-processor healthy" _af3_scheduler_healthy \
    || rig_die "airflow 3 scheduler or dag-processor not healthy; see $AF3_RIG/scheduler.log, dag-processor.log"
  # url last: its presence tells clients the server is ready.
  write_rig_file airflow3/url "$url"
  rig_log "airflow $AF3_VERSION on $url (user $user, password in $AF3_RIG/password; token: POST /auth/token)"
}

airflow3_down() {
  stop_daemon airflow3-api-server; stop_daemon airflow3-scheduler; stop_daemon airflow3-dag-processor
  if [[ -f "$RIG_DIR/postgres/env" ]]; then
    ( set -a; source "$RIG_DIR/postgres/env"; set +a
      psql -X -q -c 'DROP DATABASE IF EXISTS airflow3 WITH (FORCE)' -c 'DROP ROLE IF EXISTS airflow3' ) >/dev/null 2>&1 || true
  fi
  rm -rf "$AF3_RIG"
}

airflow3_status() {
  [[ -s "$AF3_RIG/password" ]] || { echo "not set up"; return 1; }
  local token r
  token=$(airflow3_token 2>&1) || { echo "POST /auth/token failed: $token"; return 1; }
  r=$(curl -fsS -m 20 -H "Authorization: Bearer $token" "http://127.0.0.1:$AF3_PORT/api/v2/pools/file_copy_pool" 2>&1) \
    || { echo "pools API not answering: $r"; return 1; }
  _af3_scheduler_healthy || { echo "scheduler or dag-processor not healthy: $(curl -fsS -m 10 "http://127.0.0.1:$AF3_PORT/api/v2/monitor/health" 2>&1)"; return 1; }
  echo "http://127.0.0.1:$AF3_PORT ($AF3_VERSION), file_copy_pool $(jq -r '"\(.occupied_slots)/\(.slots) occupied, \(.queued_slots) queued"' <<<"$r" 2>/dev/null)"
}
