# Scenario (seed 000): "PVC bound to the wrong PV". The PVs are re-created from the storage-policy
# file as it really is (no claimRef pre-binding) and main-db's claim is re-created with the chart's
# default size (8Gi, because chart 13.x ignores postgresql.persistence). kube-controller-manager's PV
# binder then gives data-main-db-0 the smallest PV that fits: elastic-pv. Elasticsearch's claim is
# left with nothing that fits, so it stays Pending and elasticsearch-master-0 cannot be scheduled.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  _kube_scale_sts 0 main-db elasticsearch-master
  _kube_delete_claims_and_pvs
  _kube_manifest_objects storage.yaml \
    '.kind == "PersistentVolume" and (.metadata.name == "elastic-pv" or .metadata.name == "postgres-pv")' \
    'del(.spec.claimRef)' | _kc create --save-config -f - >/dev/null
  _kube_manifest_objects extralit.yaml '.kind == "PersistentVolumeClaim" and .metadata.name == "data-main-db-0"' \
    '.spec.resources.requests.storage = "8Gi"' | _kc create --save-config -f - >/dev/null
  wait_for 60 "data-main-db-0 bound" _kube_pvc_phase data-main-db-0 Bound || rig_die "data-main-db-0 did not bind"
  _kube_scale_sts 1 main-db elasticsearch-master
  rig_log "data-main-db-0 -> $(_kc -n extralit get pvc data-main-db-0 -o jsonpath='{.spec.volumeName}'); elasticsearch claim Pending"
}

scenario_undo() {
  _kube_require
  _kube_scale_sts 0 main-db elasticsearch-master
  _kube_delete_claims_and_pvs
  _kc apply -f "$KUBE_SRC/manifests/storage.yaml" >/dev/null
  _kube_manifest_objects extralit.yaml '.kind == "PersistentVolumeClaim" and .metadata.name == "data-main-db-0"' . \
    | _kc create --save-config -f - >/dev/null
  wait_for 60 "data-main-db-0 bound" _kube_pvc_phase data-main-db-0 Bound || rig_die "data-main-db-0 did not bind"
  _kube_scale_sts 1 elasticsearch-master
  wait_for 90 "elasticsearch claim bound" _kube_pvc_phase elasticsearch-master-elasticsearch-master-0 Bound \
    || rig_die "elasticsearch claim did not bind"
  _kube_scale_sts 1 main-db elasticsearch-master
  wait_for 90 "extralit pods Ready" _kube_pods_ready extralit || rig_log "WARNING: not all extralit pods Ready"
}

_kube_delete_claims_and_pvs() {
  _kc -n extralit delete pvc data-main-db-0 elasticsearch-master-elasticsearch-master-0 --ignore-not-found --wait --timeout=60s >/dev/null
  _kc delete pv elastic-pv postgres-pv --ignore-not-found --wait --timeout=60s >/dev/null
}

# _kube_manifest_objects FILE SELECT_EXPR EDIT_EXPR : objects of a rig manifest matching a jq condition, edited, as a List.
_kube_manifest_objects() {
  _kc create -f "$KUBE_SRC/manifests/$1" --dry-run=client -o json \
    | jq -s "{apiVersion: \"v1\", kind: \"List\", items: [.[] | if .kind == \"List\" then .items[] else . end | select($2) | $3]}"
}
