import { localValue, type ModuleCall, type ModuleDefinition, type VariableSpec } from '@atlas/core';
import { isExpr, ref, type Attribute, type Block, type BodyItem } from '@atlas/hcl';
import { parseDocument } from 'yaml';
import { childScope, entries, evaluate, type Scope } from './evaluate.js';
import { convert, fromData } from './types.js';
import {
  ConfigurationError,
  EvaluationError,
  UNKNOWN,
  UNKNOWN_TEXT,
  isList,
  isObject,
  isSet,
  lazyObject,
  numberText,
  sortedKeys,
  typeName,
  type Value,
  type ValueObject,
} from './value.js';

/** A file cloud-init writes (`write_files`). */
export interface PreviewFile {
  readonly content: string;
  readonly permissions?: string;
}

/** What a module evaluates to for some inputs, as far as it is known before apply. */
export interface ModulePreview {
  /** `var`: inputs over defaults, converted to the declared types (optional attributes filled in). */
  readonly variables: Readonly<Record<string, Value>>;
  readonly locals: Readonly<Record<string, Value>>;
  /** Attributes set in configuration, by instance address (`incus_storage_volume.data[0]`); nested blocks are lists of objects. */
  readonly resources: Readonly<Record<string, Readonly<Record<string, Value>>>>;
  readonly outputs: Readonly<Record<string, Value>>;
  /**
   * `var.<name>: <message>` for every input OpenTofu would reject (type
   * conversion or a failed `validation` block). When there are any, nothing
   * else is evaluated, as OpenTofu stops there too.
   */
  readonly validationErrors: readonly string[];
  /** The `config` map of `incus_instance.this`, unknown values shown as {@link UNKNOWN_TEXT}. */
  readonly instanceConfig?: Readonly<Record<string, string>>;
  /** Its `cloud-init.user-data`. */
  readonly cloudInit?: string;
  /** The files the user-data's `write_files` writes, by path. */
  readonly files: ReadonlyMap<string, PreviewFile>;
}

/** `path.module` as templates and `templatefile()` see it. */
export const MODULE_PATH = '.';

/**
 * Evaluates a module the way `tofu plan` would for these inputs. Inputs are
 * plain data or HCL expressions (e.g. a module call's arguments); references
 * in them to anything outside the module (`module.x.endpoint`) are unknown.
 */
export function previewModule(
  def: ModuleDefinition,
  inputs: Readonly<Record<string, unknown>>,
): ModulePreview {
  for (const name of Object.keys(inputs))
    if (!Object.hasOwn(def.variables, name))
      throw new TypeError(`module "${def.name}" has no variable "${name}"`);

  const validationErrors: string[] = [];
  const variables: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(def.variables)) {
    try {
      variables[name] = variableValue(def.name, name, spec, inputs[name]);
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      validationErrors.push(error.message);
    }
  }
  const vars = constantNamespace(variables, 'input variable', 'var');
  const validationScope: Scope = { lookup: (root) => (root === 'var' ? vars : undefined) };
  for (const [name, spec] of Object.entries(def.variables))
    if (Object.hasOwn(variables, name) && !partlyUnknown(variables[name]!))
      validationErrors.push(...validate(name, spec, validationScope));
  if (validationErrors.length)
    return {
      variables,
      locals: {},
      resources: {},
      outputs: {},
      validationErrors,
      files: new Map(),
    };

  const module = new ModuleScope(def, vars);
  const locals = materialize(module.locals);
  const resources: Record<string, Record<string, Value>> = {};
  for (const declared of module.declarations)
    for (const [address, instance] of instancesOf(declared))
      resources[address] = materialize(instance);
  const outputs: Record<string, Value> = Object.fromEntries(
    Object.entries(def.body.outputs).map(([name, spec]): [string, Value] => [
      name,
      atAddress(`output.${name}`, () => evaluate(spec.value, module.scope)),
    ]),
  );
  const instanceConfig = configOf(resources['incus_instance.this']);
  // User-data whose shape depends on values known only at apply cannot be previewed.
  const userData = instanceConfig?.['cloud-init.user-data'];
  const cloudInit = userData === UNKNOWN_TEXT ? undefined : userData;
  return {
    variables,
    locals,
    resources,
    outputs,
    validationErrors,
    ...(instanceConfig ? { instanceConfig } : {}),
    ...(cloudInit === undefined ? {} : { cloudInit }),
    files: cloudInit === undefined ? new Map() : writtenFiles(cloudInit),
  };
}

