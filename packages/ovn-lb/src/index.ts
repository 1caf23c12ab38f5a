import {
  ipv4Address,
  isModuleCall,
  inIpv4Ranges,
  oneLineDescription,
  parseConfig,
  port,
  unlessDefault,
  type ModuleCall,
  type Ref,
} from '@atlas/core';
import { networkAttachmentSchema } from '@atlas/incus-service';
import { object, toExpr, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import { HEALTH_CHECK_DEFAULTS, PROTOCOLS, lbName, ovnLbModule } from './module.js';

export {
  HEALTH_CHECK_DEFAULTS,
  PROTOCOLS,
  SEED_VIPS,
  lbName,
  ovnLbModule,
  type Protocol,
} from './module.js';

const MODULE_CALL_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** A service instance the VIP can forward to: any module call with an `ipv4_address` output. */
export type BackendInstance = ModuleCall & { readonly outputs: { readonly ipv4_address: Expr } };

const backendSchema = z.custom<BackendInstance>(
  (v) => isModuleCall(v) && 'ipv4_address' in v.outputs,
  {
    message:
      'expected a service instance with an ipv4_address output (the value a builder such as mosquitto(…) returns)',
  },
);

const wholeAtLeastOne = (what: string) =>
  z.number().int(`expected ${what} as a whole number`).min(1, `expected ${what} of at least 1`);

const healthCheckSchema = z
  .object({
    /** Seconds between checks. */
    interval: wholeAtLeastOne('seconds').default(HEALTH_CHECK_DEFAULTS.interval),
    /** Seconds before a check counts as failed. */
    timeout: wholeAtLeastOne('seconds').default(HEALTH_CHECK_DEFAULTS.timeout),
    /** Failed checks that take a backend out. */
    failureCount: wholeAtLeastOne('a count').default(HEALTH_CHECK_DEFAULTS.failureCount),
    /** Successful checks that bring it back. */
    successCount: wholeAtLeastOne('a count').default(HEALTH_CHECK_DEFAULTS.successCount),
  })
  .strict();

export const ovnLoadBalancerConfigSchema = z
  .object({
    /** Module name in the environment, e.g. `mosquitto_lb`. */
    name: z
      .string()
      .regex(MODULE_CALL_NAME, 'expected a module name of letters, digits, "_" and "-"'),
    /** The OVN network the backends are on: `base.attach('production')` in OVN mode. */
    network: networkAttachmentSchema.refine((n) => n.mode === 'ovn', {
      message:
        'expected an OVN network: load balancers exist only in OVN mode (bridge mode publishes ports with proxy devices, physical mode directly)',
    }),
    /** The LAN VIP, from the uplink's ipv4.ovn.ranges. */
    vip: ipv4Address.schema,
    backends: z.array(backendSchema).min(1, 'expected at least one backend instance'),
    ports: z
      .array(
        z
          .object({
            name: lbName.schema,
            protocol: z.enum(PROTOCOLS, { error: 'expected tcp or udp' }).default('tcp'),
            port: port.schema,
            /** Port on the backends; defaults to `port`. */
            targetPort: port.schema.optional(),
          })
          .strict(),
      )
      .min(1, 'expected at least one port'),
    /** OVN health checks with Incus's timing by default; `false` turns them off. */
    healthCheck: z.union([z.literal(false), healthCheckSchema]).prefault({}),
    description: oneLineDescription.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ranges = c.network.uplinkRanges;
    if (ranges && ipv4Address.schema.safeParse(c.vip).success && !inIpv4Ranges(c.vip, ranges))
      ctx.addIssue({
        code: 'custom',
        path: ['vip'],
        message: `${c.vip} is outside the uplink's OVN ranges (${ranges.join(', ')}, the base's uplinkOvnRanges); pick a VIP inside them`,
      });
    const unique = (values: string[], path: string, what: (v: string) => string) => {
      const seen = new Set<string>();
      values.forEach((value, i) => {
        if (seen.has(value))
          ctx.addIssue({ code: 'custom', path: [path, i], message: what(value) });
        seen.add(value);
      });
    };
    c.backends.forEach((b, i) => {
      if (!lbName.schema.safeParse(b.name).success)
        ctx.addIssue({
          code: 'custom',
          path: ['backends', i],
          message: `backend "${b.name}" cannot name an Incus backend (letters, digits, "_" and "-")`,
        });
    });
    unique(
      c.backends.map((b) => b.name),
      'backends',
      (n) => `backend "${n}" is listed twice`,
    );
    unique(
      c.ports.map((p) => p.name),
      'ports',
      (n) => `port name "${n}" is used twice`,
    );
    unique(
      c.ports.map((p) => `${p.protocol}/${p.port}`),
      'ports',
      (p) => `${p} is published twice`,
    );
  });

export type OvnLoadBalancerConfig = z.input<typeof ovnLoadBalancerConfigSchema>;

export type OvnLoadBalancerInstance = ModuleCall<
  typeof ovnLbModule.variables,
  typeof ovnLbModule.body.outputs
> & {
  readonly service: 'ovn-lb';
  /** `module.<name>.vip` */
  readonly vip: Ref<string>;
  /** `module.<name>.endpoints`: host:port on the VIP by port name. */
  readonly endpoints: Ref<Record<string, string>>;
};

/** An OVN load balancer: validates `config` and returns the module call with typed outputs. */
export function ovnLoadBalancer(config: OvnLoadBalancerConfig): OvnLoadBalancerInstance {
  const c = parseConfig(ovnLoadBalancerConfigSchema, config, [config.name ?? 'ovn_lb']);
  const h = c.healthCheck;
  const d = HEALTH_CHECK_DEFAULTS;
  const healthCheck =
    h === false
      ? null
      : Object.fromEntries(
          Object.entries({
            interval: unlessDefault(h.interval, d.interval),
            timeout: unlessDefault(h.timeout, d.timeout),
            failure_count: unlessDefault(h.failureCount, d.failureCount),
            success_count: unlessDefault(h.successCount, d.successCount),
          }).filter(([, value]) => value !== undefined),
        );
  const call = ovnLbModule.call(c.name, {
    network: c.network.network,
    listen_address: c.vip,
    description: c.description,
    backends: object(Object.fromEntries(c.backends.map((b) => [b.name, b.outputs.ipv4_address]))),
    ports: c.ports.map((p) => ({
      name: p.name,
      ...(p.protocol === 'tcp' ? {} : { protocol: p.protocol }),
      listen_port: p.port,
      ...(p.targetPort === undefined || p.targetPort === p.port
        ? {}
        : { target_port: p.targetPort }),
    })),
    health_check:
      healthCheck !== null && Object.keys(healthCheck).length === 0
        ? undefined
        : toExpr(healthCheck),
  });
  return Object.assign(call, {
    service: 'ovn-lb' as const,
    vip: call.outputs.vip,
    endpoints: call.outputs.endpoints,
  });
}
