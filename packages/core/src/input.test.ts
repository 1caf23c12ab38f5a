import { printExpr, ref } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { T } from './hcl-type.js';
import { input, rejecting, sameValue, unlessDefault, variablesOf } from './input.js';
import { variable } from './module.js';
import { byteSize, port } from './rules.js';

describe('input', () => {
  const size = input(byteSize, { type: T.string, description: 'Size.', default: '10GB' });

  it('gives the builder option the default and the rule', () => {
    expect(size.schema.parse(undefined)).toBe('10GB');
    expect(size.schema.parse('2GiB')).toBe('2GiB');
    expect(size.schema.safeParse('10 GB').error?.issues[0]?.message).toMatch(/^expected a size/);
  });

  it('gives the module variable the same default, and the rule as its validation', () => {
    expect(size.variable).toMatchObject({ type: T.string, description: 'Size.', default: '10GB' });
    const [validation] = size.variable.rules!.map((r) => r.validation(ref('var.size')));
    expect(printExpr(validation!.condition)).toContain('var.size');
  });

  it('passes a value only when it differs from the default', () => {
    expect(size.arg('10GB')).toBeUndefined();
    expect(size.arg('20GB')).toBe('20GB');
  });

  it('makes a null default optional on both sides, the rule accepting null in HCL', () => {
    const name = input(z.string().min(1), { type: T.string, description: 'Name.', default: null });
    expect(name.schema.parse(undefined)).toBeUndefined();
    expect(name.variable.default).toBeNull();
    expect(name.arg(undefined)).toBeUndefined();
    expect(name.arg('x')).toBe('x');
    const pinned = input(port, { type: T.number, description: 'Port.', default: null });
    expect(pinned.variable.rules![0]!.validation(ref('var.p')).errorMessage).toMatch(/or null\.$/);
  });

  it('leaves a required input without a default on both sides', () => {
    const zone = input(z.string(), { type: T.string, description: 'Zone.' });
    expect('default' in zone.variable).toBe(false);
    expect(zone.schema.safeParse(undefined).success).toBe(false);
  });

  it('keeps a validation that names the value its module test rejects', () => {
    const p = input(rejecting(port, 0), { type: T.number, description: 'Port.', default: 80 });
    expect(p.variable.rules![0]!.validation(ref('var.p')).rejects).toBe(0);
  });
});

describe('variablesOf', () => {
  it('keeps the order of inputs and plain variables', () => {
    const vars = variablesOf({
      a: input(z.string(), { type: T.string, description: 'A.', default: 'a' }),
      b: variable({ type: T.number, description: 'B.' }),
      c: input(z.boolean(), { type: T.bool, description: 'C.', default: false }),
    });
    expect(Object.keys(vars)).toEqual(['a', 'b', 'c']);
    expect(vars.a).toMatchObject({ default: 'a' });
    expect(vars.b).toEqual({ type: T.number, description: 'B.' });
  });
});

describe('the omit-when-default rule', () => {
  it('compares lists and objects by value, an undefined field being a missing one', () => {
    expect(sameValue(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameValue({ b: 2, a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(sameValue({ a: [1] }, { a: [2] })).toBe(false);
    expect(sameValue({}, [])).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });

  it('leaves out a default and undefined, and passes anything else', () => {
    expect(unlessDefault({ receiver: 'default' }, { receiver: 'default' })).toBeUndefined();
    expect(unlessDefault(undefined, 'x')).toBeUndefined();
    expect(unlessDefault(false, true)).toBe(false);
    expect(unlessDefault(null, 'x')).toBeNull();
  });
});
