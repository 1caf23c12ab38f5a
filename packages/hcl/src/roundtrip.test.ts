import { format } from '@cdktn/hcl-tools';
import { parse } from '@cdktn/hcl2json';
import { describe, expect, it } from 'vitest';
import type { BodyItem } from './ast.js';
import {
  attr,
  block,
  heredoc,
  interp,
  literal,
  object,
  ref,
  str,
  template,
  tuple,
} from './build.js';
import { printFile, printTemplate } from './print.js';

/**
 * Property test: generated strings, adversarial ones included, printed in
 * every position a string can take, parse back (with hcl2json) to the same
 * value, and the printed files are what hclwrite's formatter writes.
 *
 * Set HCL_SEED to reproduce a failure; the seed is in every failure message.
 */
const SEED = Number(process.env.HCL_SEED ?? 0x5eed1);
const STRINGS = 10_000;
/**
 * Strings per file, and per test: hcl2json and hclwrite (Go, compiled to WASM)
 * take a few seconds a batch on a busy machine, far from any timeout.
 */
const BATCH = 500;

/** mulberry32: small, fast, good enough to spread test cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i));
/** Pieces that stress escaping, template sequences, heredoc rules and Unicode handling. */
const ATOMS = [
  ...['${', '$${', '$$${', '%{', '%%{', '$', '%', '$$', '%%', '{', '}', '{{', '}}', '~}', '${~'],
  ...['"', '\\', '\\n', '\\u0041', '\n', '\r\n', '\r', '\t', ' ', '   ', '=', '#', '//', '/*'],
  ...['EOT', 'EOT1', '<<EOT', '<<-EOT', 'a', 'word', 'x-y', '0', '-1', '1.5'],
  ...C0,
  ...['\u007f', '\u0085', '\u009f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u3000', '\u200b'],
  ...['é', 'e\u0301', '\u0301', '\u0308\u0301', '\u20dd', 'Å', '\u212b', 'ﬁ', 'ǅ'],
  ...[
    '😀',
    '👩‍👩‍👧',
    '🇫🇷',
    '👍🏽',
    '𝔘',
    '\u{10348}',
    '\u200d',
    '\u200c',
    '\ufe0f',
    '\ufffd',
    '가\u200d😀',
  ],
  ...[
    'مرحبا',
    'שלום',
    '\u200f',
    '\u202e',
    '\u061c',
    'क्ष',
    'नमस्ते',
    'ก่',
    '中文',
    '한국어',
    'ᄀ\u1161',
  ],
];

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const word = () => 'abcdefghijklmnopqrstuvwxyz'.slice(int(20)).slice(0, 1 + int(6));
  /** A code point from assigned, non-surrogate ranges. */
  const codePoint = () => {
    const [lo, hi] = pick([
      [0x20, 0x7e],
      [0xa0, 0x24f],
      [0x300, 0x36f],
      [0x370, 0x52f],
      [0x590, 0x6ff],
      [0x900, 0x97f],
      [0x3040, 0x30ff],
      [0x4e00, 0x4fff],
      [0xac00, 0xacff],
      [0x1f300, 0x1f64f],
    ] as const);
    return String.fromCodePoint(lo + int(hi - lo + 1));
  };
  const fragment = (length: number) => {
    let s = '';
    for (let i = 0; i < length; i++) {
      const r = random();
      s += r < 0.5 ? pick(ATOMS) : r < 0.8 ? word() : codePoint();
    }
    return s;
  };
  /** Multi-line text ending in a newline: what may print as a heredoc. */
  const lines = () => {
    const out: string[] = [];
    for (let n = 2 + int(5); n > 0; n--) {
      const r = random();
      out.push(
        r < 0.1
          ? ''
          : r < 0.2
            ? pick(['EOT', ' EOT ', 'EOT1', '\tEOT'])
            : r < 0.3
              ? pick(['  ', '\t', '   \t'])
              : (random() < 0.3 ? pick(['  ', '\t', ' ']) : '') +
                fragment(1 + int(6)).replace(/[\r\n]/g, ''),
      );
    }
    return out.join('\n') + '\n';
  };
  return (): string => {
    const r = random();
    if (r < 0.45) return fragment(int(10));
    if (r < 0.8) return lines();
    if (r < 0.85) return fragment(100 + int(400));
    if (r < 0.95) return Array.from({ length: int(12) }, codePoint).join('');
    return pick(['', '$', '%', '${', '%{', 'EOT\n', '\n', '\n\n', ' \n', 'a\nb\n', '$\n%\n']);
  };
}

