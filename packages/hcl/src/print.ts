import type {
  Attribute,
  BinaryOp,
  Block,
  BodyItem,
  CallExpr,
  Expr,
  File,
  ForExpr,
  HeredocExpr,
  ObjectEntry,
  ObjectExpr,
  TemplatePart,
  TraversalStep,
  TupleExpr,
} from './ast.js';
import { isFunctionName, isIdentifier } from './build.js';
import {
  columns,
  escapeQuoted,
  escapeTemplateText,
  heredocEligible,
  heredocMarker,
  heredocSafe,
  indentable,
  isBlankLine,
  templateFileProblem,
} from './text.js';
import { FlatSink, TOO_WIDE, Writer, type Sink } from './writer.js';

/** Objects, tuples, calls and `for` expressions stay on one line only if it ends by this column. */
const LINE_WIDTH = 100;
/** Objects with more entries are always written one entry per line. */
const MAX_INLINE_ENTRIES = 3;

/** The canonical text of a file: what `tofu fmt` leaves unchanged. Ends with one newline unless empty. */
export function printFile(file: File): string {
  const writer = new Writer();
  new Printer(writer).body(file.body);
  const text = writer.finish();
  return text ? text + '\n' : '';
}

/** One expression at indentation 0; may span lines (no trailing newline). */
export function printExpr(expr: Expr): string {
  const writer = new Writer();
  new Printer(writer).expr(expr, true);
  return writer.finish();
}

/**
 * The text of a template file, as read by `templatefile()`: literal text with
 * `${`/`%{` escaped, `${expr}` interpolations and `%{ if }`/`%{ for }` directives.
 */
export function printTemplate(parts: readonly TemplatePart[]): string {
  const sink = new FlatSink();
  new Printer(sink, true).templateParts(parts, 'file', false);
  const problem = templateFileProblem(sink.text);
  if (problem) throw new RangeError(`template file ${problem}`);
  return sink.text;
}

/** Where template text goes: a quoted string, a heredoc body or a template file. */
type TemplateStyle = 'quoted' | 'heredoc' | 'file';

const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

/** Object keys that must be quoted: `for` would open a `for` expression, the literals would not read as names. */
const RESERVED_KEYS = new Set(['for', 'null', 'true', 'false']);

/** A value that should have been a tree node, for error messages. */
function describe(value: unknown): string {
  return typeof value === 'object' && value !== null
    ? (JSON.stringify(value)?.slice(0, 80) ?? String(value))
    : String(value);
}

function checkIdentifier(name: string, what: string): string {
  if (!isIdentifier(name))
    throw new TypeError(`${what} ${JSON.stringify(name)} is not an HCL identifier`);
  return name;
}

/** Parentheses the printer adds so the text parses back to the same tree. */
function needsParens(child: Expr, parent: Expr, side: 'left' | 'right' | 'only'): boolean {
  switch (parent.kind) {
    case 'binary':
      if (child.kind === 'conditional') return true;
      if (child.kind !== 'binary') return false;
      return (
        PRECEDENCE[child.op] < PRECEDENCE[parent.op] ||
        (side === 'right' && PRECEDENCE[child.op] === PRECEDENCE[parent.op])
      );
    case 'unary':
      return child.kind === 'binary' || child.kind === 'conditional';
    case 'conditional':
      // Only the `else` branch may hold an unparenthesized conditional (`a ? b : c ? d : e`).
      return side !== 'right' && child.kind === 'conditional';
    case 'get':
      return !(
        child.kind === 'traversal' ||
        child.kind === 'get' ||
        child.kind === 'call' ||
        child.kind === 'paren' ||
        child.kind === 'tuple' ||
        child.kind === 'object' ||
        child.kind === 'for'
      );
    default:
      return false;
  }
}