/** {@link previewModule} with a module call's arguments, e.g. what `prometheus({…})` returns. */
export const previewModuleCall = (call: ModuleCall): ModulePreview =>
  previewModule(call.definition, Object.fromEntries(call.args));

// ---- variables ---------------------------------------------------------------

// Values from outside the module: any reference in an input (module.x, var.y) is unknown here.
const OUTSIDE: Scope = { lookup: () => UNKNOWN };

/**
 * Whether a value is (partly) known only after apply. Text built around an
 * outside value ("${module.base.gateway}:8443") shows the placeholder, but
 * OpenTofu would hold the whole text unknown and wait with its validations.
 */
function partlyUnknown(value: Value): boolean {
  if (value === UNKNOWN) return true;
  if (typeof value === 'string') return value.includes(UNKNOWN_TEXT);
  if (Array.isArray(value)) return value.some(partlyUnknown);
  if (isObject(value)) return Object.values(value).some(partlyUnknown);
  return false;
}

function inputValue(input: unknown): Value {
  if (isExpr(input)) return evaluate(input, OUTSIDE);
  if (Array.isArray(input)) return input.map(inputValue);
  if (
    typeof input === 'object' &&
    input !== null &&
    Object.getPrototypeOf(input) === Object.prototype
  )
    return Object.fromEntries(
      Object.entries(input)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, inputValue(v)]),
    );
  return fromData(input);
}

function variableValue(module: string, name: string, spec: VariableSpec, input: unknown): Value {
  const hasDefault = 'default' in spec;
  if (input === undefined && !hasDefault)
    throw new TypeError(`module "${module}" needs a value for "${name}"`);
  let value = input === undefined ? fromData(spec.default) : inputValue(input);
  if (value === null && spec.nullable === false) {
    if (!hasDefault || spec.default === null)
      throw new EvaluationError(`var.${name}: must not be null`);
    value = fromData(spec.default);
  }
  return convert(value, spec.type.expr, `var.${name}`);
}

/** Runs the variable's `validation` blocks as `variableBlock` renders them; returns the failures. */
function validate(name: string, spec: VariableSpec, scope: Scope): string[] {
  const self = ref(`var.${name}`);
  const validations = [
    ...(spec.rules ?? []).map((rule) => rule.validation(self)),
    ...(spec.validations?.(self) ?? []),
  ];
  const failures: string[] = [];
  for (const { condition, errorMessage } of validations) {
    let ok: Value;
    try {
      ok = evaluate(condition, scope);
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      failures.push(`var.${name}: the validation condition failed to evaluate: ${error.message}`);
      continue;
    }
    // OpenTofu checks an unknown condition at apply time.
    if (ok === UNKNOWN) continue;
    if (typeof ok !== 'boolean')
      failures.push(`var.${name}: the validation condition is ${typeName(ok)}, not bool`);
    else if (!ok) failures.push(`var.${name}: ${errorMessage}`);
  }
  return failures;
}

// ---- the module's names -------------------------------------------------------

interface Declaration {
  /** `incus_instance.this`, `data.incus_profile.base` */
  readonly address: string;
  readonly repeat?: 'count' | 'for_each';
  /** The resource's value: one instance, a list of them (`count`) or an object of them (`for_each`). */
  readonly value: () => Value;
}

/** `var`, `local`, `path` and every resource and data source of a module, evaluated lazily. */
class ModuleScope {
  readonly scope: Scope;
  readonly locals: ValueObject;
  readonly declarations: Declaration[] = [];

  constructor(def: ModuleDefinition, vars: ValueObject) {
    const roots: Record<string, Value> = {
      var: vars,
      path: constantNamespace(
        { module: MODULE_PATH, root: MODULE_PATH, cwd: MODULE_PATH },
        'path attribute',
        'path',
      ),
    };
    this.scope = {
      lookup: (name) => (Object.hasOwn(roots, name) ? roots[name] : undefined),
      ...(def.body.templates ? { templates: def.body.templates } : {}),
    };
    this.locals = lazyObject(
      Object.fromEntries(
        Object.entries(def.body.locals ?? {}).map(([name, local]) => [
          name,
          () => evaluate(localValue(local), this.scope),
        ]),
      ),
      { namespace: 'local value' },
      (name) => `local.${name}`,
    );
    roots.local = this.locals;

    // Resource types are root names; data sources sit one level down, under `data`.
    const byType = new Map<string, Record<string, () => Value>>();
    const namespaces = new Map<string, ValueObject>();
    for (const block of blocks(def.body.resources)) {
      if (block.type !== 'resource' && block.type !== 'data') continue;
      const [type, name] = block.labels as [string, string];
      const prefix = block.type === 'data' ? `data.${type}` : type;
      const address = `${prefix}.${name}`;
      const members = byType.get(prefix) ?? {};
      members[name] = () => this.#resourceValue(block, address);
      byType.set(prefix, members);
      const repeat = attributeOf(block, 'count')
        ? 'count'
        : attributeOf(block, 'for_each')
          ? 'for_each'
          : undefined;
      this.declarations.push({
        address,
        ...(repeat ? { repeat } : {}),
        value: () => namespaces.get(prefix)![name]!,
      });
    }
    const dataTypes: Record<string, () => Value> = {};
    for (const [prefix, members] of byType) {
      const namespace = lazyObject(members, { namespace: 'resource' }, (n) => `${prefix}.${n}`);
      namespaces.set(prefix, namespace);
      if (prefix.startsWith('data.')) dataTypes[prefix.slice('data.'.length)] = () => namespace;
      else roots[prefix] = namespace;
    }
    if (Object.keys(dataTypes).length)
      roots.data = lazyObject(dataTypes, { namespace: 'data source type' }, (t) => `data.${t}`);
  }

