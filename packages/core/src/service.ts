import {
  binary,
  call,
  cond,
  forList,
  get,
  interp,
  literal,
  nil,
  not,
  num,
  object,
  ref,
  str,
  tpl,
  tuple,
  type Block,
  type BodyItem,
  type Expr,
  type TemplatePart,
} from '@atlas/hcl';
import {
  dynamic,
  resource,
  type BlockList,
  type IncusInstanceFileArgs,
  type IncusInstanceWaitForArgs,
  type IncusProfileDeviceArgs,
} from '@atlas/providers';
import { cloudInitTemplate, type CloudInitConfig, type CloudInitFile } from './cloud-init.js';
import { T } from './hcl-type.js';
import {
  defineModule,
  output,
  variable,
  type Local,
  type ModuleDefinition,
  type OutputSpec,
  type OutputSpecs,
  type PackageInfo,
  type Ref,
  type VariableSpecs,
} from './module.js';
import {
  byteSize,
  cpuCount,
  instanceName,
  nullable,
  regexRule,
  snapshotExpiry,
  snapshotPattern,
  snapshotSchedule,
  type Validation,
} from './rules.js';

/** Debian 13 with cloud-init: the architecture's base for every system container. */
export const DEFAULT_IMAGE = 'images:debian/trixie/cloud';

export interface SnapshotDefaults {
  readonly schedule: string;
  readonly expiry: string;
  readonly pattern?: string;
}

export interface DataVolumeDefaults {
  /** Whether the volume is on unless the caller says otherwise (default true: services keep state). */
  readonly enabled?: boolean;
  readonly size: string;
  /** Where the volume is mounted inside the container. */
  readonly mountPath: string;
  readonly snapshots: SnapshotDefaults;
}

export interface ServiceDefaults {
  readonly instanceName: string;
  readonly profileName: string;
  readonly cpu: number;
  readonly memory: string;
  readonly rootDiskSize: string;
  readonly image?: string;
  /** Present for stateful services: the optional data volume and its snapshot policy. */
  readonly dataVolume?: DataVolumeDefaults;
  /**
   * Exact apt versions (`apt-cache policy` for the image's release) of the packages first boot
   * installs, declared once here: they become the `package_versions` variable's defaults, and
   * each such package in `cloudInit.packages` is installed as `name=version`. Use
   * {@link pinnedPackage} where a command installs one (a vendor repository's, say).
   */
  readonly packageVersions?: Readonly<Record<string, string>>;
}

/** Incus's docs: format `creation_date`, or the name holds spaces and colons (2024-05-01_02-00-00 here). */
export const DEFAULT_SNAPSHOT_PATTERN = "auto-{{ creation_date|date:'2006-01-02_15-04-05' }}";

/** `var.<name>` for every variable the building block declares. */
export interface ServiceVars {
  readonly instance_name: Ref<string>;
  readonly profile_name: Ref<string>;
  readonly image: Ref<string>;
  readonly profiles: Ref<string[]>;
  readonly cpu_limit: Ref<number>;
  readonly memory_limit: Ref<string>;
  readonly root_disk_size: Ref<string>;
  readonly storage_pool: Ref<string>;
  readonly target_node: Ref<string | null>;
  readonly journal_upload_url: Ref<string | null>;
}

export interface ServiceParts<Os extends OutputSpecs> {
  /** First-boot configuration; rendered to `templates/cloud-init.yaml.tftpl`. */
  readonly cloudInit?: {
    readonly config: CloudInitConfig;
    readonly vars?: Readonly<Record<string, Expr>>;
  };
  readonly locals?: Readonly<Record<string, Expr | Local>>;
  /** Extra resources after the standard ones. */
  readonly resources?: readonly BodyItem[];
  /** Extra `config` keys on the instance. */
  readonly instanceConfig?: Readonly<Record<string, Expr>>;
  /** Extra devices on the service profile, after root, data and proxy devices (e.g. read-only host paths). */
  readonly devices?: BlockList<IncusProfileDeviceArgs>;
  /** What the provider waits for after starting the instance (a VM's agent and address, say). */
  readonly waitFor?: BlockList<IncusInstanceWaitForArgs>;
  /** Files pushed into the instance before it first starts (OCI containers have no cloud-init). */
  readonly instanceFiles?: BlockList<IncusInstanceFileArgs>;
  /** Extra data-volume `config` keys, e.g. `initial.uid` so a non-root service owns the volume. */
  readonly dataVolumeConfig?: Readonly<Record<string, Expr>>;
  /**
   * Service outputs. Build addresses from `var.instance_name`, not from the
   * instance resource: two services that reference each other (Grafana
   * queries Prometheus, Prometheus scrapes Grafana) would otherwise form a cycle.
   */
  readonly outputs: Os;
  readonly templates?: Readonly<Record<string, readonly TemplatePart[]>>;
}

