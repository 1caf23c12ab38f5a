import { format } from '@cdktn/hcl-tools';
import { parse } from '@cdktn/hcl2json';
import { describe, expect, it } from 'vitest';
import type { BodyItem, Expr, TemplatePart } from './ast.js';
import {
  attr,
  binary,
  blank,
  block,
  bool,
  call,
  comment,
  cond,
  forList,
  forMap,
  get,
  heredoc,
  interp,
  literal,
  neg,
  nil,
  not,
  num,
  object,
  paren,
  ref,
  str,
  template,
  tpl,
  tuple,
} from './build.js';
import { printExpr, printFile, printTemplate } from './print.js';

const lines = (...text: string[]) => text.join('\n') + '\n';

/** The printer's output for `body` is `expected`, `tofu fmt` (hclwrite) leaves it unchanged and it parses. */
async function golden(body: readonly BodyItem[], expected: string): Promise<void> {
  const text = printFile({ body });
  expect(text).toBe(expected);
  expect(await format(text)).toBe(text);
  await expect(parse('golden.tf', text)).resolves.toBeTypeOf('object');
}

/** Golden for `x = <value>`. */
const goldenValue = (value: Expr, expected: string) => golden([attr('x', value)], expected);

/** An object with `n` numeric entries: more than fit on one line. */
const wide = (n: number) =>
  object(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, num(i)])));

describe('literals', () => {
  it('escapes strings', () =>
    goldenValue(
      tuple([
        str('tab\there'),
        str('quote " back \\ nl \n cr \r'),
        str('${x} %{y} $${z} $ %'),
        str('\u0001\u007f\u0085\u2028\u2029\ufeff'),
        str('é 👩‍👩‍👧 مرحبا'),
      ]),
      lines(
        'x = [',
        '  "tab\\there",',
        '  "quote \\" back \\\\ nl \\n cr \\r",',
        '  "$${x} %%{y} $$${z} $ %",',
        '  "\\u0001\\u007f\\u0085\\u2028\\u2029\\ufeff",',
        '  "é 👩‍👩‍👧 مرحبا",',
        ']',
      ),
    ));

  it('refuses template file text that templatefile() would misread', () => {
    expect(() => printTemplate([literal('a\rb ${x}')])).toThrow(
      /carriage return without a line feed/,
    );
    expect(() => printTemplate([literal('\ufeffa')])).toThrow(/byte-order mark/);
    expect(printTemplate([literal('a\r\nb \ufeff')])).toBe('a\r\nb \ufeff');
  });

  it('rejects lone surrogates', () => {
    expect(() => printExpr(str('a\ud800b'))).toThrow(/lone surrogate U\+D800/);
    expect(() => printExpr(str('\udc00'))).toThrow(/lone surrogate/);
    expect(() => printTemplate([literal('\ud83d')])).toThrow(/lone surrogate/);
    expect(printExpr(str('\ud83d\ude00'))).toBe('"😀"');
  });

  it('prints numbers in plain notation', () =>
    goldenValue(
      tuple([num(0), num(-1), num(1.5), num(1e21), num(-2.5e-8), num('0.10'), num(2 ** 53 + 2)]),
      lines('x = [0, -1, 1.5, 1000000000000000000000, -0.000000025, 0.10, 9007199254740994]'),
    ));

  it('prints the smallest double exactly', () =>
    expect(printExpr(num(5e-324))).toBe('0.' + '0'.repeat(323) + '5'));

  it('prints booleans and null', () =>
    goldenValue(tuple([bool(true), bool(false), nil]), lines('x = [true, false, null]')));
});

