import { previewModule } from '@atlas/preview';
import { hasChecker } from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_ALERT_RULES, prometheusModule } from './index.js';

const TESTS = new URL('./alert-rules.promtool.yml', import.meta.url);

interface RuleTest {
  readonly alertname: string;
  readonly exp_alerts: readonly unknown[];
}
const ruleTests: RuleTest[] = (
  parse(readFileSync(TESTS, 'utf8')) as { tests: { alert_rule_test: RuleTest[] }[] }
).tests.flatMap((t) => t.alert_rule_test);

describe('promtool unit tests of the standard alert rules', () => {
  it.each(DEFAULT_ALERT_RULES.map((r) => r.alert))(
    '%s has a case where it fires and one where it does not',
    (alert) => {
      const cases = ruleTests.filter((t) => t.alertname === alert);
      expect(cases.some((t) => t.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((t) => t.exp_alerts.length === 0)).toBe(true);
    },
  );

  it.skipIf(!hasChecker('promtool'))('pass against the rule file the module renders', () => {
    const rules = previewModule(prometheusModule, { profiles: ['base'] }).files.get(
      '/etc/prometheus/rules/atlas.yml',
    )!.content;
    const dir = mkdtempSync(join(tmpdir(), 'atlas-alert-rules-'));
    try {
      writeFileSync(join(dir, 'atlas.yml'), rules);
      copyFileSync(TESTS, join(dir, 'tests.yml'));
      const result = spawnSync('promtool', ['test', 'rules', 'tests.yml'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.stdout + result.stderr).toContain('SUCCESS');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
