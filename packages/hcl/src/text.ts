/**
 * Character-level rules: string escaping, heredoc eligibility and the column
 * width hclwrite uses to align `=` signs.
 */

/** Anything that makes a quoted string differ from its raw text. Surrogates go to the slow path so lone ones are caught. */
const QUOTED_SPECIAL = /[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]|[$%]\{/;

/**
 * Characters printed as `\uXXXX` in quoted strings: C0/C1 controls and DEL
 * (invisible, and raw CR/LF would end the string), the Unicode line and
 * paragraph separators (line breaks to many editors and tools) and the BOM
 * (invisible, stripped by some tools). The parser accepts them raw; escaping
 * keeps generated files plain, visible text.
 */
function needsUnicodeEscape(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  );
}

function loneSurrogate(text: string, index: number): never {
  throw new RangeError(
    `lone surrogate U+${text.charCodeAt(index).toString(16).toUpperCase()} at index ${index} of ${JSON.stringify(text)} cannot be written as UTF-8`,
  );
}

/** The body of a quoted HCL string (no surrounding quotes) whose value is `text`. */
export function escapeQuoted(text: string): string {
  if (!QUOTED_SPECIAL.test(text)) return text;
  let out = '';
  let done = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string;
    let width = 1;
    if (code === 0x5c) replacement = '\\\\';
    else if (code === 0x22) replacement = '\\"';
    else if (code === 0x0a) replacement = '\\n';
    else if (code === 0x0d) replacement = '\\r';
    else if (code === 0x09) replacement = '\\t';
    else if ((code === 0x24 || code === 0x25) && text.charCodeAt(i + 1) === 0x7b) {
      replacement = code === 0x24 ? '$${' : '%%{';
      width = 2;
    } else if (needsUnicodeEscape(code)) replacement = '\\u' + code.toString(16).padStart(4, '0');
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) loneSurrogate(text, i);
      i++;
      continue;
    } else continue;
    out += text.slice(done, i) + replacement;
    i += width - 1;
    done = i + 1;
  }
  return out + text.slice(done);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Literal text inside a heredoc or template file: only template sequences are escaped. */
export function escapeTemplateText(text: string): string {
  const lone = LONE_SURROGATE.exec(text);
  if (lone) loneSurrogate(text, lone.index);
  if (!text.includes('{')) return text;
  // split/join: in a replacement string `$$` would mean a single `$`.
  return text.split('${').join('$${').split('%{').join('%%{');
}

/**
 * What `templatefile()` would misread in a template file's text: a carriage
 * return outside a CRLF (HCL's scanner stops interpolating after it) or a
 * leading byte-order mark (copied into the rendered output).
 */
export function templateFileProblem(text: string, atStart = true): string | undefined {
  if (atStart && text.startsWith('\ufeff')) return 'starts with a byte-order mark (U+FEFF)';
  const cr = /\r(?!\n)/.exec(text);
  return cr ? `has a carriage return without a line feed at index ${cr.index}` : undefined;
}

/** Characters a heredoc would have to contain raw although quoted strings escape them (see {@link escapeQuoted}). */
const HEREDOC_UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

export function heredocSafe(text: string): boolean {
  return !HEREDOC_UNSAFE.test(text);
}

/** Go's `unicode.IsSpace`, which the parser uses to measure heredoc indentation and find the closing marker. */
const GO_SPACE =
  '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]`);
const SURROUNDING_SPACE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');
const BLANK_LINE = new RegExp(`^[${GO_SPACE}]*$`);

/**
 * A character that joins the grapheme cluster of a space placed before it:
 * Extend (Grapheme_Extend and emoji modifiers), ZWJ and SpacingMark (all of
 * Mc, which errs towards caution).
 */
const JOINS_PREVIOUS = /^[\p{Grapheme_Extend}\p{Emoji_Modifier}\p{Mc}\u200d\u0e33\u0eb3]/u;

/** True when the parser treats the heredoc line as blank: it neither counts nor strips its indentation. */
export function isBlankLine(line: string): boolean {
  return BLANK_LINE.test(line);
}

/**
 * Whether printed heredoc `lines` (template text, without their newlines)
 * survive a `<<-` heredoc that indents them by extra spaces. The parser
 * removes the smallest indentation over all non-blank lines, counted in
 * grapheme clusters of leading `unicode.IsSpace` characters (a line that
 * starts with `${`/`%{` counts as unindented), so the added spaces come off
 * exactly when some non-blank line has no indentation of its own, and no line
 * starts with a mark that would fuse with the added space into one cluster.
 */
