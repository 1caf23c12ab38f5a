import { ConfigError, secret } from '@atlas/core';
import { type LogSink } from '@atlas/incus-service';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr, ref } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  incusLoki,
  incusLokiConfigSchema,
  incusLokiModule,
  lokiBaseUrl,
  type IncusLokiConfig,
} from './index.js';

const loki01: LogSink = {
  name: 'loki01',
  logs: {
    pushUrl: ref('module.loki01.push_url'),
    baseUrl: ref('module.loki01.endpoint'),
  },
};
const LOKI_URL = 'http://loki01.incus:3100';

/** The `incus_server` config the builder's call produces, with Loki's URL as the seeds give it. */
function serverConfig(config: Omit<IncusLokiConfig, 'loki'> = {}) {
  const call = incusLoki({ loki: loki01, ...config });
  const preview = previewModule(incusLokiModule, {
    ...Object.fromEntries(call.args),
    loki_address: LOKI_URL,
  });
  expect(preview.validationErrors).toEqual([]);
  return preview.resources['incus_server.this']!.config;
}

function configErrors(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('follows the seeds: target loki01, lifecycle and logging events', () => {
    const parsed = incusLokiConfigSchema.parse({ loki: loki01 });
    expect(parsed).toMatchObject({
      name: 'incus_loki',
      types: ['lifecycle', 'logging'],
      level: 'info',
      retry: 3,
      labels: [],
      lifecycleTypes: [],
      lifecycleProjects: [],
    });
    expect(incusLokiModule.variables.password.sensitive).toBe(true);
  });

  it('names the target after the Loki instance and passes its base URL', () => {
    const call = incusLoki({ loki: loki01 });
    expect([...call.args.keys()]).toEqual(['loki_address']);
    expect(printExpr(call.args.get('loki_address')!)).toBe('module.loki01.endpoint');
    const other = incusLoki({ loki: { ...loki01, name: 'loki02' } });
    expect(printExpr(other.args.get('logging_name')!)).toBe('"loki02"');
  });
});

describe('the incus_server config', () => {
  it('holds only the target when everything else is at its Incus default', () => {
    expect(serverConfig()).toEqual({
      'logging.loki01.target.type': 'loki',
      'logging.loki01.target.address': LOKI_URL,
    });
  });

  it('never sends a value equal to the Incus default, however it is written', () => {
    expect(
      serverConfig({ types: ['logging', 'lifecycle'], level: 'info', retry: 3, labels: [] }),
    ).toEqual({
      'logging.loki01.target.type': 'loki',
      'logging.loki01.target.address': LOKI_URL,
    });
    // Straight from HCL, passing every default explicitly.
    const preview = previewModule(incusLokiModule, {
      loki_address: LOKI_URL,
      types: ['lifecycle', 'logging'],
      logging_level: 'info',
      retry: 3,
      lifecycle_types: [],
      instance: null,
    });
    expect(preview.resources['incus_server.this']!.config).toEqual({
      'logging.loki01.target.type': 'loki',
      'logging.loki01.target.address': LOKI_URL,
    });
  });

  it('sends every value that differs from the default', () => {
    expect(
      serverConfig({
        loggingName: 'incus',
        types: ['lifecycle'],
        level: 'warn',
        labels: ['action', 'project'],
        lifecycleTypes: ['instance'],
        lifecycleProjects: ['default', 'infra'],
        instance: 'cluster01',
        retry: 5,
        caCert: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
      }),
    ).toEqual({
      'logging.incus.target.type': 'loki',
      'logging.incus.target.address': LOKI_URL,
      'logging.incus.types': 'lifecycle',
      'logging.incus.logging.level': 'warn',
      'logging.incus.lifecycle.types': 'instance',
      'logging.incus.lifecycle.projects': 'default,infra',
      'logging.incus.target.labels': 'action,project',
      'logging.incus.target.instance': 'cluster01',
      'logging.incus.target.retry': '5',
      'logging.incus.target.ca_cert': '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
    });
  });

  it('takes the password from a root-module secret, only with a username', () => {
    const password = secret('incus_loki_password', 'Password Incus uses to push to Loki.');
    const call = incusLoki({ loki: loki01, auth: { username: 'incus', password } });
    expect(call.options.inputs).toEqual([password]);
    expect(printExpr(call.args.get('password')!)).toBe('var.incus_loki_password');
    const preview = previewModule(incusLokiModule, {
      loki_address: LOKI_URL,
      username: 'incus',
      password: 'hunter2',
    });
    expect(preview.resources['incus_server.this']!.config).toMatchObject({
      'logging.loki01.target.username': 'incus',
      'logging.loki01.target.password': 'hunter2',
    });
    const withoutUser = previewModule(incusLokiModule, {
      loki_address: LOKI_URL,
      password: 'hunter2',
    });
    expect(Object.keys(withoutUser.resources['incus_server.this']!.config!)).not.toContain(
      'logging.loki01.target.password',
    );
  });
});

