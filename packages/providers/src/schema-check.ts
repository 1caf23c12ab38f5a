import {
  isSettable,
  readProviderSchemas,
  type NestedType,
  type ProviderSchema,
  type SchemaAttribute,
  type SchemaBlock,
} from './schema.js';

/** Allowed in every resource and data source body, whatever the schema says. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider']);
const DYNAMIC_ARGUMENTS = new Set(['for_each', 'iterator', 'labels', 'content']);

interface KnownTypes {
  /** `incus_`, `tls_`: types with other prefixes belong to providers we have no schema for. */
  readonly prefixes: readonly string[];
  readonly resource: ReadonlyMap<string, SchemaBlock>;
  readonly data: ReadonlyMap<string, SchemaBlock>;
}

function knownTypes(schemas: readonly ProviderSchema[]): KnownTypes {
  return {
    prefixes: schemas.map((schema) => `${schema.name}_`),
    resource: new Map(schemas.flatMap((schema) => Object.entries(schema.resources))),
    data: new Map(schemas.flatMap((schema) => Object.entries(schema.dataSources))),
  };
}

let bundled: KnownTypes | undefined;

type Json = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asList = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : [value]);

/** hcl2json renders every non-literal as a `${…}` string; its value is unknown until apply. */
const isExpression = (value: unknown): boolean => typeof value === 'string' && /[$%]\{/.test(value);

/**
 * Checks the `resource` and `data` blocks of a parsed `.tf` file against the
 * provider schemas in `schemas/`, and lists what OpenTofu would reject:
 * unknown types (of the providers we have schemas for), unknown arguments and
 * blocks, missing required ones, computed-only attributes that are set, and
 * literal values outside an attribute's allowed values.
 *
 * `parsed` is what `parse(filename, hcl)` from `@cdktn/hcl2json` returns:
 * `{ resource: { <type>: { <name>: [body] } }, data: { … } }`, where a body
 * maps attributes to values and blocks to arrays of bodies, and
 * `dynamic: { <block>: [{ for_each, iterator?, content: [body] }] }`.
 * `schemas` defaults to the ones in this package's `schemas/`.
 */
export function checkAgainstSchema(parsed: Json, schemas?: readonly ProviderSchema[]): string[] {
  const types = schemas ? knownTypes(schemas) : (bundled ??= knownTypes(readProviderSchemas()));
  const problems: string[] = [];
  for (const section of ['resource', 'data'] as const) {
    const byType = parsed[section];
    if (!isRecord(byType)) continue;
    const addressPrefix = section === 'data' ? 'data.' : '';
    for (const [type, byName] of Object.entries(byType)) {
      const schema = types[section].get(type);
      if (!isRecord(byName)) continue;
      for (const [name, bodies] of Object.entries(byName)) {
        const address = `${addressPrefix}${type}.${name}`;
        if (schema)
          for (const body of asList(bodies)) checkBody(body, schema, address, problems, true);
        else if (types.prefixes.some((prefix) => type.startsWith(prefix)))
          problems.push(
            `${address}: unknown ${section === 'data' ? 'data source' : 'resource'} type "${type}"`,
          );
      }
    }
  }
  return problems;
}

function checkBody(
  body: unknown,
  schema: SchemaBlock,
  path: string,
  problems: string[],
  topLevel: boolean,
): void {
  if (!isRecord(body)) return;
  const attributes = schema.attributes ?? {};
  const blockTypes = schema.block_types ?? {};
  const blockCounts = new Map<string, number>();
  const dynamicBlocks = new Set<string>();

  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    const attribute = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    const blockType = Object.hasOwn(blockTypes, key) ? blockTypes[key] : undefined;
    if (attribute) checkAttribute(value, attribute, key, path, problems);
    else if (blockType) {
      const single = blockType.nesting_mode === 'single' || blockType.nesting_mode === 'group';
      const elements = asList(value);
      blockCounts.set(key, elements.length);
      elements.forEach((element, i) =>
        checkBody(
          element,
          blockType.block,
          single ? `${path}.${key}` : `${path}.${key}[${i}]`,
          problems,
          false,
        ),
      );
    } else if (key === 'dynamic' && isRecord(value)) {
      for (const [type, dynamics] of Object.entries(value)) {
        const dynamicType = Object.hasOwn(blockTypes, type) ? blockTypes[type] : undefined;
        if (!dynamicType) {
          problems.push(`${path}: unknown block "${type}" in a dynamic block`);
          continue;
        }
        dynamicBlocks.add(type);
        asList(dynamics).forEach((dynamic, i) =>
          checkDynamic(dynamic, dynamicType.block, `${path}.dynamic.${type}[${i}]`, problems),
        );
      }
    } else problems.push(`${path}: unknown argument or block "${key}"`);
  }

  for (const [key, attribute] of Object.entries(attributes))
    if (attribute.required && (body[key] === undefined || body[key] === null))
      problems.push(`${path}: missing required attribute "${key}"`);

  for (const [key, blockType] of Object.entries(blockTypes)) {
    // A dynamic block makes the count unknown until plan.
    if (dynamicBlocks.has(key)) continue;
    const count = blockCounts.get(key) ?? 0;
    if (count < (blockType._min_items ?? 0))
      problems.push(
        `${path}: missing required block "${key}" (at least ${blockType._min_items} needed)`,
      );
    if (blockType._max_items !== undefined && count > blockType._max_items)
      problems.push(
        `${path}: too many "${key}" blocks (${count}, at most ${blockType._max_items})`,
      );
  }
}

function checkDynamic(dynamic: unknown, schema: SchemaBlock, path: string, problems: string[]) {
  if (!isRecord(dynamic)) return;
  for (const key of Object.keys(dynamic))
    if (!DYNAMIC_ARGUMENTS.has(key)) problems.push(`${path}: unknown argument or block "${key}"`);
  if (dynamic.for_each === undefined)
    problems.push(`${path}: missing required attribute "for_each"`);
  if (dynamic.content === undefined) problems.push(`${path}: missing required block "content"`);
  else
    for (const content of asList(dynamic.content))
      checkBody(content, schema, `${path}.content`, problems, false);
}

function checkAttribute(
  value: unknown,
  attribute: SchemaAttribute,
  key: string,
  path: string,
  problems: string[],
): void {
  // null is how HCL spells "not set".
  if (value === null) return;
  if (!isSettable(attribute)) {
    problems.push(`${path}: "${key}" is computed by the provider and cannot be set`);
    return;
  }
  if (isExpression(value)) return;
  const oneOf = attribute._one_of;
  if (oneOf && typeof value === 'string' && !oneOf.includes(value))
    problems.push(
      `${path}.${key}: ${JSON.stringify(value)} is not one of ${oneOf.map((v) => JSON.stringify(v)).join(', ')}`,
    );
  if (attribute.nested_type) checkNested(value, attribute.nested_type, `${path}.${key}`, problems);
}

/** A `nested_type` attribute's value: an object, or a list, set or map of them. */
function checkNested(value: unknown, nested: NestedType, path: string, problems: string[]): void {
  const schema = { attributes: nested.attributes };
  switch (nested.nesting_mode) {
    case 'single':
      return checkBody(value, schema, path, problems, false);
    case 'list':
    case 'set':
      if (Array.isArray(value))
        value.forEach((item, i) => checkBody(item, schema, `${path}[${i}]`, problems, false));
      return;
    case 'map':
      if (isRecord(value))
        for (const [name, item] of Object.entries(value))
          checkBody(item, schema, `${path}[${JSON.stringify(name)}]`, problems, false);
  }
}
