import { t, type OptionalAttr, type TypeExpr } from '@atlas/hcl';

/**
 * An OpenTofu type constraint that also carries the TypeScript type of its
 * values, so module inputs and outputs are typed on both sides.
 */
export interface HclType<T> {
  readonly expr: TypeExpr;
  /** Phantom: never set at runtime. */
  readonly __value?: T;
}

export interface OptionalHclType<T> {
  readonly expr: OptionalAttr;
  readonly __value?: T;
  readonly optional: true;
}

type AttrSpec = HclType<unknown> | OptionalHclType<unknown>;
type ValueOf<S> = S extends { readonly __value?: infer V } ? V : never;

export type ObjectValue<S extends Record<string, AttrSpec>> = {
  [K in keyof S as S[K] extends OptionalHclType<unknown> ? never : K]: ValueOf<S[K]>;
} & {
  [K in keyof S as S[K] extends OptionalHclType<unknown> ? K : never]?: ValueOf<S[K]>;
};

const of = <T>(expr: TypeExpr): HclType<T> => ({ expr });

export const T = {
  string: of<string>(t.string),
  number: of<number>(t.number),
  bool: of<boolean>(t.bool),
  any: of<unknown>(t.any),
  list: <E>(item: HclType<E>) => of<E[]>(t.list(item.expr)),
  set: <E>(item: HclType<E>) => of<E[]>(t.set(item.expr)),
  map: <E>(item: HclType<E>) => of<Record<string, E>>(t.map(item.expr)),
  object: <S extends Record<string, AttrSpec>>(attrs: S) =>
    of<ObjectValue<S>>(
      t.object(Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v.expr]))),
    ),
  optional: <E>(item: HclType<E>, ...dflt: [] | [E]): OptionalHclType<E> => ({
    expr: t.optional(item.expr, ...dflt),
    optional: true,
  }),
};