describe('validation', () => {
  const hcl = (inputs: Record<string, unknown>) =>
    previewModule(incusLokiModule, { loki_address: LOKI_URL, ...inputs }).validationErrors;

  it('event types: known ones, at least one, each once', () => {
    for (const types of [['lifecycle', 'audit'], [], ['logging', 'logging']]) {
      expect(configErrors(() => incusLoki({ loki: loki01, types: types as never }))).toEqual([
        expect.stringMatching(/^incus_loki\.types(\[1\])?: expected (one|at least one|each)/),
      ]);
      expect(hcl({ types })).toEqual([
        'var.types: Must list one or more of lifecycle, logging, network-acl, each once.',
      ]);
    }
  });

  it('log level: a logrus level name', () => {
    expect(configErrors(() => incusLoki({ loki: loki01, level: 'verbose' as never }))).toEqual([
      'incus_loki.level: expected one of trace, debug, info, warn, error',
    ]);
    expect(hcl({ logging_level: 'verbose' })).toEqual([
      'var.logging_level: Must be one of trace, debug, info, warn, error.',
    ]);
  });

  it('retries: a whole number, 0 or more', () => {
    expect(configErrors(() => incusLoki({ loki: loki01, retry: -1 }))).toEqual([
      'incus_loki.retry: expected a whole number of retries, 0 or more',
    ]);
    expect(hcl({ retry: 1.5 })).toEqual(['var.retry: Must be a whole number, 0 or more.']);
  });

  it('list items cannot hold the comma Incus separates them with', () => {
    expect(configErrors(() => incusLoki({ loki: loki01, labels: ['action,level'] }))).toEqual([
      'incus_loki.labels[0]: expected each label without commas or spaces',
    ]);
    expect(hcl({ labels: ['action,level'], lifecycle_projects: [''] })).toEqual([
      'var.lifecycle_projects: Each project must be non-empty, without commas or spaces.',
      'var.labels: Each label must be non-empty, without commas or spaces.',
    ]);
  });

  it('logging name: one key segment', () => {
    expect(configErrors(() => incusLoki({ loki: loki01, loggingName: 'loki.01' }))).toEqual([
      'incus_loki.loggingName: expected a logging name of letters, digits, "_" and "-"',
    ]);
    expect(hcl({ logging_name: 'loki.01' })).toEqual([
      'var.logging_name: Must be letters, digits, "_" and "-" (one segment of logging.<name>.*).',
    ]);
  });

  it('Loki address: the base URL, not the push URL', () => {
    expect(hcl({ loki_address: `${LOKI_URL}/loki/api/v1/push` })).toEqual([
      "var.loki_address: Must be Loki's base URL such as http://loki01.incus:3100 (Incus adds /loki/api/v1/push).",
    ]);
    expect(hcl({ loki_address: 'loki01.incus:3100' })).toHaveLength(1);
    // The same rule on the TypeScript side, for callers that hold a literal URL.
    expect(lokiBaseUrl.schema.safeParse(LOKI_URL).success).toBe(true);
    expect(
      lokiBaseUrl.schema.safeParse(`${LOKI_URL}/loki/api/v1/push`).error?.issues[0]?.message,
    ).toBe("expected Loki's base URL, without /loki/api/v1/push");
    expect(configErrors(() => incusLoki({ loki: { name: 'loki01' } as never }))).toEqual([
      'incus_loki.loki: expected a Loki instance (the value loki(…) returns)',
    ]);
  });
});

describe('generated module', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atlas-incus-loki-'));
    await writeTree(join(root, 'generated'), renderModules([incusLokiModule]));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('passes every check', async () => {
    expect(await verifyTree(join(root, 'generated'))).toEqual([]);
  });

  it('manages one incus_server resource and keeps the password sensitive', async () => {
    const summary = await summarizeModule(join(root, 'generated/modules/incus-loki'));
    expect(summary.resources).toEqual(['incus_server.this']);
    expect(summary.outputs).toEqual(['logging_name', 'loki_push_url']);
    expect(summary.variables.loki_address).toEqual({ required: true, sensitive: false });
    expect(summary.variables.password).toEqual({ required: false, sensitive: true });
  });
});
