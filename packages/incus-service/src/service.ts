import {
  byteSize,
  cpuCount,
  defineModule,
  input,
  instanceName,
  nullable,
  output,
  regexRule,
  snapshotExpiry,
  snapshotPattern,
  snapshotSchedule,
  T,
  variable,
  type DefaultedVariable,
  type Local,
  type ModuleDefinition,
  type OutputSpec,
  type OutputSpecs,
  type PackageInfo,
  type Ref,
  type RequiredVariable,
  type Validation,
  type VariableRefs,
  type VariableSpecs,
} from '@atlas/core';
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
import { z } from 'zod';

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

export interface ServiceModuleSpec<
  D extends ServiceDefaults,
  Vs extends VariableSpecs,
  Os extends OutputSpecs,
  P extends boolean,
  J extends boolean,
> {
  readonly name: string;
  readonly package: PackageInfo;
  readonly description: string;
  readonly defaults: D;
  /** Service-specific variables, declared after the standard ones. */
  readonly variables: Vs;
  /** Whether the service can publish ports through Incus proxy devices (bridge mode). */
  readonly proxyDevices?: P;
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
  readonly journalUpload?: J;
  readonly build: (v: VariableRefs<Vs> & ServiceVars) => ServiceParts<Os>;
}

/** The block with comment lines printed above it. */
export function commented(block: Block, lines: string | readonly string[]): Block {
  return { ...block, comment: typeof lines === 'string' ? [lines] : lines };
}

const CLOUD_INIT_PATH = 'templates/cloud-init.yaml.tftpl';

/** Variables every service module has. */
export type BaseServiceVariables = {
  readonly instance_name: DefaultedVariable<string>;
  readonly profile_name: DefaultedVariable<string>;
  readonly image: DefaultedVariable<string>;
  readonly profiles: RequiredVariable<string[]>;
  readonly cpu_limit: DefaultedVariable<number>;
  readonly memory_limit: DefaultedVariable<string>;
  readonly root_disk_size: DefaultedVariable<string>;
  readonly storage_pool: DefaultedVariable<string>;
  readonly target_node: DefaultedVariable<string>;
};

/** Variables of a service with a data volume (`dataVolume` in its defaults). */
export type DataVolumeVariables = {
  readonly enable_data_persistence: DefaultedVariable<boolean>;
  readonly data_volume_name: DefaultedVariable<string>;
  readonly data_volume_size: DefaultedVariable<string>;
  readonly enable_snapshots: DefaultedVariable<boolean>;
  readonly snapshot_schedule: DefaultedVariable<string>;
  readonly snapshot_expiry: DefaultedVariable<string>;
  readonly snapshot_pattern: DefaultedVariable<string>;
};

/** Variables of a service that publishes ports (`proxyDevices: true`). */
export type PublishingVariables = {
  readonly proxy_devices: DefaultedVariable<Record<string, { listen: string; connect: string }>>;
  readonly network_forward: DefaultedVariable<{
    network: string;
    listen_address: string;
    ports: { protocol: string; port: number }[];
  }>;
};

type Empty = Record<never, never>;

/** The standard variables `incusServiceModule` declares, decided by the service's defaults and switches. */
export type StandardVariables<
  D extends ServiceDefaults,
  P extends boolean,
  J extends boolean,
> = BaseServiceVariables &
  (J extends true ? { readonly journal_upload_url: DefaultedVariable<string> } : Empty) &
  (D extends { readonly dataVolume: DataVolumeDefaults } ? DataVolumeVariables : Empty) &
  (P extends true ? PublishingVariables : Empty) &
  (D extends { readonly packageVersions: infer Pins }
    ? { readonly package_versions: DefaultedVariable<{ readonly [K in keyof Pins]?: string }> }
    : Empty);

/** Outputs every service module has. */
export type BaseServiceOutputs = {
  readonly instance_name: OutputSpec<string>;
  readonly profile_name: OutputSpec<string>;
  readonly ipv4_address: OutputSpec<string>;
};

export type ServiceOutputs<D extends ServiceDefaults> = BaseServiceOutputs &
  (D extends { readonly dataVolume: DataVolumeDefaults }
    ? { readonly data_volume_name: OutputSpec<string> }
    : Empty);