describe('collections', () => {
  it('prints empty collections', () =>
    golden([attr('a', object({})), attr('bb', tuple([]))], lines('a  = {}', 'bb = []')));

  it('keeps short collections on one line', () =>
    goldenValue(
      object({ a: num(1), 'b c': str('x'), for: nil }),
      lines('x = { a = 1, "b c" = "x", "for" = null }'),
    ));

  it('splits objects with more than three entries', () =>
    goldenValue(wide(4), lines('x = {', '  k0 = 0', '  k1 = 1', '  k2 = 2', '  k3 = 3', '}')));

  it('gives every object and tuple in a list one layout: all on lines of their own if one needs it', () =>
    goldenValue(
      tuple([object({ a: num(1) }), wide(4), tuple([str('a')])]),
      lines(
        'x = [',
        '  {',
        '    a = 1',
        '  },',
        '  {',
        '    k0 = 0',
        '    k1 = 1',
        '    k2 = 2',
        '    k3 = 3',
        '  },',
        '  [',
        '    "a",',
        '  ],',
        ']',
      ),
    ));

  it('keeps a list of short objects one per line, each on one line', () =>
    goldenValue(
      tuple([object({ a: num(1), b: num(2) }), object({ a: num(3) })]),
      lines('x = [', '  { a = 1, b = 2 },', '  { a = 3 },', ']'),
    ));

  it("gives a map's object values one layout, measured from the aligned `=`", () => {
    const long = str('x'.repeat(70));
    goldenValue(
      object({ short: object({ a: num(1) }), a_much_longer_key: object({ b: long }), n: num(1) }),
      lines(
        'x = {',
        '  short = {',
        '    a = 1',
        '  }',
        '  a_much_longer_key = {',
        `    b = "${'x'.repeat(70)}"`,
        '  }',
        '  n = 1',
        '}',
      ),
    );
    // The same map with room for every value on one line.
    goldenValue(
      object({ short: object({ a: num(1) }), longer_key: object({ b: num(2) }) }),
      lines('x = {', '  short      = { a = 1 }', '  longer_key = { b = 2 }', '}'),
    );
  });

  it('splits collections that do not fit in 100 columns', () =>
    goldenValue(
      tuple(Array.from({ length: 12 }, (_, i) => str('item-' + i))),
      lines('x = [', ...Array.from({ length: 12 }, (_, i) => `  "item-${i}",`), ']'),
    ));

  it("splits an entry's value that fits only before the formatter aligns its `=`", () => {
    // 78 columns unpadded; aligning `=` with the long key's moves it past 100.
    const value = call('f', [str('x'.repeat(70))]);
    goldenValue(
      object({ a: value, b: num(1), c: num(2), a_key_of_thirty_characters_xx: num(3) }),
      lines(
        'x = {',
        '  a = f(',
        `    "${'x'.repeat(70)}",`,
        '  )',
        '  b                             = 1',
        '  c                             = 2',
        '  a_key_of_thirty_characters_xx = 3',
        '}',
      ),
    );
  });

  it('quotes keys that are not identifiers and wraps expression keys', () =>
    goldenValue(
      object([
        { key: 'limits.cpu', value: str('2') },
        { key: 'name', value: str('x') },
        { key: ref('var.key'), value: num(1) },
        { key: str('literal'), value: num(2) },
        { key: 'true', value: num(3) },
      ]),
      lines(
        'x = {',
        '  "limits.cpu" = "2"',
        '  name         = "x"',
        '  (var.key)    = 1',
        '  "literal"    = 2',
        '  "true"       = 3',
        '}',
      ),
    ));

  it('aligns non-ASCII keys by grapheme clusters, as hclwrite does', () =>
    goldenValue(
      object({
        ключ: num(1),
        'e\u0301e': num(2),
        '\u0301': num(3),
        '$\u0301': num(4),
        'x${\u0301': num(5),
        क्षत्र: num(6),
        '👩‍👩‍👧': num(7),
      }),
      lines(
        'x = {',
        '  "ключ"  = 1',
        '  "e\u0301e"    = 2',
        '  "\u0301"     = 3',
        '  "$\u0301"    = 4',
        '  "x$${\u0301" = 5',
        '  "क्षत्र"  = 6',
        '  "👩‍👩‍👧"     = 7',
        '}',
      ),
    ));
});

