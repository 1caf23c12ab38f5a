import { defineEnvironment, type NetworkAttachment } from '@atlas/core';
import {
  defineEstate,
  renderEstate,
  renderModules,
  renderRepositoryFiles,
  writeTree,
} from '@atlas/generator';
import { get, printExpr, ref, str, toExpr, tpl } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATLANTIS_DEFAULTS,
  INCUS_CONFIG_DIR,
  atlantis,
  atlantisConfigSchema,
  atlantisModule,
  type AtlantisConfig,
} from './index.js';

const network: NetworkAttachment = {
  kind: 'network-attachment',
  role: 'gitops',
  mode: 'bridge',
  profiles: [str('container-base'), str('gitops-network')],
  network: str('gitops'),
};

// Shaped like PEM; only their framing matters to the module.
const CERT =
  '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3\n-----END CERTIFICATE-----\n';
const SERVER_CERT =
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2x1c3RlcjAx\n-----END CERTIFICATE-----\n';
const KEY =
  '-----BEGIN EC PRIVATE KEY-----\nMIGkAgEBBDBzZWNyZXQta2V5LW1hdGVyaWFs\n-----END EC PRIVATE KEY-----\n';
const TOKEN = 'ghp_exampleTokenValue0123456789';
const WEBHOOK_SECRET = 'webhook-secret-of-more-than-24-chars';