/** A module built by {@link incusServiceModule}: its standard variables and outputs, then its own. */
export type ServiceModule<
  D extends ServiceDefaults,
  Vs extends VariableSpecs,
  Os extends OutputSpecs,
  P extends boolean = false,
  J extends boolean = true,
> = ModuleDefinition<StandardVariables<D, P, J> & Vs, ServiceOutputs<D> & Os>;

/**
 * The shared shape of every Incus system-container service: an optional data
 * volume with Incus-native snapshots, a profile with hard limits and a sized
 * root disk, and an instance composed from the caller's base and network
 * profiles plus its own — never the `default` profile.
 */
export function incusServiceModule<
  const D extends ServiceDefaults,
  Vs extends VariableSpecs,
  Os extends OutputSpecs,
  P extends boolean = false,
  J extends boolean = true,
>(spec: ServiceModuleSpec<D, Vs, Os, P, J>): ServiceModule<D, Vs, Os, P, J> {
  const d = spec.defaults;
  const journalUpload = spec.journalUpload ?? true;
  const standard = {
    ...standardVariables(d, {
      proxyDevices: spec.proxyDevices ?? false,
      vm: spec.instanceType === 'virtual-machine',
      journalUpload,
    }),
    ...(d.packageVersions ? packageVersionsVariable(d.packageVersions) : {}),
  };
  // Which standard variables exist is decided at run time from `spec`, as StandardVariables
  // decides it for the types: the one place the two are tied together.
  const definition: ModuleDefinition = defineModule<VariableSpecs, OutputSpecs>({
    name: spec.name,
    package: spec.package,
    description: spec.description,
    providers: ['incus'],
    variables: { ...standard, ...spec.variables },
    build: (v) => {
      const vars = v as ServiceVars & Record<string, Ref<unknown>>;
      const parts = spec.build(vars as VariableRefs<Vs> & ServiceVars);
      const persistent = d.dataVolume !== undefined;

      const volume = persistent
        ? resource(
            'incus_storage_volume',
            'data',
            {
              name: ref('local.data_volume_name'),
              pool: vars.storage_pool,
              // On a cluster, a member-local pool holds the volume on its instance's member.
              target: vars.target_node,
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
        // A system container with cloud-init has Python, so Ansible can reach it through Incus for
        // day-2 work (upgrades); these are what such a play needs to know. A hybrid-pattern service
        // (forgejo-runner) outputs its own role's variables instead.
        ...(parts.cloudInit
          ? {
              ansible_vars: output({
                description: `Variables for Ansible's day-2 tasks on this instance: ${[
                  ...(d.packageVersions ? ['the apt versions first boot installed'] : []),
                  ...(d.dataVolume ? ['where its data is mounted'] : []),
                  'its service name',
                ].join(', ')}.`,
                value: object({
                  atlas_service: str(spec.name),
                  ...(d.packageVersions ? { package_versions: ref('var.package_versions') } : {}),
                  ...(d.dataVolume ? { data_mount_path: str(d.dataVolume.mountPath) } : {}),
                }),
                type: T.object({
                  atlas_service: T.string,
                  ...(d.packageVersions ? { package_versions: T.map(T.string) } : {}),
                  ...(d.dataVolume ? { data_mount_path: T.string } : {}),
                }),
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
        outputs,
        templates,
      };
    },
  });
  return definition as ServiceModule<D, Vs, Os, P, J>;
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

/**
 * The standard inputs with a builder option of their own, declared once: each gives the
 * option's schema and seeded default (serviceOptionsSchema), the module variable, and the
 * argument a call passes (serviceArgs).
 */
export function standardInputs(d: ServiceDefaults, { vm = false }: { readonly vm?: boolean } = {}) {
  // Builders ask for them on every call: build them once per service (and kind of instance).
  const cache = vm ? vmInputs : containerInputs;
  const cached = cache.get(d);
  if (cached) return cached;
  const inputs = declareStandardInputs(d, vm);
  cache.set(d, inputs);
  return inputs;
}

type StandardInputs = ReturnType<typeof declareStandardInputs>;
const containerInputs = new WeakMap<ServiceDefaults, StandardInputs>();
const vmInputs = new WeakMap<ServiceDefaults, StandardInputs>();

function declareStandardInputs(d: ServiceDefaults, vm: boolean) {
  const volume = d.dataVolume;
  return {
    instance_name: input(instanceName, {
      type: T.string,
      description: 'Name of the Incus instance.',
      default: d.instanceName,
    }),
    profile_name: input(instanceName, {
      type: T.string,
      description: "Name of the profile that carries this service's limits and devices.",
      default: d.profileName,
    }),
    image: input(z.string().min(1), {
      type: T.string,
      description: 'Image to create the instance from.',
      default: d.image ?? DEFAULT_IMAGE,
    }),
    cpu_limit: input(cpuCount, {
      type: T.number,
      description: 'CPU cores the instance may use (limits.cpu).',
      default: d.cpu,
    }),
    memory_limit: input(byteSize, {
      type: T.string,
      description: vm
        ? 'Memory of the VM (limits.memory): what its kernel sees as RAM.'
        : 'Memory limit (limits.memory), enforced hard: the instance is OOM-killed above it.',
      default: d.memory,
    }),
    root_disk_size: input(byteSize, {
      type: T.string,
      description: 'Size of the root disk.',
      default: d.rootDiskSize,
    }),
    storage_pool: input(z.string().min(1), {
      type: T.string,
      description: 'Storage pool for the root disk and the data volume.',
      default: 'local',
    }),
    target_node: input(z.string().min(1), {
      type: T.string,
      description: 'Cluster member to place the instance on; null lets Incus choose.',
      default: null,
    }),
    ...(volume ? { data: dataVolumeInputs(volume) } : {}),
  };
}

function dataVolumeInputs(volume: DataVolumeDefaults) {
  return {
    enable_data_persistence: input(z.boolean(), {
      type: T.bool,
      description: `Keep service data on a separate storage volume mounted at ${volume.mountPath}.`,
      default: volume.enabled ?? true,
    }),
    data_volume_name: input(instanceName, {
      type: T.string,
      description: 'Name of the data volume; null means "<instance_name>-data".',
      default: null,
    }),
    data_volume_size: input(byteSize, {
      type: T.string,
      description: 'Size of the data volume.',
      default: volume.size,
    }),
    enable_snapshots: input(z.boolean(), {
      type: T.bool,
      description: 'Let Incus snapshot the data volume on a schedule.',
      default: false,
    }),
    snapshot_schedule: input(snapshotSchedule, {
      type: T.string,
      description:
        'When Incus snapshots the data volume: cron syntax or @hourly, @daily, @weekly, @monthly.',
      default: volume.snapshots.schedule,
    }),
    snapshot_expiry: input(snapshotExpiry, {
      type: T.string,
      description: 'How long Incus keeps each snapshot (e.g. 7d, 2w).',
      default: volume.snapshots.expiry,
    }),
    snapshot_pattern: input(snapshotPattern, {
      type: T.string,
      description:
        'Name pattern for snapshots: a Pongo2 template whose date is formatted, e.g. "auto-{{ creation_date|date:\'2006-01-02_15-04-05\' }}", or "%d" for a counter.',
      default: volume.snapshots.pattern ?? DEFAULT_SNAPSHOT_PATTERN,
    }),
  };
}

/** Which standard variables a service module has besides the ones every service has. */
interface StandardVariableSwitches {
  readonly proxyDevices: boolean;
  /** A virtual machine rather than a container: its memory limit is described as the VM sees it. */
  readonly vm: boolean;
  readonly journalUpload: boolean;
}

function standardVariables(
  d: ServiceDefaults,
  { proxyDevices, vm, journalUpload }: StandardVariableSwitches,
): VariableSpecs {
  const { data: dataInputs, ...std } = standardInputs(d, { vm });
  const base = {
    instance_name: std.instance_name.variable,
    profile_name: std.profile_name.variable,
    image: std.image.variable,
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
    cpu_limit: std.cpu_limit.variable,
    memory_limit: std.memory_limit.variable,
    root_disk_size: std.root_disk_size.variable,
    storage_pool: std.storage_pool.variable,
    target_node: std.target_node.variable,
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
  const data: VariableSpecs = dataInputs
    ? Object.fromEntries(Object.entries(dataInputs).map(([name, i]) => [name, i.variable]))
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
