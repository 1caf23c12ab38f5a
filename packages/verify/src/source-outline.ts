import { bracketDepthChange } from './expression-facts.js';
import { lexExpression, type TemplateToken, type Token } from './hcl-lexer.js';

/**
 * The block structure of a `.tf`/`.tfvars` file read from its source text,
 * with line numbers — what hcl2json's JSON does not keep. Used to find lines
 * for problems and for the checks that depend on how the source is written.
 */
export interface SourceBody {
  readonly attributes: readonly SourceAttribute[];
  readonly blocks: readonly SourceBlock[];
}

export interface SourceAttribute {
  readonly name: string;
  readonly line: number;
  /** The value's tokens, newlines inside brackets included. */
  readonly value: readonly Token[];
}

export interface SourceBlock extends SourceBody {
  readonly type: string;
  readonly labels: readonly SourceLabel[];
  readonly line: number;
  readonly endLine: number;
}

export interface SourceLabel {
  readonly text: string;
  /** `resource "a" "b"` rather than `resource a b`, which tofu fmt rewrites. */
  readonly quoted: boolean;
}

export function outlineSource(source: string): SourceBody {
  const tokens = lexExpression(source);
  return new OutlineParser(tokens).body(false);
}

class OutlineParser {
  private index = 0;
  private lastLine = 1;

  constructor(private readonly tokens: readonly Token[]) {}

  body(inBlock: boolean): SourceBody {
    const attributes: SourceAttribute[] = [];
    const blocks: SourceBlock[] = [];
    for (let token = this.next(); token; token = this.next()) {
      if (token.kind === 'newline') continue;
      if (inBlock && token.kind === 'punctuation' && token.text === '}') break;
      if (token.kind !== 'identifier') continue;
      const following = this.tokens[this.index];
      if (following?.kind === 'punctuation' && following.text === '=')
        attributes.push({ name: token.text, line: token.line, value: this.attributeValue() });
      else blocks.push(this.block(token.text, token.line));
    }
    return { attributes, blocks };
  }

  private block(type: string, line: number): SourceBlock {
    const labels: SourceLabel[] = [];
    for (let token = this.next(); token; token = this.next()) {
      if (token.kind === 'template') labels.push({ text: literalText(token) ?? '', quoted: true });
      else if (token.kind === 'identifier') labels.push({ text: token.text, quoted: false });
      else break; // the `{`
    }
    const body = this.body(true);
    return { type, labels, line, endLine: this.lastLine, ...body };
  }

  /** Tokens after `=` up to the end of the line (outside brackets) or the `}` closing the block. */
  private attributeValue(): Token[] {
    this.index++; // the `=`
    const value: Token[] = [];
    let depth = 0;
    for (let token = this.tokens[this.index]; token; token = this.tokens[this.index]) {
      if (depth === 0 && token.kind === 'newline') break;
      const depthChange = bracketDepthChange(token);
      if (depth === 0 && depthChange < 0) break;
      depth += depthChange;
      value.push(token);
      this.next();
    }
    return value;
  }

  private next(): Token | undefined {
    const token = this.tokens[this.index++];
    if (token) this.lastLine = token.line;
    return token;
  }
}

/** The text of a template with no interpolations (a block label); `undefined` otherwise. */
export function literalText(template: TemplateToken): string | undefined {
  let text = '';
  for (const part of template.parts) {
    if (part.kind !== 'literal') return undefined;
    text += part.text;
  }
  return text;
}

/** The top-level blocks of `type` whose labels start with `labels`. */
export function findBlocks(
  outline: SourceBody,
  type: string,
  labels: readonly string[],
): SourceBlock[] {
  return outline.blocks.filter(
    (block) => block.type === type && labels.every((label, i) => block.labels[i]?.text === label),
  );
}
