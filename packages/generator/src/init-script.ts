import type { Environment } from '@atlas/core';

/**
 * init.sh: the step between bootstrap and the first plan. It writes backend.hcl from the
 * bootstrap project's outputs (once: an existing backend.hcl is the operator's and is kept),
 * readable by its owner only, as it holds the bucket's keys; then initialises the root module
 * with it. ATLAS_TOFU picks the engine (terraform), as inventory.py does.
 */
export function initScript(env: Environment): string {
  return `#!/bin/sh
# Initialise ${env.name} against the state bucket its bootstrap created:
#   (cd bootstrap && tofu init && tofu apply)  # -var s3_endpoint=URL if S3 is reached elsewhere
#   ./init.sh            # any arguments go to tofu init (e.g. -upgrade)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tofu=\${ATLAS_TOFU:-tofu}
if [ -e "$here/backend.hcl" ]; then
  echo "init.sh: keeping the existing backend.hcl (delete it to write it again)" >&2
else
  umask 077
  # Through a temporary file, so a failed output leaves no half-written backend.hcl.
  "$tofu" -chdir="$here/bootstrap" output -raw backend_config >"$here/.backend.hcl.tmp"
  mv "$here/.backend.hcl.tmp" "$here/backend.hcl"
  echo "init.sh: wrote backend.hcl from bootstrap's outputs (never commit it)" >&2
fi
exec "$tofu" -chdir="$here" init -backend-config=backend.hcl "$@"
`;
}
