# Scenario (seed 000, newer layout): redis is added with a claim of the stack's storage class
# `k8s-storage-policy`. That class does not exist (the cluster's class is misspelled
# `k8-storage-policy`) and every static PV is taken, so the claim stays Pending and the redis pod
# cannot be scheduled. Undo removes redis and its claim.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  _kc apply -f "$KUBE_SRC/manifests/redis-pending.yaml" >/dev/null
  sleep 3
  _kube_pvc_phase redis-data Pending || rig_die "redis-data is not Pending"
}

scenario_undo() {
  _kube_require
  _kc delete -f "$KUBE_SRC/manifests/redis-pending.yaml" --ignore-not-found --wait --timeout=60s >/dev/null
}
