# Rig component: a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler built from Go modules at pinned versions) launched by kwokctl's binary runtime,
# with kwok simulating three nodes, pod logs, exec and port-forward. See test/rig/docs/kube.md.
# Files: $RIG_DIR/kube/{kubeconfig,kubeconfig-readonly,env,logs/,search/,state/,kwok/}.

KUBE_VERSION=v1.33.13
ETCD_VERSION=v3.5.21
KWOK_VERSION=v0.7.0
METRICS_SERVER_VERSION=v0.8.1
KUBE_CLUSTER=pilothouse
KUBE_PORT=56443
KUBE_SRC="$REPO/test/rig/kube"
KUBE_HOME="$RIG_DIR/kube"
KUBE_BIN="$RIG_CACHE/bin"
KUBE_KC="$KUBE_HOME/kubeconfig"
KUBE_KWOK_DIR="$KUBE_HOME/kwok"
KUBE_CLUSTER_DIR="$KUBE_KWOK_DIR/clusters/$KUBE_CLUSTER"

_kc() { kubectl --kubeconfig "$KUBE_KC" "$@"; }
_kwokctl() { KWOK_WORKDIR="$KUBE_KWOK_DIR" "$(_kube_bin kwokctl)" --name "$KUBE_CLUSTER" "$@"; }

# Binaries are cached by name and version so a pin change rebuilds and a warm start builds nothing.
_kube_bin() {
  case $1 in
    kube-apiserver|kube-controller-manager|kube-scheduler) echo "$KUBE_BIN/$1-$KUBE_VERSION" ;;
    etcd) echo "$KUBE_BIN/etcd-$ETCD_VERSION" ;;
    kwok|kwokctl) echo "$KUBE_BIN/$1-$KWOK_VERSION" ;;
    metrics-server) echo "$KUBE_BIN/metrics-server-$METRICS_SERVER_VERSION" ;;
  esac
}

_kube_go() {
  local g
  g=$(command -v go || true)
  [[ -n $g ]] || g=/usr/local/go/bin/go
  [[ -x $g ]] || rig_die "Go >= 1.24 is needed to build the control plane (not found on PATH or /usr/local/go)"
  echo "$g"
}

# _kube_gobuild MODULE_DIR OUT LDFLAGS PKG... : build main packages of a wrapper module (OUT: a dir ending in / or a file),
# output to the build log, with fd 3 open on the rig's own output for the retry notes.
# A module download that fails on a flaky network (a CI run once lost DNS for minutes) is tried again, four
# times over about four minutes; the module cache keeps what did arrive, so a retry only fetches the rest.
_kube_gobuild() {
  local dir=$1 out=$2 ldflags=$3; shift 3
  local go try
  go=$(_kube_go) || return 1
  local waits=(15 30 60 120)
  for try in 1 2 3 4 5; do
    (cd "$KUBE_SRC/build/$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
      "$go" build -trimpath -ldflags="-s -w $ldflags" -o "$out" "$@") && return 0
    ((try < 5)) || break
    # in the build log, and on the rig's own output (fd 3: both callers open it as their stderr)
    echo "[rig kube] go build in build/$dir failed (try $try of 5); trying again in ${waits[try - 1]}s" | tee /dev/fd/3
    sleep "${waits[try - 1]}"
  done
  return 1
}

# _kube_build_failed WHAT LOG : say why a build failed on the rig's own output, not only in its log.
_kube_build_failed() {
  rig_log "$1 failed; the end of $2:"
  tail -n 30 "$2" | sed 's/^/    /' >&2
  rig_die "$1 failed (full log: $2)"
}

# What kubernetes' hack/lib/version.sh stamps; without it the binaries report v0.0.0-master.
_kube_version_ldflags() {
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local p f=()
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=("-X $p.gitVersion=$KUBE_VERSION" "-X $p.gitMajor=1" "-X $p.gitMinor=$minor" "-X $p.gitTreeState=clean"
        "-X $p.buildDate=1970-01-01T00:00:00Z")
  done
  echo "${f[*]}"
}

