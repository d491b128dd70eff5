# Rig component: the rig's own PostgreSQL 15 (Debian), 127.0.0.1:55432, scram password auth over TCP.
# Databases: postgres (extralit main-db, seeded with argilla-like tables), airflow, app.
# Files: $RIG_DIR/postgres/{env,main-db-password,url}; data in $RIG_DIR/postgres/data.

PG_PORT=55432
PG_BIN=/usr/lib/postgresql/15/bin
PG_HOME="$RIG_DIR/postgres"
PG_DATA="$PG_HOME/data"
PG_RUN="$PG_HOME/run"

_pg_as() { runuser -u postgres -- "$@"; }
_pg_psql() { # _pg_psql DB ARGS... : superuser psql over the unix socket
  local db=$1; shift
  _pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U postgres -d "$db" "$@"
}

postgres_up() {
  apt_need postgresql-15 postgresql-client-15
  mkdir -p "$PG_HOME" "$PG_RUN"
  chown postgres:postgres "$PG_HOME" "$PG_RUN"
  chmod 755 "$PG_HOME"
  local pw
  if [[ -s "$PG_HOME/main-db-password" ]]; then pw=$(cat "$PG_HOME/main-db-password")
  else pw="rig-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"; fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rig_log "initdb into $PG_DATA"
    local pwfile; pwfile=$(mktemp); printf '%s\n' "$pw" > "$pwfile"; chown postgres "$pwfile"
    _pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$PG_DATA/postgresql.conf" <<EOF
# pilothouse rig
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 200
log_destination = 'stderr'
EOF
  fi
  if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/postgres.log" -w -t 60 start >/dev/null \
      || rig_die "postgres did not start; see $PG_HOME/postgres.log"
  fi
  wait_for 30 "postgres" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || rig_die "postgres not ready"
  # Keep the superuser password equal to the file (a scenario may have changed it; up restores it).
  _pg_psql postgres -v pw="$pw" <<'EOF'
ALTER ROLE postgres WITH PASSWORD :'pw';
EOF
  local db
  for db in airflow app; do
    _pg_psql postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || _pg_as "$PG_BIN/createdb" -h "$PG_RUN" -p "$PG_PORT" -U postgres "$db"
  done
  _postgres_seed
  umask 077
  write_rig_file postgres/main-db-password "$pw"
  write_rig_file postgres/env "PGHOST=127.0.0.1
PGPORT=$PG_PORT
PGUSER=postgres
PGPASSWORD=$pw
PGDATABASE=postgres"
  umask 022
  write_rig_file postgres/url "postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  rig_log "postgres on 127.0.0.1:$PG_PORT (env in $PG_HOME/env)"
}

# Argilla-like tables (workspaces, datasets, records, responses) in the main db; idempotent.
_postgres_seed() {
  _pg_psql postgres <<'EOF'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS workspaces (
  id uuid PRIMARY KEY, name text UNIQUE NOT NULL,
  inserted_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS datasets (
  id uuid PRIMARY KEY, name text NOT NULL, guidelines text, status text NOT NULL DEFAULT 'ready',
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  inserted_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now(),
  last_activity_at timestamp NOT NULL DEFAULT now(), UNIQUE (name, workspace_id));
CREATE TABLE IF NOT EXISTS records (
  id uuid PRIMARY KEY, fields jsonb NOT NULL, metadata jsonb, external_id text, status text NOT NULL DEFAULT 'pending',
  dataset_id uuid NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  inserted_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS ix_records_dataset_id ON records(dataset_id);
CREATE TABLE IF NOT EXISTS responses (
  id uuid PRIMARY KEY, values jsonb, status text NOT NULL DEFAULT 'submitted',
  record_id uuid NOT NULL REFERENCES records(id) ON DELETE CASCADE, user_id uuid,
  inserted_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
INSERT INTO workspaces (id, name)
  SELECT gen_random_uuid(), w FROM unnest(ARRAY['extralit', 'papers']) AS w
  ON CONFLICT (name) DO NOTHING;
INSERT INTO datasets (id, name, guidelines, workspace_id)
  SELECT gen_random_uuid(), d.name, 'Extract tables from ' || d.name, w.id
  FROM (VALUES ('extraction-tables', 'extralit'), ('paper-metadata', 'extralit'), ('screening', 'papers')) AS d(name, ws)
  JOIN workspaces w ON w.name = d.ws
  ON CONFLICT (name, workspace_id) DO NOTHING;
INSERT INTO records (id, fields, metadata, external_id, status, dataset_id)
  SELECT gen_random_uuid(),
         jsonb_build_object('text', 'Record ' || g || ' of ' || d.name, 'reference', 'doi:10.1000/' || g),
         jsonb_build_object('page', g % 17, 'source', 'rig'),
         d.name || '-' || g, CASE WHEN g % 3 = 0 THEN 'completed' ELSE 'pending' END, d.id
  FROM datasets d CROSS JOIN generate_series(1, 150) g
  WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.dataset_id = d.id);
INSERT INTO responses (id, values, record_id)
  SELECT gen_random_uuid(), jsonb_build_object('label', jsonb_build_object('value', 'relevant')), r.id
  FROM records r WHERE r.status = 'completed'
    AND NOT EXISTS (SELECT 1 FROM responses x WHERE x.record_id = r.id);
EOF
}

postgres_down() {
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_HOME"
}

postgres_status() {
  [[ -f "$PG_HOME/env" ]] || { echo "not set up"; return 1; }
  local n
  n=$(set -a; source "$PG_HOME/env"; "$PG_BIN/psql" -X -tAc "SELECT count(*) FROM records" 2>&1) \
    || { echo "cannot connect: $n"; return 1; }
  echo "127.0.0.1:$PG_PORT, $n records in main-db"
}
