# Scenario: a bad rollout of langfuse (wrong database host) whose container keeps exiting, so the
# new pod sits in CrashLoopBackOff with restartCount climbing. The scenario driver plays the
# kubelet's part for pods labelled rig.pilothouse.dev/crashloop=true. Undo rolls the change back.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  _kc -n extralit patch deployment langfuse --type=strategic -p '{"spec":{"template":{"metadata":{"labels":{"rig.pilothouse.dev/crashloop":"true"}},"spec":{"containers":[{"name":"langfuse","env":[{"name":"DATABASE_HOST","value":"langfuse-db"}]}]}}}}' >/dev/null
  wait_for 60 "langfuse in CrashLoopBackOff" _kube_crashlooping || rig_die "no CrashLoopBackOff seen"
}

scenario_undo() {
  _kube_require
  _kc -n extralit patch deployment langfuse --type=strategic -p '{"spec":{"template":{"metadata":{"labels":{"rig.pilothouse.dev/crashloop":null}},"spec":{"containers":[{"name":"langfuse","env":[{"name":"DATABASE_HOST","value":"main-db"}]}]}}}}' >/dev/null
  _kc -n extralit rollout status deployment/langfuse --timeout=60s >/dev/null || rig_die "langfuse did not roll back"
  wait_for 60 "crashlooping pods gone" _kube_no_crashloop_pods || rig_die "crashlooping pods remain"
  : > "$KUBE_HOME/logs/langfuse.previous.log"
}

_kube_crashlooping() {
  _kc -n extralit get pods -l app=langfuse,rig.pilothouse.dev/crashloop=true \
    -o jsonpath='{.items[*].status.containerStatuses[*].state.waiting.reason}' | grep -q CrashLoopBackOff
}
_kube_no_crashloop_pods() {
  [[ -z $(_kc -n extralit get pods -l rig.pilothouse.dev/crashloop=true -o name) ]]
}