describe('references', () => {
  it('prints traversals, splats and index expressions', () =>
    goldenValue(
      tuple([
        ref('incus_storage_volume.data', 0, 'name'),
        ref('x', '*', 'y'),
        get(ref('x'), str('key'), 'y'),
        get(ref('x'), binary('+', ref('i'), num(1))),
        get(call('f', [ref('x')]), 0),
        get(tpl`${ref('a')}-b`, 0),
        get(neg(num(1)), 'a'),
      ]),
      lines(
        'x = [',
        '  incus_storage_volume.data[0].name,',
        '  x[*].y,',
        '  x["key"].y,',
        '  x[i + 1],',
        '  f(x)[0],',
        '  ("${a}-b")[0],',
        '  (-1).a,',
        ']',
      ),
    ));

  it('rejects values that are not tree nodes', () => {
    expect(() => printExpr(call('f', [{ a: 1 } as never]))).toThrow(
      /not an HCL expression: \{"a":1\}/,
    );
    expect(() => printTemplate([ref('x') as never])).toThrow(/not a template part/);
  });

  it('rejects names that are not identifiers', () => {
    expect(() => printFile({ body: [{ kind: 'attribute', name: 'a b', value: nil }] })).toThrow(
      /attribute name "a b"/,
    );
    expect(() =>
      printFile({ body: [{ kind: 'block', type: '1x', labels: [], body: [] }] }),
    ).toThrow(/block type "1x"/);
  });
});

describe('function calls', () => {
  it('keeps short calls on one line', () =>
    goldenValue(
      call('merge', [ref('local.a'), object({ b: num(2) }), tuple([])]),
      lines('x = merge(local.a, { b = 2 }, [])'),
    ));

  it('opens a multi-line last argument on the call line', () =>
    golden(
      [
        attr(
          'user_data',
          call('templatefile', [
            tpl`${ref('path.module')}/cloud-init.yaml.tftpl`,
            object({
              hostname: str('web01'),
              keys: ref('var.ssh_keys'),
              packages: tuple([str('nginx')]),
            }),
          ]),
        ),
        attr('x', call('jsonencode', [call('merge', [ref('local.a'), wide(4)])])),
      ],
      lines(
        'user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", {',
        '  hostname = "web01"',
        '  keys     = var.ssh_keys',
        '  packages = ["nginx"]',
        '})',
        'x = jsonencode(merge(local.a, {',
        '  k0 = 0',
        '  k1 = 1',
        '  k2 = 2',
        '  k3 = 3',
        '}))',
      ),
    ));

  it('keeps a call on one line when it ends by column 100', () =>
    golden(
      [attr('a', call('f', [str('a'.repeat(91))])), attr('b', call('f', [str('b'.repeat(92))]))],
      lines(`a = f("${'a'.repeat(91)}")`, 'b = f(', `  "${'b'.repeat(92)}",`, ')'),
    ));

  it('puts one argument per line otherwise', () =>
    goldenValue(
      call('coalesce', [str('a'.repeat(50)), wide(4), str('b'.repeat(50))]),
      lines(
        'x = coalesce(',
        `  "${'a'.repeat(50)}",`,
        '  {',
        '    k0 = 0',
        '    k1 = 1',
        '    k2 = 2',
        '    k3 = 3',
        '  },',
        `  "${'b'.repeat(50)}",`,
        ')',
      ),
    ));

  it('expands the final argument', () =>
    golden(
      [
        attr('a', call('concat', [ref('a'), ref('b')], { expandFinal: true })),
        attr(
          'b',
          call('concat', [str('a'.repeat(50)), str('b'.repeat(50))], { expandFinal: true }),
        ),
      ],
      lines(
        'a = concat(a, b...)',
        'b = concat(',
        `  "${'a'.repeat(50)}",`,
        `  "${'b'.repeat(50)}"...`,
        ')',
      ),
    ));

  it('passes a multi-line string as a heredoc last argument', () =>
    goldenValue(
      call('base64encode', [str('line one\nline two\n')]),
      lines('x = base64encode(<<-EOT', '  line one', '  line two', 'EOT', ')'),
    ));

  it('prints provider-defined functions', () =>
    expect(printExpr(call('provider::incus::parse', [ref('x')]))).toBe(
      'provider::incus::parse(x)',
    ));
});

