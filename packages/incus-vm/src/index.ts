import { instanceName, parseConfig, type ModuleCall } from '@atlas/core';
import {
  cloudInitTemplate,
  exprSchema,
  serviceArgs,
  serviceOptionsSchema,
  type CloudInitConfig,
} from '@atlas/incus-service';
import { heredoc } from '@atlas/hcl';
import { z } from 'zod';
import { EMPTY_USER_DATA, INCUS_VM_DEFAULTS, incusVmModule } from './module.js';

export { EMPTY_USER_DATA, INCUS_VM_DEFAULTS, incusVmModule } from './module.js';

const absolutePath = z
  .string()
  .regex(/^\/[^\n]*$/, 'expected an absolute path such as /etc/app/config.yml');
const account = '[a-z_][a-z0-9_-]{0,31}';

const fileSchema = z
  .object({
    path: absolutePath,
    /** Text, or an expression such as another module's output (rendered with jsonencode). */
    content: z.union([z.string(), exprSchema]),
    permissions: z
      .string()
      .regex(/^0[0-7]{3,4}$/, 'expected an octal mode such as 0644')
      .optional(),
    owner: z
      .string()
      .regex(new RegExp(`^${account}(:${account})?$`), 'expected "user" or "user:group"')
      .optional(),
    defer: z.boolean().optional(),
    when: z
      .undefined({
        error:
          'not supported for a VM: the user-data is a heredoc in the environment, so include the file or not in TypeScript',
      })
      .optional(),
  })
  .strict();

/** The typed cloud-init configuration a VM boots with. */
export const cloudInitSchema = z
  .object({
    packages: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/,
            'expected a Debian package name, optionally with =version',
          ),
      )
      .optional(),
    aptSources: z
      .record(
        z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'expected a source file name such as docker.list'),
        z
          .object({
            source: z.string().startsWith('deb', 'expected a "deb …" line'),
            keyid: z.string().min(1).optional(),
            keyserver: z.string().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    writeFiles: z.array(fileSchema).optional(),
    runcmd: z
      .array(
        z.union([
          z.string().min(1, 'expected a command'),
          z.array(z.string()).min(1, 'expected a command and its arguments'),
        ]),
      )
      .optional(),
    users: z
      .array(
        z
          .object({
            name: z.string().regex(new RegExp(`^${account}$`), 'expected a Linux user name'),
            system: z.boolean().optional(),
            homedir: absolutePath.optional(),
            shell: absolutePath.optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const paths = new Set<string>();
    c.writeFiles?.forEach((f, i) => {
      if (paths.has(f.path))
        ctx.addIssue({
          code: 'custom',
          path: ['writeFiles', i, 'path'],
          message: `${f.path} is written twice`,
        });
      paths.add(f.path);
    });
  });

export const incusVmConfigSchema = serviceOptionsSchema(INCUS_VM_DEFAULTS)
  .extend({
    /** Defaults to the VM's name, so VMs never share a profile. */
    profileName: instanceName.schema.optional(),
    cloudInit: cloudInitSchema.default({}),
  })
  .strict();

export type IncusVmConfig = z.input<typeof incusVmConfigSchema>;

export type IncusVmInstance = ModuleCall<
  typeof incusVmModule.variables,
  typeof incusVmModule.body.outputs
> & { readonly service: 'incus-vm' };

/**
 * A virtual machine. `cloudInit` is rendered to `#cloud-config` user-data,
 * which the environment passes to the module as a heredoc.
 */
export function incusVm(config: IncusVmConfig): IncusVmInstance {
  const c = parseConfig(incusVmConfigSchema, config, [
    config.name ?? INCUS_VM_DEFAULTS.instanceName,
  ]);
  const profileName = c.profileName ?? c.name;
  const userData = cloudInitTemplate(c.cloudInit satisfies CloudInitConfig);
  const [first, ...rest] = userData;
  const empty = rest.length === 0 && first?.kind === 'literal' && first.value === EMPTY_USER_DATA;
  const moduleCall = incusVmModule.call(c.name, {
    ...serviceArgs({ ...c, profileName }, INCUS_VM_DEFAULTS),
    user_data: empty ? undefined : heredoc(userData),
  });
  return Object.assign(moduleCall, { service: 'incus-vm' as const });
}
