import type { Expr } from './ast.js';
import { call, object, ref, toExpr } from './build.js';

/**
 * OpenTofu type constraints, modelled so they always print in canonical form
 * (`list(string)`, never bare `list` or quoted `"string"`).
 */
export type TypeExpr =
  | { readonly t: 'string' | 'number' | 'bool' | 'any' }
  | { readonly t: 'list' | 'set' | 'map'; readonly of: TypeExpr }
  | { readonly t: 'tuple'; readonly items: readonly TypeExpr[] }
  | { readonly t: 'object'; readonly attrs: Readonly<Record<string, TypeExpr | OptionalAttr>> };

export interface OptionalAttr {
  readonly t: 'optional';
  readonly of: TypeExpr;
  readonly default?: unknown;
}

export const t = {
  string: { t: 'string' } as TypeExpr,
  number: { t: 'number' } as TypeExpr,
  bool: { t: 'bool' } as TypeExpr,
  any: { t: 'any' } as TypeExpr,
  list: (of: TypeExpr): TypeExpr => ({ t: 'list', of }),
  set: (of: TypeExpr): TypeExpr => ({ t: 'set', of }),
  map: (of: TypeExpr): TypeExpr => ({ t: 'map', of }),
  tuple: (items: readonly TypeExpr[]): TypeExpr => ({ t: 'tuple', items }),
  object: (attrs: Record<string, TypeExpr | OptionalAttr>): TypeExpr => ({ t: 'object', attrs }),
  optional: (of: TypeExpr, ...dflt: [] | [unknown]): OptionalAttr =>
    dflt.length ? { t: 'optional', of, default: dflt[0] } : { t: 'optional', of },
};

/** The type constraint as an HCL expression, for a `variable` block's `type` argument. */
export function typeExpr(type: TypeExpr | OptionalAttr): Expr {
  switch (type.t) {
    case 'string':
    case 'number':
    case 'bool':
    case 'any':
      return ref(type.t);
    case 'list':
    case 'set':
    case 'map':
      return call(type.t, [typeExpr(type.of)]);
    case 'tuple':
      return call('tuple', [toExpr(type.items.map(typeExpr))]);
    case 'object':
      return call('object', [
        object(Object.entries(type.attrs).map(([key, v]) => ({ key, value: typeExpr(v) }))),
      ]);
    case 'optional':
      return call(
        'optional',
        'default' in type ? [typeExpr(type.of), toExpr(type.default)] : [typeExpr(type.of)],
      );
  }
}

/** Human-readable form used in documentation tables: `list(object({...}))` collapsed to one line. */
export function typeLabel(type: TypeExpr | OptionalAttr): string {
  switch (type.t) {
    case 'string':
    case 'number':
    case 'bool':
    case 'any':
      return type.t;
    case 'list':
    case 'set':
    case 'map':
      return `${type.t}(${typeLabel(type.of)})`;
    case 'tuple':
      return `tuple([${type.items.map(typeLabel).join(', ')}])`;
    case 'object':
      return `object({ ${Object.entries(type.attrs)
        .map(([k, v]) => `${k} = ${typeLabel(v)}`)
        .join(', ')} })`;
    case 'optional':
      return `optional(${typeLabel(type.of)}${'default' in type ? `, ${JSON.stringify(type.default)}` : ''})`;
  }
}