describe('operators', () => {
  it('adds the parentheses precedence needs', () =>
    golden(
      [
        attr('a', binary('*', binary('+', ref('a'), ref('b')), ref('c'))),
        attr('b', binary('-', ref('a'), binary('-', ref('b'), ref('c')))),
        attr('c', binary('-', binary('-', ref('a'), ref('b')), ref('c'))),
        attr('d', binary('||', binary('&&', ref('a'), ref('b')), binary('==', ref('c'), num(-1)))),
        attr('e', not(binary('==', ref('a'), ref('b')))),
        attr('f', neg(neg(num(-1)))),
        attr('g', binary('+', cond(ref('a'), num(1), num(2)), ref('b'))),
        attr('h', binary('%', paren(ref('a')), ref('b'))),
      ],
      lines(
        'a = (a + b) * c',
        'b = a - (b - c)',
        'c = a - b - c',
        'd = a && b || c == -1',
        'e = !(a == b)',
        'f = ---1',
        'g = (a ? 1 : 2) + b',
        'h = (a) % b',
      ),
    ));

  it('nests conditionals', () =>
    golden(
      [
        attr('a', cond(ref('a'), num(1), cond(ref('b'), num(2), num(3)))),
        attr('b', cond(cond(ref('a'), ref('b'), ref('c')), cond(ref('d'), num(1), num(2)), num(3))),
      ],
      lines('a = a ? 1 : b ? 2 : 3', 'b = (a ? b : c) ? (d ? 1 : 2) : 3'),
    ));

  it('indents multi-line branches the way hclwrite does', () =>
    golden(
      [
        attr('a', cond(ref('var.x'), wide(4), object({}))),
        attr('b', cond(ref('var.x'), object({ a: num(1) }), wide(4))),
        attr('c', cond(ref('var.x'), wide(4), wide(4))),
      ],
      lines(
        'a = var.x ? {',
        '  k0 = 0',
        '  k1 = 1',
        '  k2 = 2',
        '  k3 = 3',
        '} : {}',
        'b = var.x ? { a = 1 } : {',
        '  k0 = 0',
        '  k1 = 1',
        '  k2 = 2',
        '  k3 = 3',
        '}',
        'c = var.x ? {',
        '  k0 = 0',
        '  k1 = 1',
        '  k2 = 2',
        '  k3 = 3',
        '  } : {',
        '  k0 = 0',
        '  k1 = 1',
        '  k2 = 2',
        '  k3 = 3',
        '}',
      ),
    ));

  // hclwrite aligns a line whose first `=` is inside an inline object if the
  // brackets after it balance, so the entries below line up with it.
  it('aligns like hclwrite when a line starts with an inline object', () =>
    goldenValue(
      tuple([cond(ref('c'), object({ a: num(1) }), wide(4)), num(3)]),
      lines(
        'x = [',
        '  c ? { a = 1 } : {',
        '    k0    = 0',
        '    k1    = 1',
        '    k2    = 2',
        '    k3    = 3',
        '  },',
        '  3,',
        ']',
      ),
    ));
});

