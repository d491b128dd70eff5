# Rig component: four SSH "hosts", each an sshd in its own network namespace and mount namespace.
#   kraken-dbs 10.177.0.11, kraken-infra 10.177.0.12 (bastion), kraken-workers 10.177.0.13,
#   cluster-head 10.177.0.14 (only reachable through kraken-infra: ProxyJump).
# Root side: bridge phbr0 10.177.0.1/24 with one veth per host. Each host has its own host key,
# its own /fs (tmpfs) with pool mount points, its own /home/<user>, and /usr/local/bin overlaid with
# host tools (docker wrapper that honours the host's "docker running" state, systemctl, mount.sh, uptime).
# Client files: $RIG_DIR/ssh/{ssh_config,known_hosts,keys/*,hosts.json}.
# A host = a holder process (sleep) that owns the host's mount and UTS namespaces inside netns ph-<host>
# (unshare first, then enter the netns, so /sys keeps the root's cgroup mounts that slurmd needs);
# "rebooting" a host kills every process in that mount namespace and boots a fresh one.

SSH_HOME="$RIG_DIR/ssh"
SSH_BRIDGE=phbr0
SSH_GW=10.177.0.1
SSH_HOSTS=(kraken-dbs kraken-infra kraken-workers cluster-head)
SSH_BASTION=kraken-infra
SSH_TOOLS="$REPO/test/rig/hosts"

