import {
  binary,
  bool,
  call,
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
  toExpr,
  tpl,
  type Expr,
} from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { evaluate, renderTemplate, scopeOf } from './evaluate.js';
import { ConfigurationError, EvaluationError, UNKNOWN, setOf, type Value } from './value.js';

const names: Record<string, Value> = {
  var: {
    port: 9090,
    name: 'prometheus01',
    jobs: [
      { name: 'a', targets: ['a:1'], enabled: true },
      { name: 'b', targets: ['b:1', 'b:2'], enabled: false },
    ],
    labels: { zone: 'eu', env: 'prod' },
    tags: setOf(['web', 'db']),
    nothing: null,
  },
  incus_instance: { this: { name: 'prometheus01', ipv4_address: UNKNOWN } },
};
const scope = scopeOf(names);
const ev = (expr: Expr) => evaluate(expr, scope);

describe('literals and operators', () => {
  it('evaluates literals, tuples and objects', () => {
    expect(ev(toExpr({ a: [1, 'x', true, null] }))).toEqual({ a: [1, 'x', true, null] });
    expect(ev(num('0.10'))).toBe(0.1);
    expect(ev(object([{ key: tpl`${ref('var.name')}-key`, value: num(1) }]))).toEqual({
      'prometheus01-key': 1,
    });
  });

  it('does arithmetic on numbers, converting numeric strings as OpenTofu does', () => {
    expect(ev(binary('+', num(1), num(2)))).toBe(3);
    expect(ev(binary('-', str('10'), num(4)))).toBe(6);
    expect(ev(binary('*', num(3), num(4)))).toBe(12);
    expect(ev(binary('/', num(7), num(2)))).toBe(3.5);
    expect(ev(binary('%', num(7), num(3)))).toBe(1);
    expect(ev(neg(num(5)))).toBe(-5);
    expect(() => ev(binary('+', str('x'), num(1)))).toThrow(/Invalid operand/);
    expect(() => ev(binary('+', nil, num(1)))).toThrow(/is null/);
    expect(() => ev(binary('%', num(1), num(0)))).toThrow(EvaluationError);
  });

  it('compares numbers', () => {
    expect(ev(binary('<', num(1), num(2)))).toBe(true);
    expect(ev(binary('<=', num(2), num(2)))).toBe(true);
    expect(ev(binary('>', str('10'), num(9)))).toBe(true);
    expect(ev(binary('>=', num(1), num(2)))).toBe(false);
  });

  it('== compares type and value, never converting', () => {
    expect(ev(binary('==', num(1), str('1')))).toBe(false);
    expect(ev(binary('==', toExpr([1, { a: 'b' }]), toExpr([1, { a: 'b' }])))).toBe(true);
    expect(ev(binary('!=', toExpr({ a: 1 }), toExpr({ a: 1, b: 2 })))).toBe(true);
    expect(ev(binary('==', ref('var.nothing'), nil))).toBe(true);
    // A set is not equal to a tuple with the same elements.
    expect(ev(binary('==', ref('var.tags'), toExpr(['db', 'web'])))).toBe(false);
    expect(ev(binary('==', ref('incus_instance.this.ipv4_address'), str('x')))).toBe(UNKNOWN);
  });

  it('&&, || and ! take bools and do not short-circuit', () => {
    expect(ev(binary('&&', bool(true), bool(false)))).toBe(false);
    expect(ev(binary('||', bool(false), str('true')))).toBe(true);
    expect(ev(not(bool(false)))).toBe(true);
    expect(() => ev(binary('&&', num(1), bool(true)))).toThrow(/bool required/);
    // The right side is evaluated even when the left already decides the result.
    expect(() =>
      ev(binary('||', bool(true), binary('>', call('length', [ref('var.nothing')]), num(0)))),
    ).toThrow(/must not be null/);
  });

  it('propagates unknown values through operators', () => {
    const ip = ref('incus_instance.this.ipv4_address');
    expect(ev(binary('+', ip, num(1)))).toBe(UNKNOWN);
    expect(ev(binary('&&', bool(true), binary('==', ip, str(''))))).toBe(UNKNOWN);
    // …unless the known side decides the result.
    expect(ev(binary('&&', bool(false), binary('==', ip, str(''))))).toBe(false);
    expect(ev(binary('||', binary('==', ip, str('')), bool(true)))).toBe(true);
    expect(ev(not(ip))).toBe(UNKNOWN);
    expect(ev(paren(ip))).toBe(UNKNOWN);
  });
});

