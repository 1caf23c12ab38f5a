import { z } from 'zod';

/** One `tofu output -json` entry. */
const tofuOutput = z.object({
  value: z.unknown(),
  type: z.unknown().optional(),
  sensitive: z.boolean().optional(),
});
export const tofuOutputsSchema = z.record(z.string(), tofuOutput);
export type TofuOutputs = z.infer<typeof tofuOutputsSchema>;

/** Ansible's dynamic inventory format (`ansible-inventory --list`). */
export interface AnsibleInventory {
  readonly _meta: { readonly hostvars: Record<string, Record<string, unknown>> };
  readonly [group: string]: unknown;
}

const INSTANCES = /^(.+)_instances$/;
const hostVarsSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

/**
 * Turn an environment's `tofu output -json` into Ansible inventory: each
 * `<group>_instances` output becomes a group, `<group>_ansible_vars` (by
 * instance) become host variables, and every host connects through the
 * Incus remote in `incus_remote` with the community.general.incus plugin,
 * so no SSH is needed.
 */
export function ansibleInventory(outputs: TofuOutputs): AnsibleInventory {
  const remote = outputs.incus_remote?.value;
  const groups: Record<string, { hosts: string[]; vars: Record<string, unknown> }> = {};
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(outputs).sort()) {
    const group = INSTANCES.exec(name)?.[1];
    if (!group) continue;
    const hosts = z.array(z.string()).parse(outputs[name]!.value ?? []);
    const vars = hostVarsSchema.parse(outputs[`${group}_ansible_vars`]?.value ?? {});
    groups[group] = { hosts, vars: {} };
    for (const host of hosts) {
      hostvars[host] = {
        ansible_connection: 'community.general.incus',
        ansible_incus_remote: typeof remote === 'string' ? remote : 'local',
        ansible_python_interpreter: '/usr/bin/python3',
        ...(vars[host] ?? {}),
      };
    }
  }
  return {
    _meta: { hostvars },
    all: { children: ['ungrouped', ...Object.keys(groups)] },
    ungrouped: { hosts: [] },
    ...groups,
  };
}
