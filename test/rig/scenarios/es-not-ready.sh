# Scenario (seed 000): Elasticsearch stays yellow (replica shards unassigned on a single node), so its
# readiness probe (wait_for_status=green) times out and elasticsearch-master-0 never becomes Ready.
# The scenario driver derives the pod's Ready condition from the search-index stand-in. Fixed by the
# undo, or by the operators' remedy: `kubectl exec deploy/argilla-server -- python -m argilla_server
# search-engine reindex`, which rebuilds the indexes from PostgreSQL with 0 replicas.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  _kube_search_set yellow 1 "replica shards unassigned: single node cluster"
  wait_for 30 "elasticsearch-master-0 not Ready" _kube_pod_ready_is extralit elasticsearch-master-0 False \
    || rig_die "elasticsearch-master-0 still Ready"
}

scenario_undo() {
  _kube_require
  _kube_search_set green 0 "replicas set to 0"
  wait_for 30 "elasticsearch-master-0 Ready" _kube_pod_ready_is extralit elasticsearch-master-0 True \
    || rig_die "elasticsearch-master-0 not Ready"
}
