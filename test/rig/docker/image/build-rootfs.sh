#!/usr/bin/env bash
# build-rootfs.sh OUT.tar : assemble the rig base image's root filesystem (busybox-static plus the
# rig service programs in ./bin) and write it as a tarball for `docker import`. No registry needed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build-rootfs.sh OUT.tar}
bb=/bin/busybox
[[ -x $bb ]] || { echo "build-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$bb" >/dev/null 2>&1; then echo "build-rootfs: $bb is not static (install busybox-static)" >&2; exit 1; fi

root=$(mktemp -d)
trap 'rm -rf -- "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,proc,sys,dev,run,root,var/log,var/tmp,opt,srv}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$bb" "$root/bin/busybox"
while IFS= read -r applet; do
  [[ -n $applet && ! -e $root/bin/$applet ]] && ln -s busybox "$root/bin/$applet"
done < <("$bb" --list)
install -m 0755 "$HERE"/bin/* "$root/usr/local/bin/"

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
airflow:x:50000:0:airflow:/opt/airflow:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat > "$root/etc/os-release" <<'EOF'
NAME="Pilothouse rig base"
ID=pilothouse-rig
VERSION_ID=1
PRETTY_NAME="Pilothouse rig base (busybox)"
EOF
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

tmp_out="$out.tmp.$$"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$tmp_out" .
mv -f -- "$tmp_out" "$out"