/** The first character the expression prints as (in single-line form), which decides hclwrite's spacing before it. */
function firstChar(expr: Expr): string {
  switch (expr.kind) {
    case 'object':
      return '{';
    case 'tuple':
      return '[';
    case 'for':
      return expr.key ? '{' : '[';
    case 'paren':
      return '(';
    case 'unary':
      return expr.op;
    case 'number':
      return String(expr.value).startsWith('-') ? '-' : '0';
    case 'binary':
      return needsParens(expr.left, expr, 'left') ? '(' : firstChar(expr.left);
    case 'conditional':
      return needsParens(expr.cond, expr, 'left') ? '(' : firstChar(expr.cond);
    case 'get':
      return needsParens(expr.target, expr, 'only') ? '(' : firstChar(expr.target);
    case 'template':
      return expr.parts.length === 1 && expr.parts[0]!.kind === 'interp'
        ? firstChar(expr.parts[0]!.expr)
        : '"';
    case 'string':
    case 'heredoc':
      return '"';
    default:
      return 'a';
  }
}

/** Whether the expression's last token is an object's closing brace. */
function endsWithBrace(expr: Expr): boolean {
  switch (expr.kind) {
    case 'object':
      return true;
    case 'for':
      return expr.key !== undefined;
    case 'binary':
      return !needsParens(expr.right, expr, 'right') && endsWithBrace(expr.right);
    case 'conditional':
      return endsWithBrace(expr.else);
    case 'unary':
      return !needsParens(expr.operand, expr, 'only') && endsWithBrace(expr.operand);
    case 'template':
      return expr.parts.length === 1 && expr.parts[0]!.kind === 'interp'
        ? endsWithBrace(expr.parts[0]!.expr)
        : false;
    default:
      return false;
  }
}

/**
 * Fits on one line next to other short things: no nested multi-line
 * structure (non-empty objects and tuples, `for` expressions, heredocs).
 */
function simple(expr: Expr): boolean {
  switch (expr.kind) {
    case 'string':
      return !heredocEligible(expr.value);
    case 'number':
    case 'bool':
    case 'null':
    case 'traversal':
    case 'template':
      return true;
    case 'tuple':
      return expr.items.length === 0;
    case 'object':
      return expr.entries.length === 0;
    case 'call':
      return expr.args.every(simple);
    case 'conditional':
      return simple(expr.cond) && simple(expr.then) && simple(expr.else);
    case 'binary':
      return simple(expr.left) && simple(expr.right);
    case 'unary':
      return simple(expr.operand);
    case 'paren':
      return simple(expr.expr);
    case 'get':
      return simple(expr.target);
    case 'heredoc':
    case 'for':
      return false;
  }
}

function inlineObject(expr: ObjectExpr): boolean {
  return expr.entries.length <= MAX_INLINE_ENTRIES && expr.entries.every((e) => simple(e.value));
}

function inlineTuple(expr: TupleExpr): boolean {
  return expr.items.every(simple);
}

/** A non-empty object or tuple: what a list's or map's entries can be laid out as. */
function isCollection(expr: Expr): expr is ObjectExpr | TupleExpr {
  return (
    (expr.kind === 'object' && expr.entries.length > 0) ||
    (expr.kind === 'tuple' && expr.items.length > 0)
  );
}

/**
 * Prints on one line by the rules above: simple, an object or tuple that
 * stays on one line, or a call, operator or `for` made of such parts.
 */
function inline(expr: Expr): boolean {
  switch (expr.kind) {
    case 'object':
      return inlineObject(expr);
    case 'tuple':
      return inlineTuple(expr);
    case 'call':
      return expr.args.every(inline);
    case 'for':
      return (expr.key === undefined || simple(expr.key)) && inline(expr.value);
    case 'conditional':
      return inline(expr.cond) && inline(expr.then) && inline(expr.else);
    case 'binary':
      return inline(expr.left) && inline(expr.right);
    case 'unary':
      return inline(expr.operand);
    case 'paren':
      return inline(expr.expr);
    case 'get':
      return inline(expr.target);
    default:
      return simple(expr);
  }
}

/** Something that can open on the call's line and end on a later one: `f(a, {` … `})`. */
function hangs(expr: Expr): boolean {
  switch (expr.kind) {
    case 'object':
      return expr.entries.length > 0;
    case 'tuple':
      return expr.items.length > 0;
    case 'for':
    case 'heredoc':
      return true;
    case 'string':
      return heredocEligible(expr.value);
    case 'call':
      return expr.args.length > 0 && hangs(expr.args[expr.args.length - 1]!);
    default:
      return false;
  }
}

