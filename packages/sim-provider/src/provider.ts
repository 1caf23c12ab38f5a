import type { CtyType, SchemaAttribute, SchemaBlock } from '@atlas/providers';
import type { SimulatedProvider } from './schema.js';
import { completeTls } from './tls.js';
import {
  attributeType,
  blockType,
  conform,
  containsUnknown,
  emptyOf,
  isObject,
  nestedObjects,
  UNKNOWN,
  type ObjectValue,
  type Value,
} from './values.js';
import { addressInNetwork, fingerprint } from './incus.js';
import { objectKey, SimulatedDaemon } from './daemon.js';

export interface Diagnostic {
  readonly severity: 'ERROR' | 'WARNING';
  readonly summary: string;
  readonly detail?: string;
  readonly attribute?: { steps: { attribute_name?: string; element_key_int?: number }[] };
}

/** Incus refusing a request, reported to the engine as the provider's error. */
export class IncusRefusal extends Error {}

/** The object name in an Incus import ID, `[<remote>:][<project>/]<name>`. */
const importedName = (id: string): string =>
  id
    .slice(id.indexOf(':') + 1)
    .split('/')
    .pop()!;

// Attributes whose change means a new object, as in the real providers (tls: every argument).
const REPLACE_ON_CHANGE: Record<string, readonly string[] | '*'> = {
  incus_instance: ['name', 'image', 'type', 'project', 'remote'],
  incus_storage_volume: ['name', 'pool', 'type', 'content_type', 'project', 'target'],
  incus_storage_pool: ['name', 'driver', 'project', 'target'],
  incus_storage_bucket: ['name', 'pool', 'project', 'target'],
  incus_storage_bucket_key: ['name', 'pool', 'storage_bucket', 'project'],
  incus_network: ['name', 'type', 'project', 'target'],
  incus_network_lb: ['network', 'listen_address', 'project'],
  incus_certificate: ['certificate', 'type'],
  tls_private_key: '*',
  tls_self_signed_cert: '*',
  tls_cert_request: '*',
  tls_locally_signed_cert: '*',
};

/** Remotes an Incus client configuration has before anyone adds one (`incus remote list`). */
const DEFAULT_REMOTES = ['local', 'images'];

export class ProviderBehaviour {
  /** Remote names the provider block declares; with the defaults, what `<remote>:<image>` may name. */
  private remotes = new Set(DEFAULT_REMOTES);

  constructor(
    readonly provider: SimulatedProvider,
    readonly daemon = new SimulatedDaemon(),
  ) {}

  /** Takes the provider block: the Incus provider's `remote` blocks add image servers. */
  configure(config: Value): void {
    const declared = isObject(config) && Array.isArray(config.remote) ? config.remote : [];
    this.remotes = new Set([
      ...DEFAULT_REMOTES,
      ...declared.flatMap((r) => (isObject(r) && typeof r.name === 'string' ? [r.name] : [])),
    ]);
  }

  /**
   * What the real provider says when an instance's image names a remote it does not know: the
   * client configuration a fresh machine (or Atlantis) has holds only the default remotes.
   */
  planDiagnostics(type: string, proposed: Value): Diagnostic[] {
    if (type !== 'incus_instance' || !isObject(proposed) || typeof proposed.image !== 'string')
      return [];
    const remote = /^([^:/]+):/.exec(proposed.image)?.[1];
    if (remote === undefined || this.remotes.has(remote)) return [];
    return [
      {
        severity: 'ERROR',
        summary: `The remote "${remote}" doesn't exist`,
        detail: `Image "${proposed.image}" names the remote "${remote}", which neither the Incus client configuration's defaults (${DEFAULT_REMOTES.join(', ')}) nor a remote block of the provider declares.`,
        attribute: { steps: [{ attribute_name: 'image' }] },
      },
    ];
  }

  block(type: string, kind: 'resource' | 'data'): SchemaBlock {
    const schema = (kind === 'resource' ? this.provider.resources : this.provider.dataSources)[
      type
    ];
    if (!schema) throw new Error(`${this.provider.name} has no ${kind} type ${type}`);
    return schema.block;
  }

