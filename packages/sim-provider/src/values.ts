import { decode, encode, ExtensionCodec } from '@msgpack/msgpack';
import type { CtyType, SchemaAttribute, SchemaBlock, SchemaBlockType } from '@atlas/providers';

/** A value Terraform does not know yet (msgpack extension 0; 12 adds refinements we ignore). */
export const UNKNOWN: unique symbol = Symbol('unknown');

export type Value =
  null | typeof UNKNOWN | string | number | boolean | Value[] | { [key: string]: Value };
export type ObjectValue = { [key: string]: Value };

// The wire wraps UNKNOWN in this class because the encoder dispatches on objects only.
class UnknownMarker {}
const MARKER = new UnknownMarker();

const codec = new ExtensionCodec();
for (const type of [0, 12]) {
  codec.register({
    type,
    encode: (input) => (type === 0 && input instanceof UnknownMarker ? new Uint8Array([0]) : null),
    decode: () => MARKER,
  });
}

const fromWire = (value: unknown): Value => {
  if (value instanceof UnknownMarker) return UNKNOWN;
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(fromWire);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  }
  return value as Value;
};

const toWire = (value: Value): unknown => {
  if (value === UNKNOWN) return MARKER;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
};

export const decodeValue = (bytes: Uint8Array | undefined | null): Value =>
  bytes && bytes.length > 0 ? fromWire(decode(bytes, { extensionCodec: codec })) : null;

export const encodeValue = (value: Value): Buffer =>
  Buffer.from(encode(toWire(value), { extensionCodec: codec }));

/** The type a block's value has on the wire: an object of its attributes and nested blocks. */
export function blockType(block: SchemaBlock): CtyType {
  const members: Record<string, CtyType> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {}))
    members[name] = attributeType(attribute);
  for (const [name, nested] of Object.entries(block.block_types ?? {}))
    members[name] = nestedBlockType(nested);
  return ['object', members];
}

export function attributeType(attribute: SchemaAttribute): CtyType {
  if (attribute.type) return attribute.type;
  const nested = attribute.nested_type!;
  const object = blockType({ attributes: nested.attributes });
  return nested.nesting_mode === 'single' ? object : [nested.nesting_mode, object];
}

function nestedBlockType(nested: SchemaBlockType): CtyType {
  const object = blockType(nested.block);
  return nested.nesting_mode === 'single' || nested.nesting_mode === 'group'
    ? object
    : [nested.nesting_mode, object];
}

/** Shapes JSON (from state files) to `type`: every object attribute present, nothing extra. */
export function conform(value: unknown, type: CtyType): Value {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') return value as Value;
  const [kind, element] = type;
  if (kind === 'list' || kind === 'set')
    return (value as unknown[]).map((item) => conform(item, element as CtyType));
  if (kind === 'map') {
    return Object.fromEntries(
      Object.entries(value as object).map(([k, v]) => [k, conform(v, element as CtyType)]),
    );
  }
  if (kind === 'tuple')
    return (value as unknown[]).map((item, i) => conform(item, (element as CtyType[])[i]!));
  const members = element as Record<string, CtyType>;
  const source = value as Record<string, unknown>;
  return Object.fromEntries(Object.entries(members).map(([k, t]) => [k, conform(source[k], t)]));
}

/** A value of `type` with nothing in it: the empty string, zero, false, empty collections. */
export function emptyOf(type: CtyType): Value {
  if (type === 'string') return '';
  if (type === 'number') return 0;
  if (type === 'bool') return false;
  if (type === 'dynamic') return null;
  const [kind, element] = type;
  if (kind === 'map') return {};
  if (kind === 'object') {
    return Object.fromEntries(
      Object.entries(element as Record<string, CtyType>).map(([k, t]) => [k, emptyOf(t)]),
    );
  }
  return [];
}

export const isObject = (value: Value): value is ObjectValue =>
  value !== null && value !== UNKNOWN && typeof value === 'object' && !Array.isArray(value);

/** The nested objects of a block-type or nested-attribute value, by its nesting mode. */
export function nestedObjects(value: Value, nesting: string): ObjectValue[] {
  if (value === null || value === UNKNOWN) return [];
  if (Array.isArray(value)) return value.filter(isObject);
  if (!isObject(value)) return [];
  return nesting === 'map' ? Object.values(value).filter(isObject) : [value];
}

export const containsUnknown = (value: Value): boolean =>
  value === UNKNOWN ||
  (Array.isArray(value) && value.some(containsUnknown)) ||
  (isObject(value) && Object.values(value).some(containsUnknown));