  /** One instance, or a list of them for `count`, or an object of them for `for_each`. */
  #resourceValue(block: Block, address: string): Value {
    const count = attributeOf(block, 'count');
    const forEach = attributeOf(block, 'for_each');
    if (count) {
      const n = evaluate(count.value, this.scope);
      if (n === UNKNOWN)
        throw new EvaluationError(
          'Invalid count argument: the count value depends on values known only after apply',
        );
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        throw new EvaluationError(
          `Invalid count argument: a whole number from 0 is required, got ${typeName(n)}`,
        );
      return Array.from({ length: n }, (_, index) =>
        instance(block, childScope(this.scope, { count: { index } }), `${address}[${index}]`),
      );
    }
    if (forEach) {
      const collection = evaluate(forEach.value, this.scope);
      if (collection === UNKNOWN)
        throw new EvaluationError(
          'Invalid for_each argument: the for_each value depends on values known only after apply',
        );
      const keyed = forEachEntries(collection);
      return Object.fromEntries(
        keyed.map(([key, value]) => [
          key,
          instance(
            block,
            childScope(this.scope, { each: { key, value } }),
            `${address}[${JSON.stringify(key)}]`,
          ),
        ]),
      );
    }
    return instance(block, this.scope, address);
  }
}

function forEachEntries(collection: Value): Array<[string, Value]> {
  if (isObject(collection)) return sortedKeys(collection).map((k) => [k, collection[k]!]);
  if (isList(collection) && isSet(collection)) {
    return collection.map((item) => {
      if (typeof item !== 'string')
        throw new EvaluationError(
          `Invalid for_each set argument: elements must be strings, got ${typeName(item)}`,
        );
      return [item, item];
    });
  }
  throw new EvaluationError(
    `Invalid for_each argument: for_each must be a map, or set of strings, and you have provided a value of type ${typeName(collection)}`,
  );
}

const META_ARGUMENTS = new Set(['count', 'for_each', 'provider', 'depends_on']);
const META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);

const blocks = (body: readonly BodyItem[]): Block[] =>
  body.filter((i): i is Block => i.kind === 'block');
const attributes = (body: readonly BodyItem[]): Attribute[] =>
  body.filter((i): i is Attribute => i.kind === 'attribute');
const attributeOf = (block: Block, name: string): Attribute | undefined =>
  attributes(block.body).find((a) => a.name === name);

/**
 * A resource instance: the attributes its configuration sets, evaluated when
 * used, with nested blocks as lists; every other attribute is computed by the
 * provider, so unknown.
 */
function instance(block: Block, scope: Scope, address: string): ValueObject {
  const members: Record<string, () => Value> = {};
  for (const attr of attributes(block.body))
    if (!META_ARGUMENTS.has(attr.name)) members[attr.name] = () => evaluate(attr.value, scope);
  for (const type of nestedBlockTypes(block.body))
    members[type] = () => nestedBlocks(block.body, type, scope);
  return lazyObject(members, 'computed', (name) => `${address}.${name}`);
}

function nestedBlockTypes(body: readonly BodyItem[]): Set<string> {
  const types = new Set<string>();
  for (const b of blocks(body)) {
    if (META_BLOCKS.has(b.type)) continue;
    types.add(b.type === 'dynamic' ? b.labels[0]! : b.type);
  }
  return types;
}

