import { ref, str } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import {
  defineEnvironment,
  enableSwitch,
  enableSwitchSchema,
  secret,
  switchedBy,
} from './environment.js';
import { ConfigError, formatPath } from './errors.js';
import { T } from './hcl-type.js';
import { defineModule, output, variable } from './module.js';

const echo = defineModule({
  name: 'echo',
  package: { name: '@atlas/test', version: '0.0.0' },
  description: 'Test module.',
  providers: ['incus'],
  variables: {
    instance_name: variable({ type: T.string, description: 'Name.' }),
    upstream: variable({
      type: T.string,
      description: "Another module's endpoint.",
      default: null,
    }),
  },
  build: (v) => ({
    resources: [],
    outputs: {
      endpoint: output({ description: 'Endpoint.', value: v.instance_name, type: T.string }),
    },
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

describe('defineEnvironment', () => {
  it('renders typed output references as module.<name>.<output>', () => {
    const a = echo.call('a', { instance_name: 'a' });
    expect(a.outputs.endpoint).toEqual(ref('module.a.endpoint'));
    const b = echo.call('b', { instance_name: 'b', upstream: a.outputs.endpoint });
    const env = defineEnvironment({ name: 'test', description: 'Test.', modules: [a, b] });
    expect(env.modules.map((m) => m.name)).toEqual(['a', 'b']);
  });

  it('rejects a reference to a module outside the environment, naming the path', () => {
    const elsewhere = echo.call('prometheus02', { instance_name: 'p' });
    const b = echo.call('grafana01', { instance_name: 'g', upstream: elsewhere.outputs.endpoint });
    expect(
      issues(() => defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [b] })),
    ).toEqual([
      'iapetus.grafana01.upstream: refers to module "prometheus02", which is not part of environment "iapetus"',
    ]);
  });

  it('rejects duplicate module and instance names', () => {
    const a = echo.call('grafana01', { instance_name: 'grafana01' });
    const b = echo.call('grafana01', { instance_name: 'x' });
    const c = echo.call('grafana02', { instance_name: 'grafana01' });
    expect(
      issues(() => defineEnvironment({ name: 'e', description: 'Test.', modules: [a, b, c] })),
    ).toEqual([
      'e.grafana01: module name "grafana01" is used more than once',
      'e.grafana02.instance_name: instance name "grafana01" is already used by module "grafana01"',
    ]);
  });

  it('collects root variables from calls and rejects undeclared ones', () => {
    const password = secret('db_password', 'Password.');
    const a = echo.call(
      'a',
      { instance_name: 'a', upstream: password.ref },
      { inputs: [password] },
    );
    const env = defineEnvironment({ name: 'e', description: 'Test.', modules: [a] });
    expect(env.variables.map((v) => v.name)).toEqual(['db_password']);
    const b = echo.call('b', { instance_name: 'b', upstream: ref('var.nope') });
    expect(
      issues(() => defineEnvironment({ name: 'e', description: 'Test.', modules: [b] })),
    ).toEqual(['e.b.upstream: refers to variable "nope", which environment "e" does not declare']);
  });

  it('module calls reject unknown and missing arguments', () => {
    // @ts-expect-error instance_name is required
    expect(() => echo.call('x', {})).toThrow(/needs a value for "instance_name"/);
    // @ts-expect-error no such variable
    expect(() => echo.call('x', { instance_name: 'x', nope: str('y') })).toThrow(
      /has no variable "nope"/,
    );
  });
});

describe('dependency cycles', () => {
  const peer = defineModule({
    name: 'peer',
    package: { name: '@atlas/test', version: '0.0.0' },
    description: 'Test module.',
    providers: ['incus'],
    variables: {
      instance_name: variable({ type: T.string, description: 'Name.' }),
      upstream: variable({
        type: T.string,
        description: "Another module's endpoint.",
        default: null,
      }),
    },
    build: (v) => ({
      resources: [],
      outputs: {
        // Built from the variable: safe to use both ways.
        endpoint: output({ description: 'Endpoint.', value: v.instance_name, type: T.string }),
        // Built from a resource: a cycle through it cannot be planned.
        address: output({
          description: 'Address.',
          value: ref('incus_instance.this.ipv4_address'),
          type: T.string,
        }),
      },
    }),
  });

  it('allow mutual references through outputs built from variables', () => {
    const a = peer.call('a', { instance_name: 'a', upstream: ref('module.b.endpoint') });
    const b = peer.call('b', { instance_name: 'b', upstream: ref('module.a.endpoint') });
    expect(() =>
      defineEnvironment({ name: 'e', description: 'Test.', modules: [a, b] }),
    ).not.toThrow();
  });

  it('reject a cycle through outputs that need resources', () => {
    const a = peer.call('a', { instance_name: 'a', upstream: ref('module.b.address') });
    const b = peer.call('b', { instance_name: 'b', upstream: ref('module.a.address') });
    expect(
      issues(() => defineEnvironment({ name: 'e', description: 'Test.', modules: [a, b] })),
    ).toEqual([
      'e.a: modules a → b → a depend on each other through outputs that need their resources; build those outputs from variables',
    ]);
  });
});

describe('enableSwitch', () => {
  const lab = (options: Parameters<typeof echo.call>[2]) =>
    defineEnvironment({
      name: 'lab',
      description: 'Lab.',
      modules: [echo.call('echo01', { instance_name: 'echo01' }, options)],
    });

  it('counts the call and declares the switch among the root variables', () => {
    const env = lab(switchedBy(enableSwitch('enable_echo', 'Whether echo01 exists.')));
    expect(env.variables.map((v) => v.name)).toEqual(['enable_echo']);
    const echo01 = env.modules.find((m) => m.name === 'echo01')!;
    expect(echo01.options.count).toBeDefined();
    expect(echo01.options.uncountedBefore).toBe(true);
  });

  it('is what enabledBy options accept: a boolean or another variable is refused', () => {
    expect(enableSwitchSchema.safeParse(enableSwitch('enable_echo', 'On.')).success).toBe(true);
    expect(enableSwitchSchema.safeParse(true).success).toBe(false);
    expect(enableSwitchSchema.safeParse(secret('enable_echo', 'A string.')).success).toBe(false);
  });
});
