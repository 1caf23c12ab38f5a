import { ConfigError } from '@atlas/core';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr, ref } from '@atlas/hcl';
import { UNKNOWN, previewModule, previewModuleCall } from '@atlas/preview';
import { summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  incusApiAddress,
  incusMetrics,
  incusMetricsConfigSchema,
  incusMetricsModule,
} from './index.js';

const ADDRESS = '10.20.0.1:8443';

/** The ConfigError lines a bad config produces. */
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
  it('registers the seeds’ certificate: prometheus-metrics, valid 10 years', () => {
    const parsed = incusMetricsConfigSchema.parse({ address: ADDRESS });
    expect(parsed).toEqual({
      name: 'incus_metrics',
      address: ADDRESS,
      certificateName: 'prometheus-metrics',
      commonName: 'prometheus-metrics',
      validityHours: 87600,
    });
    expect('default' in incusMetricsModule.variables.metrics_address).toBe(false);
  });

  it('passes only what differs from the module defaults', () => {
    expect([...incusMetrics({ address: ADDRESS }).args.keys()]).toEqual(['metrics_address']);
    const longer = incusMetrics({ address: ADDRESS, validityHours: 48 });
    expect(printExpr(longer.args.get('validity_hours')!)).toBe('48');
  });
});

describe('validation', () => {
  it('rejects a lifetime under a day or in fractions of an hour, in zod and in HCL', () => {
    expect(configErrors(() => incusMetrics({ address: ADDRESS, validityHours: 23 }))).toEqual([
      'incus_metrics.validityHours: expected whole hours, at least 24',
    ]);
    expect(configErrors(() => incusMetrics({ address: ADDRESS, validityHours: 24.5 }))).toEqual([
      'incus_metrics.validityHours: expected whole hours, at least 24',
    ]);
    for (const hours of [23, 24.5])
      expect(
        previewModule(incusMetricsModule, { metrics_address: ADDRESS, validity_hours: hours })
          .validationErrors,
      ).toEqual(['var.validity_hours: Must be whole hours, at least 24.']);
  });

  it('rejects an address that is not host:port, in zod and in HCL', () => {
    for (const bad of ['https://10.20.0.1:8443', '10.20.0.1', '10.20.0.1: 8443']) {
      expect(configErrors(() => incusMetrics({ name: 'metrics', address: bad }))).toEqual([
        expect.stringMatching(/^metrics\.address: expected host:port such as 10\.20\.0\.1:8443/),
      ]);
      expect(previewModule(incusMetricsModule, { metrics_address: bad }).validationErrors).toEqual([
        'var.metrics_address: Must be host:port, such as 10.20.0.1:8443.',
      ]);
    }
  });

  it('rejects unknown options', () => {
    expect(configErrors(() => incusMetrics({ address: ADDRESS, curve: 'P256' } as never))).toEqual([
      expect.stringMatching(/^incus_metrics\.curve: Unrecognized key/),
    ]);
  });
});

describe('the module', () => {
  it('generates an ECDSA P-384 client certificate and registers it as a metrics certificate', () => {
    const preview = previewModule(incusMetricsModule, { metrics_address: ADDRESS });
    expect(preview.validationErrors).toEqual([]);
    expect(preview.resources['tls_private_key.metrics']).toEqual({
      algorithm: 'ECDSA',
      ecdsa_curve: 'P384',
    });
    expect(preview.resources['tls_self_signed_cert.metrics']).toMatchObject({
      validity_period_hours: 87600,
      allowed_uses: ['client_auth', 'digital_signature', 'key_encipherment'],
      subject: [{ common_name: 'prometheus-metrics' }],
    });
    expect(preview.resources['incus_certificate.metrics']).toMatchObject({
      name: 'prometheus-metrics',
      type: 'metrics',
    });
    expect(preview.outputs.metrics_endpoint).toBe('https://10.20.0.1:8443/1.0/metrics');
    expect(previewModuleCall(incusMetrics({ address: ADDRESS })).outputs.prometheus).toEqual({
      address: ADDRESS,
      certificate: UNKNOWN,
      private_key: UNKNOWN,
    });
  });

  it('takes the address from another module, e.g. the management gateway', () => {
    const metrics = incusMetrics({
      address: incusApiAddress(ref('module.base.gateways.management')),
    });
    expect(printExpr(metrics.args.get('metrics_address')!)).toBe(
      '"${module.base.gateways.management}:8443"',
    );
    expect(printExpr(metrics.incusMetrics.prometheus)).toBe('module.incus_metrics.prometheus');
    expect(incusApiAddress('10.20.0.1', 9443)).toBe('10.20.0.1:9443');
  });
});

describe('generated module', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atlas-incus-metrics-'));
    await writeTree(join(root, 'generated'), renderModules([incusMetricsModule]));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('passes every check, the incus and tls provider schemas included', async () => {
    expect(await verifyTree(join(root, 'generated'))).toEqual([]);
  });

  it('declares the certificate resources and keeps the private key sensitive', async () => {
    const dir = join(root, 'generated/modules/incus-metrics');
    const summary = await summarizeModule(dir);
    expect(summary.resources).toEqual([
      'incus_certificate.metrics',
      'tls_private_key.metrics',
      'tls_self_signed_cert.metrics',
    ]);
    expect(summary.outputs).toEqual([
      'certificate_pem',
      'metrics_endpoint',
      'private_key_pem',
      'prometheus',
    ]);
    expect(summary.variables.metrics_address).toEqual({ required: true, sensitive: false });

    const outputs = await readFile(join(dir, 'outputs.tf'), 'utf8');
    const sensitiveOutputs = [...outputs.matchAll(/^output "([^"]+)" \{\n([\s\S]*?)^\}/gm)]
      .filter(([, , body]) => /^\s+sensitive\s+= true$/m.test(body!))
      .map(([, name]) => name);
    expect(sensitiveOutputs).toEqual(['private_key_pem', 'prometheus']);
    const versions = await readFile(join(dir, 'versions.tf'), 'utf8');
    expect(versions).toContain(
      'tls   = { source = "hashicorp/tls", version = ">= 4.2.0, < 5.0.0" }',
    );
  });
});
