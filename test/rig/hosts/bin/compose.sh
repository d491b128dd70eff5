#!/bin/bash
# Rig host compose.sh (like alphakraken's): ENV must be set; runs docker-compose for the rig's
# alphakraken project (compose file from .rig/docker/PROJECTS) on the rig engine, e.g.
#   ENV=production ./compose.sh --profile workers up -d
source "$(dirname "$(readlink -f "$0")")/_rig_host.sh"
case ${ENV:-} in
  local|sandbox|production) ;;
  *) echo "Please set ENV to one of local, sandbox, production (e.g. export ENV=production)" >&2; exit 1 ;;
esac
if ! docker_running; then
  echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
  exit 1
fi
file=$(awk '$1 == "alphakraken" {print $2}' "$RIG_TOP/docker/PROJECTS" 2>/dev/null)
if [[ -z $file || ! -f $file ]]; then echo "compose.sh: the rig docker component has no alphakraken project" >&2; exit 1; fi
command -v docker-compose >/dev/null || { echo "compose.sh: docker-compose is not installed" >&2; exit 127; }
if [[ -z ${DOCKER_HOST:-} && -s "$RIG_TOP/docker/DOCKER_HOST" ]]; then
  DOCKER_HOST=$(cat "$RIG_TOP/docker/DOCKER_HOST"); export DOCKER_HOST
fi
# On the real machines each host runs only its profile and reaches the others over the network, so
# depends_on across profiles never applies: `up` gets --no-deps (compose 1.29 refuses otherwise).
args=(); seen_up=0
for a in "$@"; do
  args+=("$a")
  if [[ $a == up && $seen_up == 0 ]]; then args+=(--no-deps); seen_up=1; fi
done
exec docker-compose --ansi never -p alphakraken -f "$file" "${args[@]}"
