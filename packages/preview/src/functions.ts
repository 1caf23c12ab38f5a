import { t } from '@atlas/hcl';
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { cidrHost } from './cidr.js';
import { jsonEncode, yamlEncode } from './encode.js';
import { formatText } from './format.js';
import { compileRe2, expandReplacement, matchValue } from './regex.js';
import { convert, fromData, typeOf, unify } from './types.js';
import {
  EvaluationError,
  UNKNOWN,
  compareStrings,
  equals,
  isList,
  isObject,
  isSet,
  isWhollyKnown,
  numberText,
  setOf,
  sortedKeys,
  typeName,
  type Value,
  type ValueList,
  type ValueObject,
} from './value.js';

/**
 * How a function treats unknown arguments. `propagate`: any argument that is
 * not wholly known makes the result unknown (most functions). `nested`: an
 * unknown argument does, but unknown elements inside a known collection are
 * fine (`length`, `merge`…). `handled`: the function sees them all (encoders
 * render them as text, `coalesce` stops at the first one).
 */
type Unknowns = 'propagate' | 'nested' | 'handled';

export interface FunctionDefinition {
  readonly params: readonly [min: number, max: number];
  readonly unknowns?: Unknowns;
  /** Whether null may be passed as an argument itself (not just inside one). */
  readonly acceptsNull?: boolean;
  readonly impl: (args: readonly Value[]) => Value;
}

const fail = (message: string): never => {
  throw new EvaluationError(message);
};

// ---- argument conversion ------------------------------------------------

const string = (v: Value): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return String(v);
  return fail(`string required, got ${typeName(v)}`);
};

const number = (v: Value): number => {
  const n = convert(v, t.number, 'argument');
  return typeof n === 'number' ? n : fail(`number required, got ${typeName(v)}`);
};

const whole = (v: Value): number => {
  const n = number(v);
  return Number.isInteger(n) ? n : fail(`${numberText(n)} is not a whole number`);
};

const list = (v: Value): ValueList =>
  isList(v) ? v : fail(`list, set or tuple required, got ${typeName(v)}`);

const object = (v: Value): ValueObject =>
  isObject(v) ? v : fail(`map or object required, got ${typeName(v)}`);

const strings = (v: Value): string[] =>
  list(v).map((item, i) =>
    item === null ? fail(`element ${i} is null; cannot use null values here`) : string(item),
  );

const bool = (v: Value, i: number): boolean | null => {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return fail(`element ${i}: bool required, got ${typeName(v)}`);
};

/** Converts every element to the one type they all share, as `tolist`/`toset`/`tomap` do. */
function commonElements(values: readonly Value[], what: string): Value[] {
  const type = unify(values.map(typeOf));
  if (!type) return fail(`cannot convert to ${what}: all elements must have the same type`);
  return values.map((v, i) => convert(v, type, `element ${i}`));
}

// Go's unicode.IsSpace: JavaScript's \s without U+FEFF, plus U+0085.
const GO_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
export const trimGoSpace = {
  start: (s: string) => s.replace(new RegExp(`^${GO_SPACE}+`, 'u'), ''),
  end: (s: string) => s.replace(new RegExp(`${GO_SPACE}+$`, 'u'), ''),
};

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function regexMatches(pattern: string, text: string, all: boolean): Value[] {
  const re = compileRe2(pattern);
  const global = new RegExp(re.regexp.source, `${re.regexp.flags}g`);
  const out: Value[] = [];
  for (const match of text.matchAll(global)) {
    out.push(matchValue(re, match));
    if (!all) break;
  }
  return out;
}

function range(args: readonly number[]): number[] {
  const [start, limit, step] =
    args.length === 1
      ? [0, args[0]!, 1]
      : [args[0]!, args[1]!, args[2] ?? (args[0]! <= args[1]! ? 1 : -1)];
  if (step === 0) return fail('step must not be zero');
  if ((start < limit && step < 0) || (start > limit && step > 0))
    return fail('step must move from start towards limit');
  const out: number[] = [];
  for (let n = start; step > 0 ? n < limit : n > limit; n += step) {
    if (out.length === 1024)
      return fail('more than 1024 values were generated; use a smaller range or a larger step');
    out.push(n);
  }
  return out;
}

