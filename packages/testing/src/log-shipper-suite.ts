import { ConfigError, type ModuleCall, type ModuleDefinition } from '@atlas/core';
import { type LogSink, type MetricsSource } from '@atlas/incus-service';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr, ref, type Expr } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { testNetwork } from './network.js';

export interface LogShipperSpec<C> {
  /** The service and module name: `alloy`, `promtail`. */
  readonly name: string;
  readonly build: (config: C) => ModuleCall & MetricsSource & { readonly service: string };
  readonly configSchema: z.ZodType;
  readonly module: ModuleDefinition;
  readonly memory: string;
  readonly rootDiskSize: string;
  readonly httpPort: number;
  /** Publishes a port (a network forward) when a consumer on another network needs it: Alloy receives journals. */
  readonly publishes?: boolean;
}

/**
 * What every journald/log-file shipper promises (the shared log-shipping
 * options of @atlas/core, through each shipper's own builder and module):
 * the seeded defaults, each rule rejected by both zod and HCL, typed wiring
 * to Loki, a module that verifies, no published ports, valid user-data.
 */
export function describeLogShipper<C>(spec: LogShipperSpec<C>): void {
  const network = testNetwork();
  const instance = `${spec.name}01`;
  const loki: LogSink = {
    name: 'loki01',
    logs: { pushUrl: ref('module.loki01.push_url'), baseUrl: ref('module.loki01.endpoint') },
  };
  const moduleInputs = {
    profiles: ['base', 'management'],
    loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
  };
  // The suite hands the builder bad configs on purpose: its own errors are under test.
  const build = (config: unknown) => spec.build(config as C);
  const issuesOf = (config: unknown) => {
    try {
      build(config);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues;
      throw error;
    }
    throw new Error('the builder accepted the config');
  };

  describe(`${spec.name} as a log shipper`, () => {
    it('defaults to the seeds: 1 CPU, the whole journal and /var/log/*.log, no volume', () => {
      const c = spec.configSchema.parse({ network, loki }) as Record<string, unknown>;
      expect(c).toMatchObject({
        name: instance,
        cpu: 1,
        memory: spec.memory,
        rootDiskSize: spec.rootDiskSize,
        labels: {},
        services: [],
        journalMaxAge: '12h',
        logFiles: ['/var/log/*.log'],
        httpPort: spec.httpPort,
      });
      expect(c.data).toBeUndefined();
      expect(Object.keys(spec.module.variables)).not.toContain('enable_data_persistence');
    });

    // Each rule rejects the same value in the builder (zod) and in the generated validation block.
    it.each([
      {
        rule: 'label names are Loki label names',
        builder: { labels: { '1env': 'x' } },
        path: ['labels', '1env'],
        message: /label name of letters, digits and underscores/,
        module: { labels: { '1env': 'x' } },
        error: /^var\.labels: Label names must be letters, digits and underscores/,
      },
      {
        rule: 'the shipper owns job, unit, service, level, filename and __ names',
        builder: { labels: { service: 'x' } },
        path: ['labels', 'service'],
        message: /set by the shipper/,
        module: { labels: { __name__: 'x' } },
        error: /^var\.labels: Label names starting with "__" are reserved/,
      },
      {
        rule: 'journal max age is a Go duration',
        builder: { journalMaxAge: '2d' },
        path: ['journalMaxAge'],
        message: /no days/,
        module: { journal_max_age: '2d' },
        error: /^var\.journal_max_age: Must be a duration such as 12h/,
      },
      {
        rule: 'units are systemd unit names',
        builder: { services: ['my app'] },
        path: ['services', 0, 'unit'],
        message: /systemd unit name/,
        module: { units: [{ unit: 'my app.service', service: 'app' }] },
        error: /^var\.units: Each "unit" must be a systemd unit name/,
      },
      {
        rule: 'each unit is listed once',
        builder: { services: ['mosquitto', 'mosquitto.service'] },
        path: ['services', 1, 'unit'],
        message: /listed twice/,
        module: {
          units: [
            { unit: 'a.service', service: 'a' },
            { unit: 'a.service', service: 'b' },
          ],
        },
        error: /^var\.units: Each unit may be listed only once/,
      },
      {
        rule: 'service labels are not empty',
        builder: { services: [{ unit: 'a.service', service: '' }] },
        path: ['services', 0, 'service'],
        message: /non-empty service label/,
        module: { units: [{ unit: 'a.service', service: '' }] },
        error: /^var\.units: Each "service" label must be non-empty/,
      },
      {
        rule: 'log files are absolute',
        builder: { logFiles: ['var/log/*.log'] },
        path: ['logFiles', 0],
        message: /absolute path/,
        module: { log_files: ['var/log/*.log'] },
        error: /^var\.log_files: Each log file must be an absolute path/,
      },
      {
        rule: 'the HTTP port is a port',
        builder: { httpPort: 70000 },
        path: ['httpPort'],
        message: /port number/,
        module: { http_port: 70000 },
        error: /^var\.http_port: Must be a port number/,
      },
      {
        rule: 'memory is a size (C2)',
        builder: { memory: '512 MB' },
        path: ['memory'],
        message: /size such as 512MB/,
        module: { memory_limit: '512 MB' },
        error: /^var\.memory_limit: Must be a size/,
      },
    ])('rejects in zod and HCL: $rule', (c) => {
      expect(issuesOf({ network, loki, ...c.builder })).toEqual([
        { path: [instance, ...c.path], message: expect.stringMatching(c.message) },
      ]);
      const errors = previewModule(spec.module, { ...moduleInputs, ...c.module }).validationErrors;
      expect(errors).toEqual([expect.stringMatching(c.error)]);
    });

    it('takes a Loki instance or an expression, never a URL typed as a string', () => {
      expect(issuesOf({ network, loki: 'http://loki01.incus:3100/loki/api/v1/push' })).toEqual([
        { path: [instance, 'loki'], message: expect.stringMatching(/expected a Loki instance/) },
      ]);
      expect(issuesOf({ network })).toEqual([
        { path: [instance, 'loki'], message: expect.any(String) },
      ]);
      const wired = build({ network, loki: ref('var.iapetus_loki_push_url') });
      expect(printExpr(wired.args.get('loki_push_url')!)).toBe('var.iapetus_loki_push_url');
    });

    it('checks the push URL when the module is used from HCL', () => {
      for (const bad of ['loki01.incus:3100/loki/api/v1/push', 'ftp://loki01/push', 'http://a b/'])
        expect(
          previewModule(spec.module, { ...moduleInputs, loki_push_url: bad }).validationErrors,
        ).toEqual([
          expect.stringMatching(/^var\.loki_push_url: Must be an http:\/\/ or https:\/\//),
        ]);
      expect(
        previewModule(spec.module, {
          ...moduleInputs,
          loki_push_url: 'https://logs.example.com/push',
        }).validationErrors,
      ).toEqual([]);
    });

    it("ships to the Loki instance's push URL and offers its own metrics", () => {
      const shipper = build({ network, loki, labels: { environment: 'cluster01' } });
      expect(shipper.service).toBe(spec.name);
      expect(printExpr(shipper.args.get('loki_push_url')!)).toBe('module.loki01.push_url');
      expect(printExpr(shipper.metrics.target as Expr)).toBe(`module.${instance}.metrics_target`);
      expect([...shipper.args.keys()]).toEqual([
        'instance_name',
        'profiles',
        'cpu_limit',
        'memory_limit',
        'loki_push_url',
        'labels',
      ]);
    });

    it('maps services to units and their service label', () => {
      const preview = previewModuleCall(
        build({
          network,
          loki,
          services: [
            'mosquitto',
            'coredns.service',
            'logrotate.timer',
            { unit: 'prometheus-node-exporter.service', service: 'node-exporter' },
          ],
          journalMaxAge: '1h',
          logFiles: [],
          httpPort: spec.httpPort + 1,
        }),
      );
      expect(preview.validationErrors).toEqual([]);
      expect(preview.variables).toMatchObject({
        units: [
          { unit: 'mosquitto.service', service: 'mosquitto' },
          { unit: 'coredns.service', service: 'coredns' },
          { unit: 'logrotate.timer', service: 'logrotate.timer' },
          { unit: 'prometheus-node-exporter.service', service: 'node-exporter' },
        ],
        journal_max_age: '1h',
        log_files: [],
        http_port: spec.httpPort + 1,
      });
    });

    it('has outputs built from the instance name and the push URL', () => {
      expect(previewModule(spec.module, moduleInputs).outputs).toMatchObject({
        endpoint: `http://${instance}.incus:${spec.httpPort}`,
        metrics_target: `${instance}.incus:${spec.httpPort}`,
        loki_target: 'http://loki01.incus:3100/loki/api/v1/push',
      });
    });

    it('publishes no host ports in any network mode: Prometheus scrapes it on its network', () => {
      for (const mode of ['bridge', 'physical', 'ovn'] as const) {
        const profile = previewModuleCall(build({ network: testNetwork(mode), loki })).resources[
          'incus_profile.service'
        ];
        expect((profile?.device as Array<{ name: string }>).map((d) => d.name)).toEqual(['root']);
        expect(profile?.config).toMatchObject({
          'limits.cpu': '1',
          'limits.memory': spec.memory,
          'limits.memory.enforce': 'hard',
        });
      }
    });

    it.skipIf(!hasChecker('cloud-init'))('writes user-data that cloud-init accepts', () => {
      const result = checkCloudInit(previewModule(spec.module, moduleInputs).cloudInit!);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    describe('the generated module', () => {
      let dir: string;
      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), `atlas-${spec.name}-`));
      });
      afterAll(() => rm(dir, { recursive: true, force: true }));

      it('verifies: parses, is tofu-fmt exact, every reference and template variable resolves', async () => {
        const files = renderModules([spec.module]);
        const root = join(dir, 'generated');
        await writeTree(root, files);
        expect(await verifyTree(root)).toEqual([]);
        const summary = await summarizeModule(join(root, `modules/${spec.name}`));
        expect(summary.variables.loki_push_url).toEqual({ required: true, sensitive: false });
        expect(summary.variables.labels?.required).toBe(false);
        expect(summary.outputs).toEqual(
          expect.arrayContaining(['endpoint', 'metrics_target', 'loki_target', 'instance_name']),
        );
        expect(summary.resources).toEqual([
          'incus_instance.this',
          ...(spec.publishes ? ['incus_network_forward.this'] : []),
          'incus_profile.service',
        ]);
        expect(files.get(`modules/${spec.name}/README.md`)).toContain('loki_push_url');
      });
    });
  });
}
