import { printFile } from '@atlas/hcl';
import { resource } from '@atlas/providers';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  T,
  adopt,
  defineEnvironment,
  defineModule,
  formatPath,
  variable,
} from '@atlas/core';
import { renderEnvironment } from './render.js';
import { DEFAULT_STATE, remoteStateBlock } from './state.js';

const networks = defineModule({
  name: 'nets',
  package: { name: '@atlas/test', version: '0.0.0' },
  description: 'Test module.',
  providers: ['incus'],
  variables: {
    names: variable({ type: T.map(T.string), description: 'Networks by role.' }),
  },
  build: (v) => ({
    resources: [
      resource('incus_network', 'this', { name: v.names }, { for_each: v.names }).block,
      resource('incus_profile', 'base', { name: 'base' }).block,
    ],
    outputs: {},
  }),
});

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('adopt: import {} blocks for objects that exist before Atlas', () => {
  const base = networks.call('base', { names: { production: 'eno1' } });

  it('renders each adoption in main.tf as an import block with its reason', () => {
    const env = defineEnvironment({
      name: 'lab',
      description: 'Test.',
      modules: [base],
      imports: [
        adopt(base, 'incus_network.this', {
          key: 'production',
          id: 'eno1',
          reason: 'Made by hand before Atlas: its state is adopted, not created.',
        }),
        adopt(base, 'incus_profile.base', { id: 'base', reason: 'Made by an earlier project.' }),
      ],
    });
    const main = printFile(
      renderEnvironment(env, {
        remoteState: (remote) => remoteStateBlock(remote, DEFAULT_STATE),
      }).hcl.get('main.tf')!,
    );
    expect(main).toContain(
      `# Made by hand before Atlas: its state is adopted, not created.
import {
  to = module.base.incus_network.this["production"]
  id = "eno1"
}

# Made by an earlier project.
import {
  to = module.base.incus_profile.base
  id = "base"
}
`,
    );
  });

  it('refuses an address that is not there, naming the field', () => {
    const elsewhere = networks.call('other', { names: {} });
    const reason = 'Exists.';
    expect(
      issues(() =>
        defineEnvironment({
          name: 'lab',
          description: 'Test.',
          modules: [base],
          imports: [
            adopt(elsewhere, 'incus_network.this', { key: 'x', id: 'x', reason }),
            adopt(base, 'incus_network.lan', { key: 'x', id: 'x', reason }),
            adopt(base, 'incus_network.this', { id: 'eno1', reason }),
            adopt(base, 'incus_profile.base', { key: 0, id: 'base', reason }),
            adopt(base, 'incus_profile.base', { id: ' ', reason: '' }),
            adopt(base, 'incus_profile.base', { id: 'base', reason }),
            adopt(base, 'incus_network.this', { key: 'prod', id: 'eno1', reason }),
          ],
        }),
      ),
    ).toEqual([
      'lab.imports[0].module: expected a module call of this environment, got "other", which is not part of it',
      'lab.imports[1].resource: module "nets" declares no resource "incus_network.lan"; it has incus_network.this, incus_profile.base',
      'lab.imports[2].key: incus_network.this has for_each: expected its for_each key (a string), got undefined',
      'lab.imports[3].key: incus_profile.base is a single resource (no count or for_each): leave out key',
      "lab.imports[4].id: expected the object's import ID (its Incus name)",
      'lab.imports[4].reason: expected one line saying why the object exists before Atlas',
      'lab.imports[5]: imports the same address as imports[4]: one object per address',
      'lab.imports[6].key: module "base" makes incus_network.this for "production", not "prod"',
    ]);
  });
});