_kube_build() {
  local missing=() b
  for b in kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl; do
    [[ -x $(_kube_bin "$b") ]] || missing+=("$b")
  done
  ((${#missing[@]})) || return 0
  mkdir -p "$KUBE_BIN"
  local tmp logf="$RIG_CACHE/kube-build.log" t0=$(date +%s)
  tmp=$(mktemp -d "$KUBE_BIN/.build.XXXXXX")
  rig_log "building ${missing[*]} from the Go module proxy (cold: ~20 min on 2 cores; log $logf)"
  (
    if [[ ! -x $(_kube_bin kube-apiserver) || ! -x $(_kube_bin kube-controller-manager) || ! -x $(_kube_bin kube-scheduler) ]]; then
      _kube_gobuild k8s "$tmp/" "$(_kube_version_ldflags)" k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler || exit 1
    fi
    if [[ ! -x $(_kube_bin etcd) ]]; then
      _kube_gobuild etcd "$tmp/etcd" "" go.etcd.io/etcd/server/v3 || exit 1
    fi
    if [[ ! -x $(_kube_bin kwok) || ! -x $(_kube_bin kwokctl) ]]; then
      _kube_gobuild kwok "$tmp/" "" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl || exit 1
    fi
  ) 3>&2 >>"$logf" 2>&1 || { rm -rf "$tmp"; _kube_build_failed "control plane build" "$logf"; }
  for b in "${missing[@]}"; do mv -f "$tmp/$b" "$(_kube_bin "$b")"; done
  rm -rf "$tmp"
  rig_log "built ${missing[*]} in $(( $(date +%s) - t0 ))s"
}

_kube_python() { python3 -c 'import sys; print(sys.executable)'; }

_kube_api_ok() { [[ $(_kc get --raw /readyz 2>/dev/null) == ok ]]; }

_kube_create_cluster() {
  # A cluster dir without a live apiserver (reboot, crash) is rebuilt from scratch: it holds only rig state.
  if [[ -d $KUBE_CLUSTER_DIR ]]; then
    rig_log "removing stale kwok cluster"
    local pids; mapfile -t pids < <(_kube_cluster_pids)
    _kwokctl delete cluster >/dev/null 2>&1 || true
    _kube_kill_pids "${pids[@]}"
    rm -rf "$KUBE_KWOK_DIR"
  fi
  mkdir -p "$KUBE_KWOK_DIR"
  # A new cluster has a new CA: the read-only client cert must be issued again.
  rm -rf "$KUBE_HOME/kubeconfig-readonly" "$KUBE_HOME/readonly"
  rig_log "creating cluster $KUBE_CLUSTER (kube $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  _kwokctl -c "$KUBE_SRC/kwokctl.yaml" create cluster \
    --kube-apiserver-binary "$(_kube_bin kube-apiserver)" \
    --kube-controller-manager-binary "$(_kube_bin kube-controller-manager)" \
    --kube-scheduler-binary "$(_kube_bin kube-scheduler)" \
    --etcd-binary "$(_kube_bin etcd)" \
    --kwok-controller-binary "$(_kube_bin kwok)" \
    --kubeconfig "$KUBE_HOME/kwokctl-kubeconfig" \
    --wait 2m >>"$KUBE_HOME/kwokctl.log" 2>&1 \
    || rig_die "kwokctl create cluster failed; see $KUBE_HOME/kwokctl.log and $KUBE_CLUSTER_DIR/logs"
}

# Pids of the cluster's processes, checked against /proc so a recycled pid is never killed.
_kube_cluster_pids() {
  local f p
  for f in "$KUBE_CLUSTER_DIR"/pids/*.pid; do
    [[ -f $f ]] || continue
    p=$(cat "$f")
    [[ -n $p ]] && { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$KUBE_CLUSTER_DIR" && echo "$p"
  done
}
_kube_kill_pids() {
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait_for 5 "pid $p to exit" _kube_pid_gone "$p" 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
}
_kube_kill_cluster_pids() { local pids; mapfile -t pids < <(_kube_cluster_pids); _kube_kill_pids "${pids[@]}"; }

_kube_kubeconfigs() {
  # Self-contained (certs embedded) so clients need nothing else from .rig/kube/kwok.
  KUBECONFIG="$KUBE_CLUSTER_DIR/kubeconfig.yaml" kubectl config view --raw --flatten --minify > "$KUBE_KC.tmp"
  chmod 600 "$KUBE_KC.tmp"; mv "$KUBE_KC.tmp" "$KUBE_KC"

  local pki="$KUBE_CLUSTER_DIR/pki" ro="$KUBE_HOME/readonly"
  mkdir -p "$ro"
  if [[ ! -s $KUBE_HOME/kubeconfig-readonly ]]; then
    openssl genrsa -out "$ro/readonly.key" 2048 2>/dev/null
    openssl req -new -key "$ro/readonly.key" -subj "/CN=pilothouse-readonly" -out "$ro/readonly.csr" 2>/dev/null
    openssl x509 -req -in "$ro/readonly.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 30 -out "$ro/readonly.crt" 2>/dev/null || rig_die "cannot sign the read-only client cert"
    local k="$KUBE_HOME/kubeconfig-readonly.tmp"
    rm -f "$k"
    kubectl config --kubeconfig "$k" set-cluster "kwok-$KUBE_CLUSTER" --server "https://127.0.0.1:$KUBE_PORT" \
      --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
    kubectl config --kubeconfig "$k" set-credentials pilothouse-readonly \
      --client-certificate "$ro/readonly.crt" --client-key "$ro/readonly.key" --embed-certs >/dev/null
    kubectl config --kubeconfig "$k" set-context "kwok-$KUBE_CLUSTER-readonly" --cluster "kwok-$KUBE_CLUSTER" \
      --user pilothouse-readonly --namespace extralit >/dev/null
    kubectl config --kubeconfig "$k" use-context "kwok-$KUBE_CLUSTER-readonly" >/dev/null
    chmod 600 "$k"; mv "$k" "$KUBE_HOME/kubeconfig-readonly"
  fi
}

# kwok resources that route kubectl logs/exec/port-forward to files, local commands and local ports.
_kube_kwok_resources() {
  local py=$1 pgport=55432 pyhome="$KUBE_SRC/py"
  if [[ -f $RIG_DIR/postgres/env ]]; then
    pgport=$(sed -n 's/^PGPORT=//p' "$RIG_DIR/postgres/env"); [[ -n $pgport ]] || pgport=55432
  fi
  mkdir -p "$KUBE_HOME/bin" "$KUBE_HOME/exec"
  printf '#!/bin/bash\nexec %q "$@"\n' "$py" > "$KUBE_HOME/bin/python"
  chmod +x "$KUBE_HOME/bin/python"
  local path="$KUBE_HOME/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  jq -n --arg logs "$KUBE_HOME/logs" --arg path "$path" --arg pypath "$pyhome" --arg rig "$RIG_DIR" \
     --arg work "$KUBE_HOME/exec" --arg pgpass "$KUBE_HOME/state/pgpass" --argjson pgport "$pgport" '
    def logs($c): {containers: [$c], logsFile: "\($logs)/\($c).log",
                   previousLogsFile: "\($logs)/\($c).previous.log", follow: true};
    def env: [{name: "PATH", value: $path}, {name: "RIG_DIR", value: $rig}, {name: "PYTHONPATH", value: $pypath},
              {name: "HOME", value: $work}];
    {apiVersion: "v1", kind: "List", items: [
      {apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterLogs", metadata: {name: "rig-logs"},
       spec: {selector: {matchNamespaces: ["extralit", "pdf-chatbot"]},
              logs: ([ "postgresql", "elasticsearch", "weaviate", "argilla-server", "extralit-server",
                       "langfuse", "minio", "pdf-chatbot", "redis" ] | map(logs(.)))}},
      {apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterExec", metadata: {name: "rig-exec"},
       spec: {selector: {matchNamespaces: ["extralit", "pdf-chatbot"]},
              execs: [
                {containers: ["postgresql"], local: {workDir: $work, envs: (env + [
                  {name: "PGHOST", value: "127.0.0.1"}, {name: "PGPORT", value: ($pgport | tostring)},
                  {name: "PGUSER", value: "postgres"}, {name: "PGDATABASE", value: "postgres"},
                  {name: "PGPASSFILE", value: $pgpass}])}},
                {local: {workDir: $work, envs: env}}]}},
      {apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterPortForward", metadata: {name: "rig-extralit"},
       spec: {selector: {matchNamespaces: ["extralit"]},
              forwards: [
                {ports: [5432], target: {port: $pgport, address: "127.0.0.1"}},
                {ports: [9200], target: {port: 59200, address: "127.0.0.1"}},
                {ports: [6900], target: {port: 56900, address: "127.0.0.1"}}]}},
      {apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterPortForward", metadata: {name: "rig-pdf-chatbot"},
       spec: {selector: {matchNamespaces: ["pdf-chatbot"]},
              forwards: [
                {ports: [8501], target: {port: 58501, address: "127.0.0.1"}},
                {ports: [8502], target: {port: 58502, address: "127.0.0.1"}}]}}
    ]}' > "$KUBE_HOME/kwok-resources.json"
  _kc apply -f "$KUBE_HOME/kwok-resources.json" >/dev/null
}

# Secret main-db holds the password the rig PostgreSQL really has, so the baseline is healthy.
_kube_main_db_secret() {
  local pw="rig-postgres-not-up" pwf="$RIG_DIR/postgres/main-db-password"
  if [[ -s $pwf ]]; then pw=$(cat "$pwf")
  else rig_log "WARNING: $pwf missing (start the postgres component first); argilla-server will not be Ready"; fi
  mkdir -p "$KUBE_HOME/state"
  ( umask 077; printf '*:*:*:postgres:%s\n' "$pw" > "$KUBE_HOME/state/pgpass" )
  local cur
  if ! cur=$(_kc -n extralit get secret main-db -o jsonpath='{.data.postgres-password}' 2>/dev/null); then
    _kc -n extralit create secret generic main-db --from-literal=postgres-password="$pw" >/dev/null
    _kc -n extralit label secret main-db app.kubernetes.io/instance=main-db app.kubernetes.io/name=postgresql >/dev/null
  elif [[ $(base64 -d <<<"$cur") == rig-postgres-not-up ]]; then
    # kube came up before postgres; now that the real password exists, make the baseline healthy.
    _kube_set_main_db_password "$pw"
  fi
}

kube_up() {
  command -v jq >/dev/null || apt_need jq
  command -v openssl >/dev/null || apt_need openssl
  command -v psql >/dev/null || apt_need postgresql-client
  command -v python3 >/dev/null || apt_need python3
  command -v kubectl >/dev/null || apt_need kubectl
  mkdir -p "$KUBE_HOME/logs" "$KUBE_HOME/state"
  _kube_build
  if ! [[ -s $KUBE_KC ]] || ! _kube_api_ok; then
    _kube_create_cluster
    _kube_kubeconfigs
  fi
  wait_for 60 "kube-apiserver /readyz" _kube_api_ok || rig_die "kube-apiserver not ready"
  _kube_kubeconfigs
  wait_for 60 "kwok CRDs" _kc get crd clusterexecs.kwok.x-k8s.io || rig_die "kwok CRDs missing"

  _kc apply -f "$KUBE_SRC/manifests/nodes.yaml" >/dev/null
  wait_for 60 "3 nodes Ready" _kube_nodes_ready || rig_die "nodes not Ready"
  local py; py=$(_kube_python)
  _kube_kwok_resources "$py"
  _kc apply -f "$KUBE_SRC/manifests/readonly.yaml" >/dev/null
  _kc apply -f "$KUBE_SRC/manifests/storage.yaml" >/dev/null
  # Fails only for objects a scenario has changed in immutable ways (e.g. the re-sized claim of
  # wrong-pv-binding); everything else is still applied, and --undo restores the rest.
  _kc apply -f "$KUBE_SRC/manifests/extralit.yaml" >/dev/null || rig_log "WARNING: some extralit objects differ (scenario active?)"
  _kc apply -f "$KUBE_SRC/manifests/pdf-chatbot.yaml" >/dev/null
  _kube_main_db_secret

  # Baseline search index: green, built from the rig PostgreSQL like a real reindex.
  if [[ ! -s $KUBE_HOME/search/state.json ]]; then
    cp "$KUBE_HOME/state/pgpass" "$KUBE_HOME/state/.pw.tmp"
    sed 's/^\*:\*:\*:postgres://' "$KUBE_HOME/state/.pw.tmp" > "$KUBE_HOME/state/main-db-secret-password"
    rm -f "$KUBE_HOME/state/.pw.tmp"
    RIG_DIR="$RIG_DIR" PYTHONPATH="$KUBE_SRC/py" "$py" -m argilla_server search-engine reindex >/dev/null 2>&1 \
      || RIG_DIR="$RIG_DIR" PYTHONPATH="$KUBE_SRC/py" "$py" -c 'import rigsearch; rigsearch.save({"health": "green", "indexes": [], "reason": "postgres unavailable at up"})'
  fi

  RIG_DIR="$RIG_DIR" start_daemon kube-driver "$KUBE_HOME/driver.log" env RIG_DIR="$RIG_DIR" PATH="$PATH" \
    "$py" -u "$KUBE_SRC/driver/driver.py"
  local secs=45
  [[ -s $RIG_DIR/postgres/main-db-password ]] || secs=15  # argilla-server cannot get Ready without it
  wait_for "$secs" "extralit pods Ready" _kube_pods_ready extralit || rig_log "WARNING: not all extralit pods are Ready"
  wait_for 60 "pdf-chatbot pods Ready" _kube_pods_ready pdf-chatbot || rig_log "WARNING: pdf-chatbot not Ready"
  _kube_metrics_up

  write_rig_file kube/env "KUBECONFIG=$KUBE_KC
KUBECONFIG_READONLY=$KUBE_HOME/kubeconfig-readonly
KUBE_API=https://127.0.0.1:$KUBE_PORT
KUBE_CONTEXT=kwok-$KUBE_CLUSTER
KUBE_VERSION=$KUBE_VERSION"
  rig_log "kubernetes $KUBE_VERSION on https://127.0.0.1:$KUBE_PORT (KUBECONFIG=$KUBE_KC)"
}

_kube_nodes_ready() {
  local n
  n=$(_kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
  (( n >= 3 ))
}

# All pods of NAMESPACE Ready, except in namespaces where a scenario is active (they are meant not to be).
_kube_pods_ready() {
  local out
  out=$(_kc -n "$1" get pods -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}') || return 1
  [[ -n $out ]] && ! grep -qv True <<<"$out"
}

kube_down() {
  stop_daemon kube-driver
  stop_daemon kube-metrics-server || true
  stop_daemon kube-kwok-metrics || true
  if [[ -d $KUBE_CLUSTER_DIR ]]; then
    # Collected first: kwokctl delete removes the pid files, and a scenario may have restarted the apiserver.
    local pids; mapfile -t pids < <(_kube_cluster_pids)
    if [[ -x $(_kube_bin kwokctl) ]]; then _kwokctl delete cluster >/dev/null 2>&1 || true; fi
    _kube_kill_pids "${pids[@]}"
  fi
  rm -rf "$KUBE_HOME"
}

kube_status() {
  [[ -s $KUBE_KC ]] || { echo "not set up"; return 1; }
  _kube_api_ok || { echo "kube-apiserver https://127.0.0.1:$KUBE_PORT not ready"; return 1; }
  local ready missing=() o
  ready=$(_kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
  (( ready >= 3 )) || { echo "only $ready nodes Ready"; return 1; }
  for o in statefulset/main-db statefulset/elasticsearch-master statefulset/weaviate deployment/argilla-server \
           deployment/extralit-server deployment/langfuse pod/minio secret/main-db pvc/minio-pv-claim; do
    _kc -n extralit get "$o" >/dev/null 2>&1 || missing+=("extralit/$o")
  done
  _kc -n pdf-chatbot get deployment/pdf-chatbot service/pdf-chatbot-service >/dev/null 2>&1 || missing+=("pdf-chatbot")
  ((${#missing[@]})) && { echo "missing: ${missing[*]}"; return 1; }
  local c dead=()
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller; do
    _kube_pid_gone "$(cat "$KUBE_CLUSTER_DIR/pids/$c.pid" 2>/dev/null || echo 0)" && dead+=("$c")
  done
  ((${#dead[@]})) && { echo "not running: ${dead[*]}"; return 1; }
  daemon_alive kube-driver || { echo "scenario driver not running"; return 1; }
  local top; top=$(_kube_metrics_status) || { echo "$top"; return 1; }
  echo "https://127.0.0.1:$KUBE_PORT $KUBE_VERSION, $ready nodes Ready, $(_kc get pods -A --no-headers | wc -l) pods, $top"
}

# ---- metrics.k8s.io: metrics-server scraping kwok's simulated resource usage (docs/kube.md "Metrics") ----
# Both run as rig daemons beside the cluster, so adding them never restarts the apiserver, etcd or kwok:
# - kube-kwok-metrics: a second kwok controller (same binary) with test/rig/kube/metrics/kwok-metrics.yaml,
#   serving kubelet's /metrics/resource per node on $KUBE_METRICS_KWOK_PORT. The cluster's kwok holds every
#   node lease, so this one is read-only (kwok's HA mode: no lease, no changes). The cluster's kwok itself
#   cannot serve metrics without a restart (Metric objects are read at start, or from a CRD it was not
#   started with).
# - kube-metrics-server: metrics-server, registered as APIService v1beta1.metrics.k8s.io.
KUBE_METRICS_KWOK_PORT=50248
KUBE_METRICS_PORT=50443

_kube_metrics_build() {
  local out; out=$(_kube_bin metrics-server)
  [[ -x $out ]] && return 0
  mkdir -p "$KUBE_BIN"
  local logf="$RIG_CACHE/kube-build.log" t0=$(date +%s)
  rig_log "building metrics-server $METRICS_SERVER_VERSION from the Go module proxy (log $logf)"
  _kube_gobuild metrics-server "$out.tmp" "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION -X k8s.io/client-go/pkg/version.gitTreeState=clean" \
    sigs.k8s.io/metrics-server/cmd/metrics-server 3>&2 >>"$logf" 2>&1 \
    || { rm -f "$out.tmp"; _kube_build_failed "metrics-server build" "$logf"; }
  mv -f "$out.tmp" "$out"
  rig_log "built metrics-server in $(( $(date +%s) - t0 ))s"
}

_kube_metrics_apiservice() {
  _kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {app.kubernetes.io/part-of: pilothouse-rig}}
spec: {type: ExternalName, externalName: localhost}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {app.kubernetes.io/part-of: pilothouse-rig}}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: metrics-server, namespace: kube-system, port: $KUBE_METRICS_PORT}
---
# As metrics-server's own manifests have it: whoever may view may read metrics (the read-only user too).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true", rbac.authorization.k8s.io/aggregate-to-edit: "true", rbac.authorization.k8s.io/aggregate-to-admin: "true"}
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
EOF
}

# Nodes tell metrics-server where kwok serves their /metrics/resource (the path carries the node name).
# The bench's nodes (bench-pods: up to 50,000 pods) are left out: producing their figures every 15 s
# would cost the 2-core machine a whole core and skew the bench.
KUBE_METRICS_NODES='rig.pilothouse.dev/bench!=true'
_kube_metrics_annotate_nodes() {
  local n
  for n in $(_kc get nodes -l "$KUBE_METRICS_NODES" -o jsonpath='{.items[*].metadata.name}'); do
    _kc annotate --overwrite node "$n" "metrics.k8s.io/resource-metrics-path=/metrics/nodes/$n/metrics/resource" >/dev/null
  done
}

_kube_metrics_up() {
  _kube_metrics_build
  local c="$KUBE_CLUSTER_DIR" m="$KUBE_HOME/metrics" ca
  mkdir -p "$m"
  # A cluster created again (stale dir after a reboot) has a new CA: daemons still running hold the old one.
  ca=$(sha256sum "$c/pki/ca.crt" | cut -d' ' -f1)
  if [[ $(cat "$m/cluster-ca" 2>/dev/null) != "$ca" ]]; then
    stop_daemon kube-metrics-server || true
    stop_daemon kube-kwok-metrics || true
    echo "$ca" > "$m/cluster-ca"
  fi
  _kube_metrics_annotate_nodes
  RIG_DIR="$RIG_DIR" start_daemon kube-kwok-metrics "$m/kwok-metrics.log" "$(_kube_bin kwok)" \
    --manage-nodes-with-label-selector="$KUBE_METRICS_NODES" --kubeconfig="$c/kubeconfig.yaml" \
    --config="$c/kwok.yaml" --config="$KUBE_SRC/metrics/kwok-metrics.yaml" \
    --tls-cert-file="$c/pki/admin.crt" --tls-private-key-file="$c/pki/admin.key" \
    --node-ip=127.0.0.1 --node-name=localhost --node-port=50247 \
    --server-address="127.0.0.1:$KUBE_METRICS_KWOK_PORT" --node-lease-duration-seconds=200 \
    --enable-crds=Logs,ClusterLogs,Exec,ClusterExec,PortForward,ClusterPortForward
  _kube_metrics_server_start
  _kube_metrics_apiservice
  wait_for 90 "metrics.k8s.io serving pod metrics" _kube_metrics_ok \
    || rig_log "WARNING: metrics.k8s.io not answering yet; see $m/metrics-server.log"
}

# Also used by tests that stop metrics-server to see the HPA without metrics, then start it again.
_kube_metrics_server_start() {
  local c="$KUBE_CLUSTER_DIR"
  RIG_DIR="$RIG_DIR" start_daemon kube-metrics-server "$KUBE_HOME/metrics/metrics-server.log" "$(_kube_bin metrics-server)" \
    --bind-address=127.0.0.1 --secure-port="$KUBE_METRICS_PORT" \
    --kubeconfig="$c/kubeconfig.yaml" --authentication-kubeconfig="$c/kubeconfig.yaml" \
    --authorization-kubeconfig="$c/kubeconfig.yaml" \
    --tls-cert-file="$c/pki/admin.crt" --tls-private-key-file="$c/pki/admin.key" \
    --kubelet-insecure-tls --kubelet-preferred-address-types=InternalIP --kubelet-port="$KUBE_METRICS_KWOK_PORT" \
    --node-selector="$KUBE_METRICS_NODES" --metric-resolution=15s
}

_kube_metrics_ok() {
  [[ $(_kc get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null) == True ]] \
    && _kc -n pdf-chatbot top pods --no-headers 2>/dev/null | grep -q .
}

_kube_metrics_status() {
  daemon_alive kube-kwok-metrics || { echo "kwok metrics controller not running"; return 1; }
  daemon_alive kube-metrics-server || { echo "metrics-server not running"; return 1; }
  _kube_metrics_ok || { echo "metrics.k8s.io not answering (kubectl top pods)"; return 1; }
  echo "metrics-server $METRICS_SERVER_VERSION"
}

# ---- helpers for the kube scenarios (test/rig/scenarios/*.sh source this file) ----

_kube_require() { _kube_api_ok || rig_die "the kube component is not up (rig.sh up kube)"; }

# _kube_scale_sts REPLICAS NAME... : scale StatefulSets in extralit and wait until that many pods exist.
_kube_scale_sts() {
  local n=$1 s; shift
  for s in "$@"; do _kc -n extralit scale statefulset "$s" --replicas="$n" >/dev/null; done
  if (( n == 0 )); then
    for s in "$@"; do
      wait_for 60 "pod $s-0 gone" _kube_pod_absent extralit "$s-0" || rig_die "pod $s-0 still exists"
    done
  fi
}
_kube_pod_absent() { ! _kc -n "$1" get pod "$2" >/dev/null 2>&1; }
_kube_pvc_phase() { [[ $(_kc -n extralit get pvc "$1" -o jsonpath='{.status.phase}' 2>/dev/null) == "$2" ]]; }
_kube_pod_ready_is() {
  [[ $(_kc -n "$1" get pod "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == "$3" ]]
}
# _kube_app_ready_is APP True|False : every pod of extralit app=APP has Ready=$2.
_kube_app_ready_is() {
  local out
  out=$(_kc -n extralit get pods -l "app=$1" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}') || return 1
  [[ -n $out ]] && ! grep -qv "^$2\$" <<<"$out"
}

# _kube_search_set HEALTH REPLICAS REASON : set the search-index stand-in's health (indexes kept).
_kube_search_set() {
  RIG_DIR="$RIG_DIR" PYTHONPATH="$KUBE_SRC/py" "$(_kube_python)" - "$@" <<'PY'
import sys, rigsearch
s = rigsearch.load()
s["health"], s["reason"] = sys.argv[1], sys.argv[3]
for ix in s.get("indexes", []):
    ix["replicas"], ix["health"] = int(sys.argv[2]), sys.argv[1]
rigsearch.save(s)
PY
}

_kube_set_main_db_password() {
  local b64
  b64=$(printf '%s' "$1" | base64 -w0)
  _kc -n extralit patch secret main-db --type=merge -p "$(jq -nc --arg v "$b64" '{data: {"postgres-password": $v}}')" >/dev/null
}

_kube_apiserver_pid() { cat "$KUBE_CLUSTER_DIR/pids/kube-apiserver.pid" 2>/dev/null; }

_kube_apiserver_stop() {
  local pid; pid=$(_kube_apiserver_pid)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || rig_die "kube-apiserver is not running"
  # Keep the exact command line so the restart is the same apiserver kwokctl started.
  tr '\0' '\n' < "/proc/$pid/cmdline" > "$KUBE_HOME/state/kube-apiserver.cmdline"
  kill "$pid"
  # It lingers for up to a minute after a graceful shutdown (in-flight requests); the outage is what matters.
  wait_for 5 "kube-apiserver exit" _kube_pid_gone "$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null
  wait_for 10 "kube-apiserver killed" _kube_pid_gone "$pid" || true
  rig_log "kube-apiserver stopped"
}
# A zombie counts as gone: nothing may reap kwokctl's orphans in a container without an init.
_kube_pid_gone() {
  kill -0 "$1" 2>/dev/null || return 0
  local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
  [[ -z $st || $st == Z ]]
}

# Write one key and compact etcd up to it, through etcd's JSON gateway (no etcdctl needed).
_kube_etcd_compact() {
  local etcd=http://127.0.0.1:52379 rev
  rev=$(curl -sf "$etcd/v3/kv/put" -X POST -d "$(jq -nc --arg k "$(printf /rig/compaction-marker | base64 -w0)" \
        --arg v "$(date +%s | base64 -w0)" '{key: $k, value: $v}')" | jq -r '.header.revision') \
    || rig_die "etcd put failed"
  curl -sf "$etcd/v3/kv/compaction" -X POST -d "$(jq -nc --arg r "$rev" '{revision: $r, physical: true}')" >/dev/null \
    || rig_die "etcd compaction failed"
  rig_log "etcd compacted at revision $rev"
}

# Run by setsid for the components a scenario restarts: every inherited descriptor above 2 is closed
# first (as start_daemon does), then the component is exec'd, so $! is its pid. Without it a component
# restarted under the tests' `flock /tmp/ph-scenario.lock` holds the lock for its lifetime (seen: the
# apiserver, controller-manager and scheduler blocking every queued test).
KUBE_CLEAN_EXEC='for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done 2>/dev/null; exec "$@"'

_kube_apiserver_start() {
  local pid; pid=$(_kube_apiserver_pid)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then _kube_api_ok && return 0; fi
  local f="$KUBE_HOME/state/kube-apiserver.cmdline" args=()
  [[ -s $f ]] || rig_die "no saved kube-apiserver command line"
  mapfile -t args < "$f"
  (cd "$KUBE_CLUSTER_DIR" || exit 1
   setsid bash -c "$KUBE_CLEAN_EXEC" rig-component "${args[@]}" >>"$KUBE_CLUSTER_DIR/logs/kube-apiserver.log" 2>&1 </dev/null &
   echo $! > "$KUBE_CLUSTER_DIR/pids/kube-apiserver.pid")
  wait_for 60 "kube-apiserver /readyz" _kube_api_ok || rig_die "kube-apiserver did not come back"
  rig_log "kube-apiserver started again"
  _kube_controllers_restart
}

# After the apiserver comes back, the controller-manager's and scheduler's informers can take minutes to
# work again (seen: a new namespace's default ServiceAccount and a rollout's pods minutes late, so the next
# scenario's crashloop never came). Restart both, as a reboot of the control plane would.
_kube_controllers_restart() {
  local c pid port args=()
  for c in kube-controller-manager kube-scheduler; do
    pid=$(cat "$KUBE_CLUSTER_DIR/pids/$c.pid" 2>/dev/null) || continue
    kill -0 "$pid" 2>/dev/null || continue
    mapfile -d '' -t args < "/proc/$pid/cmdline"
    kill "$pid"
    wait_for 10 "$c exit" _kube_pid_gone "$pid" || kill -9 "$pid" 2>/dev/null
    (cd "$KUBE_CLUSTER_DIR" || exit 1
     setsid bash -c "$KUBE_CLEAN_EXEC" rig-component "${args[@]}" >>"$KUBE_CLUSTER_DIR/logs/$c.log" 2>&1 </dev/null &
     echo $! > "$KUBE_CLUSTER_DIR/pids/$c.pid")
    port=$(printf '%s\n' "${args[@]}" | sed -n 's/^--secure-port=//p')
    [[ -n $port ]] && { wait_for 30 "$c /healthz" curl -skf "https://127.0.0.1:$port/healthz" || rig_log "$c /healthz not answering yet"; }
  done
  rig_log "kube-controller-manager and kube-scheduler restarted"
}
