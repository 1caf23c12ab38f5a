import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { SchemaAttribute, SchemaBlock, SchemaBlockType } from '@atlas/providers';

/** A provider the simulator can stand in for, with the version it claims to be. */
export interface SimulatedProvider {
  /** `incus`, `tls`: the local name and the executable's suffix. */
  readonly name: string;
  /** Namespace and type, as in `source = "lxc/incus"`. */
  readonly source: string;
  readonly version: string;
  readonly provider: SchemaBlock;
  readonly resources: Readonly<
    Record<string, { readonly version: number; readonly block: SchemaBlock }>
  >;
  readonly dataSources: Readonly<
    Record<string, { readonly version: number; readonly block: SchemaBlock }>
  >;
}

interface SchemaFile {
  readonly provider_schemas: Record<
    string,
    {
      readonly provider: { readonly block: SchemaBlock };
      readonly resource_schemas?: Record<string, { version?: number; block: SchemaBlock }>;
      readonly data_source_schemas?: Record<string, { version?: number; block: SchemaBlock }>;
    }
  >;
}

// The committed schemas of @atlas/providers; the versions are the ones they were read from.
const schemaDir = join(
  dirname(createRequire(import.meta.url).resolve('@atlas/providers/package.json')),
  'schemas',
);
const VERSIONS: Record<string, string> = { incus: '1.1.1', tls: '4.2.1' };

function load(name: string): SimulatedProvider {
  const file = JSON.parse(readFileSync(join(schemaDir, `${name}.json`), 'utf8')) as SchemaFile;
  const [address, schema] = Object.entries(file.provider_schemas)[0]!;
  const versioned = (types: SchemaFile['provider_schemas'][string]['resource_schemas'] = {}) =>
    Object.fromEntries(
      Object.entries(types).map(([type, { version, block }]) => [
        type,
        { version: version ?? 0, block },
      ]),
    );
  return {
    name,
    source: address.split('/').slice(1).join('/'),
    version: VERSIONS[name]!,
    provider: schema.provider.block,
    resources: versioned(schema.resource_schemas),
    dataSources: versioned(schema.data_source_schemas),
  };
}

export const SIMULATED_PROVIDERS: readonly SimulatedProvider[] = Object.keys(VERSIONS).map(load);

export function simulatedProvider(name: string): SimulatedProvider {
  const provider = SIMULATED_PROVIDERS.find((candidate) => candidate.name === name);
  if (!provider)
    throw new Error(
      `no simulated provider "${name}"; known: ${SIMULATED_PROVIDERS.map((p) => p.name).join(', ')}`,
    );
  return provider;
}

// --- the schema as tfplugin6 messages ---

const NESTING = { single: 'SINGLE', group: 'GROUP', list: 'LIST', set: 'SET', map: 'MAP' };

function attributeMessage(name: string, attribute: SchemaAttribute): object {
  return {
    name,
    ...(attribute.nested_type
      ? {
          nested_type: {
            attributes: sortedEntries(attribute.nested_type.attributes).map(([n, a]) =>
              attributeMessage(n, a),
            ),
            nesting: NESTING[attribute.nested_type.nesting_mode],
          },
        }
      : { type: Buffer.from(JSON.stringify(attribute.type)) }),
    required: attribute.required === true,
    optional: attribute.optional === true,
    computed: attribute.computed === true,
    sensitive: attribute.sensitive === true,
  };
}

function blockMessage(block: SchemaBlock): object {
  return {
    attributes: sortedEntries(block.attributes ?? {}).map(([n, a]) => attributeMessage(n, a)),
    block_types: sortedEntries(block.block_types ?? {}).map(([n, nested]) =>
      nestedBlockMessage(n, nested),
    ),
  };
}

function nestedBlockMessage(name: string, nested: SchemaBlockType): object {
  return {
    type_name: name,
    block: blockMessage(nested.block),
    nesting: NESTING[nested.nesting_mode],
    min_items: nested._min_items ?? 0,
    max_items: nested._max_items ?? 0,
  };
}

const sortedEntries = <T>(record: Readonly<Record<string, T>>): [string, T][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function schemaMessage(provider: SimulatedProvider): object {
  const schemas = (types: SimulatedProvider['resources']) =>
    Object.fromEntries(
      Object.entries(types).map(([type, { version, block }]) => [
        type,
        { version, block: blockMessage(block) },
      ]),
    );
  return {
    provider: { version: 0, block: blockMessage(provider.provider) },
    resource_schemas: schemas(provider.resources),
    data_source_schemas: schemas(provider.dataSources),
    server_capabilities: { move_resource_state: true },
    diagnostics: [],
  };
}
