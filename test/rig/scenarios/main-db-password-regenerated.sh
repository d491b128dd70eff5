# Scenario (seed 000): a redeploy of the main-db chart generated a new random password into secret
# main-db while the database (on its PVC) keeps the old one. argilla-server then fails to authenticate
# and the scenario driver keeps its pods not Ready. Undo puts the original password back.
source "$REPO/test/rig/components/kube.sh"

scenario_apply() {
  _kube_require
  local orig="$KUBE_HOME/state/main-db-password.orig" pw
  if [[ ! -s $orig ]]; then
    ( umask 077; _kc -n extralit get secret main-db -o jsonpath='{.data.postgres-password}' | base64 -d > "$orig" )
  fi
  pw=$(head -c 15 /dev/urandom | base64 | tr -d '/+=' | head -c 10)
  _kube_set_main_db_password "$pw"
  wait_for 30 "argilla-server not Ready" _kube_app_ready_is argilla-server False || rig_die "argilla-server still Ready"
}

scenario_undo() {
  _kube_require
  local orig="$KUBE_HOME/state/main-db-password.orig" pw=""
  if [[ -s $RIG_DIR/postgres/main-db-password ]]; then pw=$(cat "$RIG_DIR/postgres/main-db-password")
  elif [[ -s $orig ]]; then pw=$(cat "$orig"); fi
  [[ -n $pw ]] || rig_die "no original password known"
  _kube_set_main_db_password "$pw"
  rm -f "$orig"
  wait_for 30 "argilla-server Ready" _kube_app_ready_is argilla-server True || rig_die "argilla-server not Ready"
}
