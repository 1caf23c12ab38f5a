import { T, output, port, variable, type ModuleDefinition } from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import {
  attr,
  binary,
  block,
  call,
  forList,
  forMap,
  interp,
  literal,
  nil,
  object,
  ref,
  str,
  tpl,
  type Expr,
} from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { previewModule } from './preview.js';
import { ConfigurationError, UNKNOWN } from './value.js';

const listener = (field: string) => ref(`l.${field}`);

/** A small service in the shape of the real ones: typed list variable, locals, cloud-init files, a template, a for_each resource. */
const echoModule = incusServiceModule({
  name: 'echo',
  package: { name: '@atlas/echo', version: '0.0.0' },
  description: 'An echo server, for testing the preview.',
  defaults: {
    instanceName: 'echo01',
    profileName: 'echo',
    cpu: 1,
    memory: '512MB',
    rootDiskSize: '1GB',
    dataVolume: {
      size: '1GB',
      mountPath: '/srv/echo',
      snapshots: { schedule: '@daily', expiry: '7d' },
    },
  },
  proxyDevices: true,
  variables: {
    listeners: variable({
      type: T.list(
        T.object({
          name: T.string,
          port: T.number,
          path: T.optional(T.string, '/'),
          tags: T.optional(T.list(T.string), ['echo']),
          tls: T.optional(T.object({ cert: T.string, ciphers: T.optional(T.string, 'modern') })),
        }),
      ),
      description: 'Ports to listen on.',
      default: [],
      validations: (self) => [
        {
          condition: call('alltrue', [
            forList('l', self, port.validation(listener('port')).condition),
          ]),
          errorMessage: 'Each listener port must be from 1 to 65535.',
        },
      ],
    }),
    greeting: variable({ type: T.string, description: 'What to say.', default: 'hello' }),
    debug: variable({ type: T.bool, description: 'Write a debug file.', default: false }),
  },
  build: (v) => ({
    locals: {
      config: object({
        greeting: v.greeting,
        listen: forList('l', v.listeners, tpl`:${listener('port')}${listener('path')}`),
      }),
      motd: call('templatefile', [
        tpl`${ref('path.module')}/templates/motd.tftpl`,
        object({ greeting: v.greeting, listeners: v.listeners }),
      ]),
    },
    cloudInit: {
      config: {
        packages: ['echo-server'],
        writeFiles: [
          { path: '/etc/echo/config.yml', content: ref('config_yml') },
          { path: '/etc/motd', content: ref('motd') },
          {
            path: '/etc/echo/debug',
            content: ref('peer'),
            permissions: '0600',
            when: ref('debug'),
          },
          { path: '/etc/echo/raw', content: 'echo ${HOME} %{ if }\n' },
        ],
        runcmd: ['systemctl restart echo'],
      },
      vars: {
        config_yml: call('yamlencode', [ref('local.config')]),
        motd: ref('local.motd'),
        debug: v.debug,
        peer: tpl`peer ${ref('incus_instance.this.ipv4_address')}`,
      },
    },
    templates: {
      'templates/motd.tftpl': [
        interp(ref('greeting')),
        literal('!\n'),
        // %{ for l in listeners }  * ${l.name}%{ if l.tls != null } (tls)%{ endif }  \n  ${~ l.path}\n%{ endfor }
        {
          kind: 'for',
          value: 'l',
          collection: ref('listeners'),
          body: [
            literal('  * '),
            interp(listener('name')),
            { kind: 'if', cond: binary('!=', listener('tls'), nil), then: [literal(' (tls)')] },
            literal('  \n  '),
            { kind: 'interp', expr: listener('path'), stripLeft: true },
            literal('\n'),
          ],
        },
      ],
    },
    resources: [
      block(
        'resource',
        ['incus_network_forward', 'listener'],
        [
          attr('for_each', forMap('l', v.listeners, listener('name'), listener('port'))),
          attr('description', tpl`${ref('each.key')} on ${ref('each.value')}`),
          attr('network', ref('incus_instance.this.name')),
        ],
      ),
    ],
    outputs: {
      forwards: output({
        description: 'Forward descriptions.',
        value: forList(['k', 'f'], ref('incus_network_forward.listener'), ref('f.description')),
        type: T.list(T.string),
      }),
    },
  }),
});

const base = { profiles: ['base', 'net'] };