export interface ServiceModuleSpec<Vs extends VariableSpecs, Os extends OutputSpecs> {
  readonly name: string;
  readonly package: PackageInfo;
  readonly description: string;
  readonly defaults: ServiceDefaults;
  /** Service-specific variables, declared after the standard ones. */
  readonly variables: Vs;
  /** Whether the service can publish ports through Incus proxy devices (bridge mode). */
  readonly proxyDevices?: boolean;
  /** `container` (default) or `virtual-machine`. */
  readonly instanceType?: 'container' | 'virtual-machine';
  /**
   * The systemd unit that uses the data volume and the account it runs as. The volume is
   * mounted root-owned, and Debian's packages start their service during install, before
   * runcmd: a drop-in written ahead of the install hands the volume to the account before
   * every start, the install-time one included, so the service never fails into systemd's
   * start limit.
   */
  readonly dataOwner?: { readonly unit: string; readonly user: string; readonly group: string };
  /** Whether the instance boots systemd and cloud-init, so it can upload its journal (not an OCI application container). */
  readonly journalUpload?: boolean;
  readonly build: (v: { readonly [K in keyof Vs]: Ref<unknown> } & ServiceVars) => ServiceParts<Os>;
}

/** The block with comment lines printed above it. */
export function commented(block: Block, lines: string | readonly string[]): Block {
  return { ...block, comment: typeof lines === 'string' ? [lines] : lines };
}

const CLOUD_INIT_PATH = 'templates/cloud-init.yaml.tftpl';

/**
 * The shared shape of every Incus system-container service: an optional data
 * volume with Incus-native snapshots, a profile with hard limits and a sized
 * root disk, and an instance composed from the caller's base and network
 * profiles plus its own — never the `default` profile.
 */
/** Outputs every service module has. */
export interface ServiceOutputs extends OutputSpecs {
  readonly instance_name: OutputSpec<string>;
  readonly profile_name: OutputSpec<string>;
  readonly ipv4_address: OutputSpec<string>;
}

