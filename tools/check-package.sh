#!/usr/bin/env bash
# The check-package target of every published package, run in its folder after the build:
# is the package, as `pnpm publish` would upload it, right for its consumers?
#   publint  package.json against the packed files;
#   attw     the types TypeScript resolves for consumers. Profile esm-only: the packages are
#            ESM only, so `require` and node10 resolution are out of scope;
#   tar      the @atlas/source target is packed. publint skips custom conditions, and the
#            published source maps point at these files too.
# attw reads the tarball `pnpm pack` writes in milliseconds instead of running `npm pack`.
set -euo pipefail
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
publint --strict
pnpm --silent pack --out "$packed/package.tgz"
attw "$packed/package.tgz" --profile esm-only
source_entry=$(node -p "require('./package.json').exports['.']['@atlas/source']")
tar -tzf "$packed/package.tgz" "package/${source_entry#./}" >/dev/null
