#!/usr/bin/env bash
# ssh_halt_host (host-reboot, down) kills every process in a host's mount namespace, found through the
# holder pid in .rig/pids. A stale pid file whose pid now belongs to a process in the root namespace
# must make it refuse, not kill the machine. `kill` is replaced by a recorder here, so that a broken
# guard fails this test instead of taking the machine down. Needs no running rig (a temp RIG_DIR).
#   bash test/rig/test/ssh-halt-guard.test.sh
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
TMP=$(mktemp -d); trap 'kill "$decoy" "$other" 2>/dev/null; rm -rf "$TMP"' EXIT
export RIG_DIR="$TMP/rig"
source "$REPO/test/rig/lib.sh"
source "$REPO/test/rig/components/ssh.sh"
pass=0; fail=0
ok()  { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '      %s\n' "$2"; }

# A recycled pid: a `sleep infinity` like a holder's, but in the root mount namespace.
sleep infinity & decoy=$!
# And one with another command line altogether.
bash -c 'exec -a some-daemon sleep infinity' & other=$!
sleep 0.2

if why=$(ssh_holder_check kraken-test "$decoy"); then bad "a sleep in the root namespace is refused as holder"
else [[ $why == *"root mount namespace"* ]] && ok "a sleep in the root namespace is refused as holder: $why" || bad "refusal names the root namespace" "$why"; fi
if why=$(ssh_holder_check kraken-test "$other"); then bad "another command line is refused as holder"
else [[ $why == *"not the holder"* ]] && ok "another command line is refused: $why" || bad "refusal names the command line" "$why"; fi

# ssh_halt_host with the stale pid file: nothing may be killed, the pid file is forgotten.
mkdir -p "$RIG_DIR/pids" "$RIG_DIR/ssh/hosts/kraken-test/state"
echo "$decoy" > "$RIG_DIR/pids/ssh-kraken-test-holder.pid"
echo "$other" > "$RIG_DIR/pids/ssh-kraken-test-sshd.pid"
kills="$TMP/kills"; : > "$kills"
kill() { if [[ $1 == -0 ]]; then builtin kill "$@"; else echo "kill $*" >> "$kills"; fi; }
ssh_halt_host kraken-test 2> "$TMP/log"
unset -f kill
if [[ -s $kills ]]; then bad "ssh_halt_host kills nothing for a stale pid" "$(head -3 "$kills") ($(wc -l < "$kills") kills)"; else ok "ssh_halt_host kills nothing for a stale pid"; fi
[[ ! -e "$RIG_DIR/pids/ssh-kraken-test-holder.pid" ]] && ok "the stale holder pid file is forgotten" || bad "the stale holder pid file is forgotten"
grep -q "not killing anything for pid $decoy" "$TMP/log" && ok "it says why" || bad "it says why" "$(cat "$TMP/log")"
builtin kill -0 "$decoy" && ok "the decoy still runs" || bad "the decoy still runs"

# The real holders of a running rig pass the check.
REAL_RIG="$REPO/.rig"
for f in "$REAL_RIG"/pids/ssh-*-holder.pid; do
  [[ -f $f ]] || { echo "skip  real holders (rig not up)"; break; }
  h=$(basename "$f" -holder.pid); h=${h#ssh-}; p=$(cat "$f")
  builtin kill -0 "$p" 2>/dev/null || continue
  if why=$(ssh_holder_check "$h" "$p"); then ok "the holder of $h passes"; else bad "the holder of $h passes" "$why"; fi
done
echo "$pass passed, $fail failed"
((fail == 0))