function mergeLiterals(parts: readonly TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (part.kind === 'literal' && last?.kind === 'literal')
      out[out.length - 1] = { kind: 'literal', value: last.value + part.value };
    else if (part.kind !== 'literal' || part.value !== '') out.push(part);
  }
  return out;
}

/** The number as HCL text: plain decimal notation, never an exponent. */
function numberText(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) throw new RangeError(`HCL has no literal for ${value}`);
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const sign = text.startsWith('-') ? '-' : '';
  const mantissa = text.slice(sign.length, e);
  const digits = mantissa.replace('.', '');
  const point =
    (mantissa.includes('.') ? mantissa.indexOf('.') : mantissa.length) + Number(text.slice(e + 1));
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  if (point <= 0) return sign + '0.' + '0'.repeat(-point) + digits;
  return sign + digits.slice(0, point) + '.' + digits.slice(point);
}

class Printer {
  /**
   * hclwrite puts a space after a unary minus that follows a token it does not
   * recognise as an operator or separator (`${- x}`, `k => - v`, `if - x`).
   * Set right before such a position; any write clears it.
   */
  private spacedMinus = false;
  /**
   * Spaces the formatter will add before this line's `=` to align it with its
   * neighbours' (an object entry's value starts that much further right).
   */
  private pad = 0;
  /** Objects and tuples that print one entry per line because a sibling does (see layOutSiblings). */
  private readonly expanded = new WeakSet<Expr>();

  constructor(
    private readonly out: Sink,
    /** Everything on one line: heredocs become quoted strings. */
    private flat = false,
  ) {}

  private get writer(): Writer | undefined {
    return this.out instanceof Writer ? this.out : undefined;
  }

  private text(s: string): void {
    this.out.write(s);
    this.spacedMinus = false;
  }
  private open(s: string): void {
    this.out.open(s);
    this.spacedMinus = false;
  }
  private close(s: string): void {
    this.out.close(s);
    this.spacedMinus = false;
  }
  private minus(): void {
    this.text(this.spacedMinus ? '- ' : '-');
  }
  private newline(): void {
    this.pad = 0;
    this.writer!.newline();
  }

  /** Prints `inner` on the current line whatever its size. */
  private flatly(inner: () => void): void {
    const was = this.flat;
    this.flat = true;
    inner();
    this.flat = was;
  }

  /** Whether `expr` printed on one line ends by {@link LINE_WIDTH} from the current column. */
  private fits(expr: Expr): boolean {
    return this.fitsAt(expr, this.writer!.column + this.pad);
  }

  /** Whether `expr` printed on one line from `column` ends by {@link LINE_WIDTH}. */
  private fitsAt(expr: Expr, column: number): boolean {
    const room = LINE_WIDTH - column;
    if (room <= 0) return false;
    try {
      new Printer(new FlatSink(room), true).expr(expr, false);
      return true;
    } catch (error) {
      if (error === TOO_WIDE) return false;
      throw error;
    }
  }

  // ---- bodies -------------------------------------------------------------

  /**
   * Blank lines: one around every block, one where the body has a `blank`
   * item, none at the start or end. Comment items belong to the attribute or
   * block right below them.
   */
  body(items: readonly BodyItem[]): void {
    let previous: BodyItem['kind'] | undefined;
    let separate = false;
    for (let i = 0; i < items.length;) {
      if (items[i]!.kind === 'blank') {
        separate = true;
        i++;
        continue;
      }
      let end = i;
      while (items[end]?.kind === 'comment') end++;
      const owner = items[end];
      const kind = owner?.kind === 'attribute' || owner?.kind === 'block' ? owner.kind : 'comment';
      if (kind !== 'comment') end++;
      if (previous && (separate || previous === 'block' || kind === 'block')) this.writer!.blank();
      for (const item of items.slice(i, end)) {
        if (item.kind === 'comment') this.comment(item.lines);
        else if (item.kind === 'attribute') this.attribute(item);
        else if (item.kind === 'block') this.block(item);
      }
      previous = kind;
      separate = false;
      i = end;
    }
  }

