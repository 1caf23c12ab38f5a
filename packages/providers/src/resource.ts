import {
  attr as attribute,
  blank,
  block,
  call,
  get,
  isExpr,
  object,
  ref,
  str,
  toExpr,
  tuple,
  type Block,
  type BodyItem,
  type Expr,
} from '@atlas/hcl';
import { DYNAMIC, isDynamicBlock, type Arg, type BlockTree, type DynamicBlock } from './args.js';
import {
  dataSourceBlocks,
  resourceBlocks,
  type DataSourceType,
  type DataSourceTypes,
  type ResourceType,
  type ResourceTypes,
} from './registry.js';

/** Which instance of a `count`/`for_each` resource: an index, a key, an expression, or `'*'` for all (a splat). */
export type InstanceKey = number | string | Expr;

/** Anything `depends_on` can name: a resource, a data source, or a raw reference such as `module.x`. */
export type Dependency = { readonly ref: Expr } | Expr;

/** Meta-arguments shared by resources and data sources. */
export interface DataSourceMeta {
  readonly count?: Arg<number>;
  /** A map, or a set of strings: a plain array is wrapped in `toset(…)`, as OpenTofu rejects lists here. */
  readonly for_each?: Arg<readonly string[] | Readonly<Record<string, unknown>>>;
  /** A provider configuration: `'incus.remote'` or an expression. */
  readonly provider?: string | Expr;
  readonly depends_on?: readonly Dependency[];
}

export interface ResourceMeta<Args> extends DataSourceMeta {
  readonly lifecycle?: Lifecycle<Args>;
}

/** OpenTofu requires literal values here, so no expressions except in `ignore_changes`. */
export interface Lifecycle<Args> {
  readonly create_before_destroy?: boolean;
  readonly prevent_destroy?: boolean;
  /** Argument names, or traversals such as `config["user.user-data"]`; `'all'` ignores every change. */
  readonly ignore_changes?: readonly ((keyof Args & string) | Expr)[] | 'all';
}

/** A resource or data source block together with typed references to it. */
abstract class Addressable<Attrs> {
  /** `incus_instance.web`, `data.incus_profile.default` */
  readonly address: string;
  readonly block: Block;
  readonly #repeated: boolean;

  protected constructor(address: string, block: Block, meta: DataSourceMeta) {
    this.address = address;
    this.block = block;
    this.#repeated = meta.count !== undefined || meta.for_each !== undefined;
  }

  /** The whole object, e.g. for `depends_on` or passing it to a module. */
  get ref(): Expr {
    return ref(this.address);
  }

