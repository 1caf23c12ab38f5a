import {
  EXPR,
  type Attribute,
  type BinaryOp,
  type Block,
  type BodyItem,
  type Comment,
  type Expr,
  type ObjectEntry,
  type TemplatePart,
  type TraversalStep,
} from './ast.js';

/**
 * ASCII identifiers only: HCL accepts Unicode ID_Start/ID_Continue, but each
 * HCL release compiles in the tables of a different Unicode version, so a
 * name valid to one parser can be rejected by another. Non-ASCII object keys
 * are printed quoted instead.
 */
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** True when `name` can stand bare as an HCL identifier (attribute name, object key, traversal step). */
export function isIdentifier(name: string): boolean {
  return IDENT.test(name);
}

/** A built-in function name or a provider function, `provider::incus::parse_image`. */
export function isFunctionName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/.test(name);
}

function assertIdentifier(name: string, what: string): void {
  if (!isIdentifier(name))
    throw new TypeError(`${what} ${JSON.stringify(name)} is not an HCL identifier`);
}

/** An expression node without its brand, one member of the union at a time. */
type Fields = Expr extends infer E ? (E extends Expr ? Omit<E, typeof EXPR> : never) : never;

function node(fields: Fields): Expr {
  return Object.freeze({ [EXPR]: true as const, ...fields });
}

export function isExpr(value: unknown): value is Expr {
  return typeof value === 'object' && value !== null && (value as { [EXPR]?: true })[EXPR] === true;
}

export const str = (value: string): Expr => node({ kind: 'string', value });
export const num = (value: number | string): Expr => {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError(`HCL has no literal for ${value}`);
  if (typeof value === 'string' && !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value))
    throw new RangeError(`${JSON.stringify(value)} is not a decimal number literal`);
  return node({ kind: 'number', value });
};
export const bool = (value: boolean): Expr => node({ kind: 'bool', value });
export const nil: Expr = node({ kind: 'null' });

export const tuple = (items: readonly Expr[]): Expr => node({ kind: 'tuple', items });

/** An object from ordered entries. Plain string keys are validated later by the printer (quoted if needed). */
export const object = (entries: readonly ObjectEntry[] | Readonly<Record<string, Expr>>): Expr =>
  node({
    kind: 'object',
    entries: Array.isArray(entries)
      ? (entries as readonly ObjectEntry[])
      : Object.entries(entries as Record<string, Expr>).map(([key, value]) => ({ key, value })),
  });

/**
 * A traversal from a dotted path: `ref('module.prometheus01.endpoint')`,
 * `ref('incus_storage_volume.data', 0, 'name')` for `incus_storage_volume.data[0].name`.
 * Numbers become index steps, `'*'` a splat.
 */
export function ref(path: string, ...more: Array<string | number | Expr>): Expr {
  const [root, ...rest] = path.split('.');
  assertIdentifier(root!, 'traversal root');
  const steps: TraversalStep[] = [];
  for (const name of rest) {
    assertIdentifier(name, 'attribute');
    steps.push({ attr: name });
  }
  for (const step of more) steps.push(toStep(step));
  return node({ kind: 'traversal', root: root!, steps });
}

function toStep(step: string | number | Expr): TraversalStep {
  if (step === '*') return { splat: true };
  if (typeof step === 'number') return { index: num(step) };
  if (typeof step === 'string') {
    assertIdentifier(step, 'attribute');
    return { attr: step };
  }
  return { index: step };
}

/** `target.attr` / `target[i]` on any expression; extends a traversal in place when it can. */
export function get(target: Expr, ...steps: Array<string | number | Expr>): Expr {
  const more = steps.map(toStep);
  if (target.kind === 'traversal')
    return node({ kind: 'traversal', root: target.root, steps: [...target.steps, ...more] });
  return node({ kind: 'get', target, steps: more });
}

export const call = (
  name: string,
  args: readonly Expr[] = [],
  opts: { expandFinal?: boolean } = {},
): Expr => {
  if (!isFunctionName(name)) throw new TypeError(`bad function name ${name}`);
  return node({ kind: 'call', name, args, ...opts });
};

export const literal = (value: string): TemplatePart => ({ kind: 'literal', value });
export const interp = (expr: Expr): TemplatePart => ({ kind: 'interp', expr });

/** A quoted template from parts. */
export const template = (parts: readonly TemplatePart[]): Expr =>
  node({ kind: 'template', parts: mergeLiterals(parts) });

/**
 * Tagged template literal: `tpl\`http://${ref('var.host')}:${port}\``. Interpolated
 * {@link Expr}s become `${...}`; strings and numbers are literal text (escaped by the printer).
 */
export function tpl(strings: TemplateStringsArray, ...values: Array<Expr | string | number>): Expr {
  const parts: TemplatePart[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(literal(s));
    if (i < values.length) {
      const v = values[i]!;
      parts.push(isExpr(v) ? interp(v) : literal(String(v)));
    }
  });
  return template(parts);
}