  private comment(lines: readonly string[]): void {
    for (const line of lines) {
      if (/[\r\n]/.test(line))
        throw new TypeError(`comment line ${JSON.stringify(line)} contains a line break`);
      this.text(line ? '# ' + line : '#');
      this.newline();
    }
  }

  private attribute(item: Attribute): void {
    if (item.comment) this.comment(item.comment);
    this.text(checkIdentifier(item.name, 'attribute name'));
    this.out.assign();
    this.text(' ');
    this.expr(item.value, true);
    this.newline();
  }

  private block(item: Block): void {
    if (item.comment) this.comment(item.comment);
    this.text(checkIdentifier(item.type, 'block type'));
    for (const label of item.labels) this.text(' "' + escapeQuoted(label) + '"');
    this.text(' ');
    if (item.body.length === 0) {
      this.text('{}');
      this.newline();
      return;
    }
    this.open('{');
    this.newline();
    this.body(item.body);
    this.close('}');
    this.newline();
  }

  // ---- expressions --------------------------------------------------------

  /** `asValue`: the expression ends its line (attribute or entry value), so it may be a heredoc. */
  expr(expr: Expr, asValue: boolean): void {
    switch (expr.kind) {
      case 'string':
        if (asValue && !this.flat && heredocEligible(expr.value))
          return this.heredoc([{ kind: 'literal', value: expr.value }], 'EOT');
        return this.text('"' + escapeQuoted(expr.value) + '"');
      case 'number': {
        const text = numberText(expr.value);
        if (text.startsWith('-')) {
          this.minus();
          return this.text(text.slice(1));
        }
        return this.text(text);
      }
      case 'bool':
        return this.text(expr.value ? 'true' : 'false');
      case 'null':
        return this.text('null');
      case 'tuple':
        return this.tuple(expr);
      case 'object':
        return this.object(expr);
      case 'traversal':
        this.text(checkIdentifier(expr.root, 'traversal root'));
        return this.steps(expr.steps);
      case 'get':
        this.operand(expr.target, expr, 'only');
        return this.steps(expr.steps);
      case 'call':
        return this.call(expr);
      case 'template':
        if (expr.parts.length === 1 && expr.parts[0]!.kind === 'interp')
          return this.expr(expr.parts[0]!.expr, asValue);
        return this.quotedTemplate(expr.parts);
      case 'heredoc':
        return this.heredocExpr(expr, asValue);
      case 'conditional':
        this.operand(expr.cond, expr, 'left');
        this.text(' ? ');
        this.operand(expr.then, expr, 'only');
        this.text(' : ');
        return this.operand(expr.else, expr, 'right');
      case 'for':
        return this.forExpr(expr);
      case 'binary':
        this.operand(expr.left, expr, 'left');
        this.text(` ${expr.op} `);
        return this.operand(expr.right, expr, 'right');
      case 'unary':
        if (expr.op === '-') this.minus();
        else this.text('!');
        return this.operand(expr.operand, expr, 'only');
      case 'paren':
        this.open('(');
        this.expr(expr.expr, false);
        return this.close(')');
      default:
        throw new TypeError(`not an HCL expression: ${describe(expr)}`);
    }
  }

  private operand(child: Expr, parent: Expr, side: 'left' | 'right' | 'only'): void {
    if (!needsParens(child, parent, side)) return this.expr(child, false);
    this.open('(');
    this.expr(child, false);
    this.close(')');
  }

  private steps(steps: readonly TraversalStep[]): void {
    for (const step of steps) {
      if ('attr' in step) this.text('.' + checkIdentifier(step.attr, 'attribute'));
      else if ('index' in step) {
        this.open('[');
        this.flatly(() => this.expr(step.index, false));
        this.close(']');
      } else {
        this.open('[');
        this.text('*');
        this.close(']');
      }
    }
  }

