import { EvaluationError, type Value } from './value.js';

/** A pattern in RE2 syntax, compiled to a JavaScript RegExp that matches the same strings. */
export interface Re2 {
  readonly regexp: RegExp;
  /** Capture groups in order: a name, or `undefined` for an unnamed group. */
  readonly groups: readonly (string | undefined)[];
}

const cache = new Map<string, Re2>();

/** Translate an RE2 pattern (OpenTofu's regex dialect); errors where RE2 would reject it or JavaScript cannot express it. */
export function compileRe2(pattern: string): Re2 {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = translate(pattern);
    cache.set(pattern, compiled);
  }
  return compiled;
}

const bad = (pattern: string, why: string): never => {
  throw new EvaluationError(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
};

// Characters JavaScript's unicode mode lets a backslash escape; RE2 allows any ASCII punctuation.
const JS_ESCAPABLE = new Set('^$\\.*+?()[]{}|/');
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;
// RE2's \s is ASCII only (no \v, no Unicode spaces), unlike JavaScript's.
const SPACE = '\\t\\n\\f\\r ';
const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const hex = (code: number) => `\\u{${code.toString(16)}}`;

function translate(pattern: string): Re2 {
  const chars = [...pattern];
  const groups: (string | undefined)[] = [];
  let flags = '';
  let dotAll = false;
  let i = 0;

  // Flags are only supported at the very start: JavaScript (Node 20) has no inline modifiers.
  const leading = /^\(\?([imsU]+)\)/.exec(pattern);
  if (leading) {
    for (const f of leading[1]!) {
      if (f === 'U') bad(pattern, 'ungreedy mode (?U) is not supported here');
      if (f === 's') dotAll = true;
      else if (!flags.includes(f)) flags += f;
    }
    i = [...leading[0]].length;
  }

  /** One escape sequence after a backslash at `chars[i]`, as JavaScript source; `inClass` inside [...]. */
  const escape = (inClass: boolean): string => {
    const c = chars[i++];
    if (c === undefined) return bad(pattern, 'trailing backslash');
    switch (c) {
      case 'A':
        if (inClass) break;
        return '(?<![\\s\\S])';
      case 'z':
        if (inClass) break;
        return '(?![\\s\\S])';
      case 'a':
        return '\\x07';
      case 's':
        return inClass ? SPACE : `[${SPACE}]`;
      case 'S':
        if (inClass) return bad(pattern, '\\S inside a character class is not supported here');
        return `[^${SPACE}]`;
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 'f':
      case 't':
      case 'n':
      case 'r':
      case 'v':
        return `\\${c}`;
      case 'b':
      case 'B':
        if (inClass) break;
        return `\\${c}`;
      case 'x': {
        if (chars[i] === '{') {
          const end = chars.indexOf('}', i);
          if (end < 0) break;
          const code = parseInt(chars.slice(i + 1, end).join(''), 16);
          i = end + 1;
          if (Number.isNaN(code) || code > 0x10ffff) break;
          return hex(code);
        }
        const two = chars.slice(i, i + 2).join('');
        if (!/^[0-9A-Fa-f]{2}$/.test(two)) break;
        i += 2;
        return hex(parseInt(two, 16));
      }
      case 'p':
      case 'P': {
        let name = chars[i++] ?? '';
        if (name === '{') {
          const end = chars.indexOf('}', i);
          if (end < 0) break;
          name = chars.slice(i, end).join('');
          i = end + 1;
        }
        let negate = c === 'P';
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        // One- and two-letter names are general categories; longer ones are scripts.
        const property = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
        return `\\${negate ? 'P' : 'p'}{${property}}`;
      }
      case 'Q': {
        let text = '';
        while (i < chars.length && !(chars[i] === '\\' && chars[i + 1] === 'E'))
          text += literal(chars[i++]!);
        if (i < chars.length) i += 2;
        return text;
      }
      default:
        if (/[0-7]/.test(c)) {
          // \0, or \1-\7 followed by more octal digits; a lone \1-\9 would be a backreference.
          let digits = c;
          while (digits.length < 3 && /[0-7]/.test(chars[i] ?? '')) digits += chars[i++];
          if (c !== '0' && digits.length === 1) break;
          return hex(parseInt(digits, 8));
        }
        if (PUNCTUATION.test(c)) return literal(c);
    }
    return bad(pattern, `invalid escape sequence \\${c}`);
  };

  /** A literal character as JavaScript unicode-mode source. */
  const literal = (c: string): string =>
    JS_ESCAPABLE.has(c) ? `\\${c}` : PUNCTUATION.test(c) ? hex(c.codePointAt(0)!) : c;

  const characterClass = (): string => {
    let out = '[';
    if (chars[i] === '^') {
      out += '^';
      i++;
    }
    // A `]` right after `[` or `[^` is a literal in RE2.
    let first = true;
    while (i < chars.length) {
      const c = chars[i]!;
      if (c === ']' && !first) {
        i++;
        return out + ']';
      }
      first = false;
      if (c === '[' && chars[i + 1] === ':') {
        let end = i + 2;
        while (end < chars.length && !(chars[end] === ':' && chars[end + 1] === ']')) end++;
        const name = chars.slice(i + 2, end).join('');
        if (name.startsWith('^'))
          return bad(pattern, `negated class [:${name}:] is not supported here`);
        const expansion = POSIX[name];
        if (expansion === undefined)
          return bad(pattern, `invalid character class range [:${name}:]`);
        out += expansion;
        i = end + 2;
        continue;
      }
      i++;
      if (c === '\\') out += escape(true);
      else if (c === '-' || c === '^') out += c;
      else out += literal(c);
    }
    return bad(pattern, 'missing closing ]');
  };

  let out = '';
  let depth = 0;
  while (i < chars.length) {
    const c = chars[i++]!;
    switch (c) {
      case '\\':
        out += escape(false);
        break;
      case '[':
        out += characterClass();
        break;
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        break;
      case '(':
        depth++;
        if (chars[i] !== '?') {
          groups.push(undefined);
          out += '(';
          break;
        }
        {
          const rest = chars.slice(i).join('');
          const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
          if (named) {
            groups.push(named[1]);
            out += `(?<${named[1]}>`;
            i += named[0].length;
          } else if (rest.startsWith('?:')) {
            out += '(?:';
            i += 2;
          } else if (/^\?[imsU-]+[:)]/.test(rest)) {
            return bad(pattern, 'flags inside the pattern are only supported at its start');
          } else {
            return bad(pattern, 'invalid or unsupported Perl syntax');
          }
        }
        break;
      case ')':
        if (--depth < 0) return bad(pattern, 'unexpected )');
        out += ')';
        break;
      case '{': {
        // A brace that does not start a repetition is a literal in RE2.
        const repeat = /^\d+(,\d*)?\}/.exec(chars.slice(i).join(''));
        if (repeat) {
          out += `{${repeat[0]}`;
          i += repeat[0].length;
        } else out += '\\{';
        break;
      }
      case '}':
      case ']':
        out += `\\${c}`;
        break;
      default:
        out += c;
    }
  }
  if (depth > 0) return bad(pattern, 'missing closing )');
  try {
    return { regexp: new RegExp(out, `${flags}u`), groups };
  } catch (error) {
    return bad(pattern, (error as Error).message);
  }
}

/**
 * One match as OpenTofu's `regex` returns it: the matched text when the
 * pattern has no groups, a list of the groups when they are unnamed, an
 * object when they are named (null for a group that took no part).
 */
export function matchValue(re: Re2, match: RegExpMatchArray): Value {
  if (re.groups.length === 0) return match[0];
  const named = re.groups.filter((g) => g !== undefined).length;
  if (named === 0) return re.groups.map((_, n) => match[n + 1] ?? null);
  if (named !== re.groups.length)
    throw new EvaluationError('invalid regular expression: cannot mix named and unnamed groups');
  return Object.fromEntries(re.groups.map((name, n) => [name!, match[n + 1] ?? null]));
}

/** Go's `Regexp.Expand` for `replace()`: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
export function expandReplacement(template: string, re: Re2, match: RegExpMatchArray): string {
  return template.replace(
    /\$(\$|\{(\w+)\}|(\w+))/g,
    (_, all: string, braced?: string, bare?: string) => {
      if (all === '$') return '$';
      const name = braced ?? bare!;
      if (/^\d+$/.test(name)) return match[Number(name)] ?? '';
      const index = re.groups.indexOf(name);
      return index < 0 ? '' : (match[index + 1] ?? '');
    },
  );
}
