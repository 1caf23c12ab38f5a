import { literal, str } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { defineEnvironment, secret } from './environment.js';
import type { Environment } from './environment-model.js';
import { ConfigError, formatPath } from './errors.js';
import { estateIssues, templateIssues, wholesaleDeletionIssue } from './estate-lint.js';
import { T } from './hcl-type.js';
import { defineModule, output, variable } from './module.js';

/** A service-shaped module: the standard sizing variables and proxy devices, nothing else. */
const service = defineModule({
  name: 'service',
  package: { name: '@atlas/test', version: '0.0.0' },
  description: 'A sized service.',
  providers: ['incus'],
  variables: {
    instance_name: variable({ type: T.string, description: 'Name.' }),
    cpu_limit: variable({ type: T.number, description: 'CPUs.', default: 1 }),
    memory_limit: variable({ type: T.string, description: 'Memory.', default: '1GB' }),
    root_disk_size: variable({ type: T.string, description: 'Root disk.', default: '1GB' }),
    target_node: variable({ type: T.string, description: 'Member.', default: null }),
    proxy_devices: variable({
      type: T.map(T.object({ listen: T.string, connect: T.string })),
      description: 'Proxy devices.',
      default: {},
    }),
  },
  build: (v) => ({
    resources: [],
    outputs: { name: output({ description: 'Name.', value: v.instance_name, type: T.string }) },
  }),
});

const publishing = (name: string, port: number, targetNode?: string) =>
  service.call(name, {
    instance_name: name,
    proxy_devices: { 'http-tcp': { listen: `tcp:0.0.0.0:${port}`, connect: 'tcp:127.0.0.1:80' } },
    ...(targetNode ? { target_node: targetNode } : {}),
  });

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw e;
  }
  return [];
}

const env = (spec: Partial<Parameters<typeof defineEnvironment>[0]>) =>
  defineEnvironment({ name: 'lab', description: 'A lab.', modules: [], ...spec });

