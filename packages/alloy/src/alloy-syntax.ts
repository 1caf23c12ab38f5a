import { call, interp, literal, ref, type Expr, type TemplatePart } from '@atlas/hcl';

/**
 * A typed model of Alloy's configuration syntax, rendered as the parts of an
 * OpenTofu template. Static text is escaped here; values only OpenTofu knows
 * (variables) are written as `${jsonencode(x)}`: a JSON string, number or bool
 * is also a valid Alloy literal, because JSON's escapes are a subset of
 * Alloy's Go-style ones. Lists and objects that grow with a variable become
 * `%{ for }` directives.
 */
export type AlloyValue =
  string | number | boolean | AlloyReference | AlloyHclValue | AlloyList | AlloyObject;

/** An export of another component, e.g. `loki.write.default.receiver`. */
export interface AlloyReference {
  readonly kind: 'reference';
  readonly path: string;
}

/** A string, number or bool computed by OpenTofu. */
export interface AlloyHclValue {
  readonly kind: 'hcl';
  readonly expr: Expr;
}

/** Items, then one item per element of `repeat.collection`. */
export interface AlloyList {
  readonly kind: 'list';
  readonly items: readonly AlloyValue[];
  readonly repeat?: {
    readonly iterator: string;
    readonly collection: Expr;
    readonly item: AlloyValue;
  };
}

/**
 * Fixed entries, then every entry of `spread` (an OpenTofu `map(string)`).
 * Alloy reads a quoted key's text without unescaping it, so the caller makes
 * sure the spread's keys are identifiers (the label-name validation does).
 */
export interface AlloyObject {
  readonly kind: 'object';
  readonly entries: Readonly<Record<string, AlloyValue>>;
  readonly spread?: Expr;
}

export type AlloyStatement = AlloyAttribute | AlloyBlock | AlloyEach | AlloyWhen;

export interface AlloyAttribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly value: AlloyValue;
  readonly comment?: readonly string[];
}

/** A component (`loki.write "default" { … }`) or a nested block (`rule { … }`). */
export interface AlloyBlock {
  readonly kind: 'block';
  readonly name: string;
  readonly label?: string;
  readonly body: readonly AlloyStatement[];
  readonly comment?: readonly string[];
}

/** `body` once per element of `collection`, with `iterator` naming the element. */
export interface AlloyEach {
  readonly kind: 'each';
  readonly iterator: string;
  readonly collection: Expr;
  readonly body: readonly AlloyStatement[];
}

/** `body` only when `condition` (a bool OpenTofu computes) holds. */
export interface AlloyWhen {
  readonly kind: 'when';
  readonly condition: Expr;
  readonly body: readonly AlloyStatement[];
}

// ---- builders -------------------------------------------------------------

export const reference = (path: string): AlloyReference => {
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(path))
    throw new TypeError(`not an Alloy component export: ${JSON.stringify(path)}`);
  return { kind: 'reference', path };
};
export const hclValue = (expr: Expr): AlloyHclValue => ({ kind: 'hcl', expr });
export const list = (items: readonly AlloyValue[], repeat?: AlloyList['repeat']): AlloyList => ({
  kind: 'list',
  items,
  ...(repeat ? { repeat } : {}),
});
export const alloyObject = (
  entries: Readonly<Record<string, AlloyValue>>,
  spread?: Expr,
): AlloyObject => ({ kind: 'object', entries, ...(spread ? { spread } : {}) });

export const attribute = (
  name: string,
  value: AlloyValue,
  comment?: readonly string[],
): AlloyAttribute => ({
  kind: 'attribute',
  name: identifier(name),
  value,
  ...(comment ? { comment } : {}),
});

export function block(
  name: string,
  label: string | undefined,
  body: readonly AlloyStatement[],
  comment?: readonly string[],
): AlloyBlock {
  name.split('.').forEach(identifier);
  // Alloy takes a label's text between the quotes as is, and wants an identifier there.
  if (label !== undefined) identifier(label);
  return {
    kind: 'block',
    name,
    ...(label === undefined ? {} : { label }),
    body,
    ...(comment ? { comment } : {}),
  };
}

export const each = (
  iterator: string,
  collection: Expr,
  body: readonly AlloyStatement[],
): AlloyEach => ({ kind: 'each', iterator: identifier(iterator), collection, body });

export const when = (condition: Expr, body: readonly AlloyStatement[]): AlloyWhen => ({
  kind: 'when',
  condition,
  body,
});

// ---- rendering ------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ASCII identifiers only, a subset of Alloy's (Unicode letters) that every version reads alike. */
function identifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new TypeError(`not an Alloy identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A double-quoted Alloy string with the same value as `value`. */
export function alloyString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff)
      throw new RangeError('a lone surrogate cannot be written as UTF-8');
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    // Alloy's scanner rejects a byte order mark past the start of a file, even in a string.
    else if (code === 0xfeff) out += '\\ufeff';
    else out += ch;
  }
  return `${out}"`;
}

const jsonencode = (expr: Expr) => interp(call('jsonencode', [expr]));

// The renderer writes "newline first": every line starts with "\n" and its
// indentation. A directive's tags go at the end of the line before and after
// its body, never on lines of their own: OpenTofu reads a `<<-` heredoc line
// by line, so a strip marker (`%{~ … }`) would remove only that line's
// indentation, and the unindented line would stop `<<-` from removing any.
class Renderer {
  readonly parts: TemplatePart[] = [];