describe('for expressions', () => {
  it('prints list and map forms', () =>
    golden(
      [
        attr(
          'a',
          forList('x', ref('var.xs'), call('upper', [ref('x')]), {
            cond: binary('!=', ref('x'), str('')),
          }),
        ),
        attr('b', forMap(['k', 'v'], ref('var.m'), ref('k'), ref('v'))),
        attr('c', forMap(['k', 'v'], ref('var.m'), ref('v.group'), ref('k'), { group: true })),
        attr('d', forList('s', ref('var.xs'), object({ name: ref('s') }))),
      ],
      lines(
        'a = [for x in var.xs : upper(x) if x != ""]',
        'b = { for k, v in var.m : k => v }',
        'c = { for k, v in var.m : v.group => k... }',
        'd = [for s in var.xs : { name = s }]',
      ),
    ));

  it('spaces keywords and minus signs as hclwrite does', () =>
    golden(
      [
        attr('a', forList('x', paren(ref('y')), ref('x'), { cond: paren(ref('x')) })),
        attr('b', forList('x', tuple([num(1)]), ref('x'), { cond: get(tuple([bool(true)]), 0) })),
        attr('c', forList('x', neg(ref('y')), neg(ref('x')), { cond: neg(ref('x')) })),
        attr('d', forMap(['k', 'v'], ref('var.m'), ref('k'), neg(ref('v')))),
      ],
      lines(
        'a = [for x in(y) : x if(x)]',
        'b = [for x in [1] : x if[true][0]]',
        'c = [for x in - y : -x if - x]',
        'd = { for k, v in var.m : k => - v }',
      ),
    ));

  it('splits a long or multi-line body onto its own line', () =>
    golden(
      [
        attr('a', forMap('k', ref('var.m'), ref('k'), wide(4))),
        attr('b', forList('x', ref('var.list'), call('format', [str('%s-'.repeat(30)), ref('x')]))),
      ],
      lines(
        'a = {',
        '  for k in var.m : k => {',
        '    k0 = 0',
        '    k1 = 1',
        '    k2 = 2',
        '    k3 = 3',
        '  }',
        '}',
        'b = [',
        '  for x in var.list : format(',
        `    "${'%s-'.repeat(30)}",`,
        '    x,',
        '  )',
        ']',
      ),
    ));
});

describe('templates', () => {
  it('prints a lone interpolation as the bare expression', () =>
    goldenValue(tpl`${ref('var.x')}`, lines('x = var.x')));

  it('prints interpolations with hclwrite spacing', () =>
    goldenValue(
      tuple([
        tpl`http://${ref('var.host')}:${num(8080)}/`,
        template([literal('a'), interp(get(object({ a: num(1) }), 'a')), literal('b')]),
        template([literal('a'), interp(cond(ref('c'), object({}), object({ a: num(1) })))]),
        template([literal('-'), interp(neg(ref('x')))]),
        template([
          literal('x '),
          { kind: 'interp', expr: ref('y'), stripLeft: true, stripRight: true },
        ]),
        template([literal('q'), interp(str('"${a}"'))]),
      ]),
      lines(
        'x = [',
        '  "http://${var.host}:${8080}/",',
        '  "a${ { a = 1 }.a}b",',
        '  "a${c ? {} : { a = 1 } }",',
        '  "-${- x}",',
        '  "x ${~y~}",',
        '  "q${"\\"$${a}\\""}",',
        ']',
      ),
    ));

  it('prints directives as hclwrite formats them', () =>
    goldenValue(
      tuple([
        template([
          { kind: 'if', cond: ref('var.x'), then: [literal('yes')], else: [literal('no')] },
          {
            kind: 'for',
            key: 'k',
            value: 'v',
            collection: ref('var.m'),
            body: [interp(ref('k')), literal('='), interp(ref('v')), literal(';')],
          },
        ]),
        template([{ kind: 'if', cond: binary('==', ref('x'), object({})), then: [literal('y')] }]),
        template([
          {
            kind: 'for',
            value: 'v',
            collection: ref('m'),
            body: [interp(ref('v'))],
            stripLeft: true,
            stripRight: true,
          },
        ]),
      ]),
      lines(
        'x = [',
        '  "%{if var.x}yes%{else}no%{endif}%{for k, v in var.m}${k}=${v};%{endfor}",',
        '  "%{if x == {} }y%{endif}",',
        '  "%{~for v in m~}${v}%{~endfor~}",',
        ']',
      ),
    ));

  it('keeps a literal $ or % before a sequence from becoming an escape', () =>
    goldenValue(
      template([
        literal('a$$'),
        interp(ref('x')),
        literal(' 100%'),
        { kind: 'if', cond: ref('c'), then: [literal('%')], else: [literal('$')] },
        literal('$%'),
        interp(ref('y')),
        literal('$'),
      ]),
      // `$%` before `${` is unambiguous: only `$${` and `%%{` are escapes.
      lines('x = "a${"$$"}${x} 100${"%"}%{if c}${"%"}%{else}$%{endif}$%${y}$"'),
    ));
});