function replace(text: string, search: string, replacement: string): string {
  if (search.length > 1 && search.startsWith('/') && search.endsWith('/')) {
    const re = compileRe2(search.slice(1, -1));
    const global = new RegExp(re.regexp.source, `${re.regexp.flags}g`);
    let out = '';
    let last = 0;
    for (const match of text.matchAll(global)) {
      out += text.slice(last, match.index) + expandReplacement(replacement, re, match);
      last = match.index + match[0].length;
    }
    return out + text.slice(last);
  }
  return search === '' ? text : text.split(search).join(replacement);
}

function flatten(items: ValueList): Value[] {
  return items.flatMap((item) => (isList(item) ? flatten(item) : [item]));
}

function element(items: ValueList, index: number): Value {
  if (items.length === 0) return fail('cannot use element function with an empty list');
  if (index < 0) return fail('cannot use element function with a negative index');
  return items[index % items.length]!;
}

function yamlDecode(text: string): Value {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.length !== 1)
    return fail('the YAML source must contain exactly one document');
  const [doc] = documents;
  if (doc!.errors.length) return fail(doc!.errors[0]!.message);
  return fromData(doc!.toJS());
}

const fn = (
  params: readonly [number, number],
  impl: (args: readonly Value[]) => Value,
  options: { unknowns?: Unknowns; acceptsNull?: boolean } = {},
): FunctionDefinition => ({ params, impl, ...options });

const ANY = Infinity;

