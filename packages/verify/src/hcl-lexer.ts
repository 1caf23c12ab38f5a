/**
 * A small lexer for HCL native syntax: just enough to tell identifiers,
 * punctuation, strings and heredocs apart, so that the checks can find
 * attribute values and traversals without mistaking string contents or
 * comments for code. It is lenient: it never throws, because every file it
 * sees has already been parsed by HashiCorp's parser (hcl2json).
 */

export interface SimpleToken {
  readonly kind: 'identifier' | 'number' | 'punctuation' | 'newline';
  readonly text: string;
  readonly line: number;
}

/** A quoted string or a heredoc: literal text interleaved with `${…}` and `%{…}`. */
export interface TemplateToken {
  readonly kind: 'template';
  readonly heredoc: boolean;
  readonly parts: readonly TemplatePart[];
  readonly line: number;
}

export type Token = SimpleToken | TemplateToken;

export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      /** `${…}` is an interpolation, `%{…}` a directive (`for`, `if`, `else`, `endif`, `endfor`). */
      readonly kind: 'interpolation' | 'directive';
      readonly tokens: readonly Token[];
      readonly line: number;
    };

/** Lexes HCL source (a whole file, or one expression). */
export function lexExpression(source: string, firstLine = 1): Token[] {
  return new Lexer(source, firstLine).expression(false);
}

/**
 * Lexes template text: a template file, or a string value from hcl2json (which
 * renders every non-literal as template text such as `"${var.x}-suffix"`).
 * Backslashes are plain text here, as in a heredoc; `$${` and `%%{` are the
 * escapes for a literal `${` and `%{`.
 */
export function lexTemplate(text: string, firstLine = 1): TemplatePart[] {
  return new Lexer(text, firstLine).templateParts({ kind: 'text' });
}

const IDENTIFIER = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEREDOC_START = /<<(-?)([\p{ID_Start}_][\p{ID_Continue}-]*)\r?\n/uy;
const MULTI_CHARACTER_PUNCTUATION = ['...', '=>', '==', '!=', '<=', '>=', '&&', '||', '::'];
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

type TemplateEnd =
  | { readonly kind: 'quote' }
  | { readonly kind: 'heredoc'; readonly closingLine: RegExp }
  | { readonly kind: 'text' };

class Lexer {
  private position = 0;

  constructor(
    private readonly source: string,
    private line: number,
  ) {}

  /**
   * Tokens up to the end of the source or, when `insideTemplate`, up to the
   * `}` that closes the enclosing `${` or `%{` (which is consumed).
   */
  expression(insideTemplate: boolean): Token[] {
    const tokens: Token[] = [];
    let braceDepth = 0;
    const { source } = this;
    while (this.position < source.length) {
      const char = source[this.position]!;
      const next = source[this.position + 1];
      if (char === '\n') {
        tokens.push({ kind: 'newline', text: '\n', line: this.line });
        this.line++;
        this.position++;
      } else if (char === ' ' || char === '\t' || char === '\r' || char === '~') {
        // `~` only appears as a template strip marker (`${~ x ~}`), which changes no meaning we check.
        this.position++;
      } else if (char === '#' || (char === '/' && next === '/')) {
        const end = source.indexOf('\n', this.position);
        this.position = end === -1 ? source.length : end;
      } else if (char === '/' && next === '*') {
        const end = source.indexOf('*/', this.position + 2);
        const stop = end === -1 ? source.length : end + 2;
        this.line += countNewlines(source, this.position, stop);
        this.position = stop;
      } else if (char === '"') {
        const line = this.line;
        this.position++;
        tokens.push({
          kind: 'template',
          heredoc: false,
          parts: this.templateParts({ kind: 'quote' }),
          line,
        });
      } else if (char === '<' && next === '<' && this.startsHeredoc()) {
        tokens.push(this.heredoc());
      } else if (this.matches(IDENTIFIER)) {
        tokens.push(this.take(IDENTIFIER, 'identifier'));
      } else if (this.matches(NUMBER)) {
        tokens.push(this.take(NUMBER, 'number'));
      } else {
        if (char === '{') braceDepth++;
        if (char === '}') {
          if (insideTemplate && braceDepth === 0) {
            this.position++;
            return tokens;
          }
          braceDepth--;
        }
        const text =
          MULTI_CHARACTER_PUNCTUATION.find((candidate) =>
            source.startsWith(candidate, this.position),
          ) ?? char;
        tokens.push({ kind: 'punctuation', text, line: this.line });
        this.position += text.length;
      }
    }
    return tokens;
  }