export function incusServiceModule<Vs extends VariableSpecs, Os extends OutputSpecs>(
  spec: ServiceModuleSpec<Vs, Os>,
): ModuleDefinition<VariableSpecs & Vs, ServiceOutputs & Os> {
  const d = spec.defaults;
  const journalUpload = spec.journalUpload ?? true;
  const standard = {
    ...standardVariables(
      d,
      spec.proxyDevices ?? false,
      spec.instanceType === 'virtual-machine',
      journalUpload,
    ),
    ...(d.packageVersions ? packageVersionsVariable(d.packageVersions) : {}),
  };
  return defineModule<VariableSpecs & Vs, ServiceOutputs & Os>({
    name: spec.name,
    package: spec.package,
    description: spec.description,
    providers: ['incus'],
    variables: { ...standard, ...spec.variables },
    build: (v) => {
      const vars = v as unknown as ServiceVars & Record<string, Ref<unknown>>;
      const parts = spec.build(vars as never);
      const persistent = d.dataVolume !== undefined;

      const volume = persistent
        ? resource(
            'incus_storage_volume',
            'data',
            {
              name: ref('local.data_volume_name'),
              pool: vars.storage_pool,
              config: call('merge', [
                object({ size: vars['data_volume_size']! }),
                cond(
                  vars['enable_snapshots']!,
                  object({
                    'snapshots.schedule': vars['snapshot_schedule']!,
                    'snapshots.expiry': vars['snapshot_expiry']!,
                    'snapshots.pattern': vars['snapshot_pattern']!,
                  }),
                  object({}),
                ),
                ...(parts.dataVolumeConfig ? [object(parts.dataVolumeConfig)] : []),
              ]),
            },
            { count: cond(vars['enable_data_persistence']!, num(1), num(0)) },
          )
        : undefined;

      const devices: BlockList<IncusProfileDeviceArgs> = [
        {
          name: 'root',
          type: 'disk' as const,
          properties: object({
            path: str('/'),
            pool: vars.storage_pool,
            size: vars.root_disk_size,
          }),
        },
        ...(volume
          ? [
              dynamic<IncusProfileDeviceArgs>(volume.ref, (it) => ({
                name: 'data',
                type: 'disk' as const,
                properties: object({
                  source: get(it.value, 'name'),
                  pool: vars.storage_pool,
                  path: str(d.dataVolume!.mountPath),
                }),
              })),
            ]
          : []),
        ...(spec.proxyDevices
          ? [
              dynamic<IncusProfileDeviceArgs>(ref('var.proxy_devices'), (it) => ({
                name: it.key,
                type: 'proxy' as const,
                properties: object({
                  listen: get(it.value, 'listen'),
                  connect: get(it.value, 'connect'),
                }),
              })),
            ]
          : []),
        ...(parts.devices ?? []),
      ];

      const profile = resource('incus_profile', 'service', {
        name: vars.profile_name,
        config: object({
          'limits.cpu': call('tostring', [vars.cpu_limit]),
          'limits.memory': vars.memory_limit,
          // Containers only (Incus rejects the key on a VM, whose memory is always a hard limit).
          ...((spec.instanceType ?? 'container') === 'container'
            ? { 'limits.memory.enforce': str('hard') }
            : {}),
        }),
        device: devices,
      });

      const instanceConfig: Record<string, Expr> = {};
      const templates: Record<string, readonly TemplatePart[]> = { ...parts.templates };
      if (journalUpload)
        templates[JOURNAL_UPLOAD_PATH] = [
          literal(JOURNAL_UPLOAD_SCRIPT[0]),
          interp(ref('url')),
          literal(JOURNAL_UPLOAD_SCRIPT[1]),
        ];
      if (parts.cloudInit) {
        const pins = d.packageVersions ?? {};
        const config = {
          ...parts.cloudInit.config,
          packages: parts.cloudInit.config.packages?.map((p) =>
            typeof p === 'string' && p in pins ? pinnedPackage(p) : p,
          ),
        };
        const ownership =
          d.dataVolume && spec.dataOwner
            ? [dataOwnerDropIn(spec.dataOwner, d.dataVolume.mountPath)]
            : [];
        templates[CLOUD_INIT_PATH] = cloudInitTemplate({
          ...config,
          writeFiles: [...ownership, ...(config.writeFiles ?? [])],
        });
        instanceConfig['cloud-init.user-data'] = call('templatefile', [
          tpl`${ref('path.module')}/${CLOUD_INIT_PATH}`,
          object({
            ...(d.packageVersions ? { package_versions: ref('var.package_versions') } : {}),
            ...parts.cloudInit.vars,
          }),
        ]);
      }
      Object.assign(instanceConfig, parts.instanceConfig);
      // Vendor-data, not user-data: the service's own cloud-config stays as it is.
      if (journalUpload) instanceConfig['cloud-init.vendor-data'] = ref('local.journal_upload');

      const instance = resource('incus_instance', 'this', {
        name: vars.instance_name,
        image: vars.image,
        type: spec.instanceType ?? 'container',
        target: vars.target_node,
        // Profiles apply left to right: base, then network, then this service's limits.
        profiles: call('concat', [vars.profiles, tuple([profile.attr('name')])]),
        config: object(instanceConfig),
        ...(parts.instanceFiles?.length ? { file: parts.instanceFiles } : {}),
        ...(parts.waitFor?.length ? { wait_for: parts.waitFor } : {}),
      });

      const locals: Record<string, Expr | Local> = {};
      if (persistent) {
        locals.data_volume_name = {
          value: call('coalesce', [vars['data_volume_name']!, tpl`${vars.instance_name}-data`]),
          comment:
            'Defaults to "<instance>-data" so each instance of the module gets its own volume.',
        };
      }
      if (journalUpload)
        locals.journal_upload = {
          value: cond(
            binary('==', vars.journal_upload_url, nil),
            str('#cloud-config\n'),
            call('templatefile', [
              tpl`${ref('path.module')}/${JOURNAL_UPLOAD_PATH}`,
              object({ url: vars.journal_upload_url }),
            ]),
          ),
          comment:
            "cloud-init vendor-data: a first-boot script uploading the instance's journal to var.journal_upload_url, or nothing (an empty cloud-config).",
        };
      Object.assign(locals, parts.locals);

      const outputs = {
        instance_name: output({
          description: 'Name of the Incus instance.',
          value: instance.attr('name'),
          type: T.string,
        }),
        profile_name: output({
          description: "Name of the profile holding this service's limits and devices.",
          value: profile.attr('name'),
          type: T.string,
        }),
        ipv4_address: output({
          description: 'IPv4 address the instance got on its network.',
          value: instance.attr('ipv4_address'),
          type: T.string,
        }),
        ...(persistent
          ? {
              data_volume_name: output({
                description: 'Name of the data volume, or null when persistence is disabled.',
                value: call('one', [volume!.attr('name', '*')]),
                type: T.string,
              }),
            }
          : {}),
        ...parts.outputs,
      };

      return {
        locals,
        resources: [
          ...(volume
            ? [
                commented(volume.block, [
                  'Service data lives on its own volume so the container can be rebuilt without losing it;',
                  'Incus itself takes and expires the snapshots.',
                ]),
              ]
            : []),
          commented(
            profile.block,
            'Limits and devices of this service; boot and network settings come from var.profiles.',
          ),
          instance.block,
          ...(spec.proxyDevices ? [networkForward(instance.attr('ipv4_address'))] : []),
          ...(parts.resources ?? []),
        ],
        outputs: outputs as unknown as ServiceOutputs & Os,
        templates,
      };
    },
  });
}