describe('previewModule: variables', () => {
  it('fills in defaults and optional() attribute defaults, as OpenTofu does', () => {
    const { variables } = previewModule(echoModule, {
      ...base,
      listeners: [
        { name: 'web', port: 80 },
        { name: 'api', port: '8080', path: '/v1', tls: { cert: 'PEM' } },
      ],
    });
    expect(variables.cpu_limit).toBe(1);
    expect(variables.listeners).toEqual([
      { name: 'web', port: 80, path: '/', tags: ['echo'], tls: null },
      {
        name: 'api',
        port: 8080,
        path: '/v1',
        tags: ['echo'],
        tls: { cert: 'PEM', ciphers: 'modern' },
      },
    ]);
  });

  it('rejects unknown inputs and missing required variables', () => {
    expect(() => previewModule(echoModule, { ...base, colour: 'red' })).toThrow(
      'module "echo" has no variable "colour"',
    );
    expect(() => previewModule(echoModule, {})).toThrow(
      'module "echo" needs a value for "profiles"',
    );
  });

  it('reports type errors and failed validations with their messages, and stops there', () => {
    const preview = previewModule(echoModule, {
      ...base,
      cpu_limit: 0,
      memory_limit: '2 GB',
      listeners: [{ name: 'web', port: 0 }],
      debug: 'maybe',
    });
    expect(preview.validationErrors).toEqual([
      'var.debug: bool required, got "maybe"',
      'var.cpu_limit: Must be a whole number of CPUs from 1 to 64.',
      'var.memory_limit: Must be a size such as 512MB or 2GiB (a whole number followed by kB, MB, GB, TB, KiB, MiB, GiB, TiB; no space).',
      'var.listeners: Each listener port must be from 1 to 65535.',
    ]);
    expect(preview.resources).toEqual({});
    expect(
      previewModule(echoModule, { ...base, listeners: [{ port: 1 }] }).validationErrors,
    ).toEqual(['var.listeners[0]: attribute "name" is required']);
  });
});

describe('previewModule: resources and outputs', () => {
  const preview = previewModule(echoModule, {
    ...base,
    listeners: [{ name: 'web', port: 80 }],
    proxy_devices: { http: { listen: 'tcp:0.0.0.0:80', connect: 'tcp:127.0.0.1:80' } },
  });

  it('evaluates count, for_each, nested and dynamic blocks', () => {
    expect(Object.keys(preview.resources)).toEqual([
      'incus_storage_volume.data[0]',
      'incus_profile.service',
      'incus_instance.this',
      'incus_network_forward.listener["web"]',
    ]);
    expect(preview.resources['incus_storage_volume.data[0]']).toEqual({
      name: 'echo01-data',
      pool: 'local',
      target: null,
      config: { size: '1GB' },
    });
    expect(preview.resources['incus_profile.service']!.device).toEqual([
      { name: 'root', type: 'disk', properties: { path: '/', pool: 'local', size: '1GB' } },
      {
        name: 'data',
        type: 'disk',
        properties: { source: 'echo01-data', pool: 'local', path: '/srv/echo' },
      },
      {
        name: 'http',
        type: 'proxy',
        properties: { listen: 'tcp:0.0.0.0:80', connect: 'tcp:127.0.0.1:80' },
      },
    ]);
    expect(preview.resources['incus_instance.this']!.profiles).toEqual(['base', 'net', 'echo']);
    expect(preview.resources['incus_network_forward.listener["web"]']).toEqual({
      description: 'web on 80',
      network: 'echo01',
    });
  });

  it('evaluates outputs; attributes only the provider knows are unknown', () => {
    expect(preview.outputs).toEqual({
      instance_name: 'echo01',
      profile_name: 'echo',
      ipv4_address: UNKNOWN,
      data_volume_name: 'echo01-data',
      ansible_vars: { atlas_service: 'echo', data_mount_path: '/srv/echo' },
      forwards: ['web on 80'],
    });
  });

  it('drops count = 0 resources and their dynamic blocks', () => {
    const off = previewModule(echoModule, { ...base, enable_data_persistence: false });
    expect(Object.keys(off.resources)).not.toContain('incus_storage_volume.data[0]');
    expect(off.resources['incus_profile.service']!.device).toHaveLength(1);
    expect(off.outputs.data_volume_name).toBe(null);
  });
});

