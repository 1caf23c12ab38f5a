import {
  T,
  cidrsOverlap,
  ConfigError,
  defineModule,
  hclIdentifier,
  input,
  ipv4Cidr,
  ipv4RangeSchema,
  ipv6Cidr,
  output,
  packageInfo,
  parseConfig,
  unlessDefault,
  variable,
  variablesOf,
  type ModuleCall,
  type NetworkAttachment,
  type Ref,
  type Site,
  type Validation,
  isCluster,
} from '@atlas/core';
import {
  binary,
  call,
  cond,
  forList,
  forMap,
  get,
  nil,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  type Expr,
} from '@atlas/hcl';
import { resource } from '@atlas/providers';
import { z } from 'zod';

export const NETWORK_TYPES = ['bridge', 'physical', 'ovn'] as const;
/** How the base attaches the networks: NAT bridges, production on the LAN, or OVN overlays. */
export type NetworkType = (typeof NETWORK_TYPES)[number];

/**
 * The Incus network types the module creates. Physical mode's production network is a
 * `macvlan` on the LAN interface: any number of instances share it, where a managed
 * `physical` network hands the whole NIC to the first instance attached (kept for that use).
 */
export const INCUS_NETWORK_TYPES = ['bridge', 'macvlan', 'physical', 'ovn'] as const;
/** Network types whose "parent" names a LAN interface of each host. */
const LAN_TYPES = ['macvlan', 'physical'] as const;

/** The three networks of the architecture, and the order their profiles are documented in. */
export const NETWORK_ROLES = ['production', 'management', 'gitops'] as const;
export type NetworkRole = (typeof NETWORK_ROLES)[number];

/** The seeds' address plan. */
export const DEFAULT_NETWORKS: Readonly<Record<NetworkRole, { ipv4: string; ipv6: string }>> = {
  production: { ipv4: '10.10.0.1/24', ipv6: 'fd00:10:10::1/64' },
  management: { ipv4: '10.20.0.1/24', ipv6: 'fd00:10:20::1/64' },
  gitops: { ipv4: '10.30.0.1/24', ipv6: 'fd00:10:30::1/64' },
};

/**
 * What a network entry means when it leaves a field out: the module's optional-attribute
 * defaults, the builder's option defaults, and what the builder leaves out of the call.
 */
const NETWORK_FIELD_DEFAULTS = { type: 'bridge', ipv4_nat: true, ipv6_nat: false } as const;

/** The base's own inputs, declared once: the builder's options and the module's variables. */
export const BASE_INPUTS = {
  container_base_profile_name: input(z.string().min(1, 'expected a profile name'), {
    type: T.string,
    description: 'Name of the profile with the boot settings every container shares.',
    default: 'container-base',
  }),
};

const net = (field: string): Expr => ref(`net.${field}`);
const allNetworks = (self: Expr, test: Expr): Expr =>
  call('alltrue', [forList('net', call('values', [self]), test)]);

const networksVariable = variable({
  type: T.map(
    T.object({
      name: T.optional(T.string),
      type: T.optional(T.string, NETWORK_FIELD_DEFAULTS.type),
      parent: T.optional(T.string),
      ipv4_address: T.optional(T.string),
      ipv4_nat: T.optional(T.bool, NETWORK_FIELD_DEFAULTS.ipv4_nat),
      ipv6_address: T.optional(T.string),
      ipv6_nat: T.optional(T.bool, NETWORK_FIELD_DEFAULTS.ipv6_nat),
    }),
  ),
  description: [
    'Networks by role (production, management, gitops). "type" is bridge (NAT, the default), macvlan',
    '(instances on the LAN through the interface named by "parent"; the host cannot reach its own',
    'macvlan instances), physical (the whole interface "parent" passed to one instance) or ovn',
    '(overlay whose uplink network is "parent").',
    '"ipv4_address"/"ipv6_address" are the gateway with prefix length; leave ipv6_address null to disable IPv6.',
  ].join(' '),
  validations: (self): Validation[] => [
    {
      condition: allNetworks(
        self,
        call('contains', [toExpr([...INCUS_NETWORK_TYPES]), net('type')]),
      ),
      errorMessage: 'Each network "type" must be one of bridge, macvlan, physical or ovn.',
      rejects: { management: { type: 'sriov' } },
    },
    {
      condition: allNetworks(
        self,
        binary('||', binary('==', net('type'), str('bridge')), binary('!=', net('parent'), nil)),
      ),
      errorMessage:
        'Macvlan, physical and OVN networks need "parent": the LAN interface or the OVN uplink network.',
      rejects: { lan: { type: 'macvlan' } },
    },
    {
      condition: allNetworks(
        self,
        cond(
          binary('==', net('ipv4_address'), nil),
          toExpr(true),
          ipv4Cidr.validation(net('ipv4_address')).condition,
        ),
      ),
      errorMessage:
        'Each "ipv4_address" must be an address with prefix length such as 10.10.0.1/24.',
      rejects: { management: { ipv4_address: '10.10.0.1' } },
    },
    {
      condition: allNetworks(
        self,
        cond(
          binary('==', net('ipv6_address'), nil),
          toExpr(true),
          ipv6Cidr.validation(net('ipv6_address')).condition,
        ),
      ),
      errorMessage:
        'Each "ipv6_address" must be an address with prefix length such as fd00:10:10::1/64.',
      rejects: { management: { ipv6_address: 'fd00:10:10::1' } },
    },
  ],
  example: object({
    management: object({ ipv4_address: str(DEFAULT_NETWORKS.management.ipv4) }),
    production: object({ ipv4_address: str(DEFAULT_NETWORKS.production.ipv4) }),
  }),
});