/** A Debian version as apt compares them: `[epoch:]upstream[-revision]`, e.g. `2.53.3+ds1-2`, `1:2.47.3-0+deb13u1`. */
export const DEBIAN_VERSION_PATTERN = '^([0-9]+:)?[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$';

/**
 * `name=version` for apt, as cloud-init template text: the version comes from the module's
 * `package_versions` variable (whose defaults the service package declares).
 */
export function pinnedPackage(name: string): Expr {
  return tpl`${name}=${packageVersion(name)}`;
}

/** The version of `name` that first boot installs, as cloud-init template text. */
export function packageVersion(name: string): Expr {
  return get(ref('package_versions'), str(name));
}

function packageVersionsVariable(versions: Readonly<Record<string, string>>): VariableSpecs {
  const names = Object.keys(versions);
  return {
    package_versions: variable({
      type: T.object(Object.fromEntries(names.map((n) => [n, T.optional(T.string, versions[n]!)]))),
      description: `Exact apt versions installed on first boot (${names.join(', ')}), so a rebuilt instance gets what was tested, not whatever is newest; set one to move it (e.g. to what \`apt-cache policy\` offers).`,
      default: {},
      nullable: false,
      validations: (self): Validation[] => [
        {
          condition: call('alltrue', [
            forList(
              'version',
              call('values', [self]),
              call('can', [call('regex', [str(DEBIAN_VERSION_PATTERN), ref('version')])]),
            ),
          ]),
          errorMessage:
            'Each version must be an exact Debian package version such as 2.53.3+ds1-2 (no spaces, no "latest").',
          rejects: { [names[0]!]: 'latest' },
        },
      ],
    }),
  };
}

/**
 * A systemd drop-in that gives the data volume to the service's account before each start.
 * `+` runs the command as root whatever User= says; `install -d` covers a disabled volume,
 * where the mount path is a plain folder that may not exist yet.
 */