/** How hcl2json reports a literal: HCL normalizes strings to NFC; hcl2json writes JSON-syntax templates. */
const reported = (value: string) =>
  value.normalize('NFC').split('${').join('$${').split('%{').join('%%{');

/** A heredoc marker that no line of `text` could be mistaken for. */
function markerFor(text: string): string {
  let marker = 'END';
  while (text.includes(marker)) marker += 'X';
  return marker;
}

interface Case {
  readonly index: number;
  readonly value: string;
  readonly other: string;
}

interface Printed {
  readonly items: BodyItem[];
  /** Raw lines appended after the printed file (template files, read back as verbatim heredocs). */
  readonly raw: string[];
  /** What hcl2json must report for each attribute or block. */
  readonly expected: Record<string, unknown>;
}

function printCase({ index: i, value: s, other }: Case): Printed {
  const items: BodyItem[] = [
    attr(`a${i}`, str(s)),
    attr(`q${i}`, tuple([str(s)])),
    attr(`h${i}`, heredoc(s + '\n')),
    attr(`t${i}`, template([literal(s), interp(ref('var.x')), literal(other)])),
    attr(
      `d${i}`,
      template([
        literal(s),
        { kind: 'if', cond: ref('var.c'), then: [literal(other)] },
        literal(s),
      ]),
    ),
    block(`l${i}`, [s], []),
  ];
  const raw: string[] = [];
  const expected: Record<string, unknown> = {
    [`a${i}`]: reported(s),
    [`q${i}`]: [reported(s)],
    [`h${i}`]: reported(s + '\n'),
    [`t${i}`]: reported(s) + '${var.x}' + reported(other),
    [`d${i}`]: reported(s) + '%{if var.c}' + reported(other) + '%{endif}' + reported(s),
    // Block labels, unlike string values, are not NFC-normalized.
    [`l${i}`]: { [s]: [{}] },
  };
  if (s.normalize('NFC') !== 'k') {
    // More than three entries: one per line, so the odd key takes part in `=` alignment.
    items.push(attr(`o${i}`, object({ [s]: str('v'), k: str(s), k2: str('2'), k3: str('3') })));
    expected[`o${i}`] = { [reported(s)]: 'v', k: reported(s), k2: '2', k3: '3' };
  }
  // A template file has the syntax of a verbatim heredoc's content (which cannot hold a lone CR);
  // printTemplate refuses a lone CR and a leading BOM (see print.test.ts).
  if (!s.includes('\r') && !other.includes('\r') && !s.startsWith('\ufeff')) {
    const text = printTemplate([literal(s), interp(ref('var.x')), literal(other)]);
    const marker = markerFor(text);
    raw.push(`\nf${i} = <<${marker}\n${text}\n${marker}\n`);
    expected[`f${i}`] = reported(s) + '${var.x}' + reported(other) + '\n';
  }
  return { items, raw, expected };
}

describe('round trip', () => {
  const random = prng(SEED);
  const next = generator(random);
  const cases: Case[] = Array.from({ length: STRINGS }, (_, index) => ({
    index,
    value: next(),
    other: next(),
  }));

  for (let start = 0; start < STRINGS; start += BATCH) {
    const batch = cases.slice(start, start + BATCH);
    const context = `seed ${SEED}, strings ${start}..${start + batch.length - 1}`;
    it(`prints generated strings that parse back unchanged and are fmt-stable (${context} of ${STRINGS})`, async () => {
      const body: BodyItem[] = [];
      const raw: string[] = [];
      const expected: Record<string, unknown> = {};
      for (const c of batch) {
        const printed = printCase(c);
        body.push(...printed.items);
        raw.push(...printed.raw);
        Object.assign(expected, printed.expected);
      }
      const text = printFile({ body }) + raw.join('');

      const formatted = await format(text);
      if (formatted !== text) {
        const ours = text.split('\n');
        const theirs = formatted.split('\n');
        const line = ours.findIndex((l, n) => l !== theirs[n]);
        expect.fail(
          `not fmt-stable (${context}), line ${line + 1}:\n${JSON.stringify(ours[line])}\nhclwrite:\n${JSON.stringify(theirs[line])}`,
        );
      }

      const parsed = (await parse('roundtrip.tf', text)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(expected)) {
        const index = Number(name.slice(1));
        const c = cases[index]!;
        expect(
          parsed[name],
          `${name} (${context}) value ${JSON.stringify(c.value)} other ${JSON.stringify(c.other)}`,
        ).toEqual(value);
      }
    });
  }
});
