import { testNetwork } from '@atlas/testing';
import { ConfigError, type NetworkAttachment } from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HEALTH_CHECK_DEFAULTS,
  SEED_VIPS,
  ovnLbModule,
  ovnLoadBalancer,
  ovnLoadBalancerConfigSchema,
  type OvnLoadBalancerConfig,
} from './index.js';

const attach = (mode: NetworkAttachment['mode']) => testNetwork(mode, 'production');
const production = attach('ovn');

// A minimal service standing in for Mosquitto and CoreDNS: what matters is its ipv4_address output.
const service = incusServiceModule({
  name: 'service',
  package: { name: '@atlas/test', version: '0.0.0' },
  description: 'A test service.',
  defaults: {
    instanceName: 'service01',
    profileName: 'service',
    cpu: 1,
    memory: '128MB',
    rootDiskSize: '1GB',
  },
  variables: {},
  build: () => ({ outputs: {} }),
});
const instance = (name: string) => service.call(name, { profiles: production.profiles });
const mosquitto01 = instance('mosquitto01');
const coredns01 = instance('coredns01');

const mosquittoLb: OvnLoadBalancerConfig = {
  name: 'mosquitto_lb',
  network: production,
  vip: SEED_VIPS.mosquittoCluster01,
  backends: [mosquitto01],
  ports: [
    { name: 'mqtt', port: 1883 },
    { name: 'mqtts', port: 8883 },
  ],
};

/** The load balancer the builder's call describes, with the backends' addresses filled in. */
function loadBalancer(config: OvnLoadBalancerConfig, addresses: Record<string, string>) {
  const call = ovnLoadBalancer(config);
  const preview = previewModule(ovnLbModule, {
    ...Object.fromEntries(call.args),
    network: 'production',
    backends: addresses,
  });
  expect(preview.validationErrors).toEqual([]);
  return { lb: preview.resources['incus_network_lb.this']!, outputs: preview.outputs };
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
  it("checks backends' health with Incus's timing and publishes TCP unless told otherwise", () => {
    const parsed = ovnLoadBalancerConfigSchema.parse(mosquittoLb);
    expect(parsed.healthCheck).toEqual(HEALTH_CHECK_DEFAULTS);
    expect(parsed.ports.map((p) => p.protocol)).toEqual(['tcp', 'tcp']);
    expect(ovnLbModule.variables.health_check.default).toEqual({});
    const preview = previewModule(ovnLbModule, {
      network: 'production',
      listen_address: SEED_VIPS.mosquittoCluster01,
      backends: { mosquitto01: '10.10.0.20' },
      ports: [{ name: 'mqtt', listen_port: 1883 }],
    });
    expect(preview.variables.health_check).toEqual({
      interval: 10,
      timeout: 30,
      failure_count: 3,
      success_count: 3,
    });
  });

  it('passes the OVN network, the VIP and the backends’ addresses; defaults stay out', () => {
    const call = ovnLoadBalancer(mosquittoLb);
    expect([...call.args.keys()]).toEqual(['network', 'listen_address', 'backends', 'ports']);
    expect(printExpr(call.args.get('network')!)).toBe('module.base.networks.production');
    expect(printExpr(call.args.get('backends')!)).toBe(
      '{ mosquitto01 = module.mosquitto01.ipv4_address }',
    );
    expect(printExpr(call.vip)).toBe('module.mosquitto_lb.vip');
  });
});

