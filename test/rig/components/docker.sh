# The rig's own Docker engine (Debian docker.io 20.10) plus three compose projects built from one
# local image. See test/rig/docs/docker.md. Sourced by rig.sh (which sources lib.sh first).
#
# Coexistence with a system dockerd on /var/run/docker.sock: this daemon has its own data-root,
# exec-root, pidfile, cgroup parent, containerd namespace and socket, its own default bridge
# (ph-docker0, made with `ip link add`), fixed subnets in 10.213.0.0/16 for the projects' networks
# (NOT --default-address-pool: with it, dockerd deletes the interface named docker0, i.e. the system
# daemon's bridge, each time it restarts with a stale default network), --iptables=false (published ports
# go through docker-proxy, which is all 127.0.0.1 publishing needs) and two ACCEPT rules in FORWARD
# for 10.213.0.0/16 so that container-to-container traffic survives a FORWARD policy of DROP set
# by another dockerd while br_netfilter is loaded.

DK_DIR=$RIG_DIR/docker
DK_SOCK=$DK_DIR/docker.sock
DK_DATA=$DK_DIR/data
DK_EXEC=$DK_DIR/run
DK_LOG=$DK_DIR/dockerd.log
DK_BRIDGE=ph-docker0
DK_BRIDGE_CIDR=10.213.255.1/24
DK_POOL=10.213.0.0/16
DK_IMAGE=pilothouse/rig-base:1
DK_SRC=$REPO/test/rig/docker
DK_COMPOSE_DIR=$DK_SRC/compose
DK_T2I_NET=text_to_image_retrieval_network
# project name -> compose file (and extra `docker-compose` arguments)
DK_PROJECTS=(alphakraken fastapi-fullstack text-to-image)
DK_CLIENT=/usr/bin/docker   # Debian's 20.10 client matches the daemon (a newer one may be on PATH)

# up, down and the restart scenario take this lock (fd 197, held until the rig.sh process exits) so
# that two engineers' runs do not tear down and start the daemon at the same time.
dk_lock() {
  [[ -n ${DK_LOCKED:-} ]] && return 0
  exec 197>>"$RIG_DIR/.docker.lock"
  if ! flock -n 197; then
    rig_log "waiting for another rig docker up/down/scenario to finish (lock $RIG_DIR/.docker.lock)"
    flock -w 600 197 || rig_die "timed out waiting for $RIG_DIR/.docker.lock"
  fi
  DK_LOCKED=1
}
# Release the lock as soon as the docker work is done: `rig.sh up` goes on to start other components'
# daemons, which would inherit fd 197 and hold the lock for as long as they run.
dk_unlock() {
  [[ -n ${DK_LOCKED:-} ]] || return 0
  flock -u 197 2>/dev/null || true
  exec 197>&-
  unset DK_LOCKED
}

dk() { DOCKER_HOST="unix://$DK_SOCK" "$DK_CLIENT" "$@"; }
dk_compose_file() { printf '%s/%s.yml' "$DK_COMPOSE_DIR" "$1"; }
dc() { # dc PROJECT ARGS... : docker-compose for one rig project (alphakraken with all its profiles)
  local p=$1; shift
  local prof=()
  [[ $p == alphakraken ]] && prof=(--profile local)
  DOCKER_HOST="unix://$DK_SOCK" COMPOSE_HTTP_TIMEOUT=120 docker-compose --ansi never -p "$p" -f "$(dk_compose_file "$p")" "${prof[@]}" "$@"
}
dk_alive() { [[ -S $DK_SOCK ]] && dk version --format '{{.Server.Version}}' >/dev/null 2>&1; }