describe('heredocs', () => {
  it('prints multi-line strings as indented heredocs', () =>
    golden(
      [
        block(
          'resource',
          ['incus_instance', 'web'],
          [
            attr('a', 1),
            attr('user_data', '#cloud-config\npackages:\n  - nginx\n\n   \n'),
            attr('bb', 2),
            attr('config', { 'cloud-init.user-data': str('a\n\tb\n'), 'limits.cpu': str('2') }),
          ],
        ),
      ],
      lines(
        'resource "incus_instance" "web" {',
        '  a         = 1',
        '  user_data = <<-EOT',
        '    #cloud-config',
        '    packages:',
        '      - nginx',
        '',
        '   ',
        '  EOT',
        '  bb        = 2',
        '  config = {',
        '    "cloud-init.user-data" = <<-EOT',
        '      a',
        '      \tb',
        '    EOT',
        '    "limits.cpu"           = "2"',
        '  }',
        '}',
      ),
    ));

  it('keeps short and unsuitable strings quoted', () =>
    golden(
      [
        attr('a', 'one line\n'),
        attr('b', 'no final newline\nx'),
        attr('c', 'a\r\nb\n'),
        attr('d', '\u0301x\ny\n'),
        attr('e', '  a\n  b\n'),
        attr('f', tuple([str('a\nb\n')])),
      ],
      lines(
        'a = "one line\\n"',
        'b = "no final newline\\nx"',
        'c = "a\\r\\nb\\n"',
        'd = "\u0301x\\ny\\n"',
        'e = "  a\\n  b\\n"',
        'f = [',
        '  "a\\nb\\n",',
        ']',
      ),
    ));

  it('chooses a marker that no content line matches', () =>
    goldenValue(
      str('EOT\n  EOT1  \nx\n'),
      lines('x = <<-EOT2', '  EOT', '    EOT1  ', '  x', 'EOT2'),
    ));

  it('prints templates, verbatim content and quoted fallbacks for heredoc nodes', () =>
    golden(
      [
        attr(
          'a',
          heredoc([literal('name: '), interp(ref('var.name')), literal('\n%{x}\n')], 'CFG'),
        ),
        attr('b', heredoc('  indented\n  throughout\n')),
        attr('c', heredoc('carriage\rreturn\n')),
        attr('d', tuple([heredoc('in a\ntuple\n')])),
      ],
      lines(
        'a = <<-CFG',
        '  name: ${var.name}',
        '  %%{x}',
        'CFG',
        'b = <<EOT',
        '  indented',
        '  throughout',
        'EOT',
        'c = "carriage\\rreturn\\n"',
        'd = [',
        '  "in a\\ntuple\\n",',
        ']',
      ),
    ));

  it('requires heredoc content to end with a newline', () => {
    expect(() => printExpr(heredoc('no newline'))).toThrow(/must end with a newline/);
    expect(() => printExpr(heredoc([literal('a\n'), interp(ref('x'))]))).toThrow(/newline/);
  });

  it('prints a heredoc on its own as an expression', () =>
    expect(printExpr(str('a\nb\n'))).toBe('<<-EOT\n  a\n  b\nEOT'));
});