export function indentable(lines: readonly string[]): boolean {
  let nonBlank = false;
  let unindented = false;
  for (const line of lines) {
    if (isBlankLine(line)) continue;
    nonBlank = true;
    if (JOINS_PREVIOUS.test(line)) return false;
    if (!LEADING_SPACE.test(line)) unindented = true;
  }
  return unindented || !nonBlank;
}

/** The heredoc marker: `preferred`, or with a numeric suffix when a content line would read as the closing marker. */
export function heredocMarker(preferred: string, lines: readonly string[]): string {
  const taken = new Set<string>();
  for (const line of lines) {
    const trimmed = line.replace(SURROUNDING_SPACE, '');
    if (trimmed.startsWith(preferred)) taken.add(trimmed);
  }
  let marker = preferred;
  for (let n = 1; taken.has(marker); n++) marker = preferred + n;
  return marker;
}

/**
 * A plain string printed as a `<<-` heredoc rather than a quoted string: at
 * least two lines, ending with a newline, no characters a heredoc cannot show
 * and an indentation the parser strips back exactly.
 */
export function heredocEligible(value: string): boolean {
  const firstBreak = value.indexOf('\n');
  if (firstBreak < 0 || firstBreak === value.length - 1 || !value.endsWith('\n')) return false;
  if (!heredocSafe(value)) return false;
  return indentable(escapeTemplateText(value).slice(0, -1).split('\n'));
}

// ---- columns --------------------------------------------------------------

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// Built on first use: creating a segmenter loads ICU data, which most files (pure ASCII) never need.
let graphemes: Intl.Segmenter | undefined;
const segmenter = () => (graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));
/**
 * hclwrite counts grapheme clusters with go-textseg v15, whose rules differ
 * from ICU's (which `Intl.Segmenter` uses) in three ways this corrects for:
 * ICU with Unicode ≥ 15.1 keeps Indic conjuncts (consonant, virama,
 * consonant) together (rule GB9c), textseg splits before the second
 * consonant; textseg glues `ZWJ` + pictograph onto Hangul syllables and flags
 * too, ICU only onto pictographs; textseg treats U+FFFD as a control
 * character, which stands alone.
 */
const INCB_CONSONANT =
  '[\\u0915-\\u0939\\u0958-\\u095f\\u0978-\\u097f\\u0995-\\u09b9\\u09dc-\\u09df\\u09f0\\u09f1\\u0a95-\\u0ab9\\u0af9\\u0b15-\\u0b39\\u0b5c-\\u0b5f\\u0b71\\u0c15-\\u0c39\\u0c58-\\u0c5a\\u0d15-\\u0d3a]';
const INDIC_CONJUNCT = new RegExp(
  `${INCB_CONSONANT}[\\p{Grapheme_Extend}\\u200d]*?[\\u094d\\u09cd\\u0acd\\u0b4d\\u0c4d\\u0d4d][\\p{Grapheme_Extend}\\u200d]*(?=${INCB_CONSONANT})`,
  'gu',
);
let joinsConjuncts: boolean | undefined;
const icuJoinsConjuncts = () =>
  (joinsConjuncts ??= [...segmenter().segment('\u0915\u094d\u0937')].length === 1);
/**
 * Extended_Pictographic as of Unicode 15, which textseg v15 uses; later
 * versions (and so `\p{Extended_Pictographic}`) dropped many code points.
 */
