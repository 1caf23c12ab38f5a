import { format } from '@cdktn/hcl-tools';
import { parse } from '@cdktn/hcl2json';
import { describe, expect, it } from 'vitest';
import { attr, block } from './build.js';
import { printFile } from './print.js';
import { t, typeExpr, typeLabel, type OptionalAttr, type TypeExpr } from './types.js';

/** `variable "v" { type = … }` as printed; asserts hclwrite leaves it unchanged and it parses. */
async function variableType(type: TypeExpr | OptionalAttr): Promise<string> {
  const text = printFile({ body: [block('variable', ['v'], [attr('type', typeExpr(type))])] });
  expect(await format(text)).toBe(text);
  await expect(parse('variables.tf', text)).resolves.toBeTypeOf('object');
  return text.split('\n').slice(1, -2).join('\n');
}

describe('type constraints', () => {
  it.each<[TypeExpr, string]>([
    [t.string, 'string'],
    [t.any, 'any'],
    [t.list(t.string), 'list(string)'],
    [t.set(t.number), 'set(number)'],
    [t.map(t.bool), 'map(bool)'],
    [t.tuple([t.string, t.number]), 'tuple([string, number])'],
    [t.object({ a: t.string }), 'object({ a = string })'],
    [
      t.object({
        name: t.string,
        size: t.optional(t.number, 10),
        tags: t.optional(t.list(t.string), []),
      }),
      'object({ name = string, size = optional(number, 10), tags = optional(list(string), []) })',
    ],
  ])('prints %j on one line', async (type, expected) =>
    expect(await variableType(type)).toBe(`  type = ${expected}`),
  );

  it('splits large objects, keeping the call on the first line', async () =>
    expect(
      await variableType(
        t.map(
          t.object({
            image: t.string,
            cpu: t.optional(t.number, 2),
            memory: t.optional(t.string, '1GiB'),
            disks: t.optional(t.list(t.object({ pool: t.string, size: t.string })), []),
            network: t.optional(t.object({ name: t.string }), { name: 'lan' }),
          }),
        ),
      ),
    ).toBe(
      [
        '  type = map(object({',
        '    image   = string',
        '    cpu     = optional(number, 2)',
        '    memory  = optional(string, "1GiB")',
        '    disks   = optional(list(object({ pool = string, size = string })), [])',
        '    network = optional(object({ name = string }), { name = "lan" })',
        '  }))',
      ].join('\n'),
    ));

  it('labels types on one line', () =>
    expect(typeLabel(t.list(t.object({ a: t.optional(t.string, 'x') })))).toBe(
      'list(object({ a = optional(string, "x") }))',
    ));
});
