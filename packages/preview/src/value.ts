/**
 * Values of OpenTofu expressions as plain data: strings, numbers, booleans,
 * null, arrays (tuples, lists and sets) and objects (objects and maps), plus
 * {@link UNKNOWN} for what only `tofu apply` can tell.
 */
export const UNKNOWN: unique symbol = Symbol.for('@atlas/preview.unknown');
export type Unknown = typeof UNKNOWN;

export type Value = string | number | boolean | null | Unknown | ValueList | ValueObject;
export type ValueList = readonly Value[];
export interface ValueObject {
  readonly [key: string]: Value;
}

/** What an unknown value looks like where it is rendered into text (templates, encoders). */
export const UNKNOWN_TEXT = '(known after apply)';

/** An expression failed as OpenTofu would fail it at plan time; `can()` and `try()` catch it. */
export class EvaluationError extends Error {
  override name = 'EvaluationError';
}

/**
 * A mistake in the configuration itself: an undeclared name, an unknown
 * function, a reference cycle, or a declaration that failed to evaluate.
 * OpenTofu reports these wherever they stand, so `can()` and `try()` let them through.
 */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export const isList = (value: Value): value is ValueList => Array.isArray(value);

export const isObject = (value: Value): value is ValueObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Sets are arrays remembered here, so values stay plain data while `for_each`,
// indexing and `==` can still tell a set from a list as OpenTofu does.
const sets = new WeakSet<ValueList>();

export const isSet = (value: Value): boolean => isList(value) && sets.has(value);

/** A set: duplicates dropped, sorted as OpenTofu orders sets (strings lexically, numbers by value). */
export function setOf(items: ValueList): ValueList {
  const unique: Value[] = [];
  for (const item of items)
    if (item === UNKNOWN || !unique.some((u) => equals(u, item) === true)) unique.push(item);
  unique.sort((a, b) =>
    typeof a === 'string' && typeof b === 'string'
      ? compareStrings(a, b)
      : typeof a === 'number' && typeof b === 'number'
        ? a - b
        : typeof a === 'boolean' && typeof b === 'boolean'
          ? Number(a) - Number(b)
          : 0,
  );
  sets.add(unique);
  return unique;
}

/** Byte-wise UTF-8 order, which is code point order: how OpenTofu sorts keys and strings. */
export function compareStrings(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export const sortedKeys = (object: ValueObject): string[] =>
  Object.keys(object).sort(compareStrings);

export function isWhollyKnown(value: Value): boolean {
  if (value === UNKNOWN) return false;
  if (isList(value)) return value.every(isWhollyKnown);
  if (isObject(value)) return Object.keys(value).every((k) => isWhollyKnown(value[k]!));
  return true;
}

/** `==`: same type and same value; unknown when either side is not wholly known. */
export function equals(a: Value, b: Value): boolean | Unknown {
  if (!isWhollyKnown(a) || !isWhollyKnown(b)) return UNKNOWN;
  return sameValue(a, b);
}

function sameValue(a: Value, b: Value): boolean {
  if (isList(a) && isList(b)) {
    if (isSet(a) !== isSet(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]!));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && sameValue(a[k]!, b[k]!));
  }
  return a === b;
}

/** The decimal text OpenTofu prints for a number: never exponent notation. */
export function numberText(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  const text = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, int, frac = '', exp] = m;
  const digits = int! + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** OpenTofu's name for the kind of a value, for error messages. */
export function typeName(value: Value): string {
  if (value === null) return 'null';
  if (value === UNKNOWN) return 'unknown value';
  if (isSet(value)) return 'set';
  if (isList(value)) return 'tuple';
  if (isObject(value)) return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

// ---- lazily evaluated objects -------------------------------------------

/** How the members of a lazy object behave when a name is missing. */
export type LazyKind =
  /** A namespace such as `var`, `local` or a resource type: a missing name is undeclared. */
  | { readonly namespace: string }
  /** A resource instance: attributes it does not set are computed by the provider. */
  | 'computed';

const namespaces = new WeakMap<ValueObject, string>();
const computed = new WeakSet<ValueObject>();

/** The kind of declaration a namespace object holds (`input variable`, `local value`…). */
export const namespaceOf = (value: ValueObject): string | undefined => namespaces.get(value);

/** Whether attributes missing from this object are unknown rather than absent. */
export const hasComputedAttributes = (value: ValueObject): boolean => computed.has(value);

/**
 * An object whose members are evaluated on first access, once. `address(key)`
 * names a member in errors: a failure inside it becomes a {@link ConfigurationError}
 * at that address, and a member that needs itself is a cycle.
 */
export function lazyObject(
  members: Readonly<Record<string, () => Value>>,
  kind: LazyKind,
  address: (key: string) => string,
): ValueObject {
  const object: Record<string, Value> = {};
  for (const [key, compute] of Object.entries(members)) {
    let state: 'new' | 'busy' | 'done' = 'new';
    let result: Value = null;
    Object.defineProperty(object, key, {
      enumerable: true,
      get() {
        if (state === 'done') return result;
        if (state === 'busy')
          throw new ConfigurationError(`Cycle: ${address(key)} refers to itself`);
        state = 'busy';
        try {
          result = compute();
        } catch (error) {
          state = 'new';
          if (error instanceof EvaluationError)
            throw new ConfigurationError(`${address(key)}: ${error.message}`);
          throw error;
        }
        state = 'done';
        return result;
      },
    });
  }
  Object.freeze(object);
  if (kind === 'computed') computed.add(object);
  else namespaces.set(object, kind.namespace);
  return object;
}
