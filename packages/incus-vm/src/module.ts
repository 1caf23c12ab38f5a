import { T, packageInfo, variable, type Validation } from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import { call, str } from '@atlas/hcl';

/** A generic VM: 2 CPU, 2GB, 10GB root disk; a 20GB data volume at /srv/data only when asked for. */
export const INCUS_VM_DEFAULTS = {
  instanceName: 'vm01',
  profileName: 'vm01',
  cpu: 2,
  memory: '2GB',
  rootDiskSize: '10GB',
  dataVolume: {
    // A generic VM keeps no data unless asked.
    enabled: false,
    size: '20GB',
    mountPath: '/srv/data',
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
} as const;

/** User-data with no configuration: cloud-init still sets up the VM from its vendor data. */
export const EMPTY_USER_DATA = '#cloud-config\n';

/** S15: a virtual machine with the same profile pattern as the system-container services. */
export const incusVmModule = incusServiceModule({
  name: 'incus-vm',
  package: packageInfo(import.meta.url),
  description:
    'An Incus virtual machine composed from the caller\'s base and network profiles plus its own (hard memory limit, CPU, sized root disk, optional data volume with Incus-native snapshots), configured by cloud-init user-data. Apply waits for the VM\'s incus-agent, so "incus exec" works as soon as it finishes.',
  defaults: INCUS_VM_DEFAULTS,
  instanceType: 'virtual-machine',
  variables: {
    user_data: variable({
      type: T.string,
      description:
        'cloud-init user-data: a #cloud-config document (packages, write_files, runcmd, users, apt sources).',
      default: EMPTY_USER_DATA,
      validations: (self): Validation[] => [
        {
          condition: call('startswith', [self, str(EMPTY_USER_DATA)]),
          errorMessage:
            'Must be a cloud-config document: its first line is exactly "#cloud-config", without which cloud-init does not read the YAML.',
          rejects: 'packages: [curl]',
        },
      ],
    }),
  },
  build: (v) => ({
    instanceConfig: { 'cloud-init.user-data': v.user_data },
    // The incus-agent (which Debian's cloud VM images start on boot) carries `incus exec`, file
    // transfer and volume mounts, and a VM reports its address only through it: wait for both.
    waitFor: [{ type: 'agent' }, { type: 'ipv4' }],
    outputs: {},
  }),
});
