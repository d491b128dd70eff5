# Scenario: kube-apiserver goes away and comes back with etcd compacted meanwhile, so clients that
# resume their watches from the resourceVersion they had get 410 Gone ("too old resource version")
# and must re-list. RIG_KUBE_API_DOWN=<seconds> sets the outage (default 5); RIG_KUBE_API_DOWN=hold
# leaves the apiserver stopped until `--undo`.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  _kube_apiserver_stop
  _kube_etcd_compact
  local down=${RIG_KUBE_API_DOWN:-5}
  if [[ $down == hold ]]; then rig_log "kube-apiserver stopped; run with --undo to start it"; return 0; fi
  sleep "$down"
  _kube_apiserver_start
}

scenario_undo() {
  _kube_apiserver_start
}
