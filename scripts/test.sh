#!/bin/sh
# `npm test`: typecheck, build the page the end-to-end tests load, then every test project.
# Integration and e2e tests need a Docker engine: the rig's (npm run rig -- up docker) or DOCKER_HOST.
set -e
cd "$(dirname "$0")/.."
echo "== typecheck"
tsc --noEmit -p .
echo "== build"
node -e "import('./scripts/build.mjs').then(m => m.buildAll({ quiet: true }))"
echo "== tests"
exec vitest run "$@"
