# Shared by the rig host tools (overlaid on /usr/local/bin inside each rig host).
RIG_HOST_BIN=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
RIG_HOSTDIR=$(cat "$RIG_HOST_BIN/.rig-hostdir")
RIG_SSHDIR=$(cat "$RIG_HOST_BIN/.rig-sshdir")
RIG_TOP=$(cat "$RIG_HOST_BIN/.rig-dir")
RIG_HOSTNAME=$(cat "$RIG_HOSTDIR/hostname")
docker_running() { [[ -f "$RIG_HOSTDIR/state/docker-running" ]]; }