const membersVariable = variable({
  type: T.map(T.object({ parent: T.optional(T.string) })),
  description: [
    'Cluster members by name, for an Incus cluster: each network but an OVN one is first defined on',
    'every member (pending), then created once, as Incus requires. "parent" is the LAN interface of',
    "that member when it differs from the network's. Empty for a single host.",
  ].join(' '),
  default: {},
  example: object({ node1: object({}), node2: object({ parent: str('enp1s0') }) }),
});

/** S1: networks, one NIC profile per network, and the container base profile every instance starts from. */
export const baseModule = defineModule({
  name: 'base',
  package: packageInfo(import.meta.url),
  description:
    'Networks (bridge, physical or OVN; IPv4 with optional IPv6), one network profile per network, and the container base profile. Instances compose these profiles and never use the "default" profile.',
  providers: ['incus'],
  variables: {
    networks: networksVariable,
    cluster_members: membersVariable,
    ...variablesOf(BASE_INPUTS),
  },
  build: (v) => {
    const lanType = (type: Expr) => call('contains', [toExpr([...LAN_TYPES]), type]);
    const memberNet = get(v.networks, ref('each.value.role'));
    const member = resource(
      'incus_network',
      'member',
      {
        name: call('coalesce', [get(memberNet, 'name'), ref('each.value.role')]),
        type: get(memberNet, 'type'),
        target: ref('each.value.member'),
        config: cond(
          lanType(get(memberNet, 'type')),
          object({
            parent: call('coalesce', [
              get(v.cluster_members, ref('each.value.member'), 'parent'),
              get(memberNet, 'parent'),
            ]),
          }),
          object({}),
        ),
      },
      { for_each: ref('local.member_networks') },
    );
    const network = resource(
      'incus_network',
      'this',
      {
        name: call('coalesce', [ref('each.value.name'), ref('each.key')]),
        type: ref('each.value.type'),
        config: ref('local.network_config', ref('each.key')),
      },
      { for_each: v.networks, depends_on: [member] },
    );
    const baseProfile = resource('incus_profile', 'container_base', {
      name: v.container_base_profile_name,
      config: object({ 'boot.autostart': str('true'), 'boot.autorestart': str('true') }),
    });
    const networkProfile = resource(
      'incus_profile',
      'network',
      {
        name: tpl`${ref('each.key')}-network`,
        device: [
          {
            name: 'eth0',
            type: 'nic',
            properties: object({ network: network.attr('name', ref('each.key')) }),
          },
        ],
      },
      { for_each: v.networks },
    );
    const addressConfig = call('merge', [
      object({
        'ipv4.address': call('coalesce', [net('ipv4_address'), str('auto')]),
        'ipv4.nat': call('tostring', [net('ipv4_nat')]),
        // Incus turns IPv6 on by default; "none" is how it is switched off.
        'ipv6.address': call('coalesce', [net('ipv6_address'), str('none')]),
      }),
      cond(
        binary('==', net('ipv6_address'), nil),
        object({}),
        object({ 'ipv6.nat': call('tostring', [net('ipv6_nat')]) }),
      ),
      cond(binary('==', net('type'), str('ovn')), object({ network: net('parent') }), object({})),
    ]);
    return {
      locals: {
        on_cluster: {
          value: binary('>', call('length', [v.cluster_members]), num(0)),
          comment: 'Whether the networks are defined per member first (an Incus cluster).',
        },
        member_networks: {
          value: forMap(
            'pair',
            call('setproduct', [call('keys', [v.networks]), call('keys', [v.cluster_members])]),
            tpl`${get(ref('pair'), 0)}/${get(ref('pair'), 1)}`,
            object({ role: get(ref('pair'), 0), member: get(ref('pair'), 1) }),
            { cond: binary('!=', get(v.networks, get(ref('pair'), 0), 'type'), str('ovn')) },
          ),
          comment: 'Incus creates a cluster network once it is pending on every member (not OVN).',
        },
        network_config: {
          value: forMap(
            ['role', 'net'],
            v.networks,
            ref('role'),
            cond(
              lanType(net('type')),
              call('tomap', [
                cond(ref('local.on_cluster'), object({}), object({ parent: net('parent') })),
              ]),
              call('tomap', [addressConfig]),
            ),
          ),
          comment:
            'A LAN network names only its parent interface (per member on a cluster); the LAN addresses.',
        },
      },
      resources: [member.block, network.block, baseProfile.block, networkProfile.block],
      outputs: {
        container_base_profile: output({
          description:
            "Name of the container base profile (boot.autostart, boot.autorestart); list it first in an instance's profiles.",
          value: baseProfile.attr('name'),
          type: T.string,
        }),
        network_profiles: output({
          description: 'Network profile name by network role: each adds eth0 on that network.',
          value: forMap(['role', 'profile'], networkProfile.ref, ref('role'), ref('profile.name')),
          type: T.map(T.string),
        }),
        networks: output({
          description: 'Incus network name by network role.',
          value: forMap(['role', 'network'], network.ref, ref('role'), ref('network.name')),
          type: T.map(T.string),
        }),
        gateways: output({
          description:
            'IPv4 gateway address (without prefix length) by network role; null for LAN (macvlan, physical) networks.',
          value: forMap(
            ['role', 'net'],
            v.networks,
            ref('role'),
            cond(
              binary('==', net('ipv4_address'), nil),
              nil,
              get(call('split', [str('/'), net('ipv4_address')]), 0),
            ),
          ),
          type: T.map(T.string),
        }),
      },
    };
  },
});