describe('bodies', () => {
  it('separates blocks, honours blank items and attaches comments', () =>
    golden(
      [
        comment('Managed by Atlas'),
        block(
          'terraform',
          [],
          [
            block(
              'required_providers',
              [],
              [attr('incus', { source: 'lxc/incus', version: '~> 0.3' })],
            ),
          ],
        ),
        attr('a', 1),
        attr('bbb', 2),
        comment('breaks the run'),
        attr('cc', 3),
        blank,
        blank,
        attr('d', 4),
        block('b', ['l"1', 'l\\2', '${x}'], []),
        comment('for c'),
        block(
          'c',
          [],
          [
            blank,
            attr('x', 1),
            block('inner', [], [attr('y', 2)]),
            attr('z', 3),
            comment(''),
            comment('trailing'),
            blank,
          ],
        ),
        attr('after', 'x', ['attached', '']),
      ],
      lines(
        '# Managed by Atlas',
        'terraform {',
        '  required_providers {',
        '    incus = { source = "lxc/incus", version = "~> 0.3" }',
        '  }',
        '}',
        '',
        'a   = 1',
        'bbb = 2',
        '# breaks the run',
        'cc = 3',
        '',
        'd = 4',
        '',
        'b "l\\"1" "l\\\\2" "$${x}" {}',
        '',
        '# for c',
        'c {',
        '  x = 1',
        '',
        '  inner {',
        '    y = 2',
        '  }',
        '',
        '  z = 3',
        '  #',
        '  # trailing',
        '}',
        '',
        '# attached',
        '#',
        'after = "x"',
      ),
    ));

  it('prints an empty file as the empty string', () => expect(printFile({ body: [] })).toBe(''));

  it('rejects line breaks in comments', () =>
    expect(() => printFile({ body: [{ kind: 'comment', lines: ['a\rb'] }] })).toThrow(
      /line break/,
    ));
});

describe('template files', () => {
  const parts: TemplatePart[] = [
    literal('#cloud-config\nhostname: '),
    interp(ref('hostname')),
    literal('\nusers:\n'),
    {
      kind: 'for',
      value: 'user',
      collection: ref('users'),
      stripRight: true,
      body: [literal('\n  - name: '), interp(get(ref('user'), 'name')), literal('\n')],
    },
    literal('\n'),
    {
      kind: 'if',
      cond: ref('motd'),
      then: [literal('motd: "'), interp(ref('motd')), literal('"\n')],
      else: [literal('# no ${motd} %{here} 100%')],
    },
    literal('\\n stays'),
  ];

  it('prints directives spaced, escapes only template sequences', () =>
    expect(printTemplate(parts)).toBe(
      [
        '#cloud-config',
        'hostname: ${hostname}',
        'users:',
        '%{ for user in users ~}',
        '  - name: ${user.name}',
        '%{ endfor ~}',
        '%{ if motd }motd: "${motd}"',
        '%{ else }# no $${motd} %%{here} 100${"%"}%{ endif }\\n stays',
      ].join('\n'),
    ));

  it('prints a heredoc with strip markers verbatim (<<EOT): ~ acts before <<- removes indentation', async () => {
    await golden(
      [
        block(
          'locals',
          [],
          [
            attr(
              'text',
              heredoc([
                literal('a\n'),
                { kind: 'if', cond: ref('var.on'), then: [literal('\nb\n')], stripRight: true },
                literal('\nc\n'),
              ]),
            ),
          ],
        ),
      ],
      'locals {\n  text = <<EOT\na\n%{if var.on~}\nb\n%{endif~}\nc\n  EOT\n}\n',
    );
  });
});
