import { attr, blank, block, call, get, object, ref, str, tuple, type BodyItem } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { dataSource, dynamic, resource } from './index.js';

describe('resource', () => {
  it('builds the block with arguments in the order written, then nested blocks', () => {
    const profile = resource('incus_profile', 'web', {
      name: 'web',
      description: undefined,
      device: [{ name: 'root', type: 'disk', properties: { pool: 'default', path: '/' } }],
      config: { 'limits.memory': '2GiB', 'limits.cpu': ref('var.cpu_limit') },
    });
    expect(profile.block).toEqual(
      block(
        'resource',
        ['incus_profile', 'web'],
        [
          attr('name', 'web'),
          attr(
            'config',
            object({ 'limits.memory': str('2GiB'), 'limits.cpu': ref('var.cpu_limit') }),
          ),
          blank,
          block(
            'device',
            [],
            [
              attr('name', 'root'),
              attr('type', 'disk'),
              attr('properties', object({ pool: str('default'), path: str('/') })),
            ],
          ),
        ],
      ),
    );
    expect(profile.address).toBe('incus_profile.web');
  });

  it('puts count and provider first, depends_on and lifecycle last', () => {
    const network = resource('incus_network', 'lan', { name: 'lan' });
    const volume = resource(
      'incus_storage_volume',
      'data',
      { name: ref('count.index'), pool: 'default' },
      {
        lifecycle: { prevent_destroy: true, ignore_changes: ['config', get(ref('config'), 'x')] },
        depends_on: [network, ref('module.storage')],
        provider: 'incus.remote',
        count: 2,
      },
    );
    expect(volume.block.body).toEqual<BodyItem[]>([
      attr('count', 2),
      attr('provider', ref('incus.remote')),
      blank,
      attr('name', ref('count.index')),
      attr('pool', 'default'),
      blank,
      attr('depends_on', tuple([ref('incus_network.lan'), ref('module.storage')])),
      blank,
      block(
        'lifecycle',
        [],
        [
          attr('prevent_destroy', true),
          attr('ignore_changes', tuple([ref('config'), ref('config.x')])),
        ],
      ),
    ]);
  });

  it('renders for_each and ignore_changes = all', () => {
    const pool = resource(
      'incus_storage_pool',
      'pools',
      { name: ref('each.key'), driver: ref('each.value') },
      { for_each: { fast: 'zfs', slow: 'dir' }, lifecycle: { ignore_changes: 'all' } },
    );
    expect(pool.block.body[0]).toEqual(
      attr('for_each', object({ fast: str('zfs'), slow: str('dir') })),
    );
    expect(pool.block.body.at(-1)).toEqual(
      block('lifecycle', [], [attr('ignore_changes', ref('all'))]),
    );
  });

  it('wraps a for_each list in toset()', () => {
    const networks = resource(
      'incus_network',
      'lans',
      { name: ref('each.key') },
      { for_each: ['a'] },
    );
    expect(networks.block.body[0]).toEqual(attr('for_each', call('toset', [tuple([str('a')])])));
  });

  it('refuses count together with for_each', () => {
    expect(() =>
      resource('incus_network', 'n', { name: 'n' }, { count: 1, for_each: ['a'] }),
    ).toThrow(/count and for_each/);
  });

  it('renders nested attribute types as objects', () => {
    const instance = resource('incus_instance', 'web', {
      name: 'web',
      exec: { hello: { command: ['echo', 'hi'], trigger: 'once' } },
    });
    expect(instance.block.body[1]).toEqual(
      attr(
        'exec',
        object({
          hello: object({ command: tuple([str('echo'), str('hi')]), trigger: str('once') }),
        }),
      ),
    );
  });

  it('renders a single-nesting block from an object', () => {
    const cert = resource('tls_self_signed_cert', 'ca', {
      private_key_pem: ref('tls_private_key.ca.private_key_pem'),
      validity_period_hours: 8760,
      allowed_uses: ['cert_signing'],
      subject: [{ common_name: 'Atlas CA' }],
    });
    expect(cert.block.body.at(-1)).toEqual(block('subject', [], [attr('common_name', 'Atlas CA')]));
  });
});

describe('dynamic blocks', () => {
  it('iterate with the block name by default', () => {
    const profile = resource('incus_profile', 'web', {
      name: 'web',
      device: [
        { name: 'root', type: 'disk', properties: { pool: 'default', path: '/' } },
        dynamic(ref('var.disks'), (disk) => ({
          name: disk.key,
          type: 'disk',
          properties: { pool: get(disk.value, 'pool'), source: get(disk.value, 'volume') },
        })),
      ],
    });
    expect(profile.block.body.at(-1)).toEqual(
      block(
        'dynamic',
        ['device'],
        [
          attr('for_each', ref('var.disks')),
          blank,
          block(
            'content',
            [],
            [
              attr('name', ref('device.key')),
              attr('type', 'disk'),
              attr(
                'properties',
                object({ pool: ref('device.value.pool'), source: ref('device.value.volume') }),
              ),
            ],
          ),
        ],
      ),
    );
    // The literal device and the dynamic one, a blank line apart.
    expect(profile.block.body.map((item) => item.kind)).toEqual([
      'attribute',
      'blank',
      'block',
      'blank',
      'block',
    ]);
  });

  it('take a custom iterator and plain data to iterate over', () => {
    const instance = resource('incus_instance', 'web', {
      name: 'web',
      wait_for: [dynamic(['ipv4', 'ipv6'], (kind) => ({ type: kind.value }), { iterator: 'kind' })],
    });
    expect(instance.block.body.at(-1)).toEqual(
      block(
        'dynamic',
        ['wait_for'],
        [
          attr('for_each', tuple([str('ipv4'), str('ipv6')])),
          attr('iterator', ref('kind')),
          blank,
          block('content', [], [attr('type', ref('kind.value'))]),
        ],
      ),
    );
  });
});

describe('references', () => {
  it('point at attributes of a single resource', () => {
    const web = resource('incus_instance', 'web', { name: 'web' });
    expect(web.ref).toEqual(ref('incus_instance.web'));
    expect(web.attr('ipv4_address')).toEqual(ref('incus_instance.web.ipv4_address'));
    expect(() => web.attr('name', 0)).toThrow(/single instance/);
  });

  it('need an instance key on count and for_each resources', () => {
    const data = resource('incus_storage_volume', 'data', { name: 'd', pool: 'p' }, { count: 3 });
    expect(data.attr('name', 0)).toEqual(ref('incus_storage_volume.data', 0, 'name'));
    expect(data.attr('name', '*')).toEqual(ref('incus_storage_volume.data', '*', 'name'));
    expect(data.attr('name', 'fast')).toEqual(
      ref('incus_storage_volume.data', str('fast'), 'name'),
    );
    expect(data.attr('name', ref('count.index'))).toEqual(
      ref('incus_storage_volume.data', ref('count.index'), 'name'),
    );
    expect(() => data.attr('name')).toThrow(/count or for_each/);
  });

  it('address data sources under data.', () => {
    const base = dataSource('incus_profile', 'default', { name: 'default' });
    expect(base.block).toEqual(
      block('data', ['incus_profile', 'default'], [attr('name', 'default')]),
    );
    expect(base.address).toBe('data.incus_profile.default');
    expect(base.attr('config')).toEqual(ref('data.incus_profile.default.config'));
  });
});