const networkSchema = z
  .object({
    ipv4: ipv4Cidr.schema,
    ipv6: ipv6Cidr.schema.nullable().default(null),
    ipv4Nat: z.boolean().default(NETWORK_FIELD_DEFAULTS.ipv4_nat),
    ipv6Nat: z.boolean().default(NETWORK_FIELD_DEFAULTS.ipv6_nat),
  })
  .strict();

export const baseConfigSchema = z
  .object({
    /** Module name in the environment. */
    name: hclIdentifier.schema.default('base'),
    /** bridge: NAT + proxy devices. physical: production on the LAN. ovn: every network is an overlay. */
    mode: z.enum(NETWORK_TYPES).default('bridge'),
    /** physical mode: LAN interface for the production network. ovn mode: the uplink network. */
    parent: z.string().min(1).optional(),
    networks: z
      .object({
        production: networkSchema.optional(),
        management: networkSchema.optional(),
        gitops: networkSchema.optional(),
      })
      .strict(),
    /** Name of the profile every container starts from. */
    containerBaseProfileName: BASE_INPUTS.container_base_profile_name.schema,
    /** Name of the production (macvlan) network in physical mode; defaults to "production". */
    productionNetworkName: z.string().optional(),
    /** ovn mode: the uplink's `ipv4.ovn.ranges`, where OVN load balancer VIPs must lie. */
    uplinkOvnRanges: z.array(ipv4RangeSchema).min(1).optional(),
    /** Where the environment's hosts are (defineSite): every attachment carries it, so links can route. */
    site: z
      .custom<Site>((v) => typeof v === 'object' && v !== null && (v as Site).kind === 'site', {
        message: 'expected a site (the value defineSite(…) returns)',
      })
      .optional(),
  })
  .strict()
  .refine((c) => c.mode === 'bridge' || c.parent !== undefined, {
    message: 'physical and ovn modes need "parent" (the LAN interface or OVN uplink)',
    path: ['parent'],
  })
  .refine((c) => c.mode !== 'ovn' || !c.site || c.site.ovn?.network === c.parent, {
    message: 'ovn mode: the site must declare this uplink (site.ovn.network equal to "parent")',
    path: ['site'],
  })
  .refine((c) => c.mode === 'ovn' || c.uplinkOvnRanges === undefined, {
    message: 'only ovn mode has an uplink with OVN ranges',
    path: ['uplinkOvnRanges'],
  })
  .superRefine((c, ctx) => {
    // Two networks of one host with overlapping subnets would route each other's traffic wrongly.
    const subnets = NETWORK_ROLES.flatMap((role) =>
      (['ipv4', 'ipv6'] as const).flatMap((family) => {
        const cidr = c.networks[role]?.[family];
        const valid = (family === 'ipv4' ? ipv4Cidr : ipv6Cidr).schema.safeParse(cidr).success;
        return cidr && valid ? [{ path: ['networks', role, family], cidr }] : [];
      }),
    );
    subnets.forEach((a, i) => {
      for (const b of subnets.slice(0, i)) {
        if (cidrsOverlap(a.cidr, b.cidr))
          ctx.addIssue({
            code: 'custom',
            path: a.path,
            message: `${a.cidr} overlaps ${b.cidr} of networks.${b.path.slice(1).join('.')}; give each network its own subnet`,
          });
      }
    });
  });

