import { parseConfig, serviceArgs, serviceOptionsSchema, type ModuleCall } from '@atlas/core';
import { z } from 'zod';
import type { AnsibleHost } from './ansible-host.js';
import {
  ANSIBLE_GROUP,
  DEFAULT_RUNNER_VERSION,
  FORGEJO_RUNNER_DEFAULTS,
  forgejoRunnerModule,
} from './module.js';
import { forgejoUrl, runnerLabel, runnerName, semver } from './rules.js';

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
    forgejoUrl: forgejoUrl.schema,
    labels: z.array(runnerLabel.schema).min(1, 'expected at least one label'),
    version: semver.schema.default(DEFAULT_RUNNER_VERSION),
    /** Defaults to the instance name. */
    runnerName: runnerName.schema.optional(),
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
    runner_version: c.version === DEFAULT_RUNNER_VERSION ? undefined : c.version,
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
