#!/bin/bash
# Rig host mount.sh <entity> [mount|umount]: mount a pool share at /fs/pool/pool-<entity>
# (like alphakraken's mount.sh wrapping cifs mounts; here the share is a bind mount of the rig "NAS").
source "$(dirname "$(readlink -f "$0")")/_rig_host.sh"
entity=${1:-}; action=${2:-mount}
known=$(cat "$RIG_HOST_BIN/.rig-mounts")
if [[ -z $entity ]] || ! grep -qxF -- "$entity" <<<"$known"; then
  echo "usage: mount.sh <entity> [mount|umount]; entities on $RIG_HOSTNAME: $(echo $known)" >&2; exit 2
fi
if (( EUID != 0 )); then exec sudo -n "$(readlink -f "$0")" "$@"; fi
target="/fs/pool/pool-$entity"
case $action in
  mount)
    if mountpoint -q "$target"; then echo "$target is already mounted"; exit 0; fi
    mkdir -p "$target"
    mount --bind "$RIG_SSHDIR/nas/$entity" "$target" && echo "mounted //pool-$entity/pool-$entity on $target" ;;
  umount|unmount)
    if ! mountpoint -q "$target"; then echo "$target is not mounted"; exit 0; fi
    umount "$target" && echo "unmounted $target" ;;
  *) echo "usage: mount.sh <entity> [mount|umount]" >&2; exit 2 ;;
esac
