#!/usr/bin/env bash
# The test rig: real servers on one offline machine. See test/rig/README.md.
#   rig.sh up [component...] | status | down [component...] | scenario <name> [--undo] | bench-pods N
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"

# Start order matters: kube's scenario driver needs postgres; ssh hosts see the rig docker engine.
ALL=(postgres docker ssh slurm prometheus airflow airflow3 kube)

load_component() {
  local c=$1
  [[ -f "$HERE/components/$c.sh" ]] || rig_die "unknown component '$c' (known: ${ALL[*]})"
  # shellcheck disable=SC1090
  source "$HERE/components/$c.sh"
}

cmd=${1:-status}; shift || true
case "$cmd" in
  up)
    comps=("$@"); ((${#comps[@]})) || comps=("${ALL[@]}")
    for c in "${comps[@]}"; do
      load_component "$c"; export RIG_COMPONENT=$c
      t0=$(date +%s); "${c}_up"; rig_log "up in $(( $(date +%s) - t0 ))s"
    done ;;
  down)
    comps=("$@"); ((${#comps[@]})) || comps=("${ALL[@]}")
    for (( i=${#comps[@]}-1; i>=0; i-- )); do
      c=${comps[$i]}; load_component "$c"; export RIG_COMPONENT=$c; "${c}_down" || rig_log "down failed"
    done ;;
  status)
    comps=("$@"); ((${#comps[@]})) || comps=("${ALL[@]}")
    rc=0
    for c in "${comps[@]}"; do
      load_component "$c"; export RIG_COMPONENT=$c
      if line=$("${c}_status" 2>&1); then printf '%-11s ok    %s\n' "$c" "$line"
      else printf '%-11s DOWN  %s\n' "$c" "$line"; rc=1; fi
    done
    exit $rc ;;
  scenario)
    name=${1:?usage: rig.sh scenario <name> [--undo]}; undo=${2:-}
    f="$HERE/scenarios/$name.sh"
    [[ -f $f ]] || rig_die "unknown scenario '$name' (known: $(ls "$HERE/scenarios" | sed 's/\.sh$//' | tr '\n' ' '))"
    export RIG_COMPONENT="scenario:$name"
    # shellcheck disable=SC1090
    source "$f"
    if [[ $undo == --undo ]]; then scenario_undo; else scenario_apply; fi ;;
  bench-pods)
    # N kwok pods across 50 namespaces for the kube bench (0 removes them); see kube/bench_pods.py.
    export RIG_COMPONENT=bench-pods
    exec python3 "$HERE/kube/bench_pods.py" "$@" ;;
  *) echo "usage: rig.sh up [component...] | status | down [component...] | scenario <name> [--undo] | bench-pods N" >&2; exit 2 ;;
esac
