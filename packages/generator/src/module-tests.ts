import type { ModuleDefinition, Rule, VariableSpec } from '@atlas/core';
import {
  attr,
  binary,
  blank,
  block,
  call,
  comment,
  isExpr,
  not,
  num,
  ref,
  str,
  toExpr,
  type BodyItem,
  type File,
  type TypeExpr,
} from '@atlas/hcl';

// `tests/module.tftest.hcl` for every module: `tofu test` plans it with mocked providers (no
// Incus needed) with its defaults, with persistence and snapshots on and off, and once per
// validation with a value that validation must reject. Everything is derived from the module
// model, so a new variable or rule gets its test on the next `pnpm generate`.

export const MODULE_TEST_PATH = 'tests/module.tftest.hcl';

// Mocked computed values that a module's own outputs or checks read: a random string in place
// of an address would fail the validation of whoever consumes it.
const MOCK_DEFAULTS: Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>> = {
  incus: {
    incus_instance: {
      ipv4_address: '10.0.0.10',
      ipv6_address: '',
      mac_address: '00:16:3e:00:00:01',
      status: 'Running',
    },
  },
  tls: {},
};

// Candidates tried in order, the first one the variable's own rules accept (required values)
// or reject (bad values) is used. zod states each rule once for TypeScript and HCL alike.
const GOOD_STRINGS = [
  'test-value-0123456789abcdef',
  'test01',
  '10.0.0.10',
  'https://test.example.com',
  'test.example.com',
  '1GB',
  '30d',
  '12h',
];
const BAD_STRINGS = [
  'not valid!',
  '',
  '-',
  '0',
  ' leading space',
  'UPPER_CASE',
  'x'.repeat(300),
  'http://',
];
const BAD_NUMBERS = [0, -1, 0.5, 70000, 1e9];

// One line each, and plainly not key material: the modules' checks look for the PEM markers only.
const TEST_CERTIFICATE = '-----BEGIN CERTIFICATE----- test placeholder -----END CERTIFICATE-----';
const TEST_PRIVATE_KEY = '-----BEGIN PRIVATE KEY----- test placeholder -----END PRIVATE KEY-----';

const accepts = (rules: readonly Rule[], value: unknown) =>
  rules.every((rule) => rule.schema.safeParse(value).success);

/**
 * The README example of a required variable, with every part that refers to something
 * outside the module (`var.x`, `module.y.z`: unknown to a test) replaced by a test value.
 */
function exampleValue(
  name: string,
  type: TypeExpr,
  example: unknown,
  rules: readonly Rule[],
  sensitive = false,
): unknown {
  const at = (t: TypeExpr | undefined, key: string, value: unknown) =>
    t ? exampleValue(key, t, value, [], sensitive) : value;
  const element = (index: number) =>
    type.t === 'list' || type.t === 'set'
      ? type.of
      : type.t === 'tuple'
        ? type.items[index]
        : undefined;
  const member = (key: string) => {
    if (type.t === 'map') return type.of;
    if (type.t !== 'object') return undefined;
    const attribute = type.attrs[key];
    return attribute?.t === 'optional' ? attribute.of : attribute;
  };
  if (example === undefined) return testValue(name, type, rules, sensitive);
  if (Array.isArray(example)) return example.map((item, i) => at(element(i), name, item));
  if (!isExpr(example)) {
    if (example === null || typeof example !== 'object') return example;
    return Object.fromEntries(
      Object.entries(example).map(([key, value]) => [key, at(member(key), key, value)]),
    );
  }
  switch (example.kind) {
    case 'string':
    case 'number':
    case 'bool':
    case 'null':
      return example;
    case 'tuple':
      return example.items.map((item, i) => at(element(i), name, item));
    case 'object':
      if (example.entries.some((entry) => typeof entry.key !== 'string')) break;
      return Object.fromEntries(
        example.entries.map((entry) => [
          entry.key,
          at(member(entry.key as string), entry.key as string, entry.value),
        ]),
      );
  }
  return testValue(name, type, rules, sensitive);
}

/** A value of `type` for a required variable, for the plan to run. */
function testValue(
  name: string,
  type: TypeExpr,
  rules: readonly Rule[],
  sensitive = false,
): unknown {
  switch (type.t) {
    case 'string':
      // Shaped like the tfvars placeholders, so nothing in generated/ looks like a real secret.
      if (sensitive && !/certificate$|(^|_)key$|token$/.test(name)) return `<test ${name}>`;
      if (/certificate$/.test(name)) return TEST_CERTIFICATE;
      if (/(^|_)key$/.test(name)) return TEST_PRIVATE_KEY;
      // Tokens in the shape their services hand out (Cloudflare's start with base64 "{").
      if (/token$/.test(name)) return 'eyJ0ZXN0IjoidG9rZW4ifQ==';
      return GOOD_STRINGS.find((s) => accepts(rules, s)) ?? GOOD_STRINGS[0];
    case 'number':
      return [1, 8080, 60].find((n) => accepts(rules, n)) ?? 1;
    case 'bool':
      return true;
    case 'any':
      return 'test';
    case 'list':
    case 'set':
      return [testValue(name, type.of, [])];
    case 'map':
      return { test: testValue(name, type.of, []) };
    case 'tuple':
      return type.items.map((item) => testValue(name, item, []));
    case 'object':
      return Object.fromEntries(
        Object.entries(type.attrs).flatMap(([key, attribute]) =>
          attribute.t === 'optional' ? [] : [[key, testValue(key, attribute, [])]],
        ),
      );
  }
}