  /** What the real provider's validators would say: literal choices (`_one_of`). */
  validate(type: string, kind: 'resource' | 'data', config: Value): Diagnostic[] {
    const diagnostics: Diagnostic[] = [];
    const visit = (block: SchemaBlock, value: Value, path: string[]) => {
      if (!isObject(value)) return;
      for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
        const v = value[name] ?? null;
        if (attribute._one_of && typeof v === 'string' && !attribute._one_of.includes(v)) {
          diagnostics.push({
            severity: 'ERROR',
            summary: 'Invalid Attribute Value Match',
            detail: `Attribute ${[...path, name].join('.')} value must be one of: ${attribute._one_of
              .map((choice) => `"${choice}"`)
              .join(', ')}, got: "${v}"`,
            attribute: { steps: [...path, name].map((step) => ({ attribute_name: step })) },
          });
        }
        if (attribute.nested_type) {
          for (const item of nestedObjects(v, attribute.nested_type.nesting_mode))
            visit({ attributes: attribute.nested_type.attributes }, item, [...path, name]);
        }
      }
      for (const [name, nested] of Object.entries(block.block_types ?? {})) {
        for (const item of nestedObjects(value[name] ?? null, nested.nesting_mode))
          visit(nested.block, item, [...path, name]);
      }
    };
    visit(this.block(type, kind), config, []);
    return diagnostics;
  }

  /** Proposed state, with every computed attribute the configuration leaves null unknown. */
  plan(type: string, prior: Value, proposed: Value): { planned: Value; requiresReplace: string[] } {
    if (!isObject(proposed)) return { planned: proposed, requiresReplace: [] };
    const planned = mapAttributes(this.block(type, 'resource'), proposed, (attribute, value) =>
      attribute.computed && value === null ? UNKNOWN : value,
    );
    const requiresReplace: string[] = [];
    if (isObject(prior)) {
      const rule = REPLACE_ON_CHANGE[type] ?? [];
      const block = this.block(type, 'resource');
      const names =
        rule === '*'
          ? Object.keys(block.attributes ?? {}).filter((n) => isConfigurable(block.attributes![n]!))
          : rule;
      for (const name of names) {
        if (name in planned && !sameValue(prior[name] ?? null, planned[name] ?? null))
          requiresReplace.push(name);
      }
      if (rule === '*')
        for (const name of Object.keys(block.block_types ?? {}))
          if (!sameValue(prior[name] ?? null, planned[name] ?? null)) requiresReplace.push(name);
    }
    return { planned, requiresReplace };
  }

  /** The planned state with every unknown filled in the way the real service would. */
  apply(type: string, planned: Value, prior: Value = null): Value {
    if (!isObject(planned)) {
      if (isObject(prior)) this.daemon.forget(type, prior);
      return null;
    }
    // As Incus: creating what is already there fails; such an object has to be imported.
    if (!isObject(prior) && this.daemon.preexisting.has(objectKey(type, planned)))
      throw new IncusRefusal(`${type} "${String(planned.name)}" already exists`);
    // What Incus refuses is refused when the object is created, as the real daemon does.
    const refused = isObject(prior) ? undefined : this.daemon.refusal(type, planned);
    if (refused) throw new IncusRefusal(refused);
    const block = this.block(type, 'resource');
    const state = this.complete(type, block, planned);
    this.daemon.remember(type, state);
    return state;
  }

  read(type: string, state: Value): Value {
    if (isObject(state)) this.daemon.remember(type, state);
    return state;
  }

  readData(type: string, config: Value): Value {
    if (!isObject(config)) return config;
    const block = this.block(type, 'data');
    const withUnknowns = mapAttributes(block, config, (attribute, value) =>
      attribute.computed && value === null ? UNKNOWN : value,
    );
    return this.complete(type, block, withUnknowns);
  }

  /**
   * An object Terraform is told to adopt: what this server has under that name, read back
   * with every attribute of the schema; like Incus, an ID that names nothing is an error.
   */
  import(type: string, id: string): ObjectValue {
    const known = this.daemon.objects.get(objectKey(type, { name: importedName(id) }));
    if (!known) throw new Error(`cannot import ${type} "${id}": no such object on the server`);
    const block = this.block(type, 'resource');
    return fillUnknowns(block, conform(known, blockType(block)) as ObjectValue);
  }

  upgrade(type: string, json: string): Value {
    return conform(JSON.parse(json), blockType(this.block(type, 'resource')));
  }

  private complete(type: string, block: SchemaBlock, value: ObjectValue): ObjectValue {
    const filled: ObjectValue = { ...value };
    const specific =
      type === 'incus_instance'
        ? this.instanceValues(filled)
        : type.startsWith('tls_')
          ? completeTls(type, filled)
          : {};
    for (const [name, v] of Object.entries(specific))
      if (filled[name] === UNKNOWN) filled[name] = v;
    if (filled.id === UNKNOWN) filled.id = stableId(type, filled);
    if (type === 'incus_storage_bucket_key') {
      for (const key of ['access_key', 'secret_key'])
        if (filled[key] === UNKNOWN) filled[key] = fingerprint(`${key}:${String(filled.name)}`, 20);
    }
    return fillUnknowns(block, filled) as ObjectValue;
  }

  private instanceValues(instance: ObjectValue): ObjectValue {
    const name = String(instance.name);
    return {
      ipv4_address: addressInNetwork(this.daemon, instance),
      ipv6_address: '',
      mac_address: `00:16:3e:${fingerprint(`mac:${name}`, 6).match(/../g)!.join(':')}`,
      status: 'Running',
      running: true,
      type: 'container',
      architecture: 'x86_64',
      ephemeral: false,
      profiles: ['default'],
      target: '',
    };
  }
}