ssh_host_addr() {
  case $1 in
    kraken-dbs) echo 10.177.0.11 ;; kraken-infra) echo 10.177.0.12 ;;
    kraken-workers) echo 10.177.0.13 ;; cluster-head) echo 10.177.0.14 ;;
    *) return 1 ;;
  esac
}
ssh_host_user() { [[ $1 == cluster-head ]] && echo kraken-read || echo kraken; }
# Pool shares each host mounts at boot-time runbook (./mount.sh <entity>): /fs/pool/pool-<entity>.
ssh_host_mounts() {
  case $1 in
    kraken-dbs) echo backup ;;
    kraken-infra) echo logs ;;
    kraken-workers) echo backup output logs instrument1 ;;
    *) ;;
  esac
}
ssh_netns() { echo "ph-$1"; }
_ssh_veth() { local s=${1#kraken-}; s=${s#cluster-}; echo "phv-$s"; }
ssh_hostdir() { echo "$SSH_HOME/hosts/$1"; }
ssh_holder_pid() { cat "$RIG_DIR/pids/ssh-$1-holder.pid" 2>/dev/null; }
# Run a command as root inside a host (its netns + mount ns).
ssh_host_exec() {
  local h=$1 p; shift
  p=$(ssh_holder_pid "$h") && [[ -n $p ]] && kill -0 "$p" 2>/dev/null || { rig_log "host $h is not running"; return 1; }
  nsenter -t "$p" -m -n -u -- "$@"
}

_ssh_users() {
  apt_need openssh-server openssh-client sudo nftables iproute2 util-linux
  local u
  for u in kraken kraken-read; do
    if ! getent passwd "$u" >/dev/null; then
      useradd -m -s /bin/bash "$u"
      usermod -p "*" "$u"   # not locked ("!"), which sshd refuses without PAM; no password login either
      mkdir -p "$SSH_HOME"; echo "$u" >> "$SSH_HOME/created-users"
    fi
  done
  # The rig docker engine's socket is group docker: let kraken use `docker` like on the real hosts.
  if getent group docker >/dev/null && ! id -nG kraken | grep -qw docker; then usermod -aG docker kraken; fi
  # kraken may sudo on its hosts (mount.sh, systemctl start docker), as in the runbook.
  if [[ ! -f /etc/sudoers.d/pilothouse-rig ]]; then
    printf '%s\n' 'kraken ALL=(ALL) NOPASSWD: ALL' 'Defaults:kraken !requiretty' > /etc/sudoers.d/pilothouse-rig
    chmod 440 /etc/sudoers.d/pilothouse-rig
  fi
}

_ssh_keys() {
  mkdir -p "$SSH_HOME/keys" "$SSH_HOME/authorized_keys"
  chmod 755 "$SSH_HOME" "$SSH_HOME/authorized_keys"
  local u
  for u in kraken kraken-read; do
    [[ -f "$SSH_HOME/keys/$u" ]] || ssh-keygen -q -t ed25519 -N '' -C "$u@pilothouse-rig" -f "$SSH_HOME/keys/$u"
    cp "$SSH_HOME/keys/$u.pub" "$SSH_HOME/authorized_keys/$u"
    chmod 644 "$SSH_HOME/authorized_keys/$u"
  done
  chmod 600 "$SSH_HOME/keys/kraken" "$SSH_HOME/keys/kraken-read"
}

_ssh_network() {
  if ! ip link show "$SSH_BRIDGE" >/dev/null 2>&1; then
    ip link add "$SSH_BRIDGE" type bridge
    ip addr add "$SSH_GW/24" dev "$SSH_BRIDGE"
  fi
  ip link set "$SSH_BRIDGE" up
  # br_netfilter may send bridged host-to-host traffic through FORWARD (docker sets it to DROP).
  if command -v iptables >/dev/null && ! iptables -C FORWARD -i "$SSH_BRIDGE" -o "$SSH_BRIDGE" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD -i "$SSH_BRIDGE" -o "$SSH_BRIDGE" -j ACCEPT 2>/dev/null || true
  fi
  local h ns veth addr
  for h in "${SSH_HOSTS[@]}"; do
    ns=$(ssh_netns "$h"); veth=$(_ssh_veth "$h"); addr=$(ssh_host_addr "$h")
    ip netns list | grep -qx "$ns\( .*\)\?" || ip netns add "$ns"
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip netns exec "$ns" ip link del eth0 2>/dev/null || true
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip link set "$veth" master "$SSH_BRIDGE"
    fi
    ip link set "$veth" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

_ssh_hostfiles() {
  local h=$1 d addr user allow
  d=$(ssh_hostdir "$h"); addr=$(ssh_host_addr "$h"); user=$(ssh_host_user "$h")
  mkdir -p "$d/state" "$d/home" "$d/bin"
  [[ -f "$d/ssh_host_ed25519_key" ]] || ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$d/ssh_host_ed25519_key"
  # The host's first key is its "real" key; the host-key-changed scenario swaps it and restores this copy.
  [[ -f "$d/original_host_key" ]] || cp -p "$d/ssh_host_ed25519_key" "$d/original_host_key"
  [[ -f "$d/original_host_key.pub" ]] || cp -p "$d/ssh_host_ed25519_key.pub" "$d/original_host_key.pub"
  allow=$user
  [[ $h == cluster-head ]] && allow="$user@$(ssh_host_addr "$SSH_BASTION")"
  cat > "$d/sshd_config" <<EOF
# pilothouse rig host $h
ListenAddress $addr
Port 22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $SSH_HOME/authorized_keys/%u
AllowUsers $allow
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
ClientAliveInterval 15
LogLevel VERBOSE
SetEnv PILOTHOUSE_RIG_HOST=$h
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  echo "$h" > "$d/hostname"
  { printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$h"
    local o; for o in "${SSH_HOSTS[@]}"; do printf '%s\t%s\n' "$(ssh_host_addr "$o")" "$o"; done
    printf '%s\tgateway.rig\n' "$SSH_GW"; } > "$d/etc-hosts"
  # Host tools, overlaid on /usr/local/bin inside the host.
  cp "$SSH_TOOLS"/bin/* "$d/bin/"
  chmod 755 "$d/bin"/*
  printf '%s\n' "$d" > "$d/bin/.rig-hostdir"
  printf '%s\n' "$SSH_HOME" > "$d/bin/.rig-sshdir"
  printf '%s\n' "$RIG_DIR" > "$d/bin/.rig-dir"
  printf '%s\n' $(ssh_host_mounts "$h") > "$d/bin/.rig-mounts"
  # Per-host home with the runbook's repo checkout (mount.sh next to where the runbook expects it).
  mkdir -p "$d/home/alphakraken"
  ln -sfn /usr/local/bin/mount.sh "$d/home/alphakraken/mount.sh"
  ln -sfn /usr/local/bin/compose.sh "$d/home/alphakraken/compose.sh"
  chown -R "$user:$user" "$d/home"
}

# Pool shares ("the NAS"): the data survives a host reboot; the host only loses its mounts.
_ssh_nas() {
  local e
  for e in backup output logs instrument1; do
    mkdir -p "$SSH_HOME/nas/$e"
  done
  mkdir -p "$SSH_HOME/nas/instrument1/Backup" "$SSH_HOME/nas/output/alphadia" "$SSH_HOME/nas/logs/airflow_logs"
  local i
  for i in 1 2 3; do
    [[ -f "$SSH_HOME/nas/instrument1/20261123_astral1_sample$i.raw" ]] || \
      head -c 65536 /dev/urandom > "$SSH_HOME/nas/instrument1/20261123_astral1_sample$i.raw"
  done
  [[ -f "$SSH_HOME/nas/backup/README" ]] || echo "pool-backup share (pilothouse rig)" > "$SSH_HOME/nas/backup/README"
  chmod -R a+rwX "$SSH_HOME/nas"
}

# Boot a host: fresh mount namespace (no pool mounts unless --mount-pools), then sshd.
# A private mount namespace copies every mount the root namespace has when it is made, the rig dockerd's
# container namespaces (<exec-root>/netns/*) and the other hosts' /run/netns/* included. Those copies
# never see the root's unmounts, so each kept a container's network namespace, and its veth on the
# project bridge, alive after the container was gone: after the suite's dockerd restarts CI found a
# second port with the old address and MAC for every container, and connections to running services
# were refused by the empty old namespace. A host holds no namespace mount of anyone else's.
_ssh_drop_ns_mounts() {
  local pid=$1 t
  while read -r t; do
    [[ -n $t ]] && nsenter -t "$pid" -m -- umount -l "$t" 2>/dev/null
  done < <(findmnt -N "$pid" -rn -t nsfs -o TARGET 2>/dev/null | sort -r)
  return 0
}

# Docker starts "running" only with --docker (the seed's hosts do not start docker at boot).
ssh_boot_host() {
  local h=$1; shift
  local mount_pools=0 docker=0 a
  for a in "$@"; do case $a in --mount-pools) mount_pools=1 ;; --docker) docker=1 ;; esac; done
  local d ns user pid
  d=$(ssh_hostdir "$h"); ns=$(ssh_netns "$h"); user=$(ssh_host_user "$h")
  if ! daemon_alive "ssh-$h-holder"; then
    mkdir -p /fs   # mount point for the per-host tmpfs; empty in the root namespace
    [[ -f "$SSH_HOME/created-fs" ]] || { [[ -n $(ls -A /fs 2>/dev/null) ]] || touch "$SSH_HOME/created-fs"; }
    start_daemon "ssh-$h-holder" "$d/holder.log" \
      unshare --mount --uts --propagation private -- nsenter --net="/run/netns/$ns" -- sleep infinity
    wait_for 10 "$h mount namespace" _ssh_ns_ready "$h" || rig_die "host $h did not start"
    pid=$(ssh_holder_pid "$h")
    _ssh_drop_ns_mounts "$pid"
    nsenter -t "$pid" -u -- hostname "$h"
    nsenter -t "$pid" -m -n -- mount -t tmpfs -o size=16m,mode=755 "fs-$h" /fs
    nsenter -t "$pid" -m -n -- mount --bind "$d/home" "/home/$user"
    nsenter -t "$pid" -m -n -- mount --bind "$d/etc-hosts" /etc/hosts
    nsenter -t "$pid" -m -n -- mount -t overlay "tools-$h" -o "lowerdir=$d/bin:/usr/local/bin" /usr/local/bin
    local e
    for e in $(ssh_host_mounts "$h"); do
      nsenter -t "$pid" -m -n -- mkdir -p "/fs/pool/pool-$e"
    done
    date +%s > "$d/state/boot-time"
    rm -f "$d/state/docker-running"
    if ((mount_pools)); then
      for e in $(ssh_host_mounts "$h"); do
        nsenter -t "$pid" -m -n -- mount --bind "$SSH_HOME/nas/$e" "/fs/pool/pool-$e"
      done
    fi
    ((docker)) && date +%s > "$d/state/docker-running"
  fi
  pid=$(ssh_holder_pid "$h")
  mkdir -p /run/sshd
  start_daemon "ssh-$h-sshd" "$d/sshd.log" nsenter -t "$pid" -m -n -u -- /usr/sbin/sshd -D -e -f "$d/sshd_config"
  wait_for 15 "sshd on $h" _ssh_port_open "$(ssh_host_addr "$h")" || rig_die "sshd on $h did not listen; see $d/sshd.log"
  ssh_start_services "$h"
}

# Services that start at a host's boot (like enabled systemd units), registered by other components:
# .rig/ssh/hosts/<host>/services/<name>.args holds the command, one argument per line.
ssh_start_services() {
  local h=$1 d f name pid args=()
  d=$(ssh_hostdir "$h"); pid=$(ssh_holder_pid "$h")
  for f in "$d"/services/*.args; do
    [[ -f $f ]] || continue
    name=$(basename "$f" .args)
    mapfile -t args < "$f"
    ((${#args[@]})) || continue
    start_daemon "ssh-$h-svc-$name" "$d/svc-$name.log" nsenter -t "$pid" -m -n -u -- "${args[@]}"
  done
}
ssh_stop_service() { # ssh_stop_service HOST NAME : stop it and unregister it
  stop_daemon "ssh-$1-svc-$2" || true
  rm -f "$(ssh_hostdir "$1")/services/$2.args"
}
_ssh_ns_ready() {
  local p; p=$(ssh_holder_pid "$1") || return 1
  [[ $(readlink "/proc/$p/ns/uts") != "$(readlink /proc/self/ns/uts)" ]] && \
    [[ $(readlink "/proc/$p/ns/net") != "$(readlink /proc/self/ns/net)" ]]
}
_ssh_port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/22"' _ "$1"; }

# Mount / unmount a host's pool shares from outside (what `./mount.sh <entity>` does on the host).
ssh_mount_pools() {
  local h=$1 e
  for e in $(ssh_host_mounts "$h"); do
    ssh_host_exec "$h" mountpoint -q "/fs/pool/pool-$e" && continue
    ssh_host_exec "$h" mkdir -p "/fs/pool/pool-$e"
    ssh_host_exec "$h" mount --bind "$SSH_HOME/nas/$e" "/fs/pool/pool-$e"
  done
}
ssh_mounted_pools() { # prints the mounted pool mount points of a host
  ssh_host_exec "$1" findmnt -rn -o TARGET | grep '^/fs/pool/' || true
}

# Kill every process of a host (all processes in its mount namespace), as a power-off does.
# ssh_holder_check HOST PID : succeeds when PID is HOST's holder; otherwise prints why not.
# A pid in .rig/pids outlives the process after a machine restart and may now belong to anything. Killing
# "every process in its mount namespace" would then kill almost every process on the machine (CI
# included) when that is the root namespace. So, as kube.sh does for its pids: the command line must be
# the holder's, and its mount namespace must be neither init's nor ours.
ssh_holder_check() {
  local h=$1 p=$2 cmd mnt root self
  cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || { echo "pid $p is gone"; return 1; }
  [[ $cmd == "sleep infinity " ]] || { echo "pid $p is not the holder of $h (its command line is '${cmd% }')"; return 1; }
  mnt=$(readlink "/proc/$p/ns/mnt" 2>/dev/null)
  [[ -n $mnt ]] || { echo "pid $p: its mount namespace cannot be read"; return 1; }
  root=$(readlink /proc/1/ns/mnt 2>/dev/null); self=$(readlink "/proc/$$/ns/mnt" 2>/dev/null)
  if [[ $mnt == "$root" || $mnt == "$self" ]]; then
    echo "pid $p runs in the root mount namespace ($mnt), not in a host of its own"; return 1
  fi
}
# ssh_sshd_check HOST PID : the sshd pid must still be HOST's sshd (its config file on the command line).
ssh_sshd_check() {
  local cmd; cmd=$(tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *" -f $(ssh_hostdir "$1")/sshd_config "* ]]
}

ssh_halt_host() {
  local h=$1 p mnt q why
  p=$(ssh_holder_pid "$h")
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    if why=$(ssh_holder_check "$h" "$p"); then
      mnt=$(readlink "/proc/$p/ns/mnt")
      # Pass after pass until none is left: a process forked while a pass runs (sshd's child for a client
      # that was just connecting) is not in that pass's list, and one such survivor once served a
      # reconnecting client from the old namespace, with the pools still mounted, after the "reboot".
      local pass found
      for pass in $(seq 1 50); do
        found=0
        for q in /proc/[0-9]*; do
          q=${q#/proc/}
          [[ $q == "$$" ]] && continue
          if [[ $(readlink "/proc/$q/ns/mnt" 2>/dev/null) == "$mnt" ]]; then kill -KILL "$q" 2>/dev/null || true; found=1; fi
        done
        ((found)) || break
        sleep 0.1
      done
    else
      rig_log "host $h: not killing anything for pid $p: $why; forgetting its stale pid file"
      rm -f "$RIG_DIR/pids/ssh-$h-holder.pid"
    fi
  fi
  p=$(cat "$RIG_DIR/pids/ssh-$h-sshd.pid" 2>/dev/null)
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null && ! ssh_sshd_check "$h" "$p"; then
    rig_log "host $h: pid $p is no longer its sshd; forgetting its stale pid file"
    rm -f "$RIG_DIR/pids/ssh-$h-sshd.pid"
  fi
  stop_daemon "ssh-$h-sshd" || true; stop_daemon "ssh-$h-holder" || true
  local f
  for f in "$RIG_DIR"/pids/ssh-"$h"-svc-*.pid; do [[ -f $f ]] && rm -f "$f"; done
  rm -f "$(ssh_hostdir "$h")/state/docker-running" "$(ssh_hostdir "$h")/sshd.pid"
}

_ssh_client_files() {
  local h addr user kh="$SSH_HOME/known_hosts" cfg="$SSH_HOME/ssh_config"
  : > "$kh.new"
  {
    echo "# Pilothouse rig hosts: ssh -F $cfg <host>"
    for h in "${SSH_HOSTS[@]}"; do
      addr=$(ssh_host_addr "$h"); user=$(ssh_host_user "$h")
      printf '%s,%s %s\n' "$h" "$addr" "$(cut -d' ' -f1,2 "$(ssh_hostdir "$h")/original_host_key.pub")" >> "$kh.new"
      printf '\nHost %s\n  HostName %s\n  User %s\n  Port 22\n  IdentityFile %s\n  IdentitiesOnly yes\n' \
        "$h" "$addr" "$user" "$SSH_HOME/keys/$user"
      printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  HostKeyAlias %s\n  ConnectTimeout 5\n' "$kh" "$h"
      [[ $h == cluster-head ]] && printf '  ProxyJump %s\n' "$SSH_BASTION"
    done
  } > "$cfg"
  mv "$kh.new" "$kh"
  chmod 644 "$cfg" "$kh"
  {
    printf '['
    local first=1
    for h in "${SSH_HOSTS[@]}"; do
      ((first)) || printf ','; first=0
      printf '\n  {"name":"%s","address":"%s","port":22,"user":"%s","identityFile":"%s","proxyJump":%s,"mounts":[%s]}' \
        "$h" "$(ssh_host_addr "$h")" "$(ssh_host_user "$h")" "$SSH_HOME/keys/$(ssh_host_user "$h")" \
        "$([[ $h == cluster-head ]] && echo "\"$SSH_BASTION\"" || echo null)" \
        "$(for e in $(ssh_host_mounts "$h"); do printf '"/fs/pool/pool-%s",' "$e"; done | sed 's/,$//')"
    done
    printf '\n]\n'
  } > "$SSH_HOME/hosts.json"
}

ssh_up() {
  _ssh_users
  mkdir -p "$SSH_HOME/hosts"
  _ssh_keys
  _ssh_nas
  _ssh_network
  local h
  for h in "${SSH_HOSTS[@]}"; do
    _ssh_hostfiles "$h"
    if daemon_alive "ssh-$h-holder"; then ssh_boot_host "$h"
    elif [[ $h == kraken-* ]]; then ssh_boot_host "$h" --mount-pools --docker
    else ssh_boot_host "$h"; fi
  done
  _ssh_client_files
  rig_log "hosts up: $(for h in "${SSH_HOSTS[@]}"; do printf '%s=%s ' "$h" "$(ssh_host_addr "$h")"; done)(ssh -F $SSH_HOME/ssh_config <host>)"
}

ssh_down() {
  local h ns
  for h in "${SSH_HOSTS[@]}"; do
    ssh_halt_host "$h"
    ns=$(ssh_netns "$h")
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$(_ssh_veth "$h")" 2>/dev/null || true
  done
  iptables -D FORWARD -i "$SSH_BRIDGE" -o "$SSH_BRIDGE" -j ACCEPT 2>/dev/null || true
  ip link del "$SSH_BRIDGE" 2>/dev/null || true
  rm -f /etc/sudoers.d/pilothouse-rig
  if [[ -f "$SSH_HOME/created-users" ]]; then
    local u
    while read -r u; do [[ -n $u ]] && userdel -r "$u" 2>/dev/null; done < "$SSH_HOME/created-users"
  fi
  [[ -f "$SSH_HOME/created-fs" ]] && rmdir /fs 2>/dev/null
  rm -rf "$SSH_HOME"
}

ssh_status() {
  [[ -f "$SSH_HOME/ssh_config" ]] || { echo "not set up"; return 1; }
  local h up=() down=()
  for h in "${SSH_HOSTS[@]}"; do
    if daemon_alive "ssh-$h-sshd" && _ssh_port_open "$(ssh_host_addr "$h")"; then up+=("$h"); else down+=("$h"); fi
  done
  if ((${#down[@]})); then echo "down: ${down[*]}"; return 1; fi
  echo "${#up[@]} hosts on 10.177.0.0/24 (ssh -F $SSH_HOME/ssh_config <host>)"
}
