import { jsonEncode, jsonString } from './encode.js';
import { EvaluationError, isList, isObject, numberText, typeName, type Value } from './value.js';

const VERB = /%([-+# 0]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?(?:\[(\d+)\])?(.)?/gsu;

interface Spec {
  readonly flags: string;
  readonly width?: number;
  readonly precision?: number;
  readonly verb: string;
}

/** OpenTofu's `format`: Go-style verbs `%v %#v %t %s %q %d %b %o %x %X %e %E %f %g %G %%`, with flags, width, precision and `[n]` argument indexes. */
export function formatText(template: string, args: readonly Value[]): string {
  let next = 0;
  let used = 0;
  const result = template.replace(
    VERB,
    (
      whole,
      flags: string,
      index1?: string,
      width?: string,
      precision?: string,
      index2?: string,
      verb?: string,
      offset?: number,
    ) => {
      if (verb === undefined) throw new EvaluationError(`unterminated format verb at ${offset}`);
      if (whole === '%%') return '%';
      const index = index1 ?? index2;
      if (index !== undefined) next = Number(index) - 1;
      const arg = args[next];
      if (next < 0 || arg === undefined)
        throw new EvaluationError(
          `not enough arguments for "%${verb}" at ${offset}: need index ${next + 1} but have ${args.length} total`,
        );
      next++;
      used = Math.max(used, next);
      const spec: Spec = {
        flags,
        ...(width === undefined ? {} : { width: Number(width) }),
        ...(precision === undefined ? {} : { precision: Number(precision || 0) }),
        verb,
      };
      return pad(formatOne(arg, spec, offset!), spec);
    },
  );
  if (used < args.length)
    throw new EvaluationError(`too many arguments; only ${used} used by format string`);
  return result;
}

function formatOne(arg: Value, spec: Spec, offset: number): string {
  const { verb, flags, precision } = spec;
  const fail = (what: string): never => {
    throw new EvaluationError(`unsupported value for "%${verb}" at ${offset}: ${what}`);
  };
  if (arg === null && verb !== 'v') return fail('null value cannot be formatted');
  switch (verb) {
    case 'v':
      if (flags.includes('#') || isList(arg) || isObject(arg)) return jsonEncode(arg);
      return arg === null ? 'null' : text(arg as string | number | boolean);
    case 's': {
      if (isList(arg) || isObject(arg)) return fail(`string required, got ${typeName(arg)}`);
      const s = text(arg as string | number | boolean);
      return precision === undefined ? s : [...s].slice(0, precision).join('');
    }
    case 'q':
      if (isList(arg) || isObject(arg)) return fail(`string required, got ${typeName(arg)}`);
      return jsonString(text(arg as string | number | boolean));
    case 't':
      if (typeof arg === 'boolean') return String(arg);
      if (arg === 'true' || arg === 'false') return arg;
      return fail('bool required');
  }
  const n = typeof arg === 'number' ? arg : typeof arg === 'string' ? Number(arg) : NaN;
  if (typeof arg === 'string' && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(arg))
    return fail('number required');
  if (Number.isNaN(n)) return fail('number required');
  const sign =
    n < 0 || Object.is(n, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const abs = Math.abs(n);
  const integer = (base: number, prefix: string) => {
    if (!Number.isInteger(n)) return fail('value must be a whole number');
    return sign + (flags.includes('#') ? prefix : '') + BigInt(abs).toString(base);
  };
  switch (verb) {
    case 'd':
      return integer(10, '');
    case 'b':
      return integer(2, '0b');
    case 'o':
      return integer(8, '0');
    case 'x':
      return integer(16, '0x');
    case 'X':
      return integer(16, '0X').toUpperCase();
    case 'f':
    case 'F':
      return sign + abs.toFixed(precision ?? 6);
    case 'e':
    case 'E': {
      const e = goExponent(abs.toExponential(precision ?? 6));
      return sign + (verb === 'E' ? e.toUpperCase() : e);
    }
    case 'g':
    case 'G': {
      const g = shortestG(abs, precision);
      return sign + (verb === 'G' ? g.toUpperCase() : g);
    }
  }
  throw new EvaluationError(`unsupported format verb "%${verb}" at ${offset}`);
}

const text = (v: string | number | boolean): string =>
  typeof v === 'number' ? numberText(v) : String(v);

/** Go writes at least two exponent digits: `1.5e+00`. */
const goExponent = (s: string): string => s.replace(/e([+-])(\d)$/, 'e$10$2');

/** Go's `%g`: exponent notation when the exponent is below -4 or at least the precision (6 when shortest). */
function shortestG(n: number, precision?: number): string {
  const exp = n === 0 ? 0 : Math.floor(Math.log10(n));
  const limit = precision ?? 6;
  if (exp < -4 || exp >= (precision === 0 ? 1 : limit)) {
    const e =
      precision === undefined ? n.toExponential() : n.toExponential(Math.max(precision - 1, 0));
    return goExponent(e.replace(/\.?0+e/, 'e'));
  }
  return precision === undefined ? numberText(n) : String(Number(n.toPrecision(precision || 1)));
}

function pad(s: string, { flags, width, verb }: Spec): string {
  const length = [...s].length;
  if (width === undefined || length >= width) return s;
  const fill = width - length;
  if (flags.includes('-')) return s + ' '.repeat(fill);
  if (flags.includes('0') && 'dboxXeEfFgG'.includes(verb)) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}
