import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The real programs whose own checkers prove generated service configuration, and the Debian package of each. */
export const CHECKERS = {
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
  mosquitto: 'mosquitto',
  'cloud-init': 'cloud-init',
  'named-checkzone': 'bind9-utils',
  'ansible-inventory': 'ansible',
  shellcheck: 'shellcheck',
} as const;

export type CheckerName = keyof typeof CHECKERS;

function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether a checker is installed. Outside CI a missing one lets tests skip;
 * in CI (`CI` set) it is an error, so a missing install step cannot pass unnoticed.
 * Under `pnpm test` each skip is noted (checker and package folder) in the
 * folder named by ATLAS_SKIPPED_CHECKS, and listed when the run ends.
 */
export function hasChecker(name: CheckerName): boolean {
  if (onPath(name)) return true;
  if (process.env.CI) {
    throw new Error(
      `${name} is required in CI: install Debian's ${CHECKERS[name]} package (npm run setup does this)`,
    );
  }
  const skipped = process.env.ATLAS_SKIPPED_CHECKS;
  if (skipped) appendFileSync(join(skipped, `${process.pid}.tsv`), `${name}\t${process.cwd()}\n`);
  return false;
}

export interface CheckerResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a checker with arguments (and optional stdin); never throws on a non-zero exit. */
export function runChecker(
  name: CheckerName,
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): CheckerResult {
  const path = onPath(name);
  if (!path) throw new Error(`${name} is not installed (Debian package ${CHECKERS[name]})`);
  const result = spawnSync(path, [...args], {
    encoding: 'utf8',
    timeout: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * Write `content` to a temporary file (named `fileName`) and run a checker on
 * it: `checkContent('promtool', yaml, (f) => ['check', 'config', f])`.
 */
export function checkContent(
  name: CheckerName,
  content: string,
  args: (file: string) => readonly string[],
  fileName = 'checked-file',
): CheckerResult {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-check-'));
  try {
    const file = join(dir, fileName);
    writeFileSync(file, content);
    return runChecker(name, args(file), { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `cloud-init schema --config-file` on user-data; status 0 means valid. */
export function checkCloudInit(userData: string): CheckerResult {
  return checkContent(
    'cloud-init',
    userData,
    (f) => ['schema', '--config-file', f],
    'user-data.yaml',
  );
}

/** A TCP port free on 127.0.0.1 just now, for a real daemon a test starts on loopback. */
export const freeLoopbackPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
