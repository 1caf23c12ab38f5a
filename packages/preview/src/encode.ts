import {
  UNKNOWN,
  UNKNOWN_TEXT,
  isList,
  isObject,
  numberText,
  sortedKeys,
  type Value,
} from './value.js';

/**
 * `jsonencode`: keys sorted, no spaces, and `<`, `>`, `&`, U+2028 and U+2029
 * escaped as Go's encoder does. Unknown values show as {@link UNKNOWN_TEXT}.
 */
export function jsonEncode(value: Value): string {
  if (value === null) return 'null';
  if (value === UNKNOWN) return jsonString(UNKNOWN_TEXT);
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return String(value);
  if (isList(value)) return `[${value.map(jsonEncode).join(',')}]`;
  return `{${sortedKeys(value)
    .map((k) => `${jsonString(k)}:${jsonEncode(value[k]!)}`)
    .join(',')}}`;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export const jsonString = (s: string): string =>
  JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);

// ---- yamlencode ---------------------------------------------------------

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

/** Printable for libyaml: LF, ASCII printable, U+00A0–U+D7FF, U+E000–U+FFFD except the BOM. */
const isPrintable = (c: number) =>
  c === 0x0a ||
  (c >= 0x20 && c <= 0x7e) ||
  (c >= 0xa0 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
const isBreak = (c: number | undefined) =>
  c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const SPACE = 0x20;

/**
 * `yamlencode`, byte for byte: OpenTofu (go-cty-yaml) drives libyaml's
 * emitter with block collections, flow `[]`/`{}` for empty ones, keys in
 * sorted order, strings double-quoted (literal `|` blocks when they hold a
 * line break), and plain numbers, booleans and nulls. This is that emitter's
 * logic for exactly those events, including where it folds long
 * double-quoted strings (at the first space past column 80).
 */
export function yamlEncode(value: Value): string {
  return new YamlEmitter().document(value);
}

type Scalar = { readonly text: string; readonly style: 'plain' | 'double' | 'literal' };

class YamlEmitter {
  #out = '';
  #column = 0;
  #indent = -1;
  readonly #indents: number[] = [];
  #whitespace = true;
  #indention = true;
  #openEnded = false;
  // Where the node being emitted stands, as libyaml tracks it.
  #mappingContext = false;
  #simpleKeyContext = false;
  #rootContext = false;

  document(value: Value): string {
    this.#node(value, { root: true });
    this.#writeIndent();
    if (this.#openEnded) {
      this.#indicator('...', true, false, false);
      this.#writeIndent();
    }
    return this.#out;
  }

  #node(value: Value, at: { root?: boolean; mapping?: boolean; simpleKey?: boolean } = {}): void {
    this.#rootContext = at.root ?? false;
    this.#mappingContext = at.mapping ?? false;
    this.#simpleKeyContext = at.simpleKey ?? false;
    if (isList(value)) {
      if (value.length === 0) return this.#emptyFlow('[', ']');
      return this.#sequence(value);
    }
    if (isObject(value)) {
      const keys = sortedKeys(value);
      if (keys.length === 0) return this.#emptyFlow('{', '}');
      return this.#mapping(keys, value);
    }
    this.#scalar(scalarOf(value));
  }

  #emptyFlow(open: string, close: string): void {
    this.#indicator(open, true, true, false);
    this.#indicator(close, false, false, false);
  }

  #sequence(items: readonly Value[]): void {
    this.#increaseIndent(false, this.#mappingContext && !this.#indention);
    for (const item of items) {
      this.#writeIndent();
      this.#indicator('-', true, false, true);
      this.#node(item);
    }
    this.#popIndent();
  }

  #mapping(keys: readonly string[], object: { readonly [k: string]: Value }): void {
    this.#increaseIndent(false, false);
    for (const key of keys) {
      this.#writeIndent();
      // libyaml writes a multi-line key or one longer than 128 bytes after `? `, the value after `: ` on its own line.
      if (!analyze(key).multiline && Buffer.byteLength(key) <= 128) {
        this.#node(key, { mapping: true, simpleKey: true });
        this.#indicator(':', false, false, false);
      } else {
        this.#indicator('?', true, false, true);
        this.#node(key, { mapping: true });
        this.#writeIndent();
        this.#indicator(':', true, false, true);
      }
      this.#node(object[key]!, { mapping: true });
    }
    this.#popIndent();
  }

  #scalar({ text, style: wanted }: Scalar): void {
    const analysis = analyze(text);
    let style = wanted;
    if (this.#simpleKeyContext && analysis.multiline) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || this.#simpleKeyContext)) style = 'double';
    this.#increaseIndent(true, false);
    if (style === 'plain') this.#plain(text);
    else if (style === 'double') this.#doubleQuoted(text, !this.#simpleKeyContext);
    else this.#literal(text);
    this.#popIndent();
  }

  #increaseIndent(flow: boolean, indentless: boolean): void {
    this.#indents.push(this.#indent);
    if (this.#indent < 0) this.#indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.#indent += BEST_INDENT;
  }

  #popIndent(): void {
    this.#indent = this.#indents.pop()!;
  }

  #put(text: string): void {
    this.#out += text;
    this.#column += [...text].length;
  }

  #putBreak(): void {
    this.#out += '\n';
    this.#column = 0;
  }

  #writeIndent(): void {
    const indent = Math.max(this.#indent, 0);
    if (!this.#indention || this.#column > indent || (this.#column === indent && !this.#whitespace))
      this.#putBreak();
    while (this.#column < indent) this.#put(' ');
    this.#whitespace = true;
    this.#indention = true;
  }

  #indicator(text: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean) {
    if (needWhitespace && !this.#whitespace) this.#put(' ');
    this.#put(text);
    this.#whitespace = isWhitespace;
    this.#indention = this.#indention && isIndention;
    this.#openEnded = false;
  }

  #plain(text: string): void {
    if (!this.#whitespace) this.#put(' ');
    this.#put(text);
    this.#whitespace = false;
    this.#indention = false;
    if (this.#rootContext) this.#openEnded = true;
  }

  #doubleQuoted(text: string, allowBreaks: boolean): void {
    this.#indicator('"', true, false, false);
    const chars = [...text];
    let spaces = false;
    chars.forEach((ch, i) => {
      const c = ch.codePointAt(0)!;
      if (!isPrintable(c) || c === 0xfeff || isBreak(c) || ch === '"' || ch === '\\') {
        this.#put(`\\${doubleQuotedEscape(c)}`);
        spaces = false;
      } else if (c === SPACE) {
        if (allowBreaks && !spaces && this.#column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.#writeIndent();
          if (chars[i + 1] === ' ') this.#put('\\');
        } else this.#put(ch);
        spaces = true;
      } else {
        this.#put(ch);
        spaces = false;
      }
    });
    this.#indicator('"', false, false, false);
    this.#whitespace = false;
    this.#indention = false;
  }

  #literal(text: string): void {
    this.#indicator('|', true, false, false);
    this.#blockScalarHints(text);
    this.#putBreak();
    this.#indention = true;
    this.#whitespace = true;
    let breaks = true;
    for (const ch of text) {
      if (isBreak(ch.codePointAt(0))) {
        if (ch === '\n') this.#putBreak();
        else {
          this.#out += ch;
          this.#column = 0;
        }
        this.#indention = true;
        breaks = true;
      } else {
        if (breaks) this.#writeIndent();
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
  }

  #blockScalarHints(text: string): void {
    const chars = [...text];
    const first = chars[0]?.codePointAt(0);
    if (first === SPACE || isBreak(first))
      this.#indicator(String(BEST_INDENT), false, false, false);
    const last = chars.at(-1)?.codePointAt(0);
    const beforeLast = chars.at(-2)?.codePointAt(0);
    if (!isBreak(last)) this.#indicator('-', false, false, false);
    else if (chars.length === 1 || isBreak(beforeLast)) this.#indicator('+', false, false, false);
  }
}

function scalarOf(value: Value): Scalar {
  if (value === null) return { text: 'null', style: 'plain' };
  if (typeof value === 'number') {
    const text = value === Infinity ? '+.Inf' : value === -Infinity ? '-.Inf' : numberText(value);
    return { text, style: 'plain' };
  }
  if (typeof value === 'boolean') return { text: String(value), style: 'plain' };
  const text = value === UNKNOWN ? UNKNOWN_TEXT : (value as string);
  return { text, style: text.includes('\n') ? 'literal' : 'double' };
}

/** What libyaml's scalar analysis decides for the styles used here. */
function analyze(text: string): { multiline: boolean; blockAllowed: boolean } {
  const chars = [...text].map((c) => c.codePointAt(0)!);
  if (chars.length === 0) return { multiline: false, blockAllowed: false };
  let lineBreaks = false;
  let special = false;
  let trailingSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  chars.forEach((c, i) => {
    if (!isPrintable(c)) special = true;
    if (c === SPACE) {
      if (i === chars.length - 1) trailingSpace = true;
      previousSpace = true;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
    } else previousSpace = false;
  });
  return { multiline: lineBreaks, blockAllowed: !trailingSpace && !spaceBreak && !special };
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

function doubleQuotedEscape(c: number): string {
  const named = NAMED_ESCAPES[c];
  if (named) return named;
  const [prefix, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
  return prefix + c.toString(16).toUpperCase().padStart(width, '0');
}