  text(value: string): void {
    this.parts.push(literal(value));
  }

  line(depth: number, value = ''): void {
    this.text(`\n${'  '.repeat(depth)}${value}`);
  }

  directive(make: (body: TemplatePart[]) => TemplatePart, render: (r: Renderer) => void): void {
    const inner = new Renderer();
    render(inner);
    this.parts.push(make(inner.parts));
  }

  statements(items: readonly AlloyStatement[], depth: number, leadingBlank = false): void {
    const widths = alignment(items);
    items.forEach((item, i) => {
      const previous = items[i - 1];
      // A directive's body carries its own blank line, so that it goes when the body does.
      const separated =
        item.kind === 'each' || item.kind === 'when'
          ? false
          : previous === undefined
            ? leadingBlank && item.kind !== 'attribute'
            : item.kind !== 'attribute' ||
              previous.kind !== 'attribute' ||
              item.comment !== undefined;
      if (separated) this.text('\n');
      this.statement(item, depth, widths[i] ?? 0);
    });
  }

  private statement(item: AlloyStatement, depth: number, width: number): void {
    switch (item.kind) {
      case 'attribute':
        item.comment?.forEach((c) => this.line(depth, `// ${c}`));
        this.line(depth, `${item.name.padEnd(width)} = `);
        return this.value(item.value, depth);
      case 'block':
        item.comment?.forEach((c) => this.line(depth, `// ${c}`));
        this.line(
          depth,
          `${item.name}${item.label === undefined ? '' : ` ${alloyString(item.label)}`} {`,
        );
        this.statements(item.body, depth + 1);
        return this.line(depth, '}');
      case 'each':
        return this.directive(
          (body) => ({ kind: 'for', value: item.iterator, collection: item.collection, body }),
          (r) => r.statements(item.body, depth, true),
        );
      case 'when':
        return this.directive(
          (then) => ({ kind: 'if', cond: item.condition, then }),
          (r) => r.statements(item.body, depth, true),
        );
    }
  }

  value(value: AlloyValue, depth: number): void {
    if (typeof value === 'string') return this.text(alloyString(value));
    if (typeof value === 'number' || typeof value === 'boolean') return this.text(String(value));
    switch (value.kind) {
      case 'reference':
        return this.text(value.path);
      case 'hcl':
        this.parts.push(jsonencode(value.expr));
        return;
      case 'list':
        if (isInline(value)) {
          this.text('[');
          value.items.forEach((item, i) => {
            if (i) this.text(', ');
            this.value(item, depth);
          });
          return this.text(']');
        }
        this.text('[');
        for (const item of value.items) {
          this.line(depth + 1);
          this.value(item, depth + 1);
          this.text(',');
        }
        if (value.repeat) {
          const { iterator, collection, item } = value.repeat;
          this.directive(
            (body) => ({ kind: 'for', value: identifier(iterator), collection, body }),
            (r) => {
              r.line(depth + 1);
              r.value(item, depth + 1);
              r.text(',');
            },
          );
        }
        return this.line(depth, ']');
      case 'object': {
        this.text('{');
        // Alloy reads a quoted key's text as is, without unescaping: keep fixed keys identifiers.
        const names = Object.keys(value.entries).map(identifier);
        const width = Math.max(0, ...names.map((n) => n.length));
        Object.values(value.entries).forEach((entry, i) => {
          this.line(depth + 1, `${names[i]!.padEnd(width)} = `);
          this.value(entry, depth + 1);
          this.text(',');
        });
        if (value.spread) {
          this.directive(
            (body) => ({
              kind: 'for',
              key: 'name',
              value: 'value',
              collection: value.spread!,
              body,
            }),
            (r) => {
              r.line(depth + 1);
              r.parts.push(jsonencode(ref('name')));
              r.text(' = ');
              r.parts.push(jsonencode(ref('value')));
              r.text(',');
            },
          );
        }
        return this.line(depth, '}');
      }
    }
  }
}

const isSimple = (v: AlloyValue) =>
  typeof v !== 'object' || v.kind === 'reference' || v.kind === 'hcl';

const isInline = (v: AlloyValue): boolean =>
  isSimple(v) ||
  (typeof v === 'object' && v.kind === 'list' && !v.repeat && v.items.every(isSimple));

/** `=` aligned across each run of consecutive single-line attributes, as `alloy fmt` does. */
function alignment(items: readonly AlloyStatement[]): number[] {
  const widths: number[] = [];
  let run: number[] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map((i) => (items[i] as AlloyAttribute).name.length));
    for (const i of run) widths[i] = width;
    run = [];
  };
  items.forEach((item, i) => {
    if (item.kind !== 'attribute' || item.comment || !isInline(item.value)) flush();
    if (item.kind === 'attribute') {
      if (isInline(item.value)) run.push(i);
      else widths[i] = item.name.length;
    }
  });
  flush();
  return widths;
}

/** The template text of an Alloy configuration file: top-level blocks separated by blank lines. */
export function alloyTemplate(items: readonly AlloyStatement[]): TemplatePart[] {
  const r = new Renderer();
  r.statements(items, 0);
  const [first, ...rest] = r.parts;
  if (first?.kind !== 'literal' || !first.value.startsWith('\n'))
    throw new TypeError('an Alloy file starts with a statement');
  return [literal(first.value.slice(1)), ...rest, literal('\n')];
}
