import { formatBytes, serviceFacts, sizeInBytes, type Environment } from '@atlas/core';
import Handlebars from 'handlebars';

/** Single-quote a word for bash. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

const BACKUP_SCRIPT = Handlebars.compile(
  `#!/usr/bin/env bash
# Snapshot, export or list every data volume of {{env}}. The list below is generated from the
# environment's definition, so a new stateful service is covered as soon as it is declared.
# Runs the incus client against the remote in INCUS_REMOTE (or the default remote).
set -euo pipefail

# pool volume instance
volumes=(
{{#each volumes}}
  {{{this}}}
{{/each}}
)

remote="\${INCUS_REMOTE:+\${INCUS_REMOTE}:}"

usage() {
  cat <<'USAGE'
usage: backup.sh snapshot [NAME]   snapshot every volume (default name backup-<UTC timestamp>)
       backup.sh export [DIR]      stop each instance, export its volume to DIR, start it again
       backup.sh list              list the snapshots of every volume
USAGE
}

each_volume() {
  local i
  for ((i = 0; i < \${#volumes[@]}; i += 3)); do
    local pool="\${volumes[i]}" volume="\${volumes[i + 1]}" instance="\${volumes[i + 2]}"
    # Volumes of disabled or conditional services may not exist.
    if ! incus storage volume show "\${remote}\${pool}" "\${volume}" >/dev/null 2>&1; then
      echo "skip \${volume}: not found in pool \${pool}" >&2
      continue
    fi
    "$@" "\${pool}" "\${volume}" "\${instance}"
  done
}

snapshot_one() {
  incus storage volume snapshot create "\${remote}$1" "$2" "\${snapshot_name}"
  echo "snapshot \${snapshot_name} of $2"
}

export_one() {
  incus stop "\${remote}$3"
  incus storage volume export "\${remote}$1" "$2" "\${export_dir}/$2.tar.gz" || { incus start "\${remote}$3"; return 1; }
  incus start "\${remote}$3"
  echo "exported $2 to \${export_dir}/$2.tar.gz"
}

list_one() {
  echo "== $2 (pool $1, instance $3)"
  incus storage volume snapshot list "\${remote}$1" "$2"
}

case "\${1:-}" in
  snapshot)
    snapshot_name="\${2:-backup-$(date -u +%Y%m%d-%H%M%S)}"
    each_volume snapshot_one
    ;;
  export)
    export_dir="\${2:-backups/{{env}}-$(date -u +%Y%m%d-%H%M%S)}"
    mkdir -p "\${export_dir}"
    each_volume export_one
    ;;
  list)
    each_volume list_one
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
`,
  { noEscape: true, strict: true },
);

/** backup.sh for an environment: every data volume it declares, with snapshot, export and list. */
export function backupScript(env: Environment): string {
  const volumes = serviceFacts(env)
    .filter((f) => f.volume)
    .map((f) => [f.volume!.pool, f.volume!.name, f.instance].map(shellQuote).join(' '));
  return BACKUP_SCRIPT({ env: env.name, volumes });
}

const SUMMARY = Handlebars.compile(
  `# {{env}}: estate summary

{{description}}

Computed from \`environments/{{env}}.ts\` by \`pnpm generate\`; do not edit.

| Total | CPU | Memory | Root disks | Data volumes |
|-------|----:|-------:|-----------:|-------------:|
| {{services.length}} services | {{totals.cpu}} | {{totals.memory}} | {{totals.rootDisk}} | {{totals.data}} |

## Services

| Instance | Network | CPU | Memory | Root disk | Data volume |
|----------|---------|----:|-------:|----------:|-------------|
{{#each services}}
| \`{{instance}}\`{{#if conditional}} (conditional){{/if}} | {{network}} | {{cpu}} | {{memory}} | {{rootDisk}} | {{volume}} |
{{/each}}

## By network

{{#each networks}}
- **{{name}}**: {{members}}
{{/each}}
`,
  { noEscape: true, strict: true },
);

/** SUMMARY.md: CPU, memory and storage totals and the services on each network. */
export function estateSummary(env: Environment): string {
  const facts = serviceFacts(env);
  const sum = (values: Array<string | undefined>) =>
    formatBytes(values.reduce((n, v) => n + (v ? sizeInBytes(v) : 0), 0));
  const networks = new Map<string, string[]>();
  for (const f of facts) {
    const key = f.network ?? '(none)';
    networks.set(key, [...(networks.get(key) ?? []), `\`${f.instance}\``]);
  }
  return SUMMARY({
    env: env.name,
    description: env.description,
    totals: {
      cpu: facts.reduce((n, f) => n + (f.cpu ?? 0), 0),
      memory: sum(facts.map((f) => f.memory)),
      rootDisk: sum(facts.map((f) => f.rootDisk)),
      data: sum(facts.map((f) => f.volume?.size)),
    },
    services: facts.map((f) => ({
      instance: f.instance,
      conditional: f.conditional,
      network: f.network ?? '—',
      cpu: f.cpu ?? '—',
      memory: f.memory ?? '—',
      rootDisk: f.rootDisk ?? '—',
      volume: f.volume ? `\`${f.volume.name}\` ${f.volume.size} (pool ${f.volume.pool})` : '—',
    })),
    networks: [...networks]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, members]) => ({ name, members: members.join(', ') })),
  });
}

const INVENTORY_SCRIPT = Handlebars.compile(
  `#!/usr/bin/env bash
# Ansible dynamic inventory for {{env}}, built from this root module's outputs
# (<group>_instances, <group>_ansible_vars, incus_remote) by \`atlas inventory\`:
#   ansible-inventory -i generated/environments/{{env}}/inventory.sh --list
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "\${1:-}" in
  --list) tofu -chdir="\${here}" output -json | pnpm --dir "\${here}/../../.." --silent inventory ;;
  --host) echo '{}' ;; # every host's variables are in _meta.hostvars
  *)
    echo "usage: $0 --list | --host NAME" >&2
    exit 2
    ;;
esac
`,
  { noEscape: true, strict: true },
);

/** inventory.sh: Ansible's entry point to the environment's instances. */
export function inventoryScript(env: Environment): string {
  return INVENTORY_SCRIPT({ env: env.name });
}