/** Every `type` block of a body, literal and `dynamic`, in order; unknown when a dynamic block's for_each is. */
function nestedBlocks(body: readonly BodyItem[], type: string, scope: Scope): Value {
  const out: Value[] = [];
  for (const b of blocks(body)) {
    if (b.type === type) out.push(blockValue(b.body, scope));
    if (b.type !== 'dynamic' || b.labels[0] !== type) continue;
    const forEach = attributeOf(b, 'for_each');
    const content = blocks(b.body).find((c) => c.type === 'content');
    if (!forEach || !content)
      throw new ConfigurationError(`dynamic "${type}" needs for_each and a content block`);
    const iterator = attributeOf(b, 'iterator');
    const name = iterator?.value.kind === 'traversal' ? iterator.value.root : type;
    const collection = evaluate(forEach.value, scope);
    if (collection === UNKNOWN) return UNKNOWN;
    for (const [key, value] of entries(collection, `the for_each of dynamic "${type}"`))
      out.push(blockValue(content.body, childScope(scope, { [name]: { key, value } })));
  }
  return out;
}

function blockValue(body: readonly BodyItem[], scope: Scope): ValueObject {
  const out: Record<string, Value> = {};
  for (const attr of attributes(body)) out[attr.name] = evaluate(attr.value, scope);
  for (const type of nestedBlockTypes(body)) out[type] = nestedBlocks(body, type, scope);
  return out;
}

// ---- results -----------------------------------------------------------------

/** Values that are the same for every use: `var` and `path`. */
function constantNamespace(
  values: Readonly<Record<string, Value>>,
  what: string,
  root: string,
): ValueObject {
  return lazyObject(
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, () => v])),
    { namespace: what },
    (name) => `${root}.${name}`,
  );
}

function atAddress(address: string, compute: () => Value): Value {
  try {
    return compute();
  } catch (error) {
    if (error instanceof EvaluationError)
      throw new ConfigurationError(`${address}: ${error.message}`);
    throw error;
  }
}

/** Every member of a lazy object, evaluated. */
const materialize = (object: ValueObject): Record<string, Value> =>
  Object.fromEntries(Object.keys(object).map((k) => [k, object[k]!]));

function instancesOf({ address, repeat, value }: Declaration): Array<[string, ValueObject]> {
  const instances = value();
  if (repeat === 'count')
    return (instances as readonly ValueObject[]).map((v, i) => [`${address}[${i}]`, v]);
  if (repeat === 'for_each')
    return Object.entries(instances as Readonly<Record<string, ValueObject>>).map(([k, v]) => [
      `${address}[${JSON.stringify(k)}]`,
      v,
    ]);
  return [[address, instances as ValueObject]];
}

/** The instance's `config` as strings, the way the provider receives a map(string). */
function configOf(
  attributes: Readonly<Record<string, Value>> | undefined,
): Record<string, string> | undefined {
  const config = attributes?.config;
  if (config === undefined || !isObject(config)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === null) continue;
    if (value === UNKNOWN) out[key] = UNKNOWN_TEXT;
    else if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number') out[key] = numberText(value);
    else if (typeof value === 'boolean') out[key] = String(value);
    else
      throw new ConfigurationError(
        `incus_instance.this.config["${key}"] is a ${typeName(value)}, not a string`,
      );
  }
  return out;
}

/** The files of a `#cloud-config` document's `write_files`. */
export function writtenFiles(userData: string): Map<string, PreviewFile> {
  if (!userData.startsWith('#cloud-config\n'))
    throw new Error('cloud-init user-data must start with a "#cloud-config" line');
  const doc = parseDocument(userData);
  const [problem] = doc.errors;
  if (problem) throw new Error(`cloud-init user-data is not valid YAML: ${problem.message}`);
  const config = doc.toJS() as { write_files?: unknown } | null;
  const files = new Map<string, PreviewFile>();
  const items = config?.write_files ?? [];
  if (!Array.isArray(items)) throw new Error('cloud-init write_files must be a list');
  for (const entry of items as Array<Record<string, unknown>>) {
    const { path, content = '', permissions, encoding } = entry;
    if (typeof path !== 'string' || typeof content !== 'string')
      throw new Error(
        `cloud-init write_files entry without a string path and content: ${JSON.stringify(entry)}`,
      );
    let text = content;
    if (encoding === 'b64' || encoding === 'base64')
      text = Buffer.from(content, 'base64').toString('utf8');
    else if (encoding !== undefined && encoding !== 'text/plain')
      throw new Error(`cloud-init write_files encoding ${String(encoding)} is not supported here`);
    files.set(path, { content: text, ...(typeof permissions === 'string' ? { permissions } : {}) });
  }
  return files;
}
