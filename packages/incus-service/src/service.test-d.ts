// Type-level tests of the service block's module boundary: checked by `tsc -p tsconfig.json` (the
// `typecheck` target of `pnpm test`), never run. An `@ts-expect-error` line that stops erroring fails.
import { output, T, variable, type Ref } from '@atlas/core';
import { ref, str, tpl } from '@atlas/hcl';
import { expectTypeOf } from 'vitest';
import { incusServiceModule } from './service.js';

const info = { name: '@atlas/example', version: '0.0.0' };
const profiles = [ref('module.base.container_base_profile')];

/** A service module: standard variables and outputs from incusServiceModule, its own on top. */
const service = incusServiceModule({
  name: 'service',
  package: info,
  description: 'A service module.',
  defaults: {
    instanceName: 'service01',
    profileName: 'service',
    cpu: 1,
    memory: '256MB',
    rootDiskSize: '1GB',
    dataVolume: {
      size: '1GB',
      mountPath: '/data',
      snapshots: { schedule: '@daily', expiry: '7d' },
    },
    packageVersions: { nginx: '1.26.3-3' },
  },
  proxyDevices: true,
  variables: {
    domain: variable({ type: T.string, description: 'Domain.' }),
    workers: variable({ type: T.number, description: 'Workers.', default: 2 }),
  },
  build: (v) => {
    expectTypeOf(v.workers).toEqualTypeOf<Ref<number>>();
    expectTypeOf(v.instance_name).toEqualTypeOf<Ref<string>>();
    return {
      outputs: {
        endpoint: output({ description: 'URL.', value: tpl`http://${v.domain}`, type: T.string }),
      },
    };
  },
});

service.call('s', { profiles, domain: 'example.org' });
service.call('s', {
  profiles,
  domain: 'example.org',
  workers: 4,
  cpu_limit: 2,
  data_volume_size: '5GB',
  proxy_devices: { web: { listen: 'tcp:0.0.0.0:80', connect: 'tcp:127.0.0.1:80' } },
  package_versions: { nginx: '1.26.3-4' },
  journal_upload_url: str('http://alloy01.incus:19532'),
});
// @ts-expect-error -- `profiles` (standard) and `domain` (its own) are required
service.call('s', {});
// @ts-expect-error -- `domain` is required
service.call('s', { profiles });
// @ts-expect-error -- `domian` is not a variable of the module
service.call('s', { profiles, domain: 'example.org', domian: 'example.org' });
// @ts-expect-error -- `cpu_limit` (standard) is a number
service.call('s', { profiles, domain: 'example.org', cpu_limit: '2' });
// @ts-expect-error -- `workers` (its own) is a number
service.call('s', { profiles, domain: 'example.org', workers: 'four' });
// @ts-expect-error -- only pinned packages have a version variable
service.call('s', { profiles, domain: 'example.org', package_versions: { apache2: '2.4' } });
const s = service.call('s', { profiles, domain: 'example.org' });
expectTypeOf(s.outputs.endpoint).toEqualTypeOf<Ref<string>>();
expectTypeOf(s.outputs.ipv4_address).toEqualTypeOf<Ref<string>>();
expectTypeOf(s.outputs.data_volume_name).toEqualTypeOf<Ref<string>>();
// @ts-expect-error -- the output is `endpoint`
void s.outputs.endpointt;
// @ts-expect-error -- a standard output, misspelt
void s.outputs.ipv4_adress;

/** A stateless service without proxy devices or journal upload: those variables do not exist. */
const stateless = incusServiceModule({
  name: 'stateless',
  package: info,
  description: 'A stateless service.',
  defaults: {
    instanceName: 'st01',
    profileName: 'st',
    cpu: 1,
    memory: '64MB',
    rootDiskSize: '1GB',
  },
  journalUpload: false,
  variables: {},
  build: () => ({ outputs: {} }),
});
stateless.call('st', { profiles });
// @ts-expect-error -- no data volume, so no data volume variables
stateless.call('st', { profiles, data_volume_size: '1GB' });
// @ts-expect-error -- no proxy devices unless `proxyDevices: true`
stateless.call('st', { profiles, proxy_devices: {} });
// @ts-expect-error -- `journalUpload: false` drops the journal variable
stateless.call('st', { profiles, journal_upload_url: 'http://alloy01.incus:19532' });
// @ts-expect-error -- no data volume, so no data_volume_name output
void stateless.call('st', { profiles }).outputs.data_volume_name;
