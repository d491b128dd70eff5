# Shared helpers for the rig. Sourced by rig.sh; components and scenarios use these.
# Everything the rig makes is recorded under $RIG_DIR so `down` can remove it.
set -o pipefail

: "${REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${RIG_DIR:=$REPO/.rig}"
: "${RIG_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/pilothouse-rig}"
export REPO RIG_DIR RIG_CACHE
mkdir -p "$RIG_DIR" "$RIG_CACHE"

rig_log()  { printf '[rig %s] %s\n' "${RIG_COMPONENT:-rig}" "$*" >&2; }
rig_die()  { rig_log "ERROR: $*"; exit 1; }

# wait_for SECONDS DESCRIPTION CMD... : retry CMD every 0.5 s until it succeeds or time runs out.
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then rig_log "timed out after ${secs}s waiting for $what"; return 1; fi
    sleep 0.5
  done
}

# start_daemon NAME LOGFILE CMD... : start CMD in the background, detached, pid in $RIG_DIR/pids/NAME.pid.
start_daemon() {
  local name=$1 logf=$2; shift 2
  mkdir -p "$RIG_DIR/pids" "$(dirname "$logf")"
  if daemon_alive "$name"; then return 0; fi
  # Close every inherited descriptor above 2 first: a daemon started from a caller holding a lock (the
  # tests' `flock /tmp/ph-scenario.lock`, a component's own lock) would otherwise hold it for its lifetime.
  # No redirection on the loop itself: bash would save stderr in a descriptor above 2, the loop would close
  # that copy, and the daemon's stderr (its log) would stay /dev/null.
  setsid bash -c 'fds=(/proc/$$/fd/*); for fd in "${fds[@]##*/}"; do ((fd > 2)) && eval "exec $fd>&-"; done; exec "$@"' \
    rig-daemon "$@" >>"$logf" 2>&1 < /dev/null &
  echo $! > "$RIG_DIR/pids/$name.pid"
  # not this shell's job: a daemon stopped later (stop_daemon's KILL) would otherwise be reported as
  # "line N: PID Killed setsid bash -c …" on the rig's output, which reads like a failure
  disown $! 2>/dev/null || true
}
daemon_alive() { local p; p=$(cat "$RIG_DIR/pids/$1.pid" 2>/dev/null) && [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }
stop_daemon() {
  local name=$1 p
  p=$(cat "$RIG_DIR/pids/$name.pid" 2>/dev/null) || return 0
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
  fi
  rm -f "$RIG_DIR/pids/$name.pid"
}

# apt_need PKG... : install Debian packages that are missing (idempotent, quiet).
apt_need() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  rig_log "installing Debian packages: ${missing[*]}"
  if [[ ! -f "$RIG_CACHE/.apt-updated" ]] || [[ -n $(find "$RIG_CACHE/.apt-updated" -mmin +720) ]]; then
    apt-get update -qq && touch "$RIG_CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# write_file PATH CONTENT : a client-facing file in $RIG_DIR (tests read these).
write_rig_file() { mkdir -p "$(dirname "$RIG_DIR/$1")"; printf '%s\n' "$2" > "$RIG_DIR/$1"; }