/** The functions Atlas modules use, with OpenTofu's semantics. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDefinition> = new Map([
  // ---- collections
  [
    'merge',
    fn(
      [0, ANY],
      (args) => Object.assign({}, ...args.filter((a) => a !== null).map(object)) as ValueObject,
      { unknowns: 'nested', acceptsNull: true },
    ),
  ],
  [
    'concat',
    fn(
      [1, ANY],
      (args) =>
        args.flatMap((a) =>
          isSet(a) ? fail('all arguments must be lists or tuples; got set') : list(a),
        ),
      { unknowns: 'nested' },
    ),
  ],
  [
    'length',
    fn(
      [1, 1],
      ([v]) => {
        if (typeof v === 'string') return [...graphemes.segment(v)].length;
        if (isList(v!)) return v.length;
        if (isObject(v!)) return Object.keys(v).length;
        return fail(`argument must be a string, a collection type, or a structural type`);
      },
      { unknowns: 'nested' },
    ),
  ],
  [
    'distinct',
    fn([1, 1], ([v]) =>
      list(v!).reduce<Value[]>(
        (out, item) => (out.some((o) => equals(o, item) === true) ? out : [...out, item]),
        [],
      ),
    ),
  ],
  [
    'contains',
    fn([2, 2], ([collection, value]) => list(collection!).some((i) => equals(i, value!) === true)),
  ],
  ['alltrue', fn([1, 1], ([v]) => list(v!).every((item, i) => bool(item, i) === true))],
  ['anytrue', fn([1, 1], ([v]) => list(v!).some((item, i) => bool(item, i) === true))],
  [
    'coalesce',
    fn(
      [1, ANY],
      (args) => {
        // A null here would have its variable's type in OpenTofu; plain data has none.
        const type = unify(args.filter((a) => a !== null).map(typeOf));
        if (!type) return fail('all arguments must have the same type');
        for (const arg of args) {
          if (arg === UNKNOWN) return UNKNOWN;
          if (arg === null || arg === '') continue;
          return convert(arg, type, 'argument');
        }
        return fail('no non-null, non-empty-string arguments');
      },
      { unknowns: 'handled', acceptsNull: true },
    ),
  ],
  [
    'compact',
    fn([1, 1], ([v]) =>
      list(v!)
        .filter((i) => i !== null && i !== '')
        .map(string),
    ),
  ],
  ['flatten', fn([1, 1], ([v]) => flatten(list(v!)))],
  [
    'setproduct',
    fn([1, ANY], (args) =>
      args
        .map((a) => list(a))
        .reduce<Value[][]>(
          (rows, items) => rows.flatMap((row) => items.map((i) => [...row, i])),
          [[]],
        ),
    ),
  ],
  ['keys', fn([1, 1], ([v]) => sortedKeys(object(v!)), { unknowns: 'nested' })],
  [
    'values',
    fn(
      [1, 1],
      ([v]) => {
        const o = object(v!);
        return sortedKeys(o).map((k) => o[k]!);
      },
      { unknowns: 'nested' },
    ),
  ],
  [
    'lookup',
    fn(
      [2, 3],
      ([map, key, ...dflt]) => {
        const o = object(map!);
        const k = string(key!);
        if (Object.hasOwn(o, k)) return o[k]!;
        if (dflt.length) return dflt[0]!;
        return fail(`lookup failed to find key ${JSON.stringify(k)}`);
      },
      { unknowns: 'nested', acceptsNull: true },
    ),
  ],
  [
    'one',
    fn(
      [1, 1],
      ([v]) => {
        const items = list(v!);
        if (items.length > 1)
          return fail('must be a list, set, or tuple value with either zero or one elements');
        return items[0] ?? null;
      },
      { unknowns: 'nested' },
    ),
  ],
  ['element', fn([2, 2], ([v, i]) => element(list(v!), whole(i!)), { unknowns: 'nested' })],
  ['sort', fn([1, 1], ([v]) => strings(v!).sort(compareStrings))],
  ['range', fn([1, 3], (args) => range(args.map(number)))],
  ['reverse', fn([1, 1], ([v]) => [...list(v!)].reverse(), { unknowns: 'nested' })],
  [
    'slice',
    fn(
      [3, 3],
      ([v, from, to]) => {
        const items = list(v!);
        const [start, end] = [whole(from!), whole(to!)];
        if (start < 0 || end > items.length || start > end)
          return fail(`cannot slice ${items.length} elements from ${start} to ${end}`);
        return items.slice(start, end);
      },
      { unknowns: 'nested' },
    ),
  ],
  [
    'zipmap',
    fn([2, 2], ([k, v]) => {
      const names = strings(k!);
      const values = list(v!);
      if (names.length !== values.length) return fail('number of keys must match number of values');
      return Object.fromEntries(names.map((name, i) => [name, values[i]!]));
    }),
  ],
  // ---- type conversion
  [
    'tostring',
    fn(
      [1, 1],
      ([v]) =>
        v === null
          ? null
          : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
            ? string(v)
            : fail(`cannot convert ${typeName(v!)} to string`),
      { acceptsNull: true },
    ),
  ],
  [
    'tonumber',
    fn(
      [1, 1],
      ([v]) =>
        v === null
          ? null
          : typeof v === 'number'
            ? v
            : typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)
              ? Number(v)
              : fail(`cannot convert ${JSON.stringify(v)} to number`),
      { acceptsNull: true },
    ),
  ],
  [
    'tobool',
    fn(
      [1, 1],
      ([v]) =>
        v === null || typeof v === 'boolean'
          ? v!
          : v === 'true' || v === 'false'
            ? v === 'true'
            : fail(`cannot convert ${JSON.stringify(v)} to bool`),
      { acceptsNull: true },
    ),
  ],
  ['tolist', fn([1, 1], ([v]) => commonElements(list(v!), 'list'), { unknowns: 'nested' })],
  ['toset', fn([1, 1], ([v]) => setOf(commonElements(list(v!), 'set')), { unknowns: 'nested' })],
  [
    'tomap',
    fn(
      [1, 1],
      ([v]) => {
        const o = object(v!);
        const keys = Object.keys(o);
        const converted = commonElements(
          keys.map((k) => o[k]!),
          'map',
        );
        return Object.fromEntries(keys.map((k, i) => [k, converted[i]!]));
      },
      { unknowns: 'nested' },
    ),
  ],
  // ---- encoding
  ['jsonencode', fn([1, 1], ([v]) => jsonEncode(v!), { unknowns: 'handled', acceptsNull: true })],
  ['yamlencode', fn([1, 1], ([v]) => yamlEncode(v!), { unknowns: 'handled', acceptsNull: true })],
  [
    'jsondecode',
    fn([1, 1], ([v]) => {
      try {
        return fromData(JSON.parse(string(v!)));
      } catch (error) {
        return fail(`invalid JSON: ${(error as Error).message}`);
      }
    }),
  ],
  ['yamldecode', fn([1, 1], ([v]) => yamlDecode(string(v!)))],
  ['base64encode', fn([1, 1], ([v]) => Buffer.from(string(v!), 'utf8').toString('base64'))],
  ['sha256', fn([1, 1], ([v]) => createHash('sha256').update(string(v!), 'utf8').digest('hex'))],
  [
    'parseint',
    fn([2, 2], ([v, b]) => {
      const digits = string(v!);
      const base = number(b!);
      if (!Number.isInteger(base) || base < 2 || base > 62)
        return fail('base must be a whole number from 2 to 62');
      // Every digit must be valid in the base: JavaScript's parseInt would stop at the first bad one.
      const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, Math.min(base, 36));
      const body = digits.replace(/^[-+]/, '');
      if (body === '' || [...body.toLowerCase()].some((d) => !alphabet.includes(d)))
        return fail(`cannot parse "${digits}" as a base ${base} integer`);
      return Number.parseInt(digits, base);
    }),
  ],
  // ---- strings
  [
    'format',
    fn([1, ANY], ([spec, ...args]) => formatText(string(spec!), args), { acceptsNull: true }),
  ],
  ['join', fn([2, ANY], ([sep, ...lists]) => lists.flatMap((l) => strings(l)).join(string(sep!)))],
  [
    'split',
    fn([2, 2], ([sep, s]) => {
      const separator = string(sep!);
      return separator === '' ? [...string(s!)] : string(s!).split(separator);
    }),
  ],
  ['replace', fn([3, 3], ([s, search, by]) => replace(string(s!), string(search!), string(by!)))],
  [
    'regex',
    fn([2, 2], ([pattern, s]) => {
      const [match] = regexMatches(string(pattern!), string(s!), false);
      return match === undefined
        ? fail('pattern did not match any part of the given string')
        : match;
    }),
  ],
  ['regexall', fn([2, 2], ([pattern, s]) => regexMatches(string(pattern!), string(s!), true))],
  [
    'trimsuffix',
    fn([2, 2], ([s, suffix]) => {
      const [text, end] = [string(s!), string(suffix!)];
      return end && text.endsWith(end) ? text.slice(0, -end.length) : text;
    }),
  ],
  [
    'trimprefix',
    fn([2, 2], ([s, prefix]) => {
      const [text, start] = [string(s!), string(prefix!)];
      return text.startsWith(start) ? text.slice(start.length) : text;
    }),
  ],
  ['trimspace', fn([1, 1], ([s]) => trimGoSpace.end(trimGoSpace.start(string(s!))))],
  ['chomp', fn([1, 1], ([s]) => string(s!).replace(/(\r\n|\n|\r)+$/, ''))],
  ['lower', fn([1, 1], ([s]) => string(s!).toLowerCase())],
  ['upper', fn([1, 1], ([s]) => string(s!).toUpperCase())],
  [
    'substr',
    fn([3, 3], ([s, offset, length]) => {
      const chars = [...graphemes.segment(string(s!))].map((g) => g.segment);
      let start = whole(offset!);
      if (start < 0) start = Math.max(chars.length + start, 0);
      const count = whole(length!);
      return chars.slice(start, count < 0 ? undefined : start + count).join('');
    }),
  ],
  ['indent', fn([2, 2], ([n, s]) => string(s!).replaceAll('\n', `\n${' '.repeat(whole(n!))}`))],
  ['startswith', fn([2, 2], ([s, prefix]) => string(s!).startsWith(string(prefix!)))],
  ['endswith', fn([2, 2], ([s, suffix]) => string(s!).endsWith(string(suffix!)))],
  // ---- numbers
  ['floor', fn([1, 1], ([n]) => Math.floor(number(n!)))],
  ['ceil', fn([1, 1], ([n]) => Math.ceil(number(n!)))],
  ['abs', fn([1, 1], ([n]) => Math.abs(number(n!)))],
  ['min', fn([1, ANY], (args) => Math.min(...args.map(number)))],
  ['max', fn([1, ANY], (args) => Math.max(...args.map(number)))],
  [
    'sum',
    fn([1, 1], ([v]) =>
      list(v!)
        .map(number)
        .reduce((a, b) => a + b, 0),
    ),
  ],
  // ---- network
  ['cidrhost', fn([2, 2], ([prefix, host]) => cidrHost(string(prefix!), number(host!)))],
]);

/** Calls a function with evaluated arguments, applying its unknown- and null-argument rules. */
export function callFunction(definition: FunctionDefinition, args: readonly Value[]): Value {
  const unknowns = definition.unknowns ?? 'propagate';
  if (unknowns === 'propagate' && !args.every(isWhollyKnown)) return UNKNOWN;
  if (unknowns === 'nested' && args.includes(UNKNOWN)) return UNKNOWN;
  if (!definition.acceptsNull) {
    const i = args.indexOf(null);
    if (i >= 0) return fail(`argument ${i + 1} must not be null`);
  }
  return definition.impl(args);
}
