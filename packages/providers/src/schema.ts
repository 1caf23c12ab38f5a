import { readdirSync, readFileSync } from 'node:fs';

/**
 * The JSON printed by `tofu providers schema -json`, plus the extensions our
 * copies in `schemas/` carry (`_one_of`, `_min_items`, `_max_items`).
 */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | readonly ['list' | 'set' | 'map', CtyType]
  // The optional third element lists the object's optional attributes.
  | readonly ['object', Readonly<Record<string, CtyType>>, (readonly string[])?]
  | readonly ['tuple', readonly CtyType[]];

export interface SchemaAttribute {
  readonly type?: CtyType;
  readonly nested_type?: NestedType;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
  /** The literal values the provider accepts. */
  readonly _one_of?: readonly string[];
}

export interface NestedType {
  readonly attributes: Readonly<Record<string, SchemaAttribute>>;
  readonly nesting_mode: 'single' | 'list' | 'set' | 'map';
}

export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, SchemaAttribute>>;
  readonly block_types?: Readonly<Record<string, SchemaBlockType>>;
}

export interface SchemaBlockType {
  readonly nesting_mode: 'single' | 'group' | 'list' | 'set' | 'map';
  readonly block: SchemaBlock;
  readonly _min_items?: number;
  readonly _max_items?: number;
}

interface SchemaFile {
  readonly provider_schemas: Readonly<
    Record<
      string,
      {
        readonly resource_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
        readonly data_source_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
      }
    >
  >;
}

/** One provider's schema, as read from `schemas/<name>.json`. */
export interface ProviderSchema {
  /** The provider's local name, e.g. `incus`; every type it defines starts with `incus_`. */
  readonly name: string;
  /** `registry.opentofu.org/lxc/incus` */
  readonly address: string;
  readonly resources: Readonly<Record<string, SchemaBlock>>;
  readonly dataSources: Readonly<Record<string, SchemaBlock>>;
}

/** Settable in configuration: required or optional (possibly also computed). */
export const isSettable = (attribute: SchemaAttribute): boolean =>
  attribute.required === true || attribute.optional === true;

// Relative to this file so it works from both `src/` and `dist/`.
export const SCHEMA_DIR = new URL('../schemas/', import.meta.url);

export function parseProviderSchema(json: string): ProviderSchema {
  const file = JSON.parse(json) as SchemaFile;
  const entries = Object.entries(file.provider_schemas);
  if (entries.length !== 1)
    throw new Error(`expected exactly one provider in a schema file, found ${entries.length}`);
  const [address, schema] = entries[0]!;
  const unwrap = (types: Readonly<Record<string, { block: SchemaBlock }>> = {}) =>
    Object.fromEntries(Object.entries(types).map(([type, { block }]) => [type, block]));
  return {
    name: address.slice(address.lastIndexOf('/') + 1),
    address,
    resources: unwrap(schema.resource_schemas),
    dataSources: unwrap(schema.data_source_schemas),
  };
}

/** Every provider schema in `schemas/`, in file-name order. */
export function readProviderSchemas(dir: URL = SCHEMA_DIR): ProviderSchema[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => parseProviderSchema(readFileSync(new URL(file, dir), 'utf8')));
}