describe('the load balancer', () => {
  it('forwards each port of the seeds’ Mosquitto VIP to the broker, health-checked', () => {
    const { lb, outputs } = loadBalancer(mosquittoLb, { mosquitto01: '10.10.0.20' });
    expect(lb).toMatchObject({
      network: 'production',
      listen_address: '192.168.68.10',
      config: {
        healthcheck: 'true',
        'healthcheck.interval': '10',
        'healthcheck.timeout': '30',
        'healthcheck.failure_count': '3',
        'healthcheck.success_count': '3',
      },
      backend: [
        { name: 'mosquitto01-mqtt', target_address: '10.10.0.20', target_port: '1883' },
        { name: 'mosquitto01-mqtts', target_address: '10.10.0.20', target_port: '8883' },
      ],
      port: [
        {
          description: 'mqtt',
          protocol: 'tcp',
          listen_port: '1883',
          target_backend: ['mosquitto01-mqtt'],
        },
        {
          description: 'mqtts',
          protocol: 'tcp',
          listen_port: '8883',
          target_backend: ['mosquitto01-mqtts'],
        },
      ],
    });
    expect(outputs).toEqual({
      vip: '192.168.68.10',
      endpoints: { mqtt: '192.168.68.10:1883', mqtts: '192.168.68.10:8883' },
    });
  });

  it('spreads DNS over UDP and TCP across several backends, to their own target port', () => {
    const { lb } = loadBalancer(
      {
        name: 'coredns_lb',
        network: production,
        vip: SEED_VIPS.corednsCluster01,
        backends: [coredns01, instance('coredns02')],
        ports: [
          { name: 'dns-udp', protocol: 'udp', port: 53, targetPort: 1053 },
          { name: 'dns-tcp', protocol: 'tcp', port: 53, targetPort: 1053 },
        ],
        healthCheck: { interval: 5 },
      },
      { coredns01: '10.10.0.31', coredns02: '10.10.0.32' },
    );
    expect(lb.config).toMatchObject({ 'healthcheck.interval': '5', 'healthcheck.timeout': '30' });
    expect(lb.backend).toEqual([
      { name: 'coredns01-dns-tcp', target_address: '10.10.0.31', target_port: '1053' },
      { name: 'coredns01-dns-udp', target_address: '10.10.0.31', target_port: '1053' },
      { name: 'coredns02-dns-tcp', target_address: '10.10.0.32', target_port: '1053' },
      { name: 'coredns02-dns-udp', target_address: '10.10.0.32', target_port: '1053' },
    ]);
    expect(lb.port).toEqual([
      {
        description: 'dns-udp',
        protocol: 'udp',
        listen_port: '53',
        target_backend: ['coredns01-dns-udp', 'coredns02-dns-udp'],
      },
      {
        description: 'dns-tcp',
        protocol: 'tcp',
        listen_port: '53',
        target_backend: ['coredns01-dns-tcp', 'coredns02-dns-tcp'],
      },
    ]);
  });

  it('sends no health check keys when health checks are off', () => {
    const call = ovnLoadBalancer({ ...mosquittoLb, healthCheck: false });
    expect(printExpr(call.args.get('health_check')!)).toBe('null');
    const { lb } = loadBalancer(
      { ...mosquittoLb, healthCheck: false },
      { mosquitto01: '10.10.0.20' },
    );
    expect(lb.config).toEqual({});
  });
});

