import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from './unified-diff.js';

const dir = mkdtempSync(join(tmpdir(), 'atlas-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Apply `diff` to `before` with GNU patch and return the result. */
function patch(before: string, diff: string): string {
  const file = join(dir, 'file');
  writeFileSync(file, before);
  const result = spawnSync('patch', ['--quiet', '--force', file], {
    input: diff,
    encoding: 'utf8',
  });
  expect(result.status, `${result.stdout}${result.stderr}\n${diff}`).toBe(0);
  return readFileSync(file, 'utf8');
}

/** Deterministic pseudo-random texts: few distinct lines, so that edits interleave with matches. */
function texts(seed: number): [string, string] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state / 2 ** 31);
  const text = () => {
    const lines = Array.from(
      { length: Math.floor(next() * 40) },
      () => `line ${Math.floor(next() * 6)}`,
    );
    return lines.length ? `${lines.join('\n')}${next() < 0.2 ? '' : '\n'}` : '';
  };
  const a = text();
  // Half of the pairs are small edits of one text, like a changed generated file.
  if (next() < 0.5) return [a, text()];
  const lines = a.split('\n');
  for (let i = 0; i < 3; i++)
    lines.splice(Math.floor(next() * lines.length), next() < 0.5 ? 1 : 0, `new ${i}`);
  return [a, lines.join('\n')];
}

describe('unifiedDiff', () => {
  it('is empty for equal texts and marks created and deleted files', () => {
    expect(unifiedDiff('x', 'a\n', 'a\n')).toBe('');
    expect(unifiedDiff('x', undefined, 'a\n')).toBe(
      '--- /dev/null\n+++ b/x\n@@ -0,0 +1,1 @@\n+a\n',
    );
    expect(unifiedDiff('x', 'a\n', undefined)).toBe(
      '--- a/x\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n',
    );
  });

  it('produces patches that GNU patch applies exactly, for 300 random pairs', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const [a, b] = texts(seed);
      const diff = unifiedDiff('file', a, b);
      if (a === b) continue;
      expect(patch(a, diff), `seed ${seed}`).toBe(b);
    }
  });
});
