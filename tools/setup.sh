#!/usr/bin/env bash
# `npm run setup`: the pinned pnpm, the workspace from the frozen lockfile, then
# Debian's checkers. pnpm goes into npm's global folder when that is writable
# (root, or a user-owned Node install); otherwise into ~/.local, and setup says
# what to add to PATH, instead of failing with EACCES.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=12.21.0

if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  global="$(npm prefix -g)"
  if [ -w "$global" ] && { [ ! -e "$global/lib" ] || [ -w "$global/lib" ]; }; then
    npm install -g --no-audit --no-fund "pnpm@$pnpm_version"
  else
    echo "setup: $global is not writable; installing pnpm $pnpm_version into $HOME/.local"
    npm install -g --prefix "$HOME/.local" --no-audit --no-fund "pnpm@$pnpm_version"
    export PATH="$HOME/.local/bin:$PATH"
    echo "setup: add $HOME/.local/bin to PATH to run pnpm from your shell"
  fi
fi

pnpm install --frozen-lockfile
bash tools/install-checkers.sh