describe('conditionals', () => {
  it('picks a result and converts it to the type both results unify to', () => {
    expect(ev(cond(bool(true), str('a'), str('b')))).toBe('a');
    // number and string unify to string
    expect(ev(cond(bool(true), num(1), str('x')))).toBe('1');
    // objects with different attributes unify to a map
    expect(ev(cond(bool(false), toExpr({ params: { m: ['x'] } }), toExpr({})))).toEqual({});
    // tuples of different lengths unify to a list
    expect(ev(cond(bool(true), toExpr([]), toExpr([{ a: 1 }])))).toEqual([]);
  });

  it('rejects results with no common type, whichever is taken', () => {
    expect(() => ev(cond(bool(true), num(1), bool(false)))).toThrow(
      /Inconsistent conditional result types/,
    );
    expect(() => ev(cond(bool(true), toExpr({ a: 'x', b: [1] }), toExpr({})))).toThrow(
      /Inconsistent conditional result types/,
    );
    expect(() => ev(cond(bool(true), toExpr(['a']), toExpr({ a: 'a' })))).toThrow(
      /Inconsistent conditional result types/,
    );
  });

  it('ignores an error in the result not taken', () => {
    const guarded = cond(
      binary('==', ref('var.nothing'), nil),
      str(''),
      get(ref('var.nothing'), 'x'),
    );
    expect(ev(guarded)).toBe('');
    expect(() => ev(cond(bool(false), str(''), get(ref('var.nothing'), 'x')))).toThrow(
      /Attempt to get attribute from null value/,
    );
  });

  it('is unknown when the condition is, and fails on a null condition', () => {
    const unknown = binary('==', ref('incus_instance.this.ipv4_address'), str(''));
    expect(ev(cond(unknown, str('a'), str('b')))).toBe(UNKNOWN);
    expect(() => ev(cond(nil, str('a'), str('b')))).toThrow(/Null condition/);
  });
});

describe('for expressions', () => {
  it('builds tuples, with index and value, filtered', () => {
    expect(ev(forList('j', ref('var.jobs'), ref('j.name')))).toEqual(['a', 'b']);
    expect(ev(forList(['i', 'j'], ref('var.jobs'), tpl`${ref('i')}:${ref('j.name')}`))).toEqual([
      '0:a',
      '1:b',
    ]);
    expect(ev(forList('j', ref('var.jobs'), ref('j.name'), { cond: ref('j.enabled') }))).toEqual([
      'a',
    ]);
  });

  it('iterates objects in key order and sets by value', () => {
    expect(ev(forList(['k', 'v'], ref('var.labels'), tpl`${ref('k')}=${ref('v')}`))).toEqual([
      'env=prod',
      'zone=eu',
    ]);
    expect(ev(forList(['k', 'v'], ref('var.tags'), tpl`${ref('k')}/${ref('v')}`))).toEqual([
      'db/db',
      'web/web',
    ]);
  });

  it('builds objects, grouping with ... and rejecting duplicate keys without it', () => {
    expect(ev(forMap('j', ref('var.jobs'), ref('j.name'), ref('j.targets')))).toEqual({
      a: ['a:1'],
      b: ['b:1', 'b:2'],
    });
    const byEnabled = forMap('j', ref('var.jobs'), str('all'), ref('j.name'), { group: true });
    expect(ev(byEnabled)).toEqual({ all: ['a', 'b'] });
    expect(() => ev(forMap('j', ref('var.jobs'), str('all'), ref('j.name')))).toThrow(
      /Duplicate object key "all"/,
    );
  });

  it('refuses to iterate null or a string, and is unknown over an unknown collection', () => {
    expect(() => ev(forList('x', ref('var.nothing'), ref('x')))).toThrow(/Iteration over null/);
    expect(() => ev(forList('x', str('abc'), ref('x')))).toThrow(/not a collection/);
    expect(ev(forList('x', ref('incus_instance.this.ipv4_address'), ref('x')))).toBe(UNKNOWN);
  });
});

describe('attribute access, indexes and splats', () => {
  it('reads attributes, list indexes and map keys', () => {
    expect(ev(ref('var.jobs', 1, 'targets', 0))).toBe('b:1');
    expect(ev(ref('var.labels', str('zone')))).toBe('eu');
    expect(ev(ref('var.jobs', str('0'), 'name'))).toBe('a');
    expect(ev(get(call('concat', [toExpr(['x']), toExpr(['y'])]), 1))).toBe('y');
  });

  it('fails like OpenTofu on missing attributes, bad indexes, sets and null', () => {
    expect(() => ev(ref('var.labels.region'))).toThrow(/Unsupported attribute/);
    expect(() => ev(ref('var.jobs.name'))).toThrow(/use an index for one element or \[\*\]/);
    expect(() => ev(ref('var.jobs', 2))).toThrow(/has 2 elements/);
    expect(() => ev(ref('var.tags', 0))).toThrow(/is a set/);
    expect(() => ev(ref('var.nothing', 0))).toThrow(/Attempt to index null value/);
  });

  it('splats over lists, wraps a single value and turns null into an empty list', () => {
    expect(ev(ref('var.jobs', '*', 'name'))).toEqual(['a', 'b']);
    expect(ev(ref('var.jobs', '*', 'targets', 0))).toEqual(['a:1', 'b:1']);
    expect(ev(ref('var.labels', '*', 'zone'))).toEqual(['eu']);
    expect(ev(ref('var.nothing', '*', 'x'))).toEqual([]);
  });

  it('treats undeclared names as configuration errors that can() does not catch', () => {
    expect(() => ev(ref('nope.x'))).toThrow(ConfigurationError);
    expect(() => ev(call('can', [ref('module.x.y')]))).toThrow(/no variable named "module"/);
    expect(() => ev(call('nosuchfunction', []))).toThrow(/Call to unknown function/);
  });
});