  /**
   * One layout per list: when one of `siblings` (the objects and tuples among a
   * list's items, or the objects among a map's values) needs lines of its own,
   * every one of them gets them, so siblings read alike. `column` is where each
   * of them starts.
   */
  private layOutSiblings(siblings: readonly Expr[], column: number): void {
    const collections = siblings.filter(isCollection);
    const oneLine = (c: ObjectExpr | TupleExpr) =>
      !this.expanded.has(c) &&
      (c.kind === 'object' ? inlineObject(c) : inlineTuple(c)) &&
      this.fitsAt(c, column);
    if (!collections.every(oneLine)) for (const c of collections) this.expanded.add(c);
  }

  private tuple(expr: TupleExpr): void {
    if (expr.items.length === 0) return this.text('[]');
    if (this.flat || (!this.expanded.has(expr) && inlineTuple(expr) && this.fits(expr))) {
      this.open('[');
      expr.items.forEach((item, i) => {
        if (i > 0) this.text(', ');
        this.expr(item, false);
      });
      return this.close(']');
    }
    this.open('[');
    this.newline();
    this.layOutSiblings(expr.items, this.writer!.column);
    for (const item of expr.items) {
      this.expr(item, false);
      this.text(',');
      this.newline();
    }
    this.close(']');
  }

  private object(expr: ObjectExpr): void {
    if (expr.entries.length === 0) return this.text('{}');
    if (this.flat || (!this.expanded.has(expr) && inlineObject(expr) && this.fits(expr))) {
      this.open('{');
      this.text(' ');
      expr.entries.forEach((entry, i) => {
        if (i > 0) this.text(', ');
        this.entry(entry, false);
      });
      this.text(' ');
      return this.close('}');
    }
    this.open('{');
    this.newline();
    // Values start after the widest key and ` = `: the formatter aligns the `=` signs.
    const keys = Math.max(...expr.entries.map((e) => columns(this.keyText(e.key))));
    // A record's list-valued fields (`targets = [...]`) are not siblings of its object-valued ones.
    this.layOutSiblings(
      expr.entries.map((e) => e.value).filter((v) => v.kind === 'object'),
      this.writer!.column + keys + 3,
    );
    for (const entry of expr.entries) {
      this.entry(entry, true, keys - columns(this.keyText(entry.key)));
      this.newline();
    }
    this.close('}');
  }

  /** An object key as printed: bare when it is an identifier, quoted, or an expression in parentheses. */
  private keyText(key: ObjectEntry['key']): string {
    if (typeof key === 'string')
      return isIdentifier(key) && !RESERVED_KEYS.has(key) ? key : '"' + escapeQuoted(key) + '"';
    if (key.kind === 'string') return '"' + escapeQuoted(key.value) + '"';
    const sink = new FlatSink();
    new Printer(sink, true).expr(key, false);
    return `(${sink.text})`;
  }

  /** `pad`: how far the formatter will move this entry's `=` right, when it is on a line of its own. */
  private entry(entry: ObjectEntry, ownLine: boolean, pad = 0): void {
    const { key } = entry;
    if (typeof key === 'string' || key.kind === 'string') this.text(this.keyText(key));
    else {
      this.open('(');
      this.flatly(() => this.expr(key, false));
      this.close(')');
    }
    this.out.assign();
    this.text(' ');
    this.pad = pad;
    this.expr(entry.value, ownLine);
  }

  private call(expr: CallExpr): void {
    if (!isFunctionName(expr.name))
      throw new TypeError(`function name ${JSON.stringify(expr.name)} is not an HCL identifier`);
    const { args } = expr;
    const oneLine = this.flat || (args.every(inline) && this.fits(expr));
    this.text(expr.name);
    this.open('(');
    const last = args.length - 1;
    const ellipsis = expr.expandFinal ? '...' : '';
    if (oneLine) {
      args.forEach((arg, i) => {
        if (i > 0) this.text(', ');
        this.expr(arg, false);
      });
      this.text(ellipsis);
      return this.close(')');
    }
    const prefix = args.slice(0, last);
    if (hangs(args[last]!) && prefix.every(simple) && this.prefixFits(prefix)) {
      for (const arg of prefix) {
        this.expr(arg, false);
        this.text(', ');
      }
      this.expr(args[last]!, true);
      this.text(ellipsis);
      return this.close(')');
    }
    this.newline();
    args.forEach((arg, i) => {
      this.expr(arg, false);
      // An expanded final argument must be followed directly by `)`.
      this.text(i === last && ellipsis ? ellipsis : ',');
      this.newline();
    });
    this.close(')');
  }