export const heredoc = (parts: readonly TemplatePart[] | string, marker = 'EOT'): Expr =>
  node({
    kind: 'heredoc',
    parts: typeof parts === 'string' ? [literal(parts)] : mergeLiterals(parts),
    marker,
  });

export const cond = (c: Expr, then: Expr, otherwise: Expr): Expr =>
  node({ kind: 'conditional', cond: c, then, else: otherwise });

export const forList = (
  vars: string | [key: string, value: string],
  collection: Expr,
  value: Expr,
  opts: { cond?: Expr } = {},
): Expr => {
  const [keyVar, valueVar] = typeof vars === 'string' ? [undefined, vars] : vars;
  return node({ kind: 'for', ...(keyVar ? { keyVar } : {}), valueVar, collection, value, ...opts });
};

export const forMap = (
  vars: string | [key: string, value: string],
  collection: Expr,
  key: Expr,
  value: Expr,
  opts: { cond?: Expr; group?: boolean } = {},
): Expr => {
  const [keyVar, valueVar] = typeof vars === 'string' ? [undefined, vars] : vars;
  return node({
    kind: 'for',
    ...(keyVar ? { keyVar } : {}),
    valueVar,
    collection,
    key,
    value,
    ...opts,
  });
};

export const binary = (op: BinaryOp, left: Expr, right: Expr): Expr =>
  node({ kind: 'binary', op, left, right });
export const not = (operand: Expr): Expr => node({ kind: 'unary', op: '!', operand });
export const neg = (operand: Expr): Expr => node({ kind: 'unary', op: '-', operand });
export const paren = (expr: Expr): Expr => node({ kind: 'paren', expr });

function mergeLiterals(parts: readonly TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'literal' && last?.kind === 'literal')
      out[out.length - 1] = literal(last.value + p.value);
    else if (p.kind !== 'literal' || p.value !== '') out.push(p);
  }
  return out;
}

/** Plain JSON-like data to an expression: strings, finite numbers, booleans, null, arrays, plain objects. Expressions pass through. */
export function toExpr(value: unknown): Expr {
  if (isExpr(value)) return value;
  switch (typeof value) {
    case 'string':
      return str(value);
    case 'number':
      return num(value);
    case 'boolean':
      return bool(value);
    case 'object':
      if (value === null) return nil;
      if (Array.isArray(value)) return tuple(value.map(toExpr));
      if (
        Object.getPrototypeOf(value) === Object.prototype ||
        Object.getPrototypeOf(value) === null
      )
        return object(Object.entries(value).map(([key, v]) => ({ key, value: toExpr(v) })));
  }
  throw new TypeError(`cannot express ${String(value)} (${typeof value}) in HCL`);
}

// ---- bodies -------------------------------------------------------------

export function attr(
  name: string,
  value: unknown,
  comment?: string | readonly string[],
): Attribute {
  assertIdentifier(name, 'attribute name');
  return { kind: 'attribute', name, value: toExpr(value), ...commentField(comment) };
}

export function block(
  type: string,
  labels: readonly string[],
  body: readonly BodyItem[],
  comment?: string | readonly string[],
): Block {
  assertIdentifier(type, 'block type');
  return { kind: 'block', type, labels, body, ...commentField(comment) };
}

export const comment = (...lines: string[]): Comment => ({
  kind: 'comment',
  lines: lines.flatMap((l) => l.split('\n')),
});
export const blank = { kind: 'blank' } as const;

function commentField(comment?: string | readonly string[]) {
  if (comment === undefined) return {};
  return { comment: typeof comment === 'string' ? comment.split('\n') : comment };
}

type TemplatePiece = string | number | Expr | TemplatePart | readonly TemplatePart[];

/**
 * Template-file parts from a tagged template literal: text stays literal (the
 * printer escapes `${` and `%{`), expressions become `${…}`, and parts such as
 * {@link whenBlock} are spliced in.
 */
export function templateParts(
  strings: TemplateStringsArray,
  ...values: TemplatePiece[]
): TemplatePart[] {
  const parts: TemplatePart[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(literal(text));
    if (i >= values.length) return;
    const value = values[i]!;
    if (typeof value === 'string' || typeof value === 'number') parts.push(literal(String(value)));
    else if (isExpr(value)) parts.push(interp(value));
    else if (Array.isArray(value)) parts.push(...(value as readonly TemplatePart[]));
    else parts.push(value as TemplatePart);
  });
  return parts;
}

/**
 * Whole lines kept only when `cond` holds (`otherwise` when it does not):
 * `%{ if cond ~}` … `%{ endif ~}`. Put it at the start of a line and follow it
 * with a line break, so each tag has a line of its own; the strip markers drop
 * the line break after each tag.
 */
export function whenBlock(
  cond: Expr,
  lines: readonly TemplatePart[],
  otherwise?: readonly TemplatePart[],
): TemplatePart {
  return {
    kind: 'if',
    cond,
    then: [literal('\n'), ...lines],
    ...(otherwise ? { else: [literal('\n'), ...otherwise] } : {}),
    stripRight: true,
  };
}
