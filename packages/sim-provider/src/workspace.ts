import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIMULATED_PROVIDERS } from './schema.js';
import type { ExistingObject, SimulatedCluster } from './daemon.js';
import { serveForReattach, type RunningProvider } from './server.js';

/** The engine that runs: OpenTofu when it is on PATH, Terraform otherwise. */
export interface Engine {
  readonly name: 'tofu' | 'terraform';
  readonly path: string;
  /** The registry host bare provider sources resolve to. */
  readonly registry: string;
}

export function findEngine(path = process.env.PATH ?? ''): Engine | undefined {
  for (const name of ['tofu', 'terraform'] as const) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        const registry = name === 'tofu' ? 'registry.opentofu.org' : 'registry.terraform.io';
        return { name, path: candidate, registry };
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface EngineResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface EngineWorkspace {
  readonly engine: Engine;
  /**
   * The environment `run` gives the engine, for a script that runs it itself (such as a
   * generated init.sh): `init` settings, and with `reattach` this process's servers.
   */
  env(options?: { reattach?: boolean }): NodeJS.ProcessEnv;
  /**
   * Objects the simulated servers hold before the first apply (what IncusOS or an operator
   * made): creating one fails as it does with Incus; an import adopts it.
   */
  seed(existing: readonly ExistingObject[]): void;
  /** Runs the engine in `cwd`; every command but `init` against this process's servers unless `reattach: false`. */
  run(
    cwd: string,
    args: readonly string[],
    options?: { reattach?: boolean },
  ): Promise<EngineResult>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// The TypeScript loader, by absolute path: the plugin runs in whatever directory the engine picks.
const TSX = createRequire(import.meta.url).resolve('tsx');
// Generous: a command that takes this long is hung, not slow.
const COMMAND_TIMEOUT_MS = 180_000;

/**
 * A filesystem mirror holding the simulated providers under their real addresses and versions,
 * a CLI configuration that installs from it and nowhere else for those providers, and one
 * long-lived server per provider in this process for the commands after `init`.
 */
export async function createEngineWorkspace(
  dir: string,
  engine: Engine,
  /** The simulated Incus is this cluster's (one server otherwise). */
  cluster?: SimulatedCluster,
): Promise<EngineWorkspace> {
  const mirror = join(dir, 'mirror');
  const addresses: string[] = [];
  for (const provider of SIMULATED_PROVIDERS) {
    for (const host of ['registry.terraform.io', 'registry.opentofu.org']) {
      const folder = join(mirror, host, provider.source, provider.version, 'linux_amd64');
      await mkdir(folder, { recursive: true });
      const executable = join(folder, `terraform-provider-${provider.name}_v${provider.version}`);
      await writeFile(
        executable,
        `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${MAIN}" ${provider.name}\n`,
      );
      await chmod(executable, 0o755);
      addresses.push(`${host}/${provider.source}`);
    }
  }
  const list = addresses.map((address) => `"${address}"`).join(', ');
  const cliConfig = join(dir, 'cli.tfrc');
  await writeFile(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = [${list}]\n  }\n  direct {\n    exclude = [${list}]\n  }\n}\n`,
  );

  const servers: RunningProvider[] = [];
  for (const provider of SIMULATED_PROVIDERS)
    servers.push(
      await serveForReattach(
        provider,
        join(dir, `${provider.name}.sock`),
        provider.name === 'incus' ? cluster : undefined,
      ),
    );
  const reattach = JSON.stringify(
    Object.fromEntries(
      servers.map((server) => [`${engine.registry}/${server.provider.source}`, server.reattach]),
    ),
  );

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
  };
  delete baseEnv.TF_PLUGIN_CACHE_DIR;
  delete baseEnv.TF_REATTACH_PROVIDERS;

  const envFor = (attach: boolean) =>
    attach ? { ...baseEnv, TF_REATTACH_PROVIDERS: reattach } : { ...baseEnv };
  return {
    engine,
    env: ({ reattach: attach = false } = {}) => envFor(attach),
    seed: (existing) => {
      for (const server of servers)
        server.daemon.seed(existing.filter((o) => o.type in server.provider.resources));
    },
    run: (cwd, args, options: { reattach?: boolean } = {}) =>
      new Promise((resolve) => {
        // `init` installs from the mirror and writes the lock file; a reattached provider skips both.
        const env = envFor(options.reattach ?? args[0] !== 'init');
        execFile(
          engine.path,
          [...args],
          { cwd, env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr: error && !stderr ? String(error) : stderr });
          },
        );
      }),
    close: async () => {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}
