import { toExpr, type Expr } from '@atlas/hcl';

/** A value a user may set: the plain TypeScript value, or any HCL expression (`var.cpu_limit`). */
export type Arg<T> = T | Expr;

// Symbol.for so two copies of this package (source and dist) still recognise each other's blocks.
export const DYNAMIC: unique symbol = Symbol.for('@atlas/providers.dynamic');

/** The references a `dynamic` block's content may use: `<iterator>.key` and `<iterator>.value`. */
export interface DynamicIterator {
  readonly key: Expr;
  readonly value: Expr;
}

/**
 * A `dynamic "<block>" { for_each = … content { … } }`. Its fields sit behind a
 * symbol so they never overlap a block's own argument names, which keeps
 * excess-property checks exact for `BlockList` elements.
 */
export interface DynamicBlock<A> {
  readonly [DYNAMIC]: {
    readonly forEach: Expr;
    readonly content: (iterator: DynamicIterator) => A;
    /** Defaults to the block type, as in OpenTofu. */
    readonly iterator?: string;
  };
}

/** A `list`/`set` nested block property: literal blocks and dynamic blocks, in order. */
export type BlockList<A> = readonly (A | DynamicBlock<A>)[];

/**
 * Which properties of an args object are nested blocks rather than attributes,
 * recursively. The generated files hold one tree per resource and data source type.
 */
export interface BlockTree {
  readonly [block: string]: BlockTree;
}

/**
 * A dynamic block, for use as an element of a nested-block list:
 * `device: [dynamic(ref('var.disks'), (disk) => ({ name: disk.key, … }))]`.
 *
 * `A` (the block's arguments) is inferred from where the call stands; `R` is
 * what `content` returns, kept exact so that an unknown argument is an error
 * just as in a literal block. Outside such a place, name the block:
 * `dynamic<IncusProfileDeviceArgs>(…)`.
 */
export function dynamic<A, const R extends A = A>(
  forEach: Arg<readonly unknown[] | Readonly<Record<string, unknown>>>,
  content: (iterator: DynamicIterator) => R & { readonly [K in Exclude<keyof R, keyof A>]: never },
  opts: { readonly iterator?: string } = {},
): DynamicBlock<A> {
  return {
    [DYNAMIC]: {
      forEach: toExpr(forEach),
      content,
      ...(opts.iterator === undefined ? {} : { iterator: opts.iterator }),
    },
  };
}

export function isDynamicBlock(value: unknown): value is DynamicBlock<unknown> {
  return typeof value === 'object' && value !== null && DYNAMIC in value;
}