export function dataOwnerDropIn(
  owner: { readonly unit: string; readonly user: string; readonly group: string },
  mountPath: string,
): CloudInitFile {
  const account = `${owner.user}:${owner.group}`;
  return {
    path: `/etc/systemd/system/${owner.unit}.service.d/atlas-data-owner.conf`,
    content: [
      '# Written by Atlas: the data volume is mounted root-owned; hand it to the service first.',
      '[Unit]',
      `RequiresMountsFor=${mountPath}`,
      '',
      '[Service]',
      `ExecStartPre=+/usr/bin/install -d -o ${owner.user} -g ${owner.group} ${mountPath}`,
      `ExecStartPre=+/usr/bin/chown -R ${account} ${mountPath}`,
      '',
    ].join('\n'),
  };
}

/** systemd-journal-upload's URL=: written into a config file, so no spaces, quotes or backslashes. */
export const journalUploadUrl = regexRule(
  String.raw`^https?://[^\s"'\\]+$`,
  'an http:// or https:// URL such as http://alloy01.incus:19532',
);

const JOURNAL_UPLOAD_PATH = 'templates/journal-upload.sh.tftpl';
/** The vendor-data script around the upload URL. */
const JOURNAL_UPLOAD_SCRIPT = [
  [
    '#!/bin/sh',
    "# Atlas: upload this instance's journal to the log receiver of its environment.",
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update',
    'apt-get install -y systemd-journal-remote',
    'mkdir -p /etc/systemd/journal-upload.conf.d',
    "cat > /etc/systemd/journal-upload.conf.d/atlas.conf <<'EOF'",
    '[Upload]',
    'URL=',
  ].join('\n'),
  [
    '',
    'EOF',
    'systemctl enable systemd-journal-upload.service',
    'systemctl restart systemd-journal-upload.service',
    '',
  ].join('\n'),
] as const;