export type BaseConfig = z.input<typeof baseConfigSchema>;

export interface BaseInfrastructure<R extends NetworkRole = NetworkRole> {
  readonly call: ModuleCall<typeof baseModule.variables, typeof baseModule.body.outputs>;
  readonly mode: NetworkType;
  /** `module.base.container_base_profile` */
  readonly containerBaseProfile: Ref<string>;
  /** Join network `role`: the profiles an instance starts from (base, then network) and the network's mode. */
  attach(role: R): NetworkAttachment;
  networkProfile(role: R): Ref<string>;
  gateway(role: R): Ref<string>;
  /** The network's IPv4 gateway as written in the configuration (for docs and summaries). */
  readonly addresses: Readonly<Record<R, string>>;
}

/** Build the base-infrastructure module call for an environment. */
export function baseInfrastructure<const C extends BaseConfig>(
  config: C,
): BaseInfrastructure<Extract<keyof C['networks'], NetworkRole>> {
  type R = Extract<keyof C['networks'], NetworkRole>;
  const c = parseConfig(baseConfigSchema, config, ['base']);
  const networks: Record<string, Record<string, unknown>> = {};
  const addresses: Record<string, string> = {};
  const networkTypes: Record<string, NetworkType> = {};
  for (const role of NETWORK_ROLES) {
    const n = c.networks[role];
    if (!n) continue;
    addresses[role] = n.ipv4;
    const type: NetworkType =
      c.mode === 'ovn'
        ? 'ovn'
        : c.mode === 'physical' && role === 'production'
          ? 'physical'
          : 'bridge';
    networkTypes[role] = type;
    const d = NETWORK_FIELD_DEFAULTS;
    // A macvlan: every production instance on the LAN, where a physical network takes one.
    const entry =
      type === 'physical'
        ? { name: c.productionNetworkName, type: 'macvlan', parent: c.parent }
        : {
            type: unlessDefault(type, d.type),
            parent: type === 'ovn' ? c.parent : undefined,
            ipv4_address: n.ipv4,
            ipv4_nat: unlessDefault(n.ipv4Nat, d.ipv4_nat),
            ipv6_address: n.ipv6 ?? undefined,
            ipv6_nat: n.ipv6 ? unlessDefault(n.ipv6Nat, d.ipv6_nat) : undefined,
          };
    // Only what differs from the module's defaults goes into the call.
    networks[role] = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  }
  // A cluster defines its networks on each member first; a member's own LAN interface overrides parent.
  const members = isCluster(c.site)
    ? Object.fromEntries(
        c.site.hosts.map((h) => [h.name, h.lanInterface ? { parent: h.lanInterface } : {}]),
      )
    : undefined;
  const moduleCall = baseModule.call(c.name, {
    networks: toExpr(networks),
    ...(members ? { cluster_members: toExpr(members) } : {}),
    container_base_profile_name: BASE_INPUTS.container_base_profile_name.arg(
      c.containerBaseProfileName,
    ),
  });
  const out = moduleCall.outputs;
  return {
    call: moduleCall,
    mode: c.mode,
    containerBaseProfile: out.container_base_profile,
    networkProfile: (role: R) => get(out.network_profiles, role),
    attach: (role: R) => {
      // The types allow only declared roles; an estate in plain JavaScript gets this instead.
      if (!(role in networkTypes))
        throw new ConfigError([
          {
            path: [c.name, 'networks', String(role)],
            message: `attach(${JSON.stringify(role)}): the base declares no ${JSON.stringify(role)} network (it has ${Object.keys(networkTypes).join(', ') || 'none'}); add it to networks or attach a declared one`,
          },
        ]);
      return {
        kind: 'network-attachment',
        role,
        mode: networkTypes[role] as NetworkType,
        profiles: [out.container_base_profile, get(out.network_profiles, role)],
        network: get(out.networks, role),
        ...(c.uplinkOvnRanges ? { uplinkRanges: c.uplinkOvnRanges } : {}),
        ...(c.site ? { site: c.site } : {}),
      };
    },
    gateway: (role: R) => get(out.gateways, role),
    addresses: addresses as Record<R, string>,
  };
}
