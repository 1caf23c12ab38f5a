import type { TemplatePart, Token } from './hcl-lexer.js';

/**
 * A reference such as `var.name`, `module.web["a"].ip` or `incus_instance.app[*].name`:
 * the root name, then each step — an attribute name, or `[]` for an index or a splat.
 */
export interface Traversal {
  readonly root: string;
  readonly steps: readonly string[];
  readonly line: number;
}

/** A call of a function whose arguments a check inspects (`templatefile`, `file`). */
export interface FunctionCall {
  readonly name: string;
  /** One token list per argument (newlines included: they separate object items). */
  readonly args: readonly (readonly Token[])[];
  readonly line: number;
}

export interface ExpressionFacts {
  readonly traversals: Traversal[];
  readonly calls: FunctionCall[];
}

export const INDEX_STEP = '[]';

/** Function calls worth recording: the ones that read files. */
const RECORDED_CALLS = new Set(['templatefile', 'file']);
const LITERAL_KEYWORDS = new Set(['true', 'false', 'null']);

/**
 * Collects the traversals and file-reading calls in template parts. `bound`
 * holds names that are in scope without being references (iterators of
 * enclosing for-expressions and dynamic blocks); names bound by the template's
 * own `%{ for … in … }` directives are added while inside them.
 */
export function templateFacts(
  parts: readonly TemplatePart[],
  bound: ReadonlySet<string> = new Set(),
  facts: ExpressionFacts = { traversals: [], calls: [] },
): ExpressionFacts {
  const loops: string[][] = [];
  const inScope = () => withNames(bound, loops.flat());
  for (const part of parts) {
    if (part.kind === 'interpolation') tokenFacts(part.tokens, inScope(), facts);
    if (part.kind !== 'directive') continue;
    const tokens = part.tokens.filter((token) => token.kind !== 'newline');
    const keyword = tokens[0]?.kind === 'identifier' ? tokens[0].text : '';
    if (keyword === 'for') {
      const inIndex = tokens.findIndex((token) => isIdentifier(token, 'in'));
      if (inIndex === -1) continue;
      tokenFacts(tokens.slice(inIndex + 1), inScope(), facts);
      loops.push(identifierTexts(tokens.slice(1, inIndex)));
    } else if (keyword === 'endfor') loops.pop();
    else if (keyword === 'if') tokenFacts(tokens.slice(1), inScope(), facts);
  }
  return facts;
}

interface Bracket {
  readonly closer: string;
  readonly kind: 'group' | 'object' | 'for';
  /** Iterator names a for-expression binds inside these brackets. */
  names: string[];
}

const CLOSERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** Collects the traversals and file-reading calls in expression tokens. */
export function tokenFacts(
  tokens: readonly Token[],
  bound: ReadonlySet<string> = new Set(),
  facts: ExpressionFacts = { traversals: [], calls: [] },
): ExpressionFacts {
  const brackets: Bracket[] = [];
  const inScope = () =>
    withNames(
      bound,
      brackets.flatMap((bracket) => bracket.names),
    );
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'template') {
      templateFacts(token.parts, inScope(), facts);
      continue;
    }
    if (token.kind === 'punctuation') {
      const closer = CLOSERS[token.text];
      if (closer) {
        const startsFor = isIdentifier(nextSignificant(tokens, i), 'for');
        const kind = startsFor ? 'for' : token.text === '{' ? 'object' : 'group';
        brackets.push({ closer, kind, names: [] });
      } else if (token.text === brackets.at(-1)?.closer) brackets.pop();
      continue;
    }
    if (token.kind !== 'identifier') continue;

    const previous = tokens[i - 1];
    const next = tokens[i + 1];
    const innermost = brackets.at(-1);
    // An attribute of something that is not a traversal (`f(x).attr`), or a provider function's namespace.
    if (isPunctuation(previous, '.') || isPunctuation(previous, '::') || isPunctuation(next, '::'))
      continue;
    if (isPunctuation(next, '(')) {
      if (RECORDED_CALLS.has(token.text))
        facts.calls.push({
          name: token.text,
          args: callArguments(tokens, i + 1),
          line: token.line,
        });
      continue;
    }
    if (innermost?.kind === 'for') {
      if (token.text === 'for' && innermost.names.length === 0) {
        const inIndex = tokens.findIndex((t, j) => j > i && isIdentifier(t, 'in'));
        // Only a template file (which hcl2json has not parsed) can lack the `in`.
        if (inIndex === -1) break;
        innermost.names = identifierTexts(tokens.slice(i + 1, inIndex));
        i = inIndex;
        continue;
      }
      if (token.text === 'if') continue;
    }
    const startsItem =
      previous === undefined ||
      previous.kind === 'newline' ||
      isPunctuation(previous, ',') ||
      isPunctuation(previous, '{');
    if (
      innermost?.kind === 'object' &&
      startsItem &&
      (isPunctuation(next, '=') || isPunctuation(next, ':'))
    )
      continue; // an object key
    if (LITERAL_KEYWORDS.has(token.text) && !isPunctuation(next, '.')) continue;

    const steps: string[] = [];
    let j = i + 1;
    for (;;) {
      const step = tokens[j + 1];
      if (
        isPunctuation(tokens[j], '.') &&
        step &&
        step.kind !== 'template' &&
        step.kind !== 'newline'
      ) {
        steps.push(step.text);
        j += 2;
      } else if (isPunctuation(tokens[j], '[')) {
        const close = matchingBracket(tokens, j);
        tokenFacts(tokens.slice(j + 1, close), inScope(), facts);
        steps.push(INDEX_STEP);
        j = close + 1;
      } else break;
    }
    if (!inScope().has(token.text))
      facts.traversals.push({ root: token.text, steps, line: token.line });
    i = j - 1;
  }
  return facts;
}

/** The arguments of the call whose `(` is at `open`, split at its top-level commas. */
function callArguments(tokens: readonly Token[], open: number): Token[][] {
  const close = matchingBracket(tokens, open);
  const args: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens.slice(open + 1, close)) {
    if (depth === 0 && isPunctuation(token, ',')) args.push([]);
    else args.at(-1)!.push(token);
    depth += bracketDepthChange(token);
  }
  return args.filter((arg) => arg.some((token) => token.kind !== 'newline'));
}

/** Index of the bracket closing the one at `open` (or the end of the tokens). */
export function matchingBracket(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    depth += bracketDepthChange(tokens[i]!);
    if (depth === 0) return i;
  }
  return tokens.length;
}

/** +1 for an opening bracket, -1 for a closing one. */
export function bracketDepthChange(token: Token): number {
  if (token.kind !== 'punctuation') return 0;
  if (CLOSERS[token.text]) return 1;
  return Object.values(CLOSERS).includes(token.text) ? -1 : 0;
}

function nextSignificant(tokens: readonly Token[], index: number): Token | undefined {
  for (let i = index + 1; i < tokens.length; i++)
    if (tokens[i]!.kind !== 'newline') return tokens[i];
  return undefined;
}

function identifierTexts(tokens: readonly Token[]): string[] {
  return tokens.flatMap((token) => (token.kind === 'identifier' ? [token.text] : []));
}

function withNames(names: ReadonlySet<string>, more: readonly string[]): ReadonlySet<string> {
  return more.length === 0 ? names : new Set([...names, ...more]);
}

export function isPunctuation(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punctuation' && token.text === text;
}

export function isIdentifier(token: Token | undefined, text: string): boolean {
  return token?.kind === 'identifier' && token.text === text;
}