  templateParts(end: TemplateEnd): TemplatePart[] {
    const parts: TemplatePart[] = [];
    let literal = '';
    const flushLiteral = () => {
      if (literal !== '') parts.push({ kind: 'literal', text: literal });
      literal = '';
    };
    const { source } = this;
    let atLineStart = end.kind === 'heredoc';
    while (this.position < source.length) {
      if (atLineStart && end.kind === 'heredoc') {
        end.closingLine.lastIndex = this.position;
        const closing = end.closingLine.exec(source);
        if (closing) {
          // Leave the newline after the marker: it ends the attribute.
          this.position += closing[0].replace(/\r?\n$/, '').length;
          flushLiteral();
          return parts;
        }
      }
      atLineStart = false;
      const char = source[this.position]!;
      const next = source[this.position + 1];
      if (end.kind === 'quote') {
        if (char === '"') {
          this.position++;
          flushLiteral();
          return parts;
        }
        // A quoted string cannot span lines; stop rather than swallow the file.
        if (char === '\n') break;
        if (char === '\\') {
          literal += this.escape();
          continue;
        }
      }
      if ((char === '$' || char === '%') && next === char && source[this.position + 2] === '{') {
        literal += `${char}{`;
        this.position += 3;
      } else if ((char === '$' || char === '%') && next === '{') {
        flushLiteral();
        const line = this.line;
        this.position += 2;
        const kind = char === '$' ? 'interpolation' : 'directive';
        parts.push({ kind, tokens: this.expression(true), line });
      } else {
        if (char === '\n') {
          this.line++;
          atLineStart = true;
        }
        literal += char;
        this.position++;
      }
    }
    flushLiteral();
    return parts;
  }

  private startsHeredoc(): boolean {
    HEREDOC_START.lastIndex = this.position;
    return HEREDOC_START.test(this.source);
  }

  private heredoc(): TemplateToken {
    const line = this.line;
    HEREDOC_START.lastIndex = this.position;
    const [opening = '', , marker = ''] = HEREDOC_START.exec(this.source) ?? [];
    this.position += opening.length;
    this.line++;
    const closingLine = new RegExp(`[ \\t]*${marker}[ \\t]*(?:\\r?\\n|$)`, 'uy');
    return {
      kind: 'template',
      heredoc: true,
      parts: this.templateParts({ kind: 'heredoc', closingLine }),
      line,
    };
  }

  /** Decodes the escape sequence at the current backslash. */
  private escape(): string {
    const letter = this.source[this.position + 1] ?? '';
    const unicode =
      /^[uU]$/.test(letter) &&
      /^[0-9a-fA-F]+/.exec(
        this.source.slice(this.position + 2, this.position + (letter === 'u' ? 6 : 10)),
      );
    if (unicode) {
      this.position += 2 + unicode[0].length;
      const codePoint = Number.parseInt(unicode[0], 16);
      // The lexer never throws, even on a file HCL rejects.
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\ufffd';
    }
    this.position += 2;
    return ESCAPES[letter] ?? letter;
  }

  private matches(pattern: RegExp): boolean {
    pattern.lastIndex = this.position;
    return pattern.test(this.source);
  }

  private take(pattern: RegExp, kind: 'identifier' | 'number'): SimpleToken {
    pattern.lastIndex = this.position;
    const text = pattern.exec(this.source)?.[0] ?? '';
    this.position += text.length;
    return { kind, text, line: this.line };
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