const isConfigurable = (attribute: SchemaAttribute) =>
  attribute.required === true || attribute.optional === true;

const stableId = (type: string, value: ObjectValue): string =>
  typeof value.name === 'string' ? value.name : fingerprint(`${type}:${JSON.stringify(value)}`, 16);

/** Rewrites every attribute of a block value (nested attributes and blocks too). */
function mapAttributes(
  block: SchemaBlock,
  value: ObjectValue,
  change: (attribute: SchemaAttribute, value: Value) => Value,
): ObjectValue {
  const out: ObjectValue = { ...value };
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    let v = out[name] ?? null;
    const nested = attribute.nested_type;
    if (nested) v = mapNested(v, nested.nesting_mode, { attributes: nested.attributes }, change);
    out[name] = change(attribute, v);
  }
  for (const [name, nested] of Object.entries(block.block_types ?? {}))
    out[name] = mapNested(out[name] ?? null, nested.nesting_mode, nested.block, change);
  return out;
}

function mapNested(
  value: Value,
  nesting: string,
  block: SchemaBlock,
  change: (attribute: SchemaAttribute, value: Value) => Value,
): Value {
  if (Array.isArray(value))
    return value.map((item) => (isObject(item) ? mapAttributes(block, item, change) : item));
  if (!isObject(value)) return value;
  if (nesting === 'map') {
    return Object.fromEntries(
      Object.entries(value).map(([k, item]) => [
        k,
        isObject(item) ? mapAttributes(block, item, change) : item,
      ]),
    );
  }
  return mapAttributes(block, value, change);
}

/** Replaces what is still unknown with an empty value of its type. */
function fillUnknowns(block: SchemaBlock, value: ObjectValue): ObjectValue {
  return mapAttributes(block, value, (attribute, v) =>
    v === UNKNOWN ? emptyOf(attributeType(attribute)) : deepFill(v, attributeType(attribute)),
  );
}

function deepFill(value: Value, type: CtyType): Value {
  if (value === UNKNOWN) return emptyOf(type);
  if (!containsUnknown(value) || typeof type === 'string') return value;
  const [kind, element] = type;
  if (Array.isArray(value)) {
    return value.map((item, i) =>
      deepFill(item, kind === 'tuple' ? (element as CtyType[])[i]! : (element as CtyType)),
    );
  }
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      deepFill(
        v,
        kind === 'object' ? (element as Record<string, CtyType>)[k]! : (element as CtyType),
      ),
    ]),
  );
}

function sameValue(a: Value, b: Value): boolean {
  if (a === UNKNOWN || b === UNKNOWN) return false;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

const canonical = (value: Value): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : isObject(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, canonical(value[k]!)]),
        )
      : value;
