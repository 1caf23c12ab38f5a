/** One line of an edit script: kept, removed from the old text, or added by the new. */
type Edit = { op: ' ' | '-' | '+'; line: string };

/** A last line without its newline is told apart from the same line with one. */
const NO_EOL = '\0';

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

/** Shortest edit script between two line lists (Myers' greedy algorithm, with its trace). */
function editScript(a: readonly string[], b: readonly string[]): Edit[] {
  const max = a.length + b.length;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= a.length && y >= b.length) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace back from the end to recover the edits.
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK =
      k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) (edits.push({ op: ' ', line: a[--x]! }), y--);
    if (d === 0) break;
    if (x === prevX) edits.push({ op: '+', line: b[--y]! });
    else edits.push({ op: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) (edits.push({ op: ' ', line: a[--x]! }), y--);
  return edits.reverse();
}

/**
 * A unified diff (as `diff -u` prints and `patch` applies) from `before` to
 * `after`; empty when they are equal. `undefined` stands for a missing file.
 */
export function unifiedDiff(
  path: string,
  before: string | undefined,
  after: string | undefined,
  context = 3,
): string {
  if (before === after) return '';
  const a = splitLines(before ?? '');
  const b = splitLines(after ?? '');
  const edits = editScript(a, b);
  const out = [
    `--- ${before === undefined ? '/dev/null' : `a/${path}`}`,
    `+++ ${after === undefined ? '/dev/null' : `b/${path}`}`,
  ];
  // Positions (in both files) of every edit, to cut hunks with `context` lines around changes.
  let ai = 0;
  let bi = 0;
  const located = edits.map((e) => {
    const at = { ...e, a: ai, b: bi };
    if (e.op !== '+') ai++;
    if (e.op !== '-') bi++;
    return at;
  });
  let i = 0;
  while (i < located.length) {
    if (located[i]!.op === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within 2 × context kept lines.
    for (let j = i; j < located.length; j++) {
      if (located[j]!.op !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const stop = Math.min(located.length, end + context + 1);
    const hunk = located.slice(start, stop);
    const aLines = hunk.filter((e) => e.op !== '+').length;
    const bLines = hunk.filter((e) => e.op !== '-').length;
    const aStart = aLines ? hunk[0]!.a + 1 : hunk[0]!.a;
    const bStart = bLines ? hunk[0]!.b + 1 : hunk[0]!.b;
    out.push(`@@ -${aStart},${aLines} +${bStart},${bLines} @@`);
    for (const e of hunk)
      out.push(
        e.line.endsWith(NO_EOL)
          ? `${e.op}${e.line.slice(0, -1)}\n\\ No newline at end of file`
          : `${e.op}${e.line}`,
      );
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