describe('previewModule: cloud-init', () => {
  it('renders the user-data and the files it writes', () => {
    const preview = previewModule(echoModule, {
      ...base,
      greeting: 'hi',
      listeners: [
        { name: 'web', port: 80 },
        { name: 'api', port: 8443, path: '/v1', tls: { cert: 'PEM' } },
      ],
    });
    // No journal upload asked for: the vendor-data is an empty cloud-config.
    expect(preview.instanceConfig).toEqual({
      'cloud-init.user-data': preview.cloudInit,
      'cloud-init.vendor-data': '#cloud-config\n',
    });
    expect(preview.cloudInit).toMatch(/^#cloud-config\n/);
    expect(parse(preview.cloudInit!).packages).toEqual(['echo-server']);
    expect([...preview.files.keys()]).toEqual([
      '/etc/echo/config.yml',
      '/etc/motd',
      '/etc/echo/raw',
    ]);
    expect(parse(preview.files.get('/etc/echo/config.yml')!.content)).toEqual({
      greeting: 'hi',
      listen: [':80/', ':8443/v1'],
    });
    expect(preview.files.get('/etc/echo/config.yml')!.content).toBe(
      '"greeting": "hi"\n"listen":\n- ":80/"\n- ":8443/v1"\n',
    );
    expect(preview.files.get('/etc/echo/raw')).toEqual({
      content: 'echo ${HOME} %{ if }\n',
      permissions: '0644',
    });
  });

  it('runs the template directives and strip markers of templatefile()', () => {
    const preview = previewModule(echoModule, {
      ...base,
      listeners: [
        { name: 'web', port: 80 },
        { name: 'api', port: 8443, path: '/v1', tls: { cert: 'PEM' } },
      ],
    });
    expect(preview.locals.motd).toBe('hello!\n  * web/\n  * api (tls)/v1\n');
  });

  it('writes a conditional file only when its condition holds, showing unknown values', () => {
    const preview = previewModule(echoModule, { ...base, debug: true });
    expect(preview.files.get('/etc/echo/debug')).toEqual({
      content: 'peer (known after apply)',
      permissions: '0600',
    });
  });

  it('takes expressions as inputs; references to other modules are unknown', () => {
    const preview = previewModule(echoModule, {
      profiles: [ref('module.base.profile'), 'net'],
      greeting: tpl`hello from ${ref('module.other.endpoint')}`,
    });
    expect(preview.variables.profiles).toEqual([UNKNOWN, 'net']);
    expect(parse(preview.files.get('/etc/echo/config.yml')!.content).greeting).toBe(
      'hello from (known after apply)',
    );
  });
});

describe('previewModule: configuration errors', () => {
  const tiny = (locals: Record<string, Expr>, templates = {}): ModuleDefinition =>
    incusServiceModule({
      name: 'tiny',
      package: { name: '@atlas/tiny', version: '0.0.0' },
      description: 'Tiny.',
      defaults: {
        instanceName: 'tiny01',
        profileName: 'tiny',
        cpu: 1,
        memory: '1GB',
        rootDiskSize: '1GB',
      },
      variables: {},
      build: () => ({ locals, outputs: {}, templates }),
    });

  it('reports reference cycles', () => {
    const def = tiny({ a: ref('local.b'), b: ref('local.a') });
    expect(() => previewModule(def, base)).toThrow(ConfigurationError);
    expect(() => previewModule(def, base)).toThrow(/Cycle: local\.a refers to itself/);
  });

  it('names the declaration that failed', () => {
    const def = tiny({ bad: call('regex', [str('^x$'), str('y')]) });
    expect(() => previewModule(def, base)).toThrow(
      'local.bad: Call to function "regex" failed: pattern did not match any part of the given string',
    );
  });

  it('checks every name a template uses against templatefile() vars, even in branches not taken', () => {
    const def = tiny(
      { text: call('templatefile', [str('./t.tftpl'), object({ on: ref('var.cpu_limit') })]) },
      {
        't.tftpl': [
          {
            kind: 'if',
            cond: binary('==', ref('on'), ref('on')),
            then: [],
            else: [interp(ref('off'))],
          },
        ],
      },
    );
    expect(() => previewModule(def, base)).toThrow(/vars map does not contain key "off"/);
  });

  it('rejects for_each over a list, which OpenTofu only takes as a set', () => {
    const def = incusServiceModule({
      name: 'each',
      package: { name: '@atlas/each', version: '0.0.0' },
      description: 'Each.',
      defaults: {
        instanceName: 'each01',
        profileName: 'each',
        cpu: 1,
        memory: '1GB',
        rootDiskSize: '1GB',
      },
      variables: {},
      build: () => ({
        outputs: {},
        resources: [
          block(
            'resource',
            ['incus_network', 'n'],
            [attr('for_each', ['a', 'b']), attr('name', ref('each.key'))],
          ),
        ],
      }),
    });
    expect(() => previewModule(def, base)).toThrow(/for_each must be a map, or set of strings/);
  });
});
