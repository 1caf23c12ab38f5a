import { createEngineWorkspace, findEngine, type EngineWorkspace } from '@atlas/sim-provider';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Each environment's bootstrap with the real engine and the simulated Incus: it talks to the
// environment's own remote, defines a cluster's state pool per member before creating it, and
// its init.sh writes backend.hcl from the bootstrap's outputs and initialises the environment
// with it, against an S3 endpoint on loopback that stands in for Incus's bucket listener.

const GENERATED = join(import.meta.dirname, '..', 'generated');
const engine = findEngine();
const TIMEOUT_MS = 300_000;
const scratch: string[] = [];
const workspaces: EngineWorkspace[] = [];

afterAll(async () => {
  await Promise.all(workspaces.map((ws) => ws.close()));
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface S3Request {
  readonly method: string;
  readonly url: string;
  readonly authorization: string;
}

/**
 * Just enough of the S3 API for `init`: every bucket is empty (no workspaces, no state yet);
 * each request is recorded, with the credential it was signed with.
 */
async function loopbackS3(): Promise<{ server: Server; url: string; requests: S3Request[] }> {
  const requests: S3Request[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: String(req.headers.authorization ?? ''),
    });
    req.resume();
    const bucket = (req.url ?? '/').split(/[/?]/)[1] ?? '';
    res.setHeader('content-type', 'application/xml');
    if (req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '')) {
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
          `<Name>${bucket}</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
      );
      return;
    }
    res.statusCode = 404;
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>not found</Message></Error>`,
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, requests };
}

function runScript(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile('sh', [script], { env, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        stdout,
        stderr,
      }),
    ),
  );
}

interface PlanJson {
  readonly variables: Record<string, { value: unknown }>;
  readonly configuration: {
    readonly provider_config: Record<string, { expressions?: Record<string, unknown> }>;
  };
  readonly planned_values: {
    readonly root_module: { resources: { address: string; values: Record<string, unknown> }[] };
  };
}

const EXPECTED = {
  iapetus: { remote: null, members: [] as string[] },
  cluster01: { remote: 'cluster01', members: ['node1', 'node2', 'node3'] },
} as const;

describe.skipIf(!engine)('bootstrap, backend.hcl and init.sh with the real engine', () => {
  it.concurrent.each(Object.entries(EXPECTED))(
    '%s: bootstrap applies on its remote, init.sh writes backend.hcl and init uses it',
    async (env, expected) => {
      const tree = await mkdtemp(join(tmpdir(), `atlas-bootstrap-${env}-`));
      scratch.push(tree);
      await cp(GENERATED, tree, { recursive: true });
      const ws = await createEngineWorkspace(join(tree, '.engine'), engine!);
      workspaces.push(ws);
      const s3 = await loopbackS3();
      try {
        const root = join(tree, 'environments', env);
        const bootstrap = join(root, 'bootstrap');
        const must = async (cwd: string, args: string[]) => {
          const result = await ws.run(cwd, [...args, '-no-color']);
          expect(result.code, `${args.join(' ')}:\n${result.stderr}\n${result.stdout}`).toBe(0);
          return result;
        };
        await must(bootstrap, ['init']);
        await must(bootstrap, ['plan', `-var=s3_endpoint=${s3.url}`, '-out=tfplan']);
        const plan = JSON.parse(
          (await ws.run(bootstrap, ['show', '-json', 'tfplan'])).stdout,
        ) as PlanJson;

        // The provider talks to the environment's own remote (null: local daemon or INCUS_REMOTE).
        expect(plan.variables.remote?.value ?? null).toBe(expected.remote);
        expect(plan.configuration.provider_config.incus?.expressions?.default_remote).toEqual({
          references: ['var.remote'],
        });

        // A cluster defines the pool on each member, then creates it; the bucket is on one member.
        const resources = new Map(
          plan.planned_values.root_module.resources.map((r) => [r.address, r.values]),
        );
        for (const member of expected.members)
          expect(resources.get(`incus_storage_pool.state_member["${member}"]`)?.target).toBe(
            member,
          );
        expect(
          [...resources.keys()].filter((a) => a.startsWith('incus_storage_pool.state_member')),
        ).toHaveLength(expected.members.length);
        expect(resources.get('incus_storage_pool.state')?.target ?? null).toBeNull();
        expect(resources.get('incus_storage_bucket.state')?.target ?? null).toBe(
          expected.members[0] ?? null,
        );

        // A remote is named as `incus remote list` shows it, never with the `remote:` separator.
        const badRemote = await ws.run(bootstrap, [
          'plan',
          `-var=s3_endpoint=${s3.url}`,
          '-var=remote=cluster01:',
          '-no-color',
        ]);
        expect(badRemote.code).toBe(1);
        expect(badRemote.stderr).toContain('Must be null or the name of a remote');

        await must(bootstrap, ['apply', 'tfplan']);
        const replan = await ws.run(bootstrap, [
          'plan',
          `-var=s3_endpoint=${s3.url}`,
          '-detailed-exitcode',
          '-no-color',
        ]);
        expect(replan.code, replan.stdout + replan.stderr).toBe(0);
        const accessKey = (await ws.run(bootstrap, ['output', '-raw', 'access_key'])).stdout;
        expect(accessKey).toMatch(/^\w+$/);

        // init.sh: backend.hcl from the outputs, owner-only, then init against the bucket.
        const scriptEnv = { ...ws.env(), ATLAS_TOFU: engine!.path };
        const first = await runScript(join(root, 'init.sh'), scriptEnv);
        expect(first.code, `${first.stderr}\n${first.stdout}`).toBe(0);
        expect(first.stdout).toMatch(/Successfully configured the backend "s3"/);
        const written = await readFile(join(root, 'backend.hcl'), 'utf8');
        expect([...written.matchAll(/^(\w+)\s*=/gm)].map((m) => m[1])).toEqual([
          'bucket',
          'endpoints',
          'access_key',
          'secret_key',
        ]);
        expect(written).toContain(`endpoints  = { s3 = "${s3.url}" }`);
        expect((await stat(join(root, 'backend.hcl'))).mode & 0o777).toBe(0o600);
        // The S3 backend listed the bootstrap's bucket, signed with the bootstrap's key.
        expect(
          s3.requests.some(
            (r) =>
              r.url.startsWith('/atlas-terraform-state?') &&
              r.authorization.includes(`Credential=${accessKey}/`),
          ),
          JSON.stringify(s3.requests),
        ).toBe(true);

        // A second run keeps the operator's backend.hcl as it is.
        const second = await runScript(join(root, 'init.sh'), scriptEnv);
        expect(second.code, second.stderr).toBe(0);
        expect(second.stderr).toContain('keeping the existing backend.hcl');
        expect(await readFile(join(root, 'backend.hcl'), 'utf8')).toBe(written);
      } finally {
        await new Promise((resolve) => s3.server.close(resolve));
      }
    },
    TIMEOUT_MS,
  );
});