const PICTOGRAPHIC_15 =
  '\\u{00a9}\\u{00ae}\\u{203c}\\u{2049}\\u{2122}\\u{2139}\\u{2194}-\\u{2199}' +
  '\\u{21a9}-\\u{21aa}\\u{231a}-\\u{231b}\\u{2328}\\u{2388}\\u{23cf}' +
  '\\u{23e9}-\\u{23f3}\\u{23f8}-\\u{23fa}\\u{24c2}\\u{25aa}-\\u{25ab}\\u{25b6}' +
  '\\u{25c0}\\u{25fb}-\\u{25fe}\\u{2600}-\\u{2605}\\u{2607}-\\u{2612}' +
  '\\u{2614}-\\u{2685}\\u{2690}-\\u{2705}\\u{2708}-\\u{2712}\\u{2714}\\u{2716}' +
  '\\u{271d}\\u{2721}\\u{2728}\\u{2733}-\\u{2734}\\u{2744}\\u{2747}\\u{274c}' +
  '\\u{274e}\\u{2753}-\\u{2755}\\u{2757}\\u{2763}-\\u{2767}\\u{2795}-\\u{2797}' +
  '\\u{27a1}\\u{27b0}\\u{27bf}\\u{2934}-\\u{2935}\\u{2b05}-\\u{2b07}' +
  '\\u{2b1b}-\\u{2b1c}\\u{2b50}\\u{2b55}\\u{3030}\\u{303d}\\u{3297}\\u{3299}' +
  '\\u{1f000}-\\u{1f0ff}\\u{1f10d}-\\u{1f10f}\\u{1f12f}\\u{1f16c}-\\u{1f171}' +
  '\\u{1f17e}-\\u{1f17f}\\u{1f18e}\\u{1f191}-\\u{1f19a}\\u{1f1ad}-\\u{1f1e5}' +
  '\\u{1f201}-\\u{1f20f}\\u{1f21a}\\u{1f22f}\\u{1f232}-\\u{1f23a}' +
  '\\u{1f23c}-\\u{1f23f}\\u{1f249}-\\u{1f3fa}\\u{1f400}-\\u{1f53d}' +
  '\\u{1f546}-\\u{1f64f}\\u{1f680}-\\u{1f6ff}\\u{1f774}-\\u{1f77f}' +
  '\\u{1f7d5}-\\u{1f7ff}\\u{1f80c}-\\u{1f80f}\\u{1f848}-\\u{1f84f}' +
  '\\u{1f85a}-\\u{1f85f}\\u{1f888}-\\u{1f88f}\\u{1f8ae}-\\u{1f8ff}' +
  '\\u{1f90c}-\\u{1f93a}\\u{1f93c}-\\u{1f945}\\u{1f947}-\\u{1faff}' +
  '\\u{1fc00}-\\u{1fffd}';
/** Clusters onto which textseg glues `ZWJ` + pictograph (after any Prepend characters). */
const ZWJ_GLUE_BASE = new RegExp(
  `^[\\u0600-\\u0605\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u0d4e\\u{110bd}\\u{110cd}]*[${PICTOGRAPHIC_15}\\p{Regional_Indicator}\\u1100-\\u11ff\\ua960-\\ua97f\\uac00-\\ud7a3\\ud7b0-\\ud7ff]`,
  'u',
);
const PICTOGRAPH = new RegExp(`^[${PICTOGRAPHIC_15}]`, 'u');

function clusters(text: string): number {
  let count = 0;
  let cluster = '';
  for (const { segment } of segmenter().segment(text)) {
    if (cluster.endsWith('\u200d') && PICTOGRAPH.test(segment) && ZWJ_GLUE_BASE.test(cluster)) {
      cluster += segment;
      continue;
    }
    count++;
    cluster = segment;
    if (segment.length > 1 && segment.includes('\ufffd')) {
      const parts = segment.split('\ufffd');
      count += parts.length - 2 + parts.filter(Boolean).length;
    }
  }
  if (icuJoinsConjuncts()) count += text.match(INDIC_CONJUNCT)?.length ?? 0;
  return count;
}

/**
 * The width hclwrite gives a single line of canonical HCL when aligning `=`:
 * the sum over its tokens of their grapheme clusters, where token boundaries
 * fall at punctuation, quotes and (inside strings) at each `$`/`%`.
 */
export function columns(line: string): number {
  if (PRINTABLE_ASCII.test(line)) return line.length;
  let width = 0;
  let run = '';
  const flush = () => {
    if (run) width += clusters(run);
    run = '';
  };
  // Brace depth at which each open interpolation returns to its string.
  const interps: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      if (c === '"') {
        flush();
        width++;
        inString = false;
      } else if (c === '\\') {
        run += c + (line[i + 1] ?? '');
        i++;
      } else if (c === '$' || c === '%') {
        // `$${`/`%%{` (with a `~` after it, as in `${~`) is one token, `${`/`%{` opens a
        // sequence, a lone `$`/`%` is a token of its own.
        flush();
        if (line[i + 1] === c && line[i + 2] === '{') {
          const length = line[i + 3] === '~' ? 4 : 3;
          width += length;
          i += length - 1;
        } else if (line[i + 1] === '{') {
          width += 2;
          i++;
          interps.push(depth);
          inString = false;
        } else width++;
      } else run += c;
    } else if (c === '"') {
      flush();
      width++;
      inString = true;
    } else if (c === '{') {
      flush();
      width++;
      depth++;
    } else if (c === '}') {
      flush();
      width++;
      if (interps.length && interps[interps.length - 1] === depth) {
        interps.pop();
        inString = true;
      } else depth--;
    } else if (c < '\x80' && !/[\w-]/.test(c)) {
      flush();
      width++;
    } else run += c;
  }
  flush();
  return width;
}
