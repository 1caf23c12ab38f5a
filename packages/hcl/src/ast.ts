/**
 * The HCL syntax tree. Nodes are plain, immutable objects tagged by `kind` and
 * branded with {@link EXPR} so a user object that happens to have a `kind`
 * key is never mistaken for an expression.
 */
export const EXPR: unique symbol = Symbol.for('@atlas/hcl.expr');

interface Node<K extends string> {
  readonly [EXPR]: true;
  readonly kind: K;
}

export interface StringLit extends Node<'string'> {
  readonly value: string;
}
export interface NumberLit extends Node<'number'> {
  /** A finite number, or the exact decimal literal text (e.g. `"0.10"`). */
  readonly value: number | string;
}
export interface BoolLit extends Node<'bool'> {
  readonly value: boolean;
}
export type NullLit = Node<'null'>;

export interface TupleExpr extends Node<'tuple'> {
  readonly items: readonly Expr[];
}

export interface ObjectEntry {
  /** A plain key (printed bare when it is an identifier, quoted otherwise) or an expression key (printed in parentheses). */
  readonly key: string | Expr;
  readonly value: Expr;
}
export interface ObjectExpr extends Node<'object'> {
  readonly entries: readonly ObjectEntry[];
}

export type TraversalStep =
  { readonly attr: string } | { readonly index: Expr } | { readonly splat: true };

/** `var.x`, `module.prometheus01.endpoint`, `incus_storage_volume.data[0].name`, `path.module`. */
export interface TraversalExpr extends Node<'traversal'> {
  readonly root: string;
  readonly steps: readonly TraversalStep[];
}

/** Attribute or index access on an arbitrary expression: `(expr).attr`, `f(x)[0]`. */
export interface GetExpr extends Node<'get'> {
  readonly target: Expr;
  readonly steps: readonly TraversalStep[];
}

export interface CallExpr extends Node<'call'> {
  readonly name: string;
  readonly args: readonly Expr[];
  /** `f(a, b...)`: expand the final argument. */
  readonly expandFinal?: boolean;
}

export type TemplatePart =
  | { readonly kind: 'literal'; readonly value: string }
  | {
      readonly kind: 'interp';
      readonly expr: Expr;
      readonly stripLeft?: boolean;
      readonly stripRight?: boolean;
    }
  | ({
      readonly kind: 'if';
      readonly cond: Expr;
      readonly then: readonly TemplatePart[];
      readonly else?: readonly TemplatePart[];
    } & DirectiveStrip)
  | ({
      readonly kind: 'for';
      readonly key?: string;
      readonly value: string;
      readonly collection: Expr;
      readonly body: readonly TemplatePart[];
    } & DirectiveStrip);

/** Strip markers put on every tag of a directive: `%{~ if c ~}` … `%{~ endif ~}`. */
export interface DirectiveStrip {
  /** `%{~`: strip whitespace before each tag. */
  readonly stripLeft?: boolean;
  /** `~}`: strip whitespace (such as the line break) after each tag. */
  readonly stripRight?: boolean;
}

/** A quoted template: `"a ${b} c"`. A template of one interpolation prints as the bare expression. */
export interface TemplateExpr extends Node<'template'> {
  readonly parts: readonly TemplatePart[];
}

/** A heredoc template, `<<-EOT` (indented) by default. Content must end with a newline. */
export interface HeredocExpr extends Node<'heredoc'> {
  readonly parts: readonly TemplatePart[];
  readonly marker?: string;
}

export interface ConditionalExpr extends Node<'conditional'> {
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
}

/** `[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`. */
export interface ForExpr extends Node<'for'> {
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expr;
  /** Present for object-producing for expressions. */
  readonly key?: Expr;
  readonly value: Expr;
  readonly cond?: Expr;
  readonly group?: boolean;
}

export type BinaryOp =
  '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';
export interface BinaryExpr extends Node<'binary'> {
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}
export interface UnaryExpr extends Node<'unary'> {
  readonly op: '!' | '-';
  readonly operand: Expr;
}
export interface ParenExpr extends Node<'paren'> {
  readonly expr: Expr;
}

export type Expr =
  | StringLit
  | NumberLit
  | BoolLit
  | NullLit
  | TupleExpr
  | ObjectExpr
  | TraversalExpr
  | GetExpr
  | CallExpr
  | TemplateExpr
  | HeredocExpr
  | ConditionalExpr
  | ForExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

// ---- bodies -------------------------------------------------------------

export interface Attribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly value: Expr;
  /** Comment lines printed above the attribute (without the leading `# `). */
  readonly comment?: readonly string[];
}

export interface Block {
  readonly kind: 'block';
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: readonly BodyItem[];
  readonly comment?: readonly string[];
}

/** A stand-alone comment: `# line` for each line. */
export interface Comment {
  readonly kind: 'comment';
  readonly lines: readonly string[];
}

/** An explicit blank line, e.g. to split an attribute run into two alignment groups. */
export interface Blank {
  readonly kind: 'blank';
}

export type BodyItem = Attribute | Block | Comment | Blank;

export interface File {
  readonly body: readonly BodyItem[];
}