  /**
   * `incus_instance.web.ipv4_address`. A `count`/`for_each` resource needs an
   * instance key: `attr('name', 0)` is `…data[0].name`, `attr('name', '*')` is `…data[*].name`.
   */
  attr(name: keyof Attrs & string, key?: InstanceKey): Expr {
    if (this.#repeated && key === undefined)
      throw new TypeError(`${this.address} uses count or for_each: say which instance of it`);
    if (!this.#repeated && key !== undefined)
      throw new TypeError(`${this.address} has a single instance: it takes no instance key`);
    if (key === undefined) return get(this.ref, name);
    return get(this.ref, typeof key === 'string' && key !== '*' ? str(key) : key, name);
  }
}

export class Resource<T extends ResourceType = ResourceType> extends Addressable<
  ResourceTypes[T]['attrs']
> {
  constructor(
    readonly type: T,
    readonly name: string,
    block: Block,
    meta: DataSourceMeta,
  ) {
    super(`${type}.${name}`, block, meta);
  }
}

export class DataSource<T extends DataSourceType = DataSourceType> extends Addressable<
  DataSourceTypes[T]['attrs']
> {
  constructor(
    readonly type: T,
    readonly name: string,
    block: Block,
    meta: DataSourceMeta,
  ) {
    super(`data.${type}.${name}`, block, meta);
  }
}

/**
 * `resource "<type>" "<name>" { … }`. Arguments print in the order written
 * (`undefined` ones are left out), nested blocks after them; `count`/`for_each`
 * and `provider` come first, `depends_on` and `lifecycle` last.
 */
export function resource<T extends ResourceType>(
  type: T,
  name: string,
  args: ResourceTypes[T]['args'],
  meta: ResourceMeta<ResourceTypes[T]['args']> = {},
): Resource<T> {
  const { attributes, blocks } = renderArgs(args, resourceBlocks[type] ?? {});
  const body = separate([
    metaHead(meta),
    attributes,
    ...blocks.map((b) => [b]),
    dependsOn(meta),
    meta.lifecycle ? [lifecycle(meta.lifecycle)] : [],
  ]);
  return new Resource(type, name, block('resource', [type, name], body), meta);
}

/** `data "<type>" "<name>" { … }`, laid out like {@link resource}. */
export function dataSource<T extends DataSourceType>(
  type: T,
  name: string,
  args: DataSourceTypes[T]['args'],
  meta: DataSourceMeta = {},
): DataSource<T> {
  const { attributes, blocks } = renderArgs(args, dataSourceBlocks[type] ?? {});
  const body = separate([metaHead(meta), attributes, ...blocks.map((b) => [b]), dependsOn(meta)]);
  return new DataSource(type, name, block('data', [type, name], body), meta);
}

function metaHead(meta: DataSourceMeta): BodyItem[] {
  if (meta.count !== undefined && meta.for_each !== undefined)
    throw new TypeError('count and for_each cannot both be set');
  const items: BodyItem[] = [];
  if (meta.count !== undefined) items.push(attribute('count', meta.count));
  if (Array.isArray(meta.for_each))
    items.push(attribute('for_each', call('toset', [valueExpr(meta.for_each)])));
  else if (meta.for_each !== undefined) items.push(attribute('for_each', valueExpr(meta.for_each)));
  if (meta.provider !== undefined)
    items.push(
      attribute('provider', typeof meta.provider === 'string' ? ref(meta.provider) : meta.provider),
    );
  return items;
}

function dependsOn(meta: DataSourceMeta): BodyItem[] {
  if (!meta.depends_on?.length) return [];
  const refs = meta.depends_on.map((dep) => (isExpr(dep) ? dep : dep.ref));
  return [attribute('depends_on', tuple(refs))];
}

function lifecycle(options: Lifecycle<Record<string, unknown>>): Block {
  const items: BodyItem[] = [];
  if (options.create_before_destroy !== undefined)
    items.push(attribute('create_before_destroy', options.create_before_destroy));
  if (options.prevent_destroy !== undefined)
    items.push(attribute('prevent_destroy', options.prevent_destroy));
  const ignored = options.ignore_changes;
  if (ignored !== undefined)
    items.push(
      attribute(
        'ignore_changes',
        ignored === 'all'
          ? ref('all')
          : tuple(ignored.map((name) => (typeof name === 'string' ? ref(name) : name))),
      ),
    );
  return block('lifecycle', [], items);
}

/** Splits an args object into attributes and nested blocks, each in the caller's order. */
function renderArgs(args: object, tree: BlockTree): { attributes: BodyItem[]; blocks: Block[] } {
  const attributes: BodyItem[] = [];
  const blocks: Block[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const nestedTree = Object.hasOwn(tree, key) ? tree[key] : undefined;
    if (!nestedTree) {
      attributes.push(attribute(key, valueExpr(value)));
      continue;
    }
    for (const element of Array.isArray(value) ? value : [value])
      blocks.push(
        isDynamicBlock(element)
          ? dynamicBlock(key, element, nestedTree)
          : block(key, [], blockBody(element as object, nestedTree)),
      );
  }
  return { attributes, blocks };
}

function blockBody(args: object, tree: BlockTree): BodyItem[] {
  const { attributes, blocks } = renderArgs(args, tree);
  return separate([attributes, ...blocks.map((b) => [b])]);
}

function dynamicBlock(type: string, dynamic: DynamicBlock<unknown>, tree: BlockTree): Block {
  const { forEach, content, iterator } = dynamic[DYNAMIC];
  const name = iterator ?? type;
  const args = content({ key: ref(`${name}.key`), value: ref(`${name}.value`) }) as object;
  const head = [attribute('for_each', forEach)];
  if (iterator !== undefined) head.push(attribute('iterator', ref(iterator)));
  return block('dynamic', [type], separate([head, [block('content', [], blockBody(args, tree))]]));
}

/** Plain data to an expression, leaving out `undefined` object properties. Layout is the printer's call. */
function valueExpr(value: unknown): Expr {
  if (isExpr(value)) return value;
  if (Array.isArray(value)) return tuple(value.map(valueExpr));
  if (isPlainObject(value))
    return object(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => ({ key, value: valueExpr(item) })),
    );
  return toExpr(value);
}

const isPlainObject = (value: unknown): value is object =>
  typeof value === 'object' &&
  value !== null &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** Joins groups of body items with a blank line between non-empty groups. */
function separate(groups: readonly (readonly BodyItem[])[]): BodyItem[] {
  return groups
    .filter((group) => group.length > 0)
    .flatMap((group, i) => (i === 0 ? group : [blank, ...group]));
}
