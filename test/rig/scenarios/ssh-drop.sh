# Scenario ssh-drop: packets to kraken-workers' sshd (or $RIG_DROP_HOST's) are silently dropped by an
# nftables rule inside the host's network namespace: new connections hang until the client's
# timeout and open sessions stall. --undo deletes the rule.
# shellcheck disable=SC1091
source "$REPO/test/rig/components/ssh.sh"
DROP_HOST=${RIG_DROP_HOST:-kraken-workers}
DROP_TABLE=pilothouse_ssh_drop

scenario_apply() {
  apt_need nftables
  local ns; ns=$(ssh_netns "$DROP_HOST")
  ip netns exec "$ns" nft delete table inet "$DROP_TABLE" 2>/dev/null || true
  ip netns exec "$ns" nft -f - <<EOF2
table inet $DROP_TABLE {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 drop
  }
}
EOF2
  rig_log "dropping tcp/22 on $DROP_HOST ($(ssh_host_addr "$DROP_HOST"))"
}

scenario_undo() {
  ip netns exec "$(ssh_netns "$DROP_HOST")" nft delete table inet "$DROP_TABLE" 2>/dev/null || true
  rig_log "tcp/22 on $DROP_HOST open again"
}