describe('templates', () => {
  it('interpolates strings, numbers and bools; a lone interpolation keeps its value', () => {
    expect(ev(tpl`http://${ref('var.name')}:${ref('var.port')}/${bool(true)}`)).toBe(
      'http://prometheus01:9090/true',
    );
    expect(ev(template([interp(ref('var.jobs'))]))).toEqual(ev(ref('var.jobs')));
    expect(() => ev(tpl`x${ref('var.nothing')}`)).toThrow(/cannot include null/);
    expect(() => ev(tpl`x${ref('var.jobs')}`)).toThrow(/cannot include a tuple/);
  });

  it('shows unknown values as (known after apply)', () => {
    expect(ev(tpl`${ref('incus_instance.this.ipv4_address')}:9090`)).toBe(
      '(known after apply):9090',
    );
  });

  it('runs %{ if } / %{ else } and %{ for k, v in … } directives', () => {
    const doc = heredoc([
      literal('jobs:\n'),
      {
        kind: 'for',
        key: 'i',
        value: 'job',
        collection: ref('var.jobs'),
        body: [
          literal('- '),
          interp(ref('i')),
          literal(' '),
          interp(ref('job.name')),
          {
            kind: 'if',
            cond: ref('job.enabled'),
            then: [literal(' on')],
            else: [literal(' off')],
          },
          literal('\n'),
        ],
      },
    ]);
    expect(ev(doc)).toBe('jobs:\n- 0 a on\n- 1 b off\n');
  });

  it('strips whitespace next to ${~ and ~}', () => {
    const parts = template([
      literal('a  \n'),
      { kind: 'interp', expr: str('b'), stripLeft: true, stripRight: true },
      literal(' \n\tc'),
    ]);
    expect(ev(parts)).toBe('abc');
  });

  it('strips around %{~ … ~} directives on every tag, and across adjacent literal parts', () => {
    const ifElse = (value: boolean) =>
      renderTemplate(
        [
          literal('a  \n'),
          {
            kind: 'if',
            cond: bool(value),
            then: [literal('\n  yes  \n')],
            else: [literal('\n  no\n')],
            stripLeft: true,
            stripRight: true,
          },
          literal('\n  '),
          literal('b'),
        ],
        scope,
      );
    expect([ifElse(true), ifElse(false)]).toEqual(['ayesb', 'anob']);
    const each = renderTemplate(
      [
        {
          kind: 'for',
          value: 'x',
          collection: toExpr([1, 2]),
          body: [literal('\n  '), interp(ref('x')), literal(',\n')],
          stripLeft: true,
          stripRight: true,
        },
      ],
      scope,
    );
    expect(each).toBe('1,2,');
    const split = [
      { kind: 'interp', expr: str('x'), stripRight: true },
      literal(' '),
      literal('  y'),
    ] as const;
    expect(renderTemplate(split, scope)).toBe('xy');
  });

  it('keeps literal text verbatim: ${ and %{ in literals are printed escaped as $${ and %%{', () => {
    expect(ev(heredoc('echo $${HOME} ${HOME} %{ if } %%{\n'))).toBe(
      'echo $${HOME} ${HOME} %{ if } %%{\n',
    );
  });
});

describe('can and try', () => {
  it('can() reports whether an expression evaluates', () => {
    expect(ev(call('can', [call('regex', [str('^[0-9]+$'), str('123')])]))).toBe(true);
    expect(ev(call('can', [call('regex', [str('^[0-9]+$'), str('12a')])]))).toBe(false);
    expect(ev(call('can', [ref('var.labels.region')]))).toBe(false);
    expect(ev(call('can', [ref('incus_instance.this.ipv4_address')]))).toBe(UNKNOWN);
  });

  it('try() returns the first argument that evaluates', () => {
    expect(ev(call('try', [ref('var.labels.region'), ref('var.labels.zone')]))).toBe('eu');
    expect(ev(call('try', [call('tonumber', [str('x')]), num(0)]))).toBe(0);
    expect(() => ev(call('try', [ref('var.labels.region')]))).toThrow(/no expression succeeded/);
  });
});