  /** Whether leading call arguments, each followed by `, `, leave room on the line. */
  private prefixFits(args: readonly Expr[]): boolean {
    let extra = 0;
    for (const arg of args) {
      const sink = new FlatSink();
      new Printer(sink, true).expr(arg, false);
      extra += sink.text.length + 2;
    }
    return this.writer!.column + extra < LINE_WIDTH;
  }

  private forExpr(expr: ForExpr): void {
    const isMap = expr.key !== undefined;
    const oneLine = this.flat || (inline(expr) && this.fits(expr));
    this.open(isMap ? '{' : '[');
    if (oneLine) {
      if (isMap) this.text(' ');
    } else this.newline();
    this.text('for ');
    if (expr.keyVar !== undefined) this.text(checkIdentifier(expr.keyVar, 'for variable') + ', ');
    this.text(checkIdentifier(expr.valueVar, 'for variable'));
    this.text(' ');
    this.keyword('in', expr.collection);
    this.text(' : ');
    if (expr.key) {
      this.flatly(() => this.expr(expr.key!, false));
      this.text(' => ');
      this.spacedMinus = true;
    }
    this.expr(expr.value, false);
    if (expr.group) this.text('...');
    if (expr.cond) {
      this.text(' ');
      this.keyword('if', expr.cond);
    }
    if (oneLine) {
      if (isMap) this.text(' ');
    } else this.newline();
    this.close(isMap ? '}' : ']');
  }

  /**
   * `in`/`if` followed by an expression, spaced as hclwrite does: it takes the
   * keyword for a function name before `(` and (except `in`) for a traversal
   * before `[`.
   */
  private keyword(word: 'in' | 'if', expr: Expr): void {
    const first = firstChar(expr);
    const glued = first === '(' || (first === '[' && word === 'if');
    this.text(glued ? word : word + ' ');
    this.spacedMinus = true;
    this.flatly(() => this.expr(expr, false));
  }

  // ---- templates ----------------------------------------------------------

  private quotedTemplate(parts: readonly TemplatePart[]): void {
    this.text('"');
    this.flatly(() => this.templateParts(parts, 'quoted', false));
    this.text('"');
  }

  /**
   * Template parts in the given style. `closed`: the list is followed by a
   * directive tag (`%{else}`, `%{endif}`, `%{endfor}`).
   */
  templateParts(parts: readonly TemplatePart[], style: TemplateStyle, closed: boolean): void {
    const merged = mergeLiterals(parts);
    merged.forEach((part, i) => {
      const next = merged[i + 1];
      switch (part.kind) {
        case 'literal': {
          const nextIsSequence = next !== undefined || closed;
          const opens = next === undefined ? '%' : next.kind === 'interp' ? '$' : '%';
          this.literal(part.value, style, nextIsSequence ? opens : undefined);
          return;
        }
        case 'interp':
          return this.interpolation(part.expr, part.stripLeft, part.stripRight);
        case 'if':
          this.tag(style, part, '', 'if', part.cond);
          this.templateParts(part.then, style, true);
          if (part.else) {
            this.tag(style, part, 'else');
            this.templateParts(part.else, style, true);
          }
          return this.tag(style, part, 'endif');
        case 'for': {
          const value = checkIdentifier(part.value, 'for variable');
          const vars =
            part.key === undefined
              ? value
              : `${checkIdentifier(part.key, 'for variable')}, ${value}`;
          this.tag(style, part, `for ${vars} `, 'in', part.collection);
          this.templateParts(part.body, style, true);
          return this.tag(style, part, 'endfor');
        }
        default:
          throw new TypeError(`not a template part: ${describe(part)}`);
      }
    });
  }

