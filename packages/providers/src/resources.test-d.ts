// Type-level tests: checked by `tsc -p tsconfig.json` (the `typecheck` target), never run.
// An `@ts-expect-error` line that stops erroring fails the type check.
import { ref, type Expr } from '@atlas/hcl';
import { expectTypeOf } from 'vitest';
import {
  dataSource,
  dynamic,
  resource,
  type IncusInstanceArgs,
  type IncusProfileDeviceArgs,
  type ResourceTypes,
} from './index.js';

const cpu = ref('var.cpu_limit');

// Unknown attribute.
resource('incus_instance', 'web', {
  name: 'web',
  // @ts-expect-error -- `imagee` is not an argument of incus_instance
  imagee: 'images:debian/12',
});

// Unknown nested block argument, and unknown block.
resource('incus_instance', 'web', {
  name: 'web',
  device: [
    // @ts-expect-error -- `propertys` is not an argument of a device block
    { name: 'root', type: 'disk', propertys: {} },
  ],
});
resource('incus_instance', 'web', {
  name: 'web',
  // @ts-expect-error -- incus_instance has no `disk` block
  disk: [],
});

// Missing required attribute.
// @ts-expect-error -- `name` is required
resource('incus_instance', 'web', { image: 'images:debian/12' });
// @ts-expect-error -- a device needs `properties`
resource('incus_profile', 'p', { name: 'p', device: [{ name: 'root', type: 'disk' }] });

// Literal outside `_one_of`.
// @ts-expect-error -- `vm` is not an instance type
resource('incus_instance', 'web', { name: 'web', type: 'vm' });

// Computed-only attributes cannot be set.
// @ts-expect-error -- ipv4_address is computed by the provider
resource('incus_instance', 'web', { name: 'web', ipv4_address: '10.0.0.2' });

// Unknown resource type.
// @ts-expect-error -- no such resource type
resource('incus_instanc', 'web', { name: 'web' });

// An expression is accepted anywhere a value is.
resource('incus_instance', 'web', {
  name: ref('var.name'),
  type: ref('var.instance_type'),
  running: cpu,
  profiles: [ref('incus_profile.base.name'), 'default'],
  config: { 'limits.cpu': cpu, 'limits.memory': '2GiB' },
  exec: { hello: { command: ['echo', cpu], uid: cpu } },
  device: [{ name: 'root', type: ref('var.root_type'), properties: cpu }],
});
resource('incus_instance', 'web', { name: 'web', config: cpu, profiles: cpu, exec: cpu });

// Dynamic block contents are checked against the block they stand in for.
resource('incus_profile', 'p', {
  name: 'p',
  device: [
    dynamic(ref('var.disks'), (disk) => ({
      name: disk.key,
      type: 'disk',
      properties: disk.value,
    })),
  ],
});
resource('incus_profile', 'p', {
  name: 'p',
  device: [
    dynamic(ref('var.disks'), (disk) => ({
      name: disk.key,
      // @ts-expect-error -- `disc` is not a device type
      type: 'disc',
      properties: disk.value,
    })),
    dynamic(ref('var.nics'), (nic) => ({
      name: nic.key,
      type: 'nic',
      properties: nic.value,
      // @ts-expect-error -- `mtu` is not an argument of a device block
      mtu: 1500,
    })),
  ],
});

// References: only attributes of the type, including computed ones.
const web = resource('incus_instance', 'web', { name: 'web' });
expectTypeOf(web.attr('ipv4_address')).toEqualTypeOf<Expr>();
// @ts-expect-error -- incus_instance has no `address` attribute
web.attr('address');
const base = dataSource('incus_profile', 'default', { name: 'default' });
base.attr('config');
// @ts-expect-error -- the data source has no `ipv4_address`
base.attr('ipv4_address');

// lifecycle.ignore_changes names arguments of the type.
resource('incus_instance', 'web', { name: 'web' }, { lifecycle: { ignore_changes: ['config'] } });
// @ts-expect-error -- `confg` is not an argument
resource('incus_instance', 'web', { name: 'web' }, { lifecycle: { ignore_changes: ['confg'] } });

// The registry and the generated interfaces line up.
expectTypeOf<ResourceTypes['incus_instance']['args']>().toEqualTypeOf<IncusInstanceArgs>();
expectTypeOf<IncusProfileDeviceArgs['type']>().toEqualTypeOf<
  | Expr
  | 'none'
  | 'disk'
  | 'nic'
  | 'unix-char'
  | 'unix-block'
  | 'usb'
  | 'gpu'
  | 'infiniband'
  | 'proxy'
  | 'unix-hotplug'
  | 'tpm'
  | 'pci'
>();
