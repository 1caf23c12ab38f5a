import { t, typeLabel, type OptionalAttr, type TypeExpr } from '@atlas/hcl';
import {
  EvaluationError,
  UNKNOWN,
  isList,
  isObject,
  isSet,
  numberText,
  setOf,
  type Value,
  type ValueObject,
} from './value.js';

/**
 * The type OpenTofu would give a value. Arrays are tuples and objects are
 * objects (plain data keeps no list or map types), sets are sets; null and
 * unknown values could be of any type.
 */
export function typeOf(value: Value): TypeExpr {
  if (value === null || value === UNKNOWN) return t.any;
  if (typeof value === 'string') return t.string;
  if (typeof value === 'number') return t.number;
  if (typeof value === 'boolean') return t.bool;
  if (isList(value))
    return isSet(value) ? t.set(unify(value.map(typeOf)) ?? t.any) : t.tuple(value.map(typeOf));
  return t.object(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeOf(v)])));
}

const same = (a: TypeExpr, b: TypeExpr): boolean => typeLabel(a) === typeLabel(b);
const elementTypes = (type: TypeExpr): TypeExpr[] =>
  type.t === 'tuple'
    ? [...type.items]
    : type.t === 'object'
      ? Object.values(type.attrs).map(required)
      : 'of' in type
        ? [type.of]
        : [];
const required = (attr: TypeExpr | OptionalAttr): TypeExpr =>
  attr.t === 'optional' ? attr.of : attr;

/**
 * The type all of `types` convert to, as cty's unsafe unification finds it
 * (conditional results, `coalesce`, `tolist`…); `undefined` when there is none.
 */
export function unify(types: readonly TypeExpr[]): TypeExpr | undefined {
  if (types.length === 0 || types.some((ty) => ty.t === 'any')) return t.any;
  const first = types[0]!;
  if (types.every((ty) => same(ty, first))) return first;
  const kinds = new Set(types.map((ty) => ty.t));
  const only = (...k: TypeExpr['t'][]) => [...kinds].every((kind) => k.includes(kind));
  const collection = (make: (of: TypeExpr) => TypeExpr) => {
    const of = unify(types.flatMap(elementTypes));
    return of && make(of);
  };
  if (only('map', 'object')) {
    const objects = types.filter((ty) => ty.t === 'object');
    if (!kinds.has('map') && objects.every((o) => sameNames(o, first))) {
      const attrs: Record<string, TypeExpr> = {};
      for (const name of Object.keys(attrsOf(first))) {
        const attr = unify(objects.map((o) => required(attrsOf(o)[name]!)));
        if (!attr) return undefined;
        attrs[name] = attr;
      }
      return t.object(attrs);
    }
    return collection(t.map);
  }
  if (only('tuple')) {
    if (types.every((ty) => elementTypes(ty).length === elementTypes(first).length)) {
      const items: TypeExpr[] = [];
      for (let i = 0; i < elementTypes(first).length; i++) {
        const item = unify(types.map((ty) => elementTypes(ty)[i]!));
        if (!item) return undefined;
        items.push(item);
      }
      return t.tuple(items);
    }
    return collection(t.list);
  }
  if (only('list', 'tuple')) return collection(t.list);
  if (only('set')) return collection(t.set);
  // Mixed primitives: the most general one everything converts to (string before number and bool).
  const candidates = [...types.filter((ty) => ty.t === 'string'), ...types];
  return candidates.find((candidate) => types.every((ty) => convertible(ty, candidate)));
}

const attrsOf = (type: TypeExpr) => (type.t === 'object' ? type.attrs : {});
const sameNames = (a: TypeExpr, b: TypeExpr) => {
  const x = Object.keys(attrsOf(a)).sort();
  const y = Object.keys(attrsOf(b)).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
};

function convertible(from: TypeExpr, to: TypeExpr): boolean {
  if (same(from, to) || to.t === 'any' || from.t === 'any') return true;
  if (to.t === 'string') return from.t === 'number' || from.t === 'bool';
  if (to.t === 'number' || to.t === 'bool') return from.t === 'string';
  return false;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Converts a value to a type constraint as OpenTofu does for variables and
 * `tolist`/`tomap`/`toset`: primitives convert between each other where
 * OpenTofu allows it, object attributes that `optional(type, default)` marks
 * get their default when absent or null, and attributes the type does not
 * declare are dropped. `at` names the value in errors.
 */
export function convert(value: Value, type: TypeExpr | OptionalAttr, at: string): Value {
  if (type.t === 'optional') return convert(value, type.of, at);
  if (value === UNKNOWN || type.t === 'any') return value;
  if (value === null) return null;
  const fail = (what: string): never => {
    throw new EvaluationError(`${at}: ${what} required, got ${describe(value)}`);
  };
  switch (type.t) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return numberText(value);
      if (typeof value === 'boolean') return String(value);
      return fail('string');
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
      return fail('number');
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return fail('bool');
    case 'list':
    case 'set': {
      if (!isList(value)) return fail(typeLabel(type));
      const items = value.map((item, i) => convert(item, type.of, `${at}[${i}]`));
      return type.t === 'set' ? setOf(items) : items;
    }
    case 'tuple':
      if (!isList(value) || value.length !== type.items.length) return fail(typeLabel(type));
      return value.map((item, i) => convert(item, type.items[i]!, `${at}[${i}]`));
    case 'map': {
      if (!isObject(value)) return fail(typeLabel(type));
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          convert(v, type.of, `${at}[${JSON.stringify(k)}]`),
        ]),
      );
    }
    case 'object':
      if (!isObject(value)) return fail('object');
      return convertObject(value, type.attrs, at);
  }
}

function convertObject(
  value: ValueObject,
  attrs: Readonly<Record<string, TypeExpr | OptionalAttr>>,
  at: string,
): ValueObject {
  const out: Record<string, Value> = {};
  for (const [name, attr] of Object.entries(attrs)) {
    const given = Object.hasOwn(value, name) ? value[name]! : undefined;
    if (given === undefined && attr.t !== 'optional')
      throw new EvaluationError(`${at}: attribute "${name}" is required`);
    if ((given === undefined || given === null) && attr.t === 'optional')
      out[name] =
        'default' in attr ? convert(fromData(attr.default), attr.of, `${at}.${name}`) : null;
    else out[name] = convert(given ?? null, attr, `${at}.${name}`);
  }
  return out;
}

/** Plain JSON-like data (e.g. a `default`) as a value. */
export function fromData(data: unknown): Value {
  if (data === undefined || data === null) return null;
  if (data === UNKNOWN) return UNKNOWN;
  if (typeof data === 'string' || typeof data === 'boolean') return data;
  if (typeof data === 'number' && Number.isFinite(data)) return data;
  if (Array.isArray(data)) return data.map(fromData);
  if (typeof data === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(data)))
    return Object.fromEntries(
      Object.entries(data)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, fromData(v)]),
    );
  throw new TypeError(`${String(data)} is not plain data`);
}

function describe(value: Value): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return isSet(value) ? 'a set' : isList(value) ? 'a tuple' : 'an object';
}
