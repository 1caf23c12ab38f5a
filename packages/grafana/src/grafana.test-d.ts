// Type-level tests: checked by `tsc -p tsconfig.json` (the `typecheck` target), never run.
// An `@ts-expect-error` line that stops erroring fails the type check.
import type { Ref } from '@atlas/core';
import { ref } from '@atlas/hcl';
import { testNetwork } from '@atlas/testing';
import { expectTypeOf } from 'vitest';
import { grafana, grafanaModule } from './index.js';

const profiles = testNetwork().profiles;
const admin_password = ref('var.grafana01_admin_password');

grafanaModule.call('g', { profiles, domain: 'grafana.example.com', admin_password });
// @ts-expect-error -- `profiles`, `domain` and `admin_password` are required
grafanaModule.call('g', {});
// @ts-expect-error -- `admin_password` is required
grafanaModule.call('g', { profiles, domain: 'grafana.example.com' });
grafanaModule.call('g', {
  profiles,
  domain: 'grafana.example.com',
  admin_password,
  // @ts-expect-error -- the variable is `admin_user`
  admin_name: 'root',
});
grafanaModule.call('g', {
  profiles,
  domain: 'grafana.example.com',
  admin_password,
  // @ts-expect-error -- Grafana has no proxy devices (it is published through the tunnel)
  proxy_devices: {},
});
grafanaModule.call('g', {
  profiles,
  domain: 'grafana.example.com',
  admin_password,
  // @ts-expect-error -- each datasource needs a url
  datasources: [{ name: 'Prometheus', type: 'prometheus' }],
});
grafanaModule.call('g', {
  profiles,
  domain: 'grafana.example.com',
  admin_password,
  // @ts-expect-error -- `memory_limit` is a size string
  memory_limit: 1,
});

// The builder's instance carries the module's typed outputs.
const grafana01 = grafana({ network: testNetwork(), domain: 'grafana.example.com' });
expectTypeOf(grafana01.outputs.endpoint).toEqualTypeOf<Ref<string>>();
expectTypeOf(grafana01.outputs.data_volume_name).toEqualTypeOf<Ref<string>>();
// @ts-expect-error -- the output is `endpoint`
void grafana01.outputs.endpointt;
// @ts-expect-error -- a builder option the schema does not know
grafana({ network: testNetwork(), domain: 'grafana.example.com', adminUsr: 'root' });
