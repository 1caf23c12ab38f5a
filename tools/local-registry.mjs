// A throwaway npm registry (Verdaccio, a dev dependency) on loopback, for release
// rehearsals: it serves only what is published to it, proxies nothing, keeps its
// storage in a temporary folder, and is stopped (or killed) within bounded time.
//
//   const registry = await startRegistry();   // { url, npmrc, env, stop() }
//   … npm/pnpm with registry.env …
//   await registry.stop();
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const verdaccioBin = join(
  dirname(createRequire(import.meta.url).resolve('verdaccio/package.json')),
  'bin',
  'verdaccio',
);

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for Verdaccio). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntilUp(url, child, log) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited at start:\n${log()}`);
    try {
      if ((await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(
    `verdaccio did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s:\n${log()}`,
  );
}

/** Create the publishing user and return its token (npm adduser's request). */
async function addUser(url) {
  const name = 'atlas-release';
  const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'rehearsal-only-password', type: 'user', roles: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (!response.ok || typeof body.token !== 'string')
    throw new Error(
      `verdaccio refused the release user: ${response.status} ${JSON.stringify(body)}`,
    );
  return body.token;
}

export async function startRegistry() {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-registry-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      // No uplinks: nothing is fetched from elsewhere, and a package that was not
      // published here is a 404, never a stranger's package of the same name.
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    process.execPath,
    [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);

  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(STOP_TIMEOUT_MS)]);
      kill();
    }
    process.removeListener('exit', kill);
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    await waitUntilUp(url, child, () => output);
    const token = await addUser(url);
    const npmrc = join(dir, 'npmrc');
    writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    // npm and pnpm both read these: every registry request goes to the local server.
    const env = { npm_config_registry: url, npm_config_userconfig: npmrc };
    return { url, npmrc, env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
