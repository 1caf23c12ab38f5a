import { parseConfig, type ModuleCall } from '@atlas/core';
import { serviceArgs, serviceOptionsSchema } from '@atlas/incus-service';
import { z } from 'zod';
import type { AnsibleHost } from './ansible-host.js';
import {
  ANSIBLE_GROUP,
  FORGEJO_RUNNER_DEFAULTS,
  FORGEJO_RUNNER_INPUTS,
  forgejoRunnerModule,
} from './module.js';

export { ansibleHostSchema, type AnsibleHost } from './ansible-host.js';
export {
  ANSIBLE_GROUP,
  BOOTSTRAP_PACKAGES,
  DEFAULT_RUNNER_VERSION,
  FORGEJO_RUNNER_DEFAULTS,
  forgejoRunnerModule,
} from './module.js';

export const forgejoRunnerConfigSchema = serviceOptionsSchema(FORGEJO_RUNNER_DEFAULTS)
  .extend({
    forgejoUrl: FORGEJO_RUNNER_INPUTS.forgejo_url.schema,
    labels: FORGEJO_RUNNER_INPUTS.runner_labels.schema,
    version: FORGEJO_RUNNER_INPUTS.runner_version.schema,
    /** Defaults to the instance name. */
    runnerName: FORGEJO_RUNNER_INPUTS.runner_name.schema,
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.labels.forEach((label, i) => {
      const name = label.split(':')[0] ?? label;
      if (names.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['labels', i],
          message: `label name "${name}" is used twice`,
        });
      names.add(name);
    });
  });

export type ForgejoRunnerConfig = z.input<typeof forgejoRunnerConfigSchema>;

export type ForgejoRunnerInstance = ModuleCall<
  typeof forgejoRunnerModule.variables,
  typeof forgejoRunnerModule.body.outputs
> &
  AnsibleHost & { readonly service: 'forgejo-runner' };

/**
 * One Forgejo runner instance (one module call each). OpenTofu only creates it;
 * `ansible.vars` carries what the Ansible role needs, and the environment
 * gathers runners into its `forgejo_runner_*` outputs for the dynamic inventory.
 */
export function forgejoRunner(config: ForgejoRunnerConfig): ForgejoRunnerInstance {
  const c = parseConfig(forgejoRunnerConfigSchema, config, [
    config.name ?? FORGEJO_RUNNER_DEFAULTS.instanceName,
  ]);
  const call = forgejoRunnerModule.call(c.name, {
    ...serviceArgs(c, FORGEJO_RUNNER_DEFAULTS),
    forgejo_url: c.forgejoUrl,
    runner_labels: c.labels,
    runner_version: FORGEJO_RUNNER_INPUTS.runner_version.arg(c.version),
    runner_name: c.runnerName,
  });
  return Object.assign(call, {
    service: 'forgejo-runner' as const,
    ansible: {
      group: ANSIBLE_GROUP,
      host: call.outputs.instance_name,
      vars: call.outputs.ansible_vars,
    },
  });
}