describe('estate lint', () => {
  it('refuses two services on one host port and protocol, naming both', () => {
    expect(issues(() => env({ modules: [publishing('a', 8080), publishing('b', 8080)] }))).toEqual([
      'lab.b.proxy_devices.http-tcp: publishes tcp port 8080 on the host, and so does lab.a.proxy_devices.http-tcp (they can land on the same host); give one of them another host port',
    ]);
    // Pinned to different cluster members, or on different ports, they do not meet.
    expect(
      issues(() =>
        env({ modules: [publishing('a', 8080, 'node1'), publishing('b', 8080, 'node2')] }),
      ),
    ).toEqual([]);
    expect(issues(() => env({ modules: [publishing('a', 8080), publishing('b', 8081)] }))).toEqual(
      [],
    );
  });

  it('sums CPU, memory and disks against the declared capacity', () => {
    const modules = [publishing('a', 1), publishing('b', 2)];
    expect(
      issues(() => env({ modules, capacity: { cpu: 2, memory: '2GB', disk: '2GB' } })),
    ).toEqual([]);
    expect(
      issues(() =>
        env({ modules, capacity: { cpu: 1, memory: '1500MB', disk: '1GB', cpuOvercommit: 1.5 } }),
      ),
    ).toEqual([
      "lab.capacity.cpu: the instances ask for 2 CPUs (largest: a 1, b 1), more than the hosts' 1 core × 1.5 overcommit; shrink them or declare more capacity",
      "lab.capacity.memory: the instances need 2GB of memory (largest: a 1GB, b 1GB), more than the hosts' 1500MB; shrink them or declare more capacity",
      "lab.capacity.disk: the instances need 2GB of disk (largest: a 1GB, b 1GB), more than the hosts' 1GB; shrink them or declare more capacity",
    ]);
  });

  it('wants one-line descriptions, identifiers and strings that can be written', () => {
    const note = (description: string) => ({
      note: output({ description, value: str('x'), type: T.string }),
    });
    expect(issues(() => env({ description: 'Two\nlines.' }))).toEqual([
      expect.stringMatching(/^lab\.description: expected one line/),
    ]);
    expect(issues(() => env({ outputs: note('') }))).toEqual([
      'lab.outputs.note.description: expected a description (one line of text), got none',
    ]);
    expect(issues(() => env({ outputs: { 'my output': note('A note.').note } }))).toEqual([
      expect.stringMatching(
        /^lab\.outputs\.my output: expected an output name that is an identifier/,
      ),
    ]);
    expect(issues(() => env({ variables: [secret('token', 'The\r\ntoken.')] }))).toEqual([
      expect.stringMatching(/^lab\.variables\.token\.description: expected one line/),
    ]);
    expect(issues(() => env({ locals: { x: str('a\ud800') } }))).toEqual([
      expect.stringMatching(/^lab\.locals\.x: contains a lone surrogate \(U\+D800 at index 1\)/),
    ]);
  });

  it('rejects misspelt keys in defineEnvironment', () => {
    expect(
      issues(() => env({ capacity: { cpu: 1, memory: '1GB', disk: '1GB', ram: 1 } as never })),
    ).toEqual([expect.stringMatching(/^lab\.capacity\.ram: Unrecognized key/)]);
  });

  it('checks template text the way templatefile() reads it', () => {
    expect(
      templateIssues([literal('a\r\nb'), literal('\ufeff mid-file is harmless')], ['t']),
    ).toEqual([]);
    expect(templateIssues([literal('\ufeffa')], ['t']).map((i) => i.message)).toEqual([
      expect.stringMatching(/^starts with a byte-order mark/),
    ]);
    expect(templateIssues([literal('a\rb')], ['t']).map((i) => i.message)).toEqual([
      expect.stringMatching(/carriage return without a line feed at index 1/),
    ]);
  });

  it('checks estates that skipped defineEstate the same way', () => {
    const lab = env({ modules: [publishing('a', 1)] });
    const messages = (estate: unknown) =>
      estateIssues(estate).map((i) => `${formatPath(i.path)}: ${i.message}`);
    expect(
      messages({ environments: [lab], modules: [], repository: 'https://x.dev/e.git' }),
    ).toEqual([]);
    const forged: Environment = { ...lab, description: '' };
    expect(messages({ environments: [forged, { kind: 'environment' }], modules: ['x'] })).toEqual([
      expect.stringMatching(/^repository: expected the git URL/),
      'lab.description: expected a description (one line of text), got none',
      'environments[1]: expected an environment made with defineEnvironment(…)',
      'modules[0]: expected a module definition (such as grafanaModule)',
    ]);
    expect(messages(JSON.parse('{"environments": {}}'))).toContain(
      'environments: expected a list of environments',
    );
  });

  it('asks for a flag before deleting every generated file', () => {
    expect(wholesaleDeletionIssue({ removed: 10, kept: 0 }, false)?.message).toMatch(
      /would delete all 10 generated files.*--allow-delete-all/,
    );
    expect(wholesaleDeletionIssue({ removed: 10, kept: 0 }, true)).toBeUndefined();
    expect(wholesaleDeletionIssue({ removed: 10, kept: 1 }, false)).toBeUndefined();
    expect(wholesaleDeletionIssue({ removed: 0, kept: 0 }, false)).toBeUndefined();
  });

  it('reports module definitions with unusable names as configuration errors', () => {
    const build = () => ({ resources: [], outputs: {} });
    const pkg = { name: '@atlas/test', version: '0.0.0' };
    expect(
      issues(() =>
        defineModule({
          name: 'm',
          package: pkg,
          description: 'M.',
          providers: [],
          variables: { 'a b': variable({ type: T.string, description: 'A.' }) },
          build,
        }),
      ),
    ).toEqual([expect.stringMatching(/^modules\.m\.variables\.a b: expected a variable name/)]);
    expect(issues(() => service.call('my service', { instance_name: 'x' }))).toEqual([
      expect.stringMatching(/^my service\.name: expected a module name that is an HCL identifier/),
    ]);
    expect(issues(() => secret('my-secret!', 'A secret.'))).toEqual([
      expect.stringMatching(/^variables\.my-secret!: expected a variable name/),
    ]);
  });
});
