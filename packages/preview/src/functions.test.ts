import { call, nil, ref, str, toExpr, type Expr } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { evaluate, scopeOf } from './evaluate.js';
import { UNKNOWN, isSet, type Value } from './value.js';

const scope = scopeOf({ later: UNKNOWN });
/** Calls `name` with plain-data arguments (expressions pass through). */
const fn = (name: string, ...args: unknown[]): Value =>
  evaluate(
    call(
      name,
      args.map((a) => toExpr(a)),
    ),
    scope,
  );
const fails =
  (name: string, ...args: unknown[]) =>
  () =>
    fn(name, ...args);
const later: Expr = ref('later');

describe('collection functions', () => {
  it('merge: later keys win, null arguments are skipped', () => {
    expect(fn('merge', { a: 1, b: 1 }, { b: 2 }, nil, { c: 3 })).toEqual({ a: 1, b: 2, c: 3 });
    expect(fn('merge')).toEqual({});
    expect(fails('merge', { a: 1 }, ['x'])).toThrow(/map or object required/);
  });

  it('concat joins lists but not sets', () => {
    expect(fn('concat', ['a'], [], ['b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(fails('concat', ['a'], call('toset', [toExpr(['b'])]))).toThrow(/lists or tuples/);
  });

  it('length counts characters, elements and attributes', () => {
    expect(fn('length', 'héllo')).toBe(5);
    expect(fn('length', '👍🏽')).toBe(1);
    expect(fn('length', [1, 2])).toBe(2);
    expect(fn('length', { a: 1 })).toBe(1);
    expect(fn('length', [later])).toBe(1);
    expect(fails('length', nil)).toThrow(/must not be null/);
    expect(fails('length', 5)).toThrow(/string, a collection type/);
  });

  it('distinct, contains, alltrue, anytrue', () => {
    expect(fn('distinct', ['a', 'b', 'a', { x: 1 }, { x: 1 }])).toEqual(['a', 'b', { x: 1 }]);
    expect(fn('contains', ['http', 'https'], 'https')).toBe(true);
    expect(fn('contains', ['1'], 1)).toBe(false);
    expect(fn('alltrue', [true, 'true'])).toBe(true);
    expect(fn('alltrue', [])).toBe(true);
    expect(fn('alltrue', [true, false])).toBe(false);
    expect(fn('anytrue', [false, true])).toBe(true);
    expect(fn('anytrue', [])).toBe(false);
    expect(fails('alltrue', [1])).toThrow(/bool required/);
  });

  it('coalesce returns the first non-null, non-empty argument in their common type', () => {
    expect(fn('coalesce', nil, '', 'x', 'y')).toBe('x');
    expect(fn('coalesce', nil, 2, 'z')).toBe('2');
    expect(fn('coalesce', later, 'x')).toBe(UNKNOWN);
    expect(fails('coalesce', nil, '')).toThrow(/no non-null, non-empty-string arguments/);
    expect(fails('coalesce', 1, true)).toThrow(/same type/);
  });

  it('compact, flatten, keys, values, lookup, one, element, sort, range', () => {
    expect(fn('compact', ['a', '', nil, 'b'])).toEqual(['a', 'b']);
    expect(fn('flatten', [['a', ['b']], [], 'c'])).toEqual(['a', 'b', 'c']);
    expect(fn('setproduct', ['a', 'b'], ['x', 'y'])).toEqual([
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'x'],
      ['b', 'y'],
    ]);
    expect(fn('setproduct', ['a'], [])).toEqual([]);
    expect(fn('keys', { b: 1, a: 2, '10': 3, '9': 4 })).toEqual(['10', '9', 'a', 'b']);
    expect(fn('values', { b: 1, a: 2 })).toEqual([2, 1]);
    expect(fn('lookup', { a: 1 }, 'a', 0)).toBe(1);
    expect(fn('lookup', { a: 1 }, 'b', 0)).toBe(0);
    expect(fails('lookup', { a: 1 }, 'b')).toThrow(/failed to find key "b"/);
    expect(fn('one', [])).toBe(null);
    expect(fn('one', ['x'])).toBe('x');
    expect(fails('one', ['x', 'y'])).toThrow(/either zero or one elements/);
    expect(fn('element', ['a', 'b', 'c'], 4)).toBe('b');
    expect(fails('element', [], 0)).toThrow(/empty list/);
    expect(fn('sort', ['b', 'a', 'C', '10', '9'])).toEqual(['10', '9', 'C', 'a', 'b']);
    expect(fn('range', 3)).toEqual([0, 1, 2]);
    expect(fn('range', 1, 7, 2)).toEqual([1, 3, 5]);
    expect(fn('range', 3, 0)).toEqual([3, 2, 1]);
    expect(fails('range', 0, 3, -1)).toThrow(/towards limit/);
  });

  it('reverse, slice, zipmap, sum', () => {
    expect(fn('reverse', [1, 2, 3])).toEqual([3, 2, 1]);
    expect(fn('slice', ['a', 'b', 'c'], 1, 3)).toEqual(['b', 'c']);
    expect(fn('zipmap', ['a', 'b'], [1, 2])).toEqual({ a: 1, b: 2 });
    expect(fn('sum', [1, 2, 3.5])).toBe(6.5);
  });
});

describe('type conversion functions', () => {
  it('tostring, tonumber, tobool', () => {
    expect(fn('tostring', 2)).toBe('2');
    expect(fn('tostring', true)).toBe('true');
    expect(fn('tostring', nil)).toBe(null);
    expect(fails('tostring', ['a'])).toThrow(/cannot convert tuple to string/);
    expect(fn('tonumber', '42')).toBe(42);
    expect(fn('tonumber', '1e3')).toBe(1000);
    expect(fails('tonumber', '12h')).toThrow(/cannot convert "12h" to number/);
    expect(fn('tobool', 'true')).toBe(true);
    expect(fails('tobool', 'yes')).toThrow(/cannot convert "yes" to bool/);
  });

  it('tolist, toset, tomap convert elements to one type', () => {
    expect(fn('tolist', ['a', 1, true])).toEqual(['a', '1', 'true']);
    const set = fn('toset', ['b', 'a', 'b']);
    expect(set).toEqual(['a', 'b']);
    expect(isSet(set)).toBe(true);
    expect(fn('tomap', { a: 1, b: 'x' })).toEqual({ a: '1', b: 'x' });
    expect(fails('tolist', [['a'], 'b'])).toThrow(/same type/);
    expect(fails('tomap', ['a'])).toThrow(/map or object required/);
  });
});

describe('string functions', () => {
  it('format: verbs, flags, width, precision and argument indexes', () => {
    expect(fn('format', 'Hello, %s!', 'Ander')).toBe('Hello, Ander!');
    expect(fn('format', 'There are %d lights', 4)).toBe('There are 4 lights');
    expect(fn('format', '%5.2f|%-4d|%04d|%+d', 3.14159, 7, 42, 5)).toBe(' 3.14|7   |0042|+5');
    expect(fn('format', '%x %X %o %b %#x', 255, 255, 8, 5, 255)).toBe('ff FF 10 101 0xff');
    expect(fn('format', '%e %g %g', 1234.5678, 0.00001, 100000)).toBe('1.234568e+03 1e-05 100000');
    expect(fn('format', '%q %v %#v %t', 'a"b', 1.5, { a: [1] }, true)).toBe(
      '"a\\"b" 1.5 {"a":[1]} true',
    );
    expect(fn('format', '%[2]s %[1]s %%', 'a', 'b')).toBe('b a %');
    expect(fails('format', '%d', 1.5)).toThrow(/whole number/);
    expect(fails('format', '%s %s', 'a')).toThrow(/not enough arguments/);
    expect(fails('format', '%s', 'a', 'b')).toThrow(/too many arguments/);
    expect(fn('format', '%s', later)).toBe(UNKNOWN);
  });

  it('join, split, replace (plain and /regex/)', () => {
    expect(fn('join', ', ', ['a', 'b'], ['c'])).toBe('a, b, c');
    expect(fn('join', '-', [1, 2])).toBe('1-2');
    expect(fails('join', ',', ['a', nil])).toThrow(/element 1 is null/);
    expect(fn('split', ',', 'a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(fn('split', ',', '')).toEqual(['']);
    expect(fn('replace', '1 + 2 + 3', '+', '-')).toBe('1 - 2 - 3');
    expect(fn('replace', 'hello world', '/w(or)ld/', '$1 ${1}x $$')).toBe('hello or orx $');
    expect(fn('replace', 'a-b', '/(?P<x>a)/', '[$x]')).toBe('[a]-b');
  });

  it('trimsuffix, trimprefix, trimspace, chomp, lower, upper, substr', () => {
    expect(fn('trimsuffix', '720h', 'h')).toBe('720');
    expect(fn('trimsuffix', '720', 'h')).toBe('720');
    expect(fn('trimprefix', 'v1.2', 'v')).toBe('1.2');
    expect(fn('trimspace', '\n\t x y \u00a0\n')).toBe('x y');
    expect(fn('trimspace', '\ufeffx')).toBe('\ufeffx');
    expect(fn('chomp', 'x\n\r\n')).toBe('x');
    expect(fn('lower', 'ÀB')).toBe('àb');
    expect(fn('upper', 'àb')).toBe('ÀB');
    expect(fn('substr', 'hello world', 1, 4)).toBe('ello');
    expect(fn('substr', 'hello', -3, -1)).toBe('llo');
  });

  it('indent pads every line after the first', () => {
    expect(fn('indent', 2, 'a\nb\n\nc')).toBe('a\n  b\n  \n  c');
  });

  it('sha256 and parseint, as the CoreDNS zone serial uses them', () => {
    expect(fn('sha256', 'abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(fn('parseint', 'ba7816bf', 16)).toBe(0xba7816bf);
    expect(fn('parseint', '-101', 2)).toBe(-5);
    expect(() => fn('parseint', '12g', 16)).toThrow(/cannot parse/);
  });

  it('startswith, endswith, base64encode', () => {
    expect(fn('startswith', 'https://x', 'https://')).toBe(true);
    expect(fn('endswith', 'a.yml', '.yaml')).toBe(false);
    expect(fn('base64encode', 'Hello ✓')).toBe('SGVsbG8g4pyT');
  });
});

describe('regex', () => {
  it('returns the match, a list of groups, or an object of named groups', () => {
    expect(fn('regex', '[a-z]+', '53454d9b')).toBe('d');
    expect(fn('regex', '^(\\d+)(h|m)?$', '720h')).toEqual(['720', 'h']);
    expect(fn('regex', '^(\\d+)(h|m)?$', '720')).toEqual(['720', null]);
    expect(fn('regex', '(?P<host>[^:]+):(?P<port>\\d+)', 'grafana01:3000')).toEqual({
      host: 'grafana01',
      port: '3000',
    });
    expect(fn('regexall', '\\d+', 'a1b22c333')).toEqual(['1', '22', '333']);
  });

  it('fails when nothing matches, and on patterns RE2 rejects or mixes groups', () => {
    expect(fails('regex', '^[0-9]+$', '12a')).toThrow(
      /pattern did not match any part of the given string/,
    );
    expect(fails('regex', '(a)\\1', 'aa')).toThrow(/invalid escape/);
    expect(fails('regex', '(?=a)', 'a')).toThrow(/unsupported Perl syntax/);
    expect(fails('regex', '(?P<x>a)(b)', 'ab')).toThrow(/cannot mix named and unnamed/);
  });

  it('translates RE2 syntax JavaScript lacks or reads differently', () => {
    // \s is ASCII whitespace only in RE2.
    expect(fn('can', call('regex', [str('^\\s$'), str('\u00a0')]))).toBe(false);
    // . does not match \n, but matches \r; (?s) lets it match \n.
    expect(fn('regex', 'a.b', 'a\rb')).toBe('a\rb');
    expect(fn('regex', '(?s)a.b', 'a\nb')).toBe('a\nb');
    expect(fn('regex', '(?i)^HELLO', 'hello')).toBe('hello');
    expect(fn('regex', '[[:alpha:]]+', '12abc3')).toBe('abc');
    expect(fn('regex', '\\pL+', '12äb3')).toBe('äb');
    expect(fn('regex', '\\Qa.b\\E', 'xa.b')).toBe('a.b');
    expect(fn('regex', '\\A\\d+\\z', '42')).toBe('42');
    expect(fn('regex', '\\:\\#\\-{x}', ':#-{x}')).toBe(':#-{x}');
    expect(fn('regex', '[]a]+', 'a]b')).toBe('a]');
    expect(fn('regex', '\\x41\\x{1F600}', 'A😀')).toBe('A😀');
  });
});

describe('numbers and networks', () => {
  it('floor, ceil, abs, min, max', () => {
    expect(fn('floor', 1.7)).toBe(1);
    expect(fn('floor', -1.2)).toBe(-2);
    expect(fn('ceil', 1.2)).toBe(2);
    expect(fn('abs', -3)).toBe(3);
    expect(fn('min', 3, '1', 2)).toBe(1);
    expect(fn('max', 3, 12, 2)).toBe(12);
    expect(fails('min')).toThrow(/takes 1 to Infinity/);
  });

  it('cidrhost counts from the network address, or from its end when negative', () => {
    expect(fn('cidrhost', '10.12.112.0/20', 16)).toBe('10.12.112.16');
    expect(fn('cidrhost', '10.12.112.0/20', 268)).toBe('10.12.113.12');
    expect(fn('cidrhost', '10.20.0.1/24', -1)).toBe('10.20.0.255');
    expect(fn('cidrhost', 'fd00:fd12:3456:7890:00a2::/72', 34)).toBe('fd00:fd12:3456:7890::22');
    expect(fn('cidrhost', '2001:db8::/64', 0)).toBe('2001:db8::');
    expect(fails('cidrhost', '10.0.0.0/30', 4)).toThrow(
      /prefix of 30 does not accommodate a host numbered 4/,
    );
    expect(fails('cidrhost', '10.0.0/24', 1)).toThrow(/invalid CIDR expression/);
  });
});

describe('unknown and null arguments', () => {
  it('most functions are unknown when an argument is', () => {
    expect(fn('upper', later)).toBe(UNKNOWN);
    expect(fn('join', ',', ['a', later])).toBe(UNKNOWN);
    expect(fn('merge', { a: later })).toEqual({ a: UNKNOWN });
    expect(fn('keys', { a: later })).toEqual(['a']);
  });

  it('null is rejected as an argument unless the function allows it', () => {
    expect(fails('upper', nil)).toThrow(/argument 1 must not be null/);
    expect(fn('jsonencode', nil)).toBe('null');
  });
});