dk_image_hash() { # content hash of everything that goes into the image
  { sha256sum /bin/busybox "$DK_SRC/image/build-rootfs.sh"; sha256sum "$DK_SRC"/image/bin/*; } \
    | awk '{print $1}' | sha256sum | cut -c1-16
}

dk_bridge_up() {
  if ! ip link show "$DK_BRIDGE" >/dev/null 2>&1; then
    ip link add name "$DK_BRIDGE" type bridge
    ip addr add "$DK_BRIDGE_CIDR" dev "$DK_BRIDGE"
  fi
  ip link set "$DK_BRIDGE" up
}

dk_fw_rule() { # dk_fw_rule -I|-D|-C DIR(-s|-d)
  iptables -w "$1" FORWARD "$2" "$DK_POOL" -m comment --comment pilothouse-rig-docker -j ACCEPT
}
dk_fw_up() {
  command -v iptables >/dev/null 2>&1 || return 0
  local d
  for d in -s -d; do
    dk_fw_rule -C "$d" 2>/dev/null || dk_fw_rule -I "$d" 2>/dev/null || rig_log "could not add iptables FORWARD rule ($d $DK_POOL); fine unless FORWARD policy is DROP"
  done
}
dk_fw_down() {
  command -v iptables >/dev/null 2>&1 || return 0
  local d
  for d in -s -d; do while dk_fw_rule -D "$d" 2>/dev/null; do :; done; done
}

dk_start_daemon() {
  dk_alive && return 0
  mkdir -p "$DK_DIR" "$DK_DATA" "$DK_EXEC"
  dk_bridge_up
  dk_fw_up
  # a daemon that is still starting: give it a moment; a dead or zombie one: forget its files
  if dk_pid_running && wait_for 20 "running dockerd to answer" dk_alive; then return 0; fi
  if dk_pid_running; then
    rig_log "dockerd $(cat "$RIG_DIR/pids/rig-dockerd.pid") does not answer, stopping it"
    dk_stop_daemon
  fi
  rm -f "$DK_SOCK" "$DK_DIR/dockerd.pid" "$RIG_DIR/pids/rig-dockerd.pid"
  # containerd/shims left by a killed daemon would hold the exec-root: end them (our exec-root only)
  local pid
  for pid in $(dk_leftover_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  # its containerd.pid may name a zombie (pid 1 here reaps late) or a reused pid: dockerd would wait
  # for that "still running" containerd forever
  rm -f "$DK_EXEC/containerd/containerd.pid" "$DK_EXEC/containerd/containerd.sock" "$DK_EXEC/containerd/containerd.sock.ttrpc"
  dk_clear_stale_netns
  rig_log "starting dockerd on unix://$DK_SOCK (log $DK_LOG)"
  # bash closes the lock fd before becoming dockerd, so the daemon does not hold the lock
  start_daemon rig-dockerd "$DK_LOG" bash -c 'exec 197>&-; exec "$@"' rig-dockerd /usr/sbin/dockerd \
    --host "unix://$DK_SOCK" \
    --data-root "$DK_DATA" \
    --exec-root "$DK_EXEC" \
    --pidfile "$DK_DIR/dockerd.pid" \
    --containerd-namespace pilothouse-rig \
    --containerd-plugins-namespace pilothouse-rig-plugins \
    --cgroup-parent /pilothouse-rig \
    --bridge "$DK_BRIDGE" \
    --iptables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=true \
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=2 \
    --shutdown-timeout 10
  if ! wait_for 60 "dockerd on $DK_SOCK" dk_alive; then
    tail -n 20 "$DK_LOG" >&2
    rig_die "dockerd did not start"
  fi
}

dk_pid_running() { # the recorded dockerd pid is alive and not a zombie
  local p st
  p=$(cat "$RIG_DIR/pids/rig-dockerd.pid" 2>/dev/null) && [[ -n $p ]] || return 1
  st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

dk_stop_daemon() { # graceful like `systemctl stop docker`: containers get SIGTERM, then the daemon exits
  local p
  p=$(cat "$RIG_DIR/pids/rig-dockerd.pid" 2>/dev/null) || p=
  [[ -n $p ]] || p=$(cat "$DK_DIR/dockerd.pid" 2>/dev/null) || p=
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    local i
    for i in $(seq 1 120); do dk_pid_is_live "$p" || break; sleep 0.25; done
    dk_pid_is_live "$p" && { rig_log "dockerd $p did not exit in 30s, killing it"; kill -KILL "$p" 2>/dev/null; }
  fi
  rm -f "$RIG_DIR/pids/rig-dockerd.pid"
  # containerd and shims started by this daemon: find them by our exec-root in their command line
  local pid
  for pid in $(dk_leftover_pids); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in $(dk_leftover_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$DK_SOCK"
}
# Network namespaces a daemon stopped the hard way leaves mounted under its exec-root keep their veth on
# the project bridge with the container's old address and MAC (docker derives the MAC from the address).
# The new container gets the same address, the bridge learns either port, and a connection to a running
# service is refused by the empty old namespace (seen in CI: 22 ports on an 11-container network). Only
# called with no rig dockerd running, so every namespace there is stale.
dk_clear_stale_netns() {
  [[ -d $DK_EXEC/netns ]] || return 0
  local f ino d n=0 k=0
  local -A holders=()
  for d in /proc/[0-9]*; do
    ino=$(readlink "$d/ns/net" 2>/dev/null) || continue
    holders[$ino]+=" ${d#/proc/}"
  done
  for f in "$DK_EXEC"/netns/*; do
    [[ -e $f ]] || continue
    if mountpoint -q "$f" 2>/dev/null; then
      ino=$(stat -L -c %i "$f" 2>/dev/null) || ino=
      # processes of a container whose shim was killed still live in it: end them, or it outlives the umount
      if [[ -n $ino && -n ${holders[net:[$ino]]:-} ]]; then
        for d in ${holders[net:[$ino]]}; do [[ $d != "$$" ]] && kill -KILL "$d" 2>/dev/null && k=$((k + 1)); done
      fi
      umount -l "$f" 2>/dev/null && n=$((n + 1))
    fi
    rm -f "$f"
  done
  ((n)) && rig_log "removed $n network namespaces left by a stopped dockerd ($k processes still in them)"
  return 0
}
# Ports on the rig's bridges whose other end is in no sandbox of the running daemon: what a namespace that
# outlived its container leaves (CI saw a whole generation of them after the suite's daemon restarts while
# every restart here came out clean). Such a port carries an old container's address and MAC and answers for
# the new one, so it is removed (which also ends its peer), and who held the namespace is logged to
# $DK_DIR/stale-ports.log for the docker check to print. A port whose peer is still in the host namespace is
# a veth being set up right now and is left alone; a candidate must still be stale a second later.
#
# Live peers are read from inside each running container's namespace, entered through its process
# (/proc/<pid>/ns/net), and from the sandbox files under the exec-root. The first version read only the
# files; on a CI runner it then took every live port for stale (34 removed right after the first compose
# up, no restart yet), so now a prune happens only when every running container was read: any container
# that could not be entered stops it, and the reason is logged instead.
DK_LIVE_PEERS=
DK_LIVE_PEERS_ERR=
_dk_peer_ifindexes() { sed -n 's/^[0-9]*: [^@:]*@if\([0-9]*\):.*/\1/p'; }   # `ip -o link` on stdin
# dk_read_live_peers : sets DK_LIVE_PEERS (" idx idx … ", host ifindexes of live containers' interfaces) and,
# when a running container could not be read, DK_LIVE_PEERS_ERR (and fails). Called in the current shell,
# not in $(…), so the caller keeps both.
dk_read_live_peers() {
  local f id pid mode out peers err=
  DK_LIVE_PEERS=" "
  while read -r id pid mode; do
    [[ -n $id ]] || continue
    if [[ -z $pid || $pid == 0 ]]; then err+="container $id runs but has no pid; "; continue; fi
    if ! out=$(nsenter --target "$pid" --net ip -o link show 2>&1); then err+="container $id (pid $pid): $out; "; continue; fi
    peers=$(_dk_peer_ifindexes <<< "$out")
    # a bridged container without a veth means this reading is wrong, not that every port is stale
    if [[ -z $peers && $mode != host && $mode != none && $mode != container:* ]]; then
      err+="container $id (pid $pid, network $mode) shows no veth: $(head -c 300 <<< "$out" | tr '\n' ' '); "; continue
    fi
    DK_LIVE_PEERS+="${peers//$'\n'/ } "
  done < <(dk ps -q --no-trunc 2>/dev/null | xargs -r env DOCKER_HOST="unix://$DK_SOCK" "$DK_CLIENT" inspect --format '{{.Id}} {{.State.Pid}} {{.HostConfig.NetworkMode}}' 2>/dev/null)
  for f in "$DK_EXEC"/netns/*; do
    [[ -e $f ]] || continue
    peers=$(nsenter --net="$f" ip -o link show 2>/dev/null | _dk_peer_ifindexes)
    DK_LIVE_PEERS+="${peers//$'\n'/ } "
  done
  # one line for the log, however many containers failed: the count and the first reason
  [[ -n $err ]] && err="$(grep -o '; ' <<< "$err" | wc -l) containers could not be read, first: ${err%%; *}"
  DK_LIVE_PEERS_ERR=$err
  [[ -z $err ]]
}
dk_stale_ports() { # "<host ifindex> <name> <bridge>" per port whose peer is in none of DK_LIVE_PEERS (read them first)
  local br
  for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^ph-/ {print $2}'); do
    [[ $br == phbr* ]] && continue   # the ssh hosts' bridge, not docker's
    ip -o link show master "$br" 2>/dev/null | awk -v br="$br" '/link-netns/ { split($2, a, "@"); print $1+0, a[1], br }' \
      | while read -r idx name b; do [[ $DK_LIVE_PEERS == *" $idx "* ]] || echo "$idx $name $b"; done
  done
}
dk_namespace_holders() { # what keeps namespaces alive that belong to no live sandbox: processes and mount copies
  local d ino mnt rootmnt cmd n
  local -A live=() seen=()
  rootmnt=$(readlink /proc/self/ns/mnt)
  for d in "$DK_EXEC"/netns/* /run/netns/*; do [[ -e $d ]] && live[$(stat -L -c %i "$d" 2>/dev/null)]=1; done
  ino=$(readlink /proc/self/ns/net); ino=${ino//[^0-9]/}; live[$ino]=1
  for d in /proc/[0-9]*; do
    ino=$(readlink "$d/ns/net" 2>/dev/null) || continue
    ino=${ino//[^0-9]/}
    cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null | cut -c1-80)
    [[ -n ${live[$ino]:-} ]] || echo "  process ${d#/proc/} in net:[$ino]: $cmd"
    mnt=$(readlink "$d/ns/mnt" 2>/dev/null) || continue
    [[ $mnt == "$rootmnt" || -n ${seen[$mnt]:-} ]] && continue
    seen[$mnt]=1
    n=$(grep -c "docker/run/netns" "$d/mountinfo" 2>/dev/null) || n=0
    ((n)) && echo "  mount namespace of ${d#/proc/} ($cmd) holds $n docker netns mounts"
  done
  return 0
}
dk_prune_stale_ports() {
  local first second idx name br n=0
  if ! dk_read_live_peers; then
    echo "$(date -u +%FT%TZ) no prune: could not read every running container's interfaces: ${DK_LIVE_PEERS_ERR:-unknown}" >> "$DK_DIR/stale-ports.log"
    rig_log "not looking for stale bridge ports: ${DK_LIVE_PEERS_ERR:-the interfaces of a container could not be read}"
    return 0
  fi
  first=$(dk_stale_ports)
  [[ -n $first ]] || return 0
  sleep 1
  dk_read_live_peers || return 0
  second=$(dk_stale_ports)
  while read -r idx name br; do
    [[ -n $idx && $first == *"$idx $name $br"* ]] || continue
    ip link del "$name" 2>/dev/null && n=$((n + 1))
  done <<< "$second"
  ((n)) || return 0
  { echo "$(date -u +%FT%TZ) removed $n stale ports (on $(echo "$first" | awk '{print $3}' | sort | uniq -c | awk '{print $2 ": " $1}' | paste -sd, -)); held by:"
    dk_namespace_holders; } >> "$DK_DIR/stale-ports.log"
  rig_log "removed $n bridge ports left by namespaces that outlived their containers (see $DK_DIR/stale-ports.log)"
}
dk_pid_is_live() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [[ $st != Z && $st != X ]]; }
dk_leftover_pids() { # processes a killed rig dockerd leaves behind; only ours, never by name alone
  local d cmd f
  for d in /proc/[0-9]*; do
    { cmd=$(tr '\0' ' ' < "$d/cmdline"); } 2>/dev/null || continue
    case "$cmd" in
      *"$DK_EXEC"*|*"$DK_SOCK"*) echo "${d#/proc/}" ;;                       # containerd, shims
      *docker-proxy*"-container-ip 10.213."*) echo "${d#/proc/}" ;;          # our published ports
    esac
  done
  # container processes orphaned by a killed shim live in our cgroup parent
  for f in /sys/fs/cgroup/pids/pilothouse-rig/*/cgroup.procs /sys/fs/cgroup/pilothouse-rig/*/cgroup.procs; do
    [[ -f $f ]] && cat "$f" 2>/dev/null
  done
}

dk_ensure_image() {
  local want have tar
  want=$(dk_image_hash)
  have=$(dk image inspect --format '{{index .Config.Labels "org.pilothouse.rig.hash"}}' "$DK_IMAGE" 2>/dev/null || true)
  [[ $have == "$want" ]] && return 0
  mkdir -p "$RIG_CACHE/docker"
  tar=$RIG_CACHE/docker/rig-base-$want.tar
  if [[ ! -s $tar ]]; then
    rig_log "building rootfs $tar"
    bash "$DK_SRC/image/build-rootfs.sh" "$tar"
  fi
  rig_log "importing $DK_IMAGE from $tar"
  dk import \
    --change 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["rigsvc"]' \
    --change "LABEL org.pilothouse.rig.hash=$want" \
    --change 'LABEL org.opencontainers.image.title=pilothouse-rig-base' \
    -m "pilothouse rig base image ($want)" \
    "$tar" "$DK_IMAGE" >/dev/null
}

dk_ensure_networks() {
  dk network inspect "$DK_T2I_NET" >/dev/null 2>&1 && return 0
  dk network create --driver bridge --opt com.docker.network.bridge.name=ph-t2i0 --subnet 10.213.0.0/24 \
    --label org.pilothouse.rig=docker "$DK_T2I_NET" >/dev/null
}

# dk_unhealthy_list : containers of the rig projects that are not running, or not healthy
dk_unhealthy_list() {
  local ids=() lines p line
  dk version >/dev/null 2>&1 || { echo "dockerd not answering"; return 1; }
  mapfile -t ids < <(dk ps -aq --filter label=com.docker.compose.project)
  lines=
  ((${#ids[@]} == 0)) || lines=$(dk inspect --format '{{index .Config.Labels "com.docker.compose.project"}} {{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "${ids[@]}" 2>/dev/null)
  for p in "${DK_PROJECTS[@]}"; do
    grep -q "^$p " <<< "$lines" || echo "$p: no containers"
  done
  while read -r p line; do
    [[ -n $p && " ${DK_PROJECTS[*]} " == *" $p "* ]] || continue
    case "$line" in *" running healthy"|*" running none") ;; *) echo "$line" ;; esac
  done <<< "$lines"
}
dk_all_healthy() { local out; out=$(dk_unhealthy_list) && [[ -z $out ]]; }

dk_projects_up() {
  local p pids=() rc=0 i t0=$SECONDS
  dk_ensure_networks
  mkdir -p "$DK_DIR/compose"
  # the three projects come up in parallel; each one's compose output goes to compose/<project>.log
  for p in "${DK_PROJECTS[@]}"; do
    rig_log "docker-compose -p $p up -d"
    dc "$p" up -d --remove-orphans >>"$DK_DIR/compose/$p.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      p=${DK_PROJECTS[$i]}; rc=1
      tail -n 20 "$DK_DIR/compose/$p.log" >&2; rig_log "compose up failed for $p"
    fi
  done
  ((rc == 0)) || rig_die "compose up failed"
  rig_log "containers created in $(( SECONDS - t0 ))s; waiting for healthchecks"
  if ! wait_for 180 "healthy containers" dk_all_healthy; then
    dk_unhealthy_list >&2
    rig_die "containers not healthy"
  fi
  dk_prune_stale_ports
}

dk_write_client_files() {
  write_rig_file docker/DOCKER_HOST "unix://$DK_SOCK"
  local p lines=""
  for p in "${DK_PROJECTS[@]}"; do lines+="$p $(dk_compose_file "$p")"$'\n'; done
  write_rig_file docker/PROJECTS "${lines%$'\n'}"
}

docker_up() {
  dk_lock
  apt_need docker.io docker-compose busybox-static iproute2 iptables
  mkdir -p "$DK_DIR"
  local t0=$SECONDS
  dk_start_daemon
  rig_log "daemon answers after $(( SECONDS - t0 ))s"
  dk_ensure_image
  dk_write_client_files
  rig_log "image ready after $(( SECONDS - t0 ))s"
  dk_projects_up
  dk_unlock
  rig_log "$(docker_status || true)"
}

docker_down() {
  dk_lock
  mkdir -p "$DK_DIR/compose"
  if dk_alive; then
    local p
    for p in "${DK_PROJECTS[@]}"; do dc "$p" down --remove-orphans -v -t 2 >>"$DK_DIR/compose/$p.log" 2>&1 || true; done
    local ids=()
    mapfile -t ids < <(dk ps -aq 2>/dev/null)
    ((${#ids[@]} == 0)) || dk rm -f "${ids[@]}" >/dev/null 2>&1 || true
    dk network rm "$DK_T2I_NET" >/dev/null 2>&1 || true
  fi
  dk_stop_daemon
  # unmount anything the daemon left mounted under its directories, deepest first
  local m
  for m in $(awk -v a="$DK_DATA" -v b="$DK_EXEC" 'index($2,a)==1 || index($2,b)==1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf -- "$DK_DIR"
  # bridges of this daemon: the default one and any user-network bridge in our address pool
  local dev
  for dev in $(ip -o -4 addr show 2>/dev/null | awk '$4 ~ /^10\.213\./ {print $2}' | sort -u); do
    ip link delete "$dev" 2>/dev/null || true
  done
  ip link delete "$DK_BRIDGE" 2>/dev/null || true
  dk_fw_down
  dk_unlock
}

docker_status() {
  local v
  v=$(dk version --format '{{.Server.Version}}' 2>/dev/null) || { echo "dockerd not answering on unix://$DK_SOCK"; return 1; }
  local p n bad summary="" rc=0
  for p in "${DK_PROJECTS[@]}"; do
    n=$(dk ps -aq --filter "label=com.docker.compose.project=$p" | wc -l)
    summary+=" $p=$n"
  done
  bad=$(dk_unhealthy_list 2>&1) || true
  if [[ -n $bad ]]; then rc=1; summary+="; not healthy: $(echo "$bad" | head -n 5 | tr '\n' ';')"; else summary+=" all healthy"; fi
  echo "dockerd $v on unix://$DK_SOCK;$summary"
  return $rc
}