const config: AtlantisConfig = {
  network,
  domain: 'atlantis.example.com',
  repoAllowlist: ['github.com/example-org/*'],
  githubUser: 'atlantis-bot',
  incusRemotes: [
    { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
    { name: 'cluster01', address: 'https://192.168.71.10:8443', serverCertificate: SERVER_CERT },
  ],
};

/** The same instance as plain module inputs, secrets included. */
const inputs = {
  profiles: ['container-base', 'gitops-network'],
  domain: 'atlantis.example.com',
  repo_allowlist: ['github.com/example-org/*'],
  github_user: 'atlantis-bot',
  github_token: TOKEN,
  github_webhook_secret: WEBHOOK_SECRET,
  incus_remotes: [
    { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
    { name: 'cluster01', address: 'https://192.168.71.10:8443', server_certificate: SERVER_CERT },
  ],
  incus_client_certificate: CERT,
  incus_client_key: KEY,
};

type FileBlock = { target_path: string; content: string; uid: number; mode: string };
const filesOf = (preview: ReturnType<typeof previewModule>) =>
  new Map(
    (preview.resources['incus_instance.this']?.file as FileBlock[]).map((f) => [f.target_path, f]),
  );

describe('defaults from the seeds', () => {
  it('sizes Atlantis at 2 CPUs, 1GB, a 2GB root disk and a 10GB volume at /atlantis-data', () => {
    const c = atlantisConfigSchema.parse(config);
    expect(c).toMatchObject({
      name: 'atlantis01',
      profileName: 'atlantis',
      cpu: 2,
      memory: '1GB',
      rootDiskSize: '2GB',
      image: 'ghcr:runatlantis/atlantis:v0.35.0',
      data: {
        enabled: true,
        size: '10GB',
        snapshots: { enabled: false, schedule: '@daily', expiry: '7d' },
      },
      applyRequirements: ['approved', 'mergeable'],
    });
    // The seeds' values are the module's defaults: the call leaves them out, a changed one it passes.
    const passed = [...atlantis(config).args.keys()];
    for (const name of ['image', 'apply_requirements', 'opentofu_version'])
      expect(passed).not.toContain(name);
    const changed = atlantis({
      ...config,
      applyRequirements: ['approved'],
      opentofuVersion: '1.10.7',
    });
    expect(changed.args.get('apply_requirements')).toEqual(toExpr(['approved']));
    expect(changed.args.get('opentofu_version')).toEqual(toExpr('1.10.7'));
    const profile = previewModule(atlantisModule, inputs).resources['incus_profile.service'];
    expect(profile?.device).toContainEqual({
      name: 'data',
      type: 'disk',
      properties: { source: 'atlantis01-data', pool: 'local', path: '/atlantis-data' },
    });
  });
});

describe('validation, in zod and in the generated module', () => {
  const builderError = (patch: Partial<AtlantisConfig>) => {
    try {
      atlantis({ ...config, ...patch });
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  const moduleErrors = (patch: Record<string, unknown>) =>
    previewModule(atlantisModule, { ...inputs, ...patch }).validationErrors;

  it.each([
    [
      'domain',
      { domain: 'Not A Domain' },
      { domain: 'Not A Domain' },
      'atlantis01.domain: expected a lower-case DNS name',
      'var.domain: Must be a lower-case DNS name',
    ],
    [
      'allowlist entry without a host',
      { repoAllowlist: ['example-org/*'] },
      { repo_allowlist: ['example-org/*'] },
      'atlantis01.repoAllowlist[0]: expected a repository pattern such as github.com/org/*',
      'var.repo_allowlist: Each entry must be a repository pattern such as github.com/org/*',
    ],
    [
      'empty allowlist',
      { repoAllowlist: [] },
      { repo_allowlist: [] },
      'atlantis01.repoAllowlist: expected at least one repository pattern',
      'var.repo_allowlist: List at least one repository pattern.',
    ],
    [
      'GitHub user',
      { githubUser: '-bot-' },
      { github_user: '-bot-' },
      'atlantis01.githubUser: expected a GitHub user name',
      'var.github_user: Must be a GitHub user name',
    ],
    [
      'no default remote',
      { incusRemotes: [{ name: 'iapetus', address: 'https://10.30.0.1:8443' }] },
      { incus_remotes: [{ name: 'iapetus', address: 'https://10.30.0.1:8443' }] },
      'atlantis01.incusRemotes: exactly one remote must have default: true',
      'var.incus_remotes: Exactly one remote must have default = true.',
    ],
    [
      'duplicate remote',
      {
        incusRemotes: [
          { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
          { name: 'iapetus', address: 'https://10.30.0.2:8443' },
        ],
      },
      {
        incus_remotes: [
          { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
          { name: 'iapetus', address: 'https://10.30.0.2:8443' },
        ],
      },
      'atlantis01.incusRemotes[1].name: remote name "iapetus" is used twice',
      'var.incus_remotes: Remote names must be unique.',
    ],
    [
      'reserved remote name',
      { incusRemotes: [{ name: 'images', address: 'https://10.30.0.1:8443', default: true }] },
      { incus_remotes: [{ name: 'images', address: 'https://10.30.0.1:8443', default: true }] },
      'atlantis01.incusRemotes[0].name: expected a name other than local, images, ghcr',
      'var.incus_remotes: Remote names local, images, ghcr are taken',
    ],
    [
      'remote address without https',
      { incusRemotes: [{ name: 'iapetus', address: 'http://10.30.0.1:8443', default: true }] },
      { incus_remotes: [{ name: 'iapetus', address: 'http://10.30.0.1:8443', default: true }] },
      'atlantis01.incusRemotes[0].address: expected an Incus API address such as https://10.30.0.1:8443',
      'var.incus_remotes: Each remote address must be an Incus API address',
    ],
    [
      'server certificate that is not PEM',
      {
        incusRemotes: [
          {
            name: 'iapetus',
            address: 'https://10.30.0.1:8443',
            default: true,
            serverCertificate: 'abc',
          },
        ],
      },
      {
        incus_remotes: [
          {
            name: 'iapetus',
            address: 'https://10.30.0.1:8443',
            default: true,
            server_certificate: 'abc',
          },
        ],
      },
      'atlantis01.incusRemotes[0].serverCertificate: expected a PEM certificate',
      'var.incus_remotes: Each server_certificate must be null or a PEM certificate.',
    ],
    [
      'apply requirement',
      { applyRequirements: ['always' as never] },
      { apply_requirements: ['always'] },
      'atlantis01.applyRequirements[0]: Invalid option: expected one of "approved"|"mergeable"|"undiverged"',
      'var.apply_requirements: Each requirement must be one of approved, mergeable, undiverged.',
    ],
    [
      'CPU count',
      { cpu: 0 },
      { cpu_limit: 0 },
      'atlantis01.cpu: expected a whole number of CPUs from 1 to 64',
      'var.cpu_limit: Must be a whole number of CPUs from 1 to 64.',
    ],
    [
      'image on latest',
      { image: 'ghcr:runatlantis/atlantis:latest' },
      { image: 'ghcr:runatlantis/atlantis:latest' },
      'atlantis01.image: expected an image pinned to a release',
      'var.image: Must be an image pinned to a release',
    ],
    [
      'image without a tag',
      { image: 'ghcr:runatlantis/atlantis' },
      { image: 'ghcr:runatlantis/atlantis' },
      'atlantis01.image: expected an image pinned to a release',
      'var.image: Must be an image pinned to a release',
    ],
    [
      'OpenTofu older than the S3 lock files need',
      { opentofuVersion: '1.9.1' },
      { opentofu_version: '1.9.1' },
      'atlantis01.opentofuVersion: expected an OpenTofu release of 1.10.0 or later',
      'var.opentofu_version: Must be an OpenTofu release of 1.10.0 or later',
    ],
    [
      'memory size',
      { memory: '1 GB' },
      { memory_limit: '1 GB' },
      'atlantis01.memory: expected a size such as 512MB or 2GiB',
      'var.memory_limit: Must be a size such as 512MB or 2GiB',
    ],
  ])('rejects a bad %s', (_, patch, modulePatch, zodMessage, hclMessage) => {
    expect(builderError(patch as Partial<AtlantisConfig>)).toContain(zodMessage);
    expect(moduleErrors(modulePatch).join('\n')).toContain(hclMessage);
  });

  it.each([
    [{ github_token: '  ' }, 'var.github_token: Must not be empty.'],
    [
      { github_webhook_secret: 'too-short' },
      'var.github_webhook_secret: Must be more than 24 characters.',
    ],
    [
      { incus_client_certificate: 'abc' },
      'var.incus_client_certificate: Must be a PEM certificate',
    ],
    [{ incus_client_key: CERT }, 'var.incus_client_key: Must be a PEM private key'],
  ])('rejects bad secrets in the module (the builder never sees them): %o', (patch, message) => {
    expect(moduleErrors(patch).join('\n')).toContain(message);
  });

  it("declares a root-module variable for a server certificate given as 'variable'", () => {
    const instance = atlantis({
      ...config,
      incusRemotes: [
        { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
        { name: 'cluster01', address: 'https://192.168.71.5:8443', serverCertificate: 'variable' },
      ],
    });
    const env = defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [instance] });
    expect(env.variables.map((v) => v.name)).toContain('atlantis01_cluster01_server_certificate');
    expect(printExpr(instance.args.get('incus_remotes')!)).toContain(
      'server_certificate = var.atlantis01_cluster01_server_certificate',
    );
  });

  it('takes an expression as a remote address, such as the gitops gateway of the base module', () => {
    const gateway = get(ref('module.base.gateways'), 'gitops');
    const instance = atlantis({
      ...config,
      incusRemotes: [{ name: 'iapetus', address: tpl`https://${gateway}:8443`, default: true }],
    });
    expect(printExpr(instance.args.get('incus_remotes')!)).toContain(
      'address = "https://${module.base.gateways.gitops}:8443"',
    );
  });

  it('accepts the sample inputs', () => {
    expect(moduleErrors({})).toEqual([]);
    expect(previewModuleCall(atlantis(config)).validationErrors).toEqual([]);
  });
});

describe('the OCI container', () => {
  const preview = previewModule(atlantisModule, inputs);

  it('is configured through environment keys, never through cloud-init', () => {
    const env = preview.instanceConfig ?? {};
    expect(env).toMatchObject({
      'environment.ATLANTIS_ATLANTIS_URL': 'https://atlantis.example.com',
      'environment.ATLANTIS_PORT': '4141',
      'environment.ATLANTIS_DATA_DIR': '/atlantis-data',
      'environment.ATLANTIS_REPO_ALLOWLIST': 'github.com/example-org/*',
      'environment.ATLANTIS_TF_DISTRIBUTION': 'opentofu',
      'environment.ATLANTIS_DEFAULT_TF_VERSION': '1.10.6',
      'environment.ATLANTIS_GH_USER': 'atlantis-bot',
      'environment.ATLANTIS_GH_TOKEN': TOKEN,
      'environment.ATLANTIS_GH_WEBHOOK_SECRET': WEBHOOK_SECRET,
      'environment.INCUS_CONF': INCUS_CONFIG_DIR,
    });
    expect(Object.keys(env).filter((k) => k.startsWith('cloud-init'))).toEqual([]);
    expect(preview.cloudInit).toBeUndefined();
    expect(preview.resources['incus_instance.this']).toMatchObject({
      image: 'ghcr:runatlantis/atlantis:v0.35.0',
      type: 'container',
    });
  });

  it('passes the server-side repo config as JSON: apply requirements, workflows and Prometheus metrics', () => {
    const json = JSON.parse(
      preview.instanceConfig?.['environment.ATLANTIS_REPO_CONFIG_JSON'] ?? '',
    );
    expect(json).toEqual({
      repos: [
        {
          id: '/.*/',
          apply_requirements: ['approved', 'mergeable'],
          allowed_overrides: ['workflow', 'apply_requirements'],
          allow_custom_workflows: true,
        },
      ],
      metrics: { prometheus: { endpoint: '/metrics' } },
    });
  });

  it('keeps data on the volume, owned by the atlantis user, or in its home without one', () => {
    expect(preview.resources['incus_storage_volume.data[0]']?.config).toEqual({
      size: '10GB',
      'initial.uid': '100',
      'initial.gid': '1000',
      'initial.mode': '0750',
    });
    const ephemeral = previewModule(atlantisModule, { ...inputs, enable_data_persistence: false });
    expect(ephemeral.instanceConfig?.['environment.ATLANTIS_DATA_DIR']).toBe(
      '/home/atlantis/.atlantis',
    );
    expect(ephemeral.resources['incus_storage_volume.data[0]']).toBeUndefined();
  });

  it('pushes the Incus client configuration for the remotes, pinned server certificates included', () => {
    const files = filesOf(preview);
    expect([...files.keys()].sort()).toEqual([
      `${INCUS_CONFIG_DIR}/client.crt`,
      `${INCUS_CONFIG_DIR}/client.key`,
      `${INCUS_CONFIG_DIR}/config.yml`,
      `${INCUS_CONFIG_DIR}/servercerts/cluster01.crt`,
    ]);
    for (const f of files.values()) expect(f).toMatchObject({ uid: 100, gid: 1000, mode: '0700' });
    expect(files.get(`${INCUS_CONFIG_DIR}/client.key`)?.content).toBe(KEY);
    expect(files.get(`${INCUS_CONFIG_DIR}/servercerts/cluster01.crt`)?.content).toBe(SERVER_CERT);
    expect(parse(files.get(`${INCUS_CONFIG_DIR}/config.yml`)?.content ?? '')).toEqual({
      'default-remote': 'iapetus',
      remotes: {
        images: {
          addr: 'https://images.linuxcontainers.org',
          protocol: 'simplestreams',
          public: true,
        },
        ghcr: { addr: 'https://ghcr.io', protocol: 'oci', public: true },
        iapetus: {
          addr: 'https://10.30.0.1:8443',
          auth_type: 'tls',
          protocol: 'incus',
          public: false,
        },
        cluster01: {
          addr: 'https://192.168.71.10:8443',
          auth_type: 'tls',
          protocol: 'incus',
          public: false,
        },
      },
    });
  });

  it('outputs the endpoint, the webhook URL and the metrics target', () => {
    expect(preview.outputs).toMatchObject({
      endpoint: 'http://atlantis01.incus:4141',
      webhook_url: 'https://atlantis.example.com/events',
      metrics_target: 'atlantis01.incus:4141',
    });
    // No proxy device in any mode: GitHub reaches Atlantis through the tunnel.
    expect(atlantisModule.variables).not.toHaveProperty('proxy_devices');
  });
});

// Keys of an atlantis.yaml project that Atlantis refuses unless the server-side repo config
// lists them in allowed_overrides (runatlantis.io, "Server Side Repo Config").
const RESTRICTED_PROJECT_KEYS = [
  'plan_requirements',
  'apply_requirements',
  'import_requirements',
  'workflow',
  'delete_source_branch_on_merge',
  'repo_locking',
  'repo_locks',
  'policy_check',
  'custom_policy_check',
  'autodiscover',
  'silence_pr_comments',
];

describe('the server-side repo config and the generated atlantis.yaml', () => {
  const serverConfig = JSON.parse(
    String(
      previewModule(atlantisModule, inputs).instanceConfig?.[
        'environment.ATLANTIS_REPO_CONFIG_JSON'
      ],
    ),
  ) as { repos: { allowed_overrides: string[]; allow_custom_workflows: boolean }[] };
  const env = defineEnvironment({
    name: 'iapetus',
    description: 'Test.',
    modules: [atlantis(config)],
  });
  const repoConfig = parse(
    renderRepositoryFiles(
      defineEstate({ repository: 'https://example.com/a.git', environments: [env] }),
    ).get('atlantis.yaml')!,
  ) as { projects: Record<string, unknown>[]; workflows?: Record<string, unknown> };

  it('allows every restricted key a project sets, and nothing more', () => {
    const used = new Set(
      repoConfig.projects.flatMap((p) =>
        Object.keys(p).filter((k) => RESTRICTED_PROJECT_KEYS.includes(k)),
      ),
    );
    expect(repoConfig.projects.length).toBeGreaterThan(0);
    expect(new Set(serverConfig.repos[0]!.allowed_overrides)).toEqual(used);
  });

  it('lets the repository define workflows exactly when atlantis.yaml does', () => {
    expect(serverConfig.repos[0]!.allow_custom_workflows).toBe(repoConfig.workflows !== undefined);
  });
});

describe('the image', () => {
  it('is pinned to a release, and takes a digest too', () => {
    expect(ATLANTIS_DEFAULTS.image).toBe('ghcr:runatlantis/atlantis:v0.35.0');
    const digest = `ghcr:runatlantis/atlantis@sha256:${'0a'.repeat(32)}`;
    expect(atlantisConfigSchema.parse({ ...config, image: digest }).image).toBe(digest);
    expect(previewModule(atlantisModule, { ...inputs, image: digest }).validationErrors).toEqual(
      [],
    );
  });

  it('from another remote leaves the ghcr remote out of the provider', () => {
    const instance = atlantis({ ...config, image: 'docker:runatlantis/atlantis:v0.35.0' });
    const env = defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [instance] });
    expect(env.imageRemotes).toEqual([]);
  });

  it("comes through the ghcr remote, which the root module's provider declares", () => {
    const env = defineEnvironment({
      name: 'iapetus',
      description: 'Test.',
      modules: [atlantis(config)],
    });
    const files = renderEstate(
      defineEstate({ repository: 'https://example.com/a.git', environments: [env] }),
    );
    expect(files.get('environments/iapetus/providers.tf')).toContain(
      [
        '  remote {',
        '    name     = "ghcr"',
        '    address  = "https://ghcr.io"',
        '    protocol = "oci"',
        '    public   = true',
        '  }',
      ].join('\n'),
    );
  });
});

describe('the generated module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-atlantis-'));
    await writeTree(join(dir, 'generated'), renderModules([atlantisModule]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes every check of @atlas/verify', async () => {
    expect(await verifyTree(dir)).toEqual([]);
  });

  it('declares the secrets as required sensitive variables and the documented outputs', async () => {
    const summary = await summarizeModule(join(dir, 'generated/modules/atlantis'));
    for (const name of ['github_token', 'github_webhook_secret', 'incus_client_key'])
      expect(summary.variables[name]).toEqual({ required: true, sensitive: true });
    expect(summary.variables.incus_remotes).toEqual({ required: true, sensitive: false });
    expect(summary.outputs).toEqual(
      expect.arrayContaining(['endpoint', 'instance_name', 'metrics_target', 'webhook_url']),
    );
  });
});