describe('validation', () => {
  const hcl = (inputs: Record<string, unknown>) =>
    previewModule(ovnLbModule, {
      network: 'production',
      listen_address: SEED_VIPS.mosquittoCluster01,
      backends: { mosquitto01: '10.10.0.20' },
      ports: [{ name: 'mqtt', listen_port: 1883 }],
      ...inputs,
    }).validationErrors;

  it('needs an OVN network', () => {
    for (const mode of ['bridge', 'physical'] as const)
      expect(
        configErrors(() => ovnLoadBalancer({ ...mosquittoLb, network: attach(mode) })),
      ).toEqual([
        'mosquitto_lb.network: expected an OVN network: load balancers exist only in OVN mode (bridge mode publishes ports with proxy devices, physical mode directly)',
      ]);
  });

  it('needs an IPv4 VIP', () => {
    expect(configErrors(() => ovnLoadBalancer({ ...mosquittoLb, vip: '192.168.68.300' }))).toEqual([
      'mosquitto_lb.vip: expected an IPv4 address such as 10.10.0.1',
    ]);
    expect(hcl({ listen_address: '192.168.68.300' })).toEqual([
      'var.listen_address: Must be an IPv4 address such as 10.10.0.1.',
    ]);
  });

  it("needs a VIP inside the uplink's OVN ranges when the base declares them", () => {
    const uplinkRanges = ['192.168.68.10-192.168.68.19'];
    const declared = { ...production, uplinkRanges };
    expect(ovnLoadBalancer({ ...mosquittoLb, network: declared }).vip).toBeDefined();
    expect(
      configErrors(() =>
        ovnLoadBalancer({ ...mosquittoLb, network: declared, vip: '192.168.68.20' }),
      ),
    ).toEqual([
      "mosquitto_lb.vip: 192.168.68.20 is outside the uplink's OVN ranges (192.168.68.10-192.168.68.19, the base's uplinkOvnRanges); pick a VIP inside them",
    ]);
  });

  it('needs ports from 1 to 65535, over tcp or udp, each published once', () => {
    const ports = (...p: OvnLoadBalancerConfig['ports']) =>
      configErrors(() => ovnLoadBalancer({ ...mosquittoLb, ports: p }));
    expect(ports({ name: 'mqtt', port: 0 })).toEqual([
      'mosquitto_lb.ports[0].port: expected a port number from 1 to 65535',
    ]);
    expect(ports({ name: 'mqtt', port: 1883, targetPort: 70000 })).toEqual([
      'mosquitto_lb.ports[0].targetPort: expected a port number from 1 to 65535',
    ]);
    expect(ports({ name: 'mqtt', protocol: 'sctp' as never, port: 1883 })).toEqual([
      'mosquitto_lb.ports[0].protocol: expected tcp or udp',
    ]);
    expect(ports({ name: 'mqtt', port: 1883 }, { name: 'mqtt', port: 8883 })).toEqual([
      'mosquitto_lb.ports[1]: port name "mqtt" is used twice',
    ]);
    expect(ports({ name: 'a', port: 1883 }, { name: 'b', port: 1883 })).toEqual([
      'mosquitto_lb.ports[1]: tcp/1883 is published twice',
    ]);
    expect(ports()).toEqual(['mosquitto_lb.ports: expected at least one port']);
    expect(ports({ name: 'mq tt', port: 1883 })).toEqual([
      'mosquitto_lb.ports[0].name: expected a name of letters, digits, "_" and "-"',
    ]);
    expect(hcl({ ports: [{ name: 'mq tt', listen_port: 1883 }] })).toEqual([
      'var.ports: Each port name must be letters, digits, "_" and "-".',
    ]);

    expect(hcl({ ports: [{ name: 'mqtt', listen_port: 0 }] })).toEqual([
      'var.ports: Each "listen_port" must be a port number from 1 to 65535.',
    ]);
    expect(hcl({ ports: [{ name: 'mqtt', listen_port: 1883, target_port: 70000 }] })).toEqual([
      'var.ports: Each "target_port" must be null or a port number from 1 to 65535.',
    ]);
    expect(hcl({ ports: [{ name: 'mqtt', protocol: 'sctp', listen_port: 1883 }] })).toEqual([
      'var.ports: Each port "protocol" must be tcp or udp.',
    ]);
    expect(
      hcl({
        ports: [
          { name: 'mqtt', listen_port: 1883 },
          { name: 'mqtt', listen_port: 8883 },
        ],
      }),
    ).toEqual(['var.ports: Port names must be unique.']);
    expect(
      hcl({
        ports: [
          { name: 'a', listen_port: 1883 },
          { name: 'b', listen_port: 1883 },
        ],
      }),
    ).toEqual(['var.ports: A protocol and listen port may be used only once.']);
    expect(hcl({ ports: [] })).toEqual(['var.ports: Needs at least one port.']);
  });

  it('needs backend instances with an address, each once', () => {
    expect(
      configErrors(() => ovnLoadBalancer({ ...mosquittoLb, backends: ['10.10.0.20' as never] })),
    ).toEqual([
      'mosquitto_lb.backends[0]: expected a service instance with an ipv4_address output (the value a builder such as mosquitto(…) returns)',
    ]);
    expect(
      configErrors(() => ovnLoadBalancer({ ...mosquittoLb, backends: [mosquitto01, mosquitto01] })),
    ).toEqual(['mosquitto_lb.backends[1]: backend "mosquitto01" is listed twice']);
    expect(configErrors(() => ovnLoadBalancer({ ...mosquittoLb, backends: [] }))).toEqual([
      'mosquitto_lb.backends: expected at least one backend instance',
    ]);
    expect(hcl({ backends: {} })).toEqual(['var.backends: Needs at least one backend.']);
    expect(hcl({ backends: { mosquitto01: 'mosquitto01.incus' } })).toEqual([
      'var.backends: Each backend address must be an IPv4 address.',
    ]);
  });

  it('needs whole, positive health check settings', () => {
    expect(
      configErrors(() => ovnLoadBalancer({ ...mosquittoLb, healthCheck: { timeout: 0 } })),
    ).toEqual(['mosquitto_lb.healthCheck.timeout: expected seconds of at least 1']);
    expect(hcl({ health_check: { failure_count: 0 } })).toEqual([
      'var.health_check: Each health check setting must be a whole number, 1 or more.',
    ]);
    expect(hcl({ health_check: null })).toEqual([]);
  });
});

describe('generated module', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atlas-ovn-lb-'));
    await writeTree(join(root, 'generated'), renderModules([ovnLbModule]));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('passes every check, the provider schema included', async () => {
    expect(await verifyTree(join(root, 'generated'))).toEqual([]);
  });

  it('declares one load balancer with the VIP and endpoints as outputs', async () => {
    const summary = await summarizeModule(join(root, 'generated/modules/ovn-lb'));
    expect(summary.resources).toEqual(['incus_network_lb.this']);
    expect(summary.outputs).toEqual(['endpoints', 'vip']);
    expect(
      Object.entries(summary.variables)
        .filter(([, v]) => v.required)
        .map(([name]) => name),
    ).toEqual(['backends', 'listen_address', 'network', 'ports']);
  });
});
