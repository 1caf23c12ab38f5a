// Type-level tests of the module boundary: checked by `tsc -p tsconfig.json` (the `typecheck`
// target of `pnpm test`), never run. An `@ts-expect-error` line that stops erroring fails the check.
import { ref, tpl } from '@atlas/hcl';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';
import { T } from './hcl-type.js';
import { input, variablesOf } from './input.js';
import { defineModule, output, variable, type Ref } from './module.js';

const info = { name: '@atlas/example', version: '0.0.0' };

/** A plain module: one required, one optional variable, one output. */
const plain = defineModule({
  name: 'plain',
  package: info,
  description: 'A plain module.',
  providers: [],
  variables: {
    zone: variable({ type: T.string, description: 'Zone.' }),
    ttl: variable({ type: T.number, description: 'TTL.', default: 300 }),
  },
  build: (v) => ({
    resources: [],
    outputs: { fqdn: output({ description: 'Name.', value: tpl`x.${v.zone}`, type: T.string }) },
  }),
});

plain.call('p', { zone: 'example.org' });
plain.call('p', { zone: ref('var.zone'), ttl: 60 });
// @ts-expect-error -- `zone` has no default, so a call must pass it
plain.call('p', {});
// @ts-expect-error -- `zones` is not a variable of the module
plain.call('p', { zone: 'example.org', zones: 'example.org' });
// @ts-expect-error -- `ttl` is a number
plain.call('p', { zone: 'example.org', ttl: '60' });
const p = plain.call('p', { zone: 'example.org' });
expectTypeOf(p.outputs.fqdn).toEqualTypeOf<Ref<string>>();
// @ts-expect-error -- the output is `fqdn`
void p.outputs.fqdm;
// @ts-expect-error -- refs() knows the outputs too
void plain.refs('p').fqdm;

// An input's default has its option's type; the option's schema is optional exactly when the
// input has a default.
input(z.string(), {
  type: T.string,
  description: 'Zone.',
  // @ts-expect-error -- a string input cannot default to a number
  default: 5,
});
// @ts-expect-error -- a number input has a number type in HCL
input(z.number(), { type: T.string, description: 'Port.', default: 80 });
const zone = input(z.string(), { type: T.string, description: 'Zone.' });
const ttl = input(z.number(), { type: T.number, description: 'TTL.', default: 300 });
expectTypeOf(zone.schema).toEqualTypeOf<z.ZodString>();
expectTypeOf(ttl.schema).toEqualTypeOf<z.ZodDefault<z.ZodNumber>>();
const fromInputs = defineModule({
  name: 'from_inputs',
  package: info,
  description: 'A module whose variables come from inputs.',
  providers: [],
  variables: variablesOf({ zone, ttl }),
  build: () => ({ resources: [], outputs: {} }),
});
fromInputs.call('f', { zone: 'example.org' });
// @ts-expect-error -- `zone` has no default, so a call must pass it
fromInputs.call('f', { ttl: 60 });
// @ts-expect-error -- `ttl` is a number
fromInputs.call('f', { zone: 'example.org', ttl: '60' });
