import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasChecker } from './external-tools.js';

describe('hasChecker', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('notes a checker missing outside CI where pnpm test collects skipped checks', () => {
    const skipped = mkdtempSync(join(tmpdir(), 'atlas-skipped-test-'));
    try {
      delete process.env.CI;
      process.env.PATH = join(skipped, 'no-such-bin');
      process.env.ATLAS_SKIPPED_CHECKS = skipped;
      expect(hasChecker('promtool')).toBe(false);
      const notes = readdirSync(skipped).map((f) => readFileSync(join(skipped, f), 'utf8'));
      expect(notes.join('')).toBe(`promtool\t${process.cwd()}\n`);
    } finally {
      rmSync(skipped, { recursive: true, force: true });
    }
  });

  it('fails in CI instead of skipping', () => {
    process.env.CI = 'true';
    process.env.PATH = join(tmpdir(), 'no-such-bin');
    expect(() => hasChecker('promtool')).toThrow(/promtool is required in CI.*prometheus/);
  });
});
