#!/usr/bin/env bash
# Checks the kube rig component after `rig.sh up postgres kube`: seed objects, logs, exec,
# port-forward, the read-only user, and every kube scenario's symptom and undo.
# Usage: bash test/rig/test/kube.test.sh   (last line: "N passed, M failed"; exit 1 on failures)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib.sh"
source "$HERE/../components/kube.sh"
RIG="$HERE/../rig.sh"
export KUBECONFIG="$KUBE_KC"
RO="$KUBE_HOME/kubeconfig-readonly"
pass=0 fail=0
PF_PIDS=()

ok()   { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad()  { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [[ -n ${2:-} ]] && printf '     %s\n' "$2"; }
# check NAME CMD... : pass when CMD succeeds.
check() { local n=$1; shift; local out; if out=$("$@" 2>&1); then ok "$n"; else bad "$n" "$(tail -3 <<<"$out")"; fi; }
# check_eventually SECS NAME CMD...
check_eventually() { local s=$1 n=$2; shift 2; if wait_for "$s" "$n" "$@" 2>/dev/null; then ok "$n"; else bad "$n" "still false after ${s}s"; fi; }
k() { kubectl "$@"; }
jp() { kubectl -n "$1" get "$2" -o jsonpath="$3" 2>/dev/null; }
eq() { [[ $1 == "$2" ]] || { echo "got '$1', want '$2'"; return 1; }; }
contains() { grep -q -- "$2" <<<"$1" || { echo "'$2' not in: $(head -c 300 <<<"$1")"; return 1; }; }
cleanup() { local p; for p in "${PF_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# port_forward LOCAL TARGET REMOTE: background kubectl port-forward, waits until the local port answers.
port_forward() {
  kubectl -n "$4" port-forward --address 127.0.0.1 "$2" "$1:$3" >/dev/null 2>&1 &
  PF_PIDS+=($!)
  wait_for 15 "port-forward $2" bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0' "$1"
}
secret_pw() { jp extralit secret/main-db '{.data.postgres-password}' | base64 -d; }
pf_psql() { PGPASSWORD=$(secret_pw) PGCONNECT_TIMEOUT=5 psql -X -tA -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"; }

echo "== status"
check "rig.sh status kube" bash "$RIG" status kube
check "apiserver /readyz" eq "$(k get --raw /readyz)" ok
check "3 nodes Ready" eq "$(k get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{end}')" TrueTrueTrue
check "nodes named like kind" eq "$(k get nodes -o jsonpath='{.items[*].metadata.name}')" "kind-control-plane kind-worker kind-worker2"

echo "== seed objects"
check "extralit statefulsets" k -n extralit get statefulset main-db elasticsearch-master weaviate
check "extralit deployments" k -n extralit get deployment argilla-server extralit-server langfuse
check "minio bare pod" k -n extralit get pod minio
check "extralit services" k -n extralit get svc main-db elasticsearch-master argilla-server argilla-server-lb langfuse-server extralit-server minio-service weaviate weaviate-grpc
check "extralit secrets" k -n extralit get secret main-db extralit-secrets langfuse-secrets weaviate-api-keys elasticsearch-master-credentials
check "es credentials keys" eq "$(jp extralit secret/elasticsearch-master-credentials '{.data.username}' | base64 -d)" elastic
check "misspelled storage class" eq "$(k get sc -o jsonpath='{.items[*].metadata.name}')" k8-storage-policy
check "4 static PVs" eq "$(k get pv -o jsonpath='{.items[*].metadata.name}')" "elastic-pv minio-pv postgres-pv weaviate-data-weaviate-0"
check "PV pinned to kind-control-plane" eq "$(k get pv elastic-pv -o jsonpath='{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}')" kind-control-plane
check_eventually 60 "claims bound to intended PVs" bash -c '
  for c in data-main-db-0:postgres-pv elasticsearch-master-elasticsearch-master-0:elastic-pv minio-pv-claim:minio-pv weaviate-data-weaviate-0:weaviate-data-weaviate-0; do
    [[ $(kubectl -n extralit get pvc "${c%%:*}" -o jsonpath="{.spec.volumeName}") == "${c#*:}" ]] || exit 1
  done'
check "pdf-chatbot objects" k -n pdf-chatbot get deployment/pdf-chatbot service/pdf-chatbot-service hpa/pdf-chatbot secret/openai-secret
check "pdf-chatbot service ports" eq "$(jp pdf-chatbot svc/pdf-chatbot-service '{.spec.ports[*].port}')" "8501 8502"
check_eventually 90 "all extralit pods Ready" _kube_pods_ready extralit
check_eventually 60 "pdf-chatbot pod Ready" _kube_pods_ready pdf-chatbot

echo "== logs, exec, port-forward"
# The start-up line is at the head of the log: the readiness probe's lines push it out of any tail after
# about half an hour, and a check must not depend on how long the rig has run.
check "kubectl logs deploy/argilla-server" contains "$(k -n extralit logs deploy/argilla-server 2>&1 | head -n 200)" "Uvicorn running"
check "kubectl logs main-db-0" contains "$(k -n extralit logs main-db-0)" "ready to accept connections"
check "kubectl exec search-engine list" contains "$(k -n extralit exec deploy/argilla-server -- python -m argilla_server search-engine list 2>&1)" "rg\."
check "kubectl exec main-db-0 psql" eq "$(k -n extralit exec main-db-0 -- psql -X -tAc 'select 1' 2>&1)" 1
if port_forward 25432 pod/main-db-0 5432 extralit; then
  check "psql through port-forward pod/main-db-0" bash -c '(( $(PGPASSWORD="$0" psql -X -tA -h 127.0.0.1 -p 25432 -U postgres -d postgres -c "select count(*) from records") > 0 ))' "$(secret_pw)"
else bad "port-forward pod/main-db-0"; fi
if port_forward 25433 svc/main-db 5432 extralit; then
  check "psql through port-forward svc/main-db" pf_psql 25433 "select 1"
else bad "port-forward svc/main-db"; fi
if port_forward 29200 pod/elasticsearch-master-0 9200 extralit; then
  check "elasticsearch health through port-forward" contains "$(curl -s 'http://127.0.0.1:29200/_cluster/health')" '"status": "green"'
else bad "port-forward elasticsearch-master-0"; fi
if port_forward 28501 service/pdf-chatbot-service 8501 pdf-chatbot; then
  check "pdf-chatbot through port-forward" contains "$(curl -s http://127.0.0.1:28501/)" Streamlit
else bad "port-forward pdf-chatbot-service"; fi

echo "== read-only user"
check "readonly can list pods" k --kubeconfig "$RO" -n extralit get pods
ro_err=$(k --kubeconfig "$RO" -n extralit get secrets 2>&1)
check "readonly gets 403 on secrets" contains "$ro_err" "Forbidden"
check "readonly 403 via raw API" contains "$(k --kubeconfig "$RO" get --raw /api/v1/namespaces/extralit/secrets 2>&1)" "forbidden"

echo "== scenario es-not-ready"
bash "$RIG" scenario es-not-ready >/dev/null 2>&1
check "es-not-ready: elasticsearch-master-0 not Ready" _kube_pod_ready_is extralit elasticsearch-master-0 False
check "es-not-ready: health 408 on wait_for_status=green" eq "$(curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:29200/_cluster/health?wait_for_status=green&timeout=10s')" 408
check "es-not-ready: unhealthy event" contains "$(k -n extralit get events --field-selector involvedObject.name=elasticsearch-master-0,reason=Unhealthy -o name)" event
reindex=$(k -n extralit exec deploy/argilla-server -- python -m argilla_server search-engine reindex 2>&1)
check "reindex via kubectl exec prints progress" contains "$reindex" "cluster health: green"
check_eventually 20 "reindex makes elasticsearch-master-0 Ready" _kube_pod_ready_is extralit elasticsearch-master-0 True
bash "$RIG" scenario es-not-ready >/dev/null 2>&1
check "es-not-ready --undo" bash "$RIG" scenario es-not-ready --undo
check "es-not-ready undone: Ready" _kube_pod_ready_is extralit elasticsearch-master-0 True

echo "== scenario main-db-password-regenerated"
check "password-regenerated applies" bash "$RIG" scenario main-db-password-regenerated
check "password-regenerated: argilla-server not Ready" _kube_app_ready_is argilla-server False
check "password-regenerated: secret no longer authenticates" bash -c '! PGPASSWORD="$0" PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p 25432 -U postgres -d postgres -c "select 1"' "$(secret_pw)"
check_eventually 10 "password-regenerated: logs say auth failed" bash -c 'kubectl -n extralit logs deploy/argilla-server --tail=20 | grep -q "password authentication failed"'
check "password-regenerated: reindex fails to authenticate" bash -c '! kubectl -n extralit exec deploy/argilla-server -- python -m argilla_server search-engine reindex'
check "password-regenerated --undo" bash "$RIG" scenario main-db-password-regenerated --undo
check "password-regenerated undone: argilla-server Ready" _kube_app_ready_is argilla-server True

echo "== scenario crashloop"
check "crashloop applies" bash "$RIG" scenario crashloop
rc1=$(k -n extralit get pods -l rig.pilothouse.dev/crashloop=true -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')
sleep 12
rc2=$(k -n extralit get pods -l rig.pilothouse.dev/crashloop=true -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')
check "crashloop: restarts climb ($rc1 -> $rc2)" test "${rc2:-0}" -gt "${rc1:-0}"
check "crashloop: reason CrashLoopBackOff" contains "$(k -n extralit get pods -l rig.pilothouse.dev/crashloop=true -o jsonpath='{.items[0].status.containerStatuses[0].state.waiting.reason}')" CrashLoopBackOff
check "crashloop: logs --previous" contains "$(k -n extralit logs "$(k -n extralit get pods -l rig.pilothouse.dev/crashloop=true -o name | head -1)" --previous 2>&1)" "P1001"
check "crashloop --undo" bash "$RIG" scenario crashloop --undo
check_eventually 60 "crashloop undone: langfuse Ready" _kube_app_ready_is langfuse True

echo "== scenario pvc-pending"
check "pvc-pending applies" bash "$RIG" scenario pvc-pending
sleep 3
check "pvc-pending: redis-data Pending" _kube_pvc_phase redis-data Pending
check "pvc-pending: redis pod Pending" eq "$(k -n extralit get pods -l app=redis -o jsonpath='{.items[0].status.phase}')" Pending
check "pvc-pending --undo" bash "$RIG" scenario pvc-pending --undo
check "pvc-pending undone" bash -c '! kubectl -n extralit get pvc redis-data'

echo "== scenario wrong-pv-binding"
check "wrong-pv-binding applies" bash "$RIG" scenario wrong-pv-binding
check "wrong-pv-binding: data-main-db-0 on elastic-pv" eq "$(jp extralit pvc/data-main-db-0 '{.spec.volumeName}')" elastic-pv
check_eventually 30 "wrong-pv-binding: elasticsearch claim Pending" _kube_pvc_phase elasticsearch-master-elasticsearch-master-0 Pending
check_eventually 30 "wrong-pv-binding: elasticsearch-master-0 Pending" bash -c '[[ $(kubectl -n extralit get pod elasticsearch-master-0 -o jsonpath={.status.phase}) == Pending ]]'
check "wrong-pv-binding --undo" bash "$RIG" scenario wrong-pv-binding --undo
check "wrong-pv-binding undone: data-main-db-0 on postgres-pv" eq "$(jp extralit pvc/data-main-db-0 '{.spec.volumeName}')" postgres-pv
check "wrong-pv-binding undone: es claim on elastic-pv" eq "$(jp extralit pvc/elasticsearch-master-elasticsearch-master-0 '{.spec.volumeName}')" elastic-pv
check_eventually 60 "wrong-pv-binding undone: extralit pods Ready" _kube_pods_ready extralit

echo "== metrics.k8s.io (metrics-server scraping kwok's simulated usage)"
top_pods() { kubectl -n pdf-chatbot top pods --no-headers 2>&1; }
hpa_cpu_is() { [[ $(kubectl -n pdf-chatbot get hpa pdf-chatbot -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' 2>/dev/null) == "$1" ]]; }
hpa_active_is() { [[ $(kubectl -n pdf-chatbot get hpa pdf-chatbot -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].status}' 2>/dev/null) == "$1" ]]; }
lease_holders() { kubectl -n kube-node-lease get lease -o jsonpath='{range .items[*]}{.spec.holderIdentity}{"\n"}{end}' | sort -u | grep -c .; }
hpa_active_msg() { kubectl -n pdf-chatbot get hpa pdf-chatbot -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].message}' 2>/dev/null; }
check "APIService v1beta1.metrics.k8s.io Available" eq "$(k get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" True
check_eventually 60 "kubectl top pods -A answers" bash -c 'kubectl top pods -A --no-headers | grep -q "^pdf-chatbot "'
# CPU is a rate over two scrapes of kwok's simulated counter: it wobbles by a millicore or two.
check "top pods: pdf-chatbot uses ~105m CPU, 300Mi memory" contains "$(top_pods)" "10[3-7]m *300Mi"
check "top pods: extralit pods at the default usage (~20m, 96Mi)" contains "$(k -n extralit top pod minio --no-headers)" " \(19\|2[0-2]\)m *96Mi"
check "top nodes: 3 nodes with figures" eq "$(k top nodes --no-headers | grep -c 'kind-')" 3
check "read-only user reads metrics (aggregated to view)" kubectl --kubeconfig "$RO" -n pdf-chatbot top pods
check_eventually 90 "HPA pdf-chatbot shows CPU 42% (105m of the 250m request), not <unknown>" hpa_cpu_is 42
check "HPA keeps 1 replica at 42% of a 70% target" eq "$(jp pdf-chatbot hpa/pdf-chatbot '{.status.desiredReplicas}')" 1
check "kwok metrics controller holds no node lease (one holder: the cluster's kwok)" eq "$(lease_holders)" 1

echo "== scenario metrics-server-down"
check "metrics-server-down applies" bash "$RIG" scenario metrics-server-down
check "metrics-server-down: kubectl top fails" bash -c '! kubectl -n pdf-chatbot top pods'
check_eventually 60 "metrics-server-down: HPA cannot read CPU (ScalingActive False)" hpa_active_is False
check "metrics-server-down: HPA says the API is unavailable" contains "$(hpa_active_msg)" "unable to handle the request"
check "metrics-server-down --undo" bash "$RIG" scenario metrics-server-down --undo
check_eventually 90 "metrics-server-down undone: HPA reads 42% again" hpa_cpu_is 42

echo "== scenario api-server-restart"
rv=$(k get --raw /api/v1/namespaces/extralit/pods | jq -r .metadata.resourceVersion)
check "api-server-restart applies" bash "$RIG" scenario api-server-restart
check "api-server-restart: apiserver back" eq "$(k get --raw /readyz)" ok
watch_out=$(k get --request-timeout=5s --raw "/api/v1/namespaces/extralit/pods?watch=1&resourceVersion=$rv" 2>&1)
check "api-server-restart: old watch gets 410 Gone" contains "$watch_out" '"code":410'
check "api-server-restart --undo (no-op when up)" bash "$RIG" scenario api-server-restart --undo
check_eventually 60 "after restart: status ok" bash "$RIG" status kube

echo "$pass passed, $fail failed"
(( fail == 0 ))