  /**
   * Literal template text. A trailing `$` before `${` (or `%` before `%{`)
   * would turn the sequence into an escape, and HCL has no other escape for
   * it, so such a trailing run of `$`/`%` is written as an interpolated string.
   */
  private literal(value: string, style: TemplateStyle, before: '$' | '%' | undefined): void {
    const escape = style === 'quoted' ? escapeQuoted : escapeTemplateText;
    const run = before !== undefined && value.endsWith(before) ? /[$%]+$/.exec(value)![0] : '';
    this.text(escape(run ? value.slice(0, -run.length) : value));
    if (run) {
      this.open('${');
      this.text(`"${run}"`);
      this.close('}');
    }
  }

  private interpolation(expr: Expr, stripLeft?: boolean, stripRight?: boolean): void {
    this.open(stripLeft ? '${~' : '${');
    if (firstChar(expr) === '{') this.text(' ');
    this.spacedMinus = true;
    this.flatly(() => this.expr(expr, false));
    if (endsWithBrace(expr)) this.text(' ');
    this.close(stripRight ? '~}' : '}');
  }

  /**
   * A directive tag: `%{if c}` in HCL files (hclwrite's spacing), `%{ if c }`
   * in template files. `head` precedes the keyword that introduces `expr`.
   */
  private tag(
    style: TemplateStyle,
    strip: { readonly stripLeft?: boolean; readonly stripRight?: boolean },
    head: string,
    keyword?: 'if' | 'in',
    expr?: Expr,
  ): void {
    const pad = style === 'file' ? ' ' : '';
    this.open(strip.stripLeft ? '%{~' : '%{');
    this.text(pad + head);
    if (keyword && expr) {
      this.keyword(keyword, expr);
      if (!pad && endsWithBrace(expr)) this.text(' ');
    }
    this.text(pad);
    this.close(strip.stripRight ? '~}' : '}');
  }

  private heredocExpr(expr: HeredocExpr, asValue: boolean): void {
    const last = mergeLiterals(expr.parts).pop();
    if (last?.kind !== 'literal' || !last.value.endsWith('\n'))
      throw new RangeError('heredoc content must end with a newline');
    const marker = checkIdentifier(expr.marker ?? 'EOT', 'heredoc marker');
    if (asValue && !this.flat) this.heredoc(expr.parts, marker);
    else this.quotedTemplate(expr.parts);
  }

  /** A `<<-` heredoc with content indented one level deeper than its line, or `<<` with verbatim content. */
  private heredoc(parts: readonly TemplatePart[], preferredMarker: string): void {
    const body = new FlatSink();
    new Printer(body, true).templateParts(parts, 'heredoc', false);
    if (!heredocSafe(body.text)) return this.quotedTemplate(parts);
    const lines = body.text.slice(0, -1).split('\n');
    const marker = heredocMarker(preferredMarker, lines);
    const indent = ' '.repeat(this.writer!.peekIndent());
    // `<<-` strips the common indentation back off; otherwise the content goes in verbatim.
    // Strip markers (`~`) act before that indentation is removed and would eat the added
    // indentation of the next line, so such templates go in verbatim too.
    const indented = indentable(lines) && !hasStripMarkers(parts);
    const content = indented
      ? lines.map((line) => (isBlankLine(line) ? line : indent + '  ' + line))
      : lines;
    this.writer!.heredoc(
      `<<${indented ? '-' : ''}${marker}\n${content.join('\n')}\n${indent}${marker}`,
    );
  }
}

function hasStripMarkers(parts: readonly TemplatePart[]): boolean {
  return parts.some((p) => {
    switch (p.kind) {
      case 'interp':
        return p.stripLeft || p.stripRight;
      case 'if':
        return (
          p.stripLeft || p.stripRight || hasStripMarkers(p.then) || hasStripMarkers(p.else ?? [])
        );
      case 'for':
        return p.stripLeft || p.stripRight || hasStripMarkers(p.body);
      default:
        return false;
    }
  });
}
