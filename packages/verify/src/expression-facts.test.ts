import { describe, expect, it } from 'vitest';
import { templateFacts, tokenFacts } from './expression-facts.js';
import { lexExpression, lexTemplate } from './hcl-lexer.js';

/** `root.step…` for each traversal in hcl2json-style template text. */
const references = (text: string, bound: string[] = []) =>
  templateFacts(lexTemplate(text), new Set(bound)).traversals.map(({ root, steps }) =>
    [root, ...steps].join('.'),
  );

describe('templateFacts', () => {
  it('finds traversals with their attribute and index steps', () => {
    expect(references('${upper(var.a)}-${local.b[0].c}/${incus_instance.x[*].name}')).toEqual([
      'var.a',
      'local.b.[].c',
      'incus_instance.x.[].name',
    ]);
  });

  it('finds references inside index brackets and nested strings', () => {
    expect(references('${var.m[local.key]} ${format("%s-${var.a}", data.t.n.id)}')).toEqual([
      'local.key',
      'var.m.[]',
      'var.a',
      'data.t.n.id',
    ]);
  });

  it('does not take function names, object keys or literals for references', () => {
    expect(references('${merge({ name = var.x, "k" = true, (local.k) = null }, {})}')).toEqual([
      'var.x',
      'local.k',
    ]);
  });

  it('binds for-expression iterators inside their brackets only', () => {
    expect(
      references('${[for k, v in var.m : "${k}=${v.a}" if v.on]} ${{ for s in k : s => v }}'),
    ).toEqual(['var.m', 'k', 'v']);
  });

  it('binds template for-directive iterators until endfor', () => {
    expect(
      references('%{ for p in var.l ~}${p}%{ endfor ~}${p} %{ if var.on }x%{ endif }'),
    ).toEqual(['var.l', 'p', 'var.on']);
  });

  it('treats $${ and %%{ as literal text', () => {
    expect(references('$${var.a} %%{ if local.b } "${var.c}"')).toEqual(['var.c']);
  });

  it('skips names bound by an enclosing dynamic block', () => {
    expect(references('${disk.value.pool}-${each.key}', ['disk'])).toEqual(['each.key']);
  });

  it('reads heredocs inside expressions', () => {
    expect(references('${trimspace(<<EOT\n  ${var.a} "quoted ${local.b}"\nEOT\n)}')).toEqual([
      'var.a',
      'local.b',
    ]);
  });

  it('records templatefile calls with their arguments', () => {
    const [call] = templateFacts(
      lexTemplate('${templatefile("${path.module}/a.tftpl", {\n  a = 1\n  b = var.b\n})}'),
    ).calls;
    expect(call?.name).toBe('templatefile');
    expect(call?.args).toHaveLength(2);
  });
});

describe('lexExpression', () => {
  it('skips comments, including string-like text in them', () => {
    const tokens = lexExpression('# "${var.a}"\n/* local.b */ x = var.c // d.e\n');
    expect(tokenFacts(tokens).traversals.map((t) => t.root)).toEqual(['x', 'var']);
  });

  it('keeps line numbers across heredocs and block comments', () => {
    const tokens = lexExpression('a = <<EOT\none\nEOT\n/*\n*/\nb = 1\n');
    const b = tokens.find((token) => token.kind === 'identifier' && token.text === 'b');
    expect(b?.line).toBe(6);
  });
});
