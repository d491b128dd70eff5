# Scenario host-key-changed: kraken-dbs (or $RIG_KEY_HOST) gets a new sshd host key and its sshd
# reloads it, so the entry in $RIG_DIR/ssh/known_hosts no longer matches ("REMOTE HOST
# IDENTIFICATION HAS CHANGED" with StrictHostKeyChecking=yes). --undo restores the original key.
# shellcheck disable=SC1091
source "$REPO/test/rig/components/ssh.sh"
KEY_HOST=${RIG_KEY_HOST:-kraken-dbs}

_key_reload() {
  local p; p=$(cat "$RIG_DIR/pids/ssh-$KEY_HOST-sshd.pid" 2>/dev/null)
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then kill -HUP "$p"   # sshd re-executes and reads its keys
  else ssh_boot_host "$KEY_HOST"; fi
  sleep 0.5
  wait_for 10 "sshd on $KEY_HOST" _ssh_port_open "$(ssh_host_addr "$KEY_HOST")"
}

scenario_apply() {
  local d tmp; d=$(ssh_hostdir "$KEY_HOST")
  [[ -f "$d/original_host_key" ]] || rig_die "host $KEY_HOST has no host key (rig.sh up ssh)"
  tmp=$(mktemp -d)
  ssh-keygen -q -t ed25519 -N '' -C "root@$KEY_HOST-reinstalled" -f "$tmp/key"
  install -m 600 "$tmp/key" "$d/ssh_host_ed25519_key"
  install -m 644 "$tmp/key.pub" "$d/ssh_host_ed25519_key.pub"
  rm -rf "$tmp"
  _key_reload
  rig_log "$KEY_HOST now presents $(ssh-keygen -lf "$d/ssh_host_ed25519_key.pub" | awk '{print $2}')"
}

scenario_undo() {
  local d; d=$(ssh_hostdir "$KEY_HOST")
  install -m 600 "$d/original_host_key" "$d/ssh_host_ed25519_key"
  install -m 644 "$d/original_host_key.pub" "$d/ssh_host_ed25519_key.pub"
  _key_reload
  rig_log "$KEY_HOST presents its original key again"
}