/** A value the variable's rule rejects, or undefined when no candidate is rejected. */
function badValue(type: TypeExpr, rule: Rule): unknown {
  const candidates: unknown[] =
    type.t === 'string'
      ? BAD_STRINGS
      : type.t === 'number'
        ? BAD_NUMBERS
        : type.t === 'list' || type.t === 'set'
          ? BAD_STRINGS.map((s) => [s])
          : [];
  return candidates.find((candidate) => !rule.schema.safeParse(candidate).success);
}

interface RejectedValue {
  readonly variable: string;
  readonly value: unknown;
}

/** One bad value per validation that can be given one: zod rules, and validations with `rejects`. */
function rejectedValues(def: ModuleDefinition): RejectedValue[] {
  const out: RejectedValue[] = [];
  for (const [name, spec] of Object.entries(def.variables) as [string, VariableSpec][]) {
    for (const rule of spec.rules ?? []) {
      // A rule that names a value it rejects (a bound, say) is tested with that one.
      const value = rule.validation(ref(`var.${name}`)).rejects ?? badValue(spec.type.expr, rule);
      if (value !== undefined) out.push({ variable: name, value });
    }
    for (const validation of spec.validations?.(ref(`var.${name}`)) ?? [])
      if (validation.rejects !== undefined) out.push({ variable: name, value: validation.rejects });
  }
  return out;
}

const hasVariable = (def: ModuleDefinition, name: string) => name in def.variables;

/** The test file of a module whose rendered main.tf is `mainTf`. */
export function moduleTests(def: ModuleDefinition, mainTf: string): File {
  const body: BodyItem[] = [
    comment(
      'Plans the module with mocked providers, so `tofu test` needs no Incus. A run that sets',
      'a bad value expects exactly that variable to fail validation.',
    ),
  ];
  for (const provider of def.providers) {
    const mocks = Object.entries(MOCK_DEFAULTS[provider] ?? {}).filter(([type]) =>
      mainTf.includes(`resource "${type}"`),
    );
    body.push(
      block(
        'mock_provider',
        [provider],
        mocks.map(([type, defaults]) =>
          block('mock_resource', [type], [attr('defaults', defaults)]),
        ),
      ),
    );
  }
  const required = (Object.entries(def.variables) as [string, VariableSpec][]).filter(
    ([, spec]) => !('default' in spec),
  );
  if (required.length > 0) {
    body.push(
      blank,
      block(
        'variables',
        [],
        required.map(([name, spec]) =>
          attr(
            name,
            toExpr(
              exampleValue(name, spec.type.expr, spec.example, spec.rules ?? [], spec.sensitive),
            ),
          ),
        ),
      ),
    );
  }
  const run = (name: string, items: BodyItem[]) =>
    body.push(blank, block('run', [name], [attr('command', ref('plan')), ...items]));
  run('defaults', []);

  const volume = /resource "incus_storage_volume" "data" \{\n  count = /.test(mainTf);
  if (volume && hasVariable(def, 'enable_data_persistence')) {
    for (const on of [true, false]) {
      run(`persistence_${on ? 'on' : 'off'}`, [
        block('variables', [], [attr('enable_data_persistence', on)]),
        block(
          'assert',
          [],
          [
            attr(
              'condition',
              binary('==', call('length', [ref('incus_storage_volume.data')]), num(on ? 1 : 0)),
            ),
            attr(
              'error_message',
              on
                ? 'With persistence on, the data volume exists.'
                : 'With persistence off, no data volume.',
            ),
          ],
        ),
      ]);
    }
  }
  if (volume && hasVariable(def, 'enable_snapshots')) {
    const hasSchedule = call('contains', [
      call('keys', [ref('incus_storage_volume.data', 0, 'config')]),
      str('snapshots.schedule'),
    ]);
    for (const on of [true, false]) {
      run(`snapshots_${on ? 'on' : 'off'}`, [
        block(
          'variables',
          [],
          [attr('enable_data_persistence', true), attr('enable_snapshots', on)],
        ),
        block(
          'assert',
          [],
          [
            attr('condition', on ? hasSchedule : not(hasSchedule)),
            attr(
              'error_message',
              on
                ? 'With snapshots on, Incus gets a snapshot schedule.'
                : 'With snapshots off, the volume has no snapshot schedule.',
            ),
          ],
        ),
      ]);
    }
  }
  const counts = new Map<string, number>();
  for (const { variable, value } of rejectedValues(def)) {
    const n = (counts.get(variable) ?? 0) + 1;
    counts.set(variable, n);
    run(`rejects_${variable}${n > 1 ? `_${n}` : ''}`, [
      block('variables', [], [attr(variable, toExpr(value))]),
      attr('expect_failures', [ref(`var.${variable}`)]),
    ]);
  }
  return { body };
}
