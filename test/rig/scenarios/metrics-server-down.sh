# Scenario (seed 002): metrics-server stops while its APIService stays registered, as when its pod is
# evicted or crashlooping. metrics.k8s.io answers 503 (`kubectl top` fails), and the pdf-chatbot HPA
# loses its CPU figure (FailedGetResourceMetric: "the server is currently unable to handle the request").
# Undo starts metrics-server again; `kubectl top` answers once it has scraped (about 15-30 s).
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  # stop_daemon returns non-zero when the process is gone after the TERM (its last kill fails): not an error here.
  stop_daemon kube-metrics-server || true
  wait_for 30 "metrics.k8s.io failing" _kube_metrics_failing || rig_die "metrics.k8s.io still answers"
}

_kube_metrics_failing() { ! _kc -n pdf-chatbot top pods --no-headers >/dev/null 2>&1; }

scenario_undo() {
  _kube_require
  _kube_metrics_server_start
  wait_for 90 "metrics.k8s.io serving pod metrics" _kube_metrics_ok || rig_die "metrics-server did not come back; see $KUBE_HOME/metrics/metrics-server.log"
}