function standardVariables(
  d: ServiceDefaults,
  proxyDevices: boolean,
  vm: boolean,
  journalUpload: boolean,
): VariableSpecs {
  const base = {
    instance_name: variable({
      type: T.string,
      description: 'Name of the Incus instance.',
      default: d.instanceName,
      rules: [instanceName],
    }),
    profile_name: variable({
      type: T.string,
      description: "Name of the profile that carries this service's limits and devices.",
      default: d.profileName,
      rules: [instanceName],
    }),
    image: variable({
      type: T.string,
      description: 'Image to create the instance from.',
      default: d.image ?? DEFAULT_IMAGE,
    }),
    profiles: variable({
      type: T.list(T.string),
      description:
        'Base and network profiles applied before the service profile, in order (e.g. the container base profile, then one network profile).',
      validations: (self): Validation[] => [
        {
          condition: not(call('contains', [self, str('default')])),
          errorMessage:
            'Do not use the "default" profile; pass the base and network profiles explicitly.',
          rejects: ['default', 'management-network'],
        },
      ],
    }),
    cpu_limit: variable({
      type: T.number,
      description: 'CPU cores the instance may use (limits.cpu).',
      default: d.cpu,
      rules: [cpuCount],
    }),
    memory_limit: variable({
      type: T.string,
      description: vm
        ? 'Memory of the VM (limits.memory): what its kernel sees as RAM.'
        : 'Memory limit (limits.memory), enforced hard: the instance is OOM-killed above it.',
      default: d.memory,
      rules: [byteSize],
    }),
    root_disk_size: variable({
      type: T.string,
      description: 'Size of the root disk.',
      default: d.rootDiskSize,
      rules: [byteSize],
    }),
    storage_pool: variable({
      type: T.string,
      description: 'Storage pool for the root disk and the data volume.',
      default: 'local',
    }),
    target_node: variable({
      type: T.string,
      description: 'Cluster member to place the instance on; null lets Incus choose.',
      default: null,
    }),
  };
  const journal: VariableSpecs = journalUpload
    ? {
        journal_upload_url: variable({
          type: T.string,
          description:
            "systemd-journal-remote URL this instance uploads its journal to (e.g. the environment's Alloy at http://alloy01.incus:19532); null keeps the journal local.",
          default: null,
          rules: [nullable(journalUploadUrl)],
        }),
      }
    : {};
  const data: VariableSpecs = d.dataVolume
    ? {
        enable_data_persistence: variable({
          type: T.bool,
          description: `Keep service data on a separate storage volume mounted at ${d.dataVolume.mountPath}.`,
          default: d.dataVolume.enabled ?? true,
        }),
        data_volume_name: variable({
          type: T.string,
          description: 'Name of the data volume; null means "<instance_name>-data".',
          default: null,
          rules: [nullable(instanceName)],
        }),
        data_volume_size: variable({
          type: T.string,
          description: 'Size of the data volume.',
          default: d.dataVolume.size,
          rules: [byteSize],
        }),
        enable_snapshots: variable({
          type: T.bool,
          description: 'Let Incus snapshot the data volume on a schedule.',
          default: false,
        }),
        snapshot_schedule: variable({
          type: T.string,
          description:
            'When Incus snapshots the data volume: cron syntax or @hourly, @daily, @weekly, @monthly.',
          default: d.dataVolume.snapshots.schedule,
          rules: [snapshotSchedule],
        }),
        snapshot_expiry: variable({
          type: T.string,
          description: 'How long Incus keeps each snapshot (e.g. 7d, 2w).',
          default: d.dataVolume.snapshots.expiry,
          rules: [snapshotExpiry],
        }),
        snapshot_pattern: variable({
          type: T.string,
          description:
            'Name pattern for snapshots: a Pongo2 template whose date is formatted, e.g. "auto-{{ creation_date|date:\'2006-01-02_15-04-05\' }}", or "%d" for a counter.',
          default: d.dataVolume.snapshots.pattern ?? DEFAULT_SNAPSHOT_PATTERN,
          rules: [snapshotPattern],
        }),
      }
    : {};
  const proxy: VariableSpecs = proxyDevices
    ? {
        proxy_devices: variable({
          type: T.map(T.object({ listen: T.string, connect: T.string })),
          description:
            'Incus proxy devices by name, for bridge mode: host "listen" (e.g. "tcp:0.0.0.0:1883") forwarded to "connect" in the container (e.g. "tcp:127.0.0.1:1883").',
          default: {},
          validations: (self): Validation[] => [
            {
              condition: call('alltrue', [
                forList(
                  'device',
                  call('values', [self]),
                  binary(
                    '&&',
                    proxyAddressValid(ref('device.listen')),
                    proxyAddressValid(ref('device.connect')),
                  ),
                ),
              ]),
              errorMessage:
                'Each proxy device needs "listen" and "connect" of the form "tcp:ADDRESS:PORT" or "udp:ADDRESS:PORT".',
              rejects: { web: { listen: '0.0.0.0:80', connect: 'tcp:127.0.0.1:80' } },
            },
          ],
        }),
        network_forward: variable({
          type: T.object({
            network: T.string,
            listen_address: T.string,
            ports: T.list(T.object({ protocol: T.string, port: T.number })),
          }),
          description:
            'OVN mode: publish these ports on "listen_address" (an address the uplink routes to "network") through an Incus network forward; null for none.',
          default: null,
        }),
      }
    : {};
  return { ...base, ...journal, ...data, ...proxy };
}

/**
 * OVN mode's counterpart of proxy devices: a network forward from a LAN
 * address the uplink routes to this instance, added when a service in
 * another network or environment must reach it (issue 9).
 */
function networkForward(instanceAddress: Expr): Block {
  const forward = resource(
    'incus_network_forward',
    'this',
    {
      network: get(ref('var.network_forward'), 'network'),
      listen_address: get(ref('var.network_forward'), 'listen_address'),
      ports: forList(
        'p',
        get(ref('var.network_forward'), 'ports'),
        object({
          protocol: ref('p.protocol'),
          listen_port: call('tostring', [ref('p.port')]),
          target_port: call('tostring', [ref('p.port')]),
          target_address: instanceAddress,
        }),
      ),
    },
    { count: cond(binary('==', ref('var.network_forward'), nil), num(0), num(1)) },
  );
  return commented(
    forward.block,
    'OVN networks publish through a forward on a routed LAN address instead of proxy devices.',
  );
}

const PROXY_ADDRESS = '^(tcp|udp):[^:]+:[0-9]+$';

const proxyAddressValid = (value: Expr): Expr =>
  call('can', [call('regex', [str(PROXY_ADDRESS), value])]);