describe('secrets', () => {
  it('reach the module only as sensitive root-module variables, never as literals', () => {
    const instance = atlantis(config);
    const env = defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [instance] });
    const files = renderEstate(
      defineEstate({ repository: 'https://example.com/a.git', environments: [env] }),
    );
    const main = files.get('environments/iapetus/main.tf') ?? '';
    expect(main).toMatch(/ github_token += var\.atlantis01_github_token\n/);
    expect(main).toMatch(/ github_webhook_secret += var\.atlantis01_github_webhook_secret\n/);
    expect(main).toMatch(/ incus_client_key += var\.atlantis01_incus_client_key\n/);
    expect(env.variables.map((v) => [v.name, v.spec.sensitive ?? false])).toEqual([
      ['atlantis01_github_token', true],
      ['atlantis01_github_webhook_secret', true],
      ['atlantis01_incus_client_certificate', false],
      ['atlantis01_incus_client_key', true],
    ]);
    expect(instance.metrics).toEqual({ target: instance.outputs.metrics_target, path: '/metrics' });
    // The sample secrets only ever went into the preview, so no rendered file can hold them.
    for (const [path, content] of [...files, ...renderModules([atlantisModule])]) {
      for (const value of [TOKEN, WEBHOOK_SECRET, KEY, 'PRIVATE KEY-----\n'])
        expect(content.includes(value), `${path} holds a secret`).toBe(false);
    }
  });
});
