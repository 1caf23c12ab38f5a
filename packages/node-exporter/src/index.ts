import { instanceName, parseConfig, type ModuleCall } from '@atlas/core';
import {
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
  placement,
  reachable,
} from '@atlas/incus-service';
import { z } from 'zod';
import { NODE_EXPORTER_DEFAULTS, NODE_EXPORTER_INPUTS, nodeExporterModule } from './module.js';

export {
  HOST_MOUNTS,
  NODE_EXPORTER_DEFAULTS,
  NODE_EXPORTER_PORT,
  nodeExporterModule,
} from './module.js';

const optionsSchema = serviceOptionsSchema(NODE_EXPORTER_DEFAULTS).extend({
  /** Defaults to the instance name, so exporters on several members do not share a profile. */
  profileName: instanceName.schema.optional(),
  /** The environment is an Incus cluster: the exporter must then be pinned with `targetNode`. */
  cluster: z.boolean().default(false),
  port: NODE_EXPORTER_INPUTS.listen_port.schema,
});

export const nodeExporterConfigSchema = optionsSchema.strict().superRefine((c, ctx) => {
  if (c.cluster && c.targetNode === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['targetNode'],
      message:
        'required in a cluster: name the member whose host metrics this exporter reports (e.g. "node1")',
    });
});

export type NodeExporterConfig = z.input<typeof nodeExporterConfigSchema>;

export type NodeExporterInstance = ModuleCall<
  typeof nodeExporterModule.variables,
  typeof nodeExporterModule.body.outputs
> &
  MetricsSource & { readonly service: 'node-exporter' };

/** A node-exporter instance: validates `config` and returns the module call with typed outputs. */
export function nodeExporter(config: NodeExporterConfig): NodeExporterInstance {
  const c = parseConfig(nodeExporterConfigSchema, config, [
    config.name ?? NODE_EXPORTER_DEFAULTS.instanceName,
  ]);
  const profileName = c.profileName ?? c.name;
  const call = nodeExporterModule.call(c.name, {
    ...serviceArgs({ ...c, profileName }, NODE_EXPORTER_DEFAULTS),
    listen_port: NODE_EXPORTER_INPUTS.listen_port.arg(c.port),
  });
  return Object.assign(call, {
    service: 'node-exporter' as const,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(placement(c), c.port, call.outputs.metrics_target),
    },
  });
}

export const nodeExportersConfigSchema = optionsSchema
  .omit({ name: true, profileName: true, targetNode: true, cluster: true })
  .extend({
    /** Cluster members, in order: the first gets `<namePrefix>01`. */
    nodes: z
      .array(z.string().min(1, 'expected a cluster member name'))
      .min(1, 'expected at least one cluster member')
      .refine((nodes) => new Set(nodes).size === nodes.length, 'each member can be listed once'),
    namePrefix: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,58}$/, 'expected letters, digits and hyphens (a name prefix)')
      .default('node-exporter'),
  })
  .strict();

export type NodeExportersConfig = z.input<typeof nodeExportersConfigSchema>;

/**
 * One exporter pinned to each cluster member (`node-exporter01` on the first,
 * and so on), each with its own profile. The other options apply to all of them.
 */
export function nodeExporters(config: NodeExportersConfig): NodeExporterInstance[] {
  const { nodes, namePrefix, ...shared } = parseConfig(nodeExportersConfigSchema, config, [
    config.namePrefix ?? 'node-exporter',
  ]);
  return nodes.map((node, i) =>
    nodeExporter({
      ...shared,
      name: `${namePrefix}${String(i + 1).padStart(2, '0')}`,
      cluster: true,
      targetNode: node,
    }),
  );
}
