import { alertmanager } from '@atlas/alertmanager';
import { baseInfrastructure } from '@atlas/base';
import {
  defineSite,
  fromEnvironment,
  serviceFacts,
  type Environment,
  type ModuleCall,
} from '@atlas/core';
import { incusLoki } from '@atlas/incus-loki';
import { loki } from '@atlas/loki';
import { nodeExporters } from '@atlas/node-exporter';
import { federationJob, prometheus, scrapeJob } from '@atlas/prometheus';
import { evaluate, previewModule, UNKNOWN, type Scope, type Value } from '@atlas/preview';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLUSTER01_HOSTS } from './cluster01.js';
import { IAPETUS_HOST } from './iapetus.js';
import { atlasEstate, type NetworkChoice } from './index.js';

/**
 * Issue 9, proved on what the estate renders: every module of both
 * environments is evaluated as `tofu plan` would (module outputs fed into the
 * modules that use them, resource addresses standing in as symbolic
 * addresses), every address in every rendered configuration is collected —
 * prometheus.yml targets, Alloy, Grafana, Incus logging and CA URLs, zone
 * records — and each is checked against a model of what the consumer can
 * route to. The model is written here, independent of the resolver.
 */

const MODES: Record<string, NetworkChoice> = {
  bridge: { mode: 'bridge' },
  physical: { mode: 'physical', parent: 'eno1' },
  ovn: { mode: 'ovn', parent: 'uplink' },
};

/** Network types whose instances have an address on the LAN (macvlan: physical mode). */
const onLan = (type: string | undefined) => type === 'macvlan' || type === 'physical';

/** One service (or the Incus daemon) of an environment, after evaluation. */
interface Evaluated {
  readonly env: string;
  readonly call: ModuleCall;
  readonly instance?: string;
  /** Network role, or undefined for what runs on the host (incus-loki, incus-metrics). */
  readonly role?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly files: string[];
  /** What cloud-init writes, by path. */
  readonly written: ReadonlyMap<string, string>;
  readonly address?: string;
}

/** A root variable value that passes its validations (secrets are placeholders, never real). */
function rootValue(name: string): Value {
  if (name.endsWith('_fingerprint')) return 'ab'.repeat(32);
  if (name.endsWith('_tunnel_token')) return `eyJ${'A'.repeat(60)}`;
  if (name.endsWith('_users')) return { sensor: 'a long enough password' };
  if (name.endsWith('_applied')) return false;
  if (name.endsWith('_url')) return 'https://hooks.example.com/a-placeholder';
  if (name.includes('certificate'))
    return '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
  if (name.endsWith('_key') && name.includes('incus'))
    return '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n';
  return 'a-placeholder-secret-of-sufficient-length-0123456789';
}

/** Values only the provider knows (certificates, names of created resources), as placeholders. */
function settle(value: Value): Value {
  if (value === UNKNOWN) return '(pending)';
  if (Array.isArray(value)) return value.map((v) => settle(v as Value)) as Value;
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, Value>).map(([k, v]) => [k, settle(v)]),
    ) as Value;
  return value;
}

function strings(value: Value, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v as Value, out));
  else if (value && typeof value === 'object')
    Object.values(value as Record<string, Value>).forEach((v) => strings(v, out));
  return out;
}

/** Evaluate every module of `env` in plan order, feeding each one's outputs to its consumers. */
function evaluateEnvironment(
  env: Environment,
  lan: { next: number },
  problems: string[],
): Evaluated[] {
  const facts = new Map(serviceFacts(env).map((f) => [f.module, f]));
  const outputs: Record<string, Value> = {};
  const roots = Object.fromEntries(env.variables.map((v) => [v.name, rootValue(v.name)]));
  const scope: Scope = {
    lookup: (root) =>
      root === 'module' ? (outputs as Value) : root === 'var' ? (roots as Value) : undefined,
  };
  const byCall = new Map<string, Evaluated>();
  const networks = evaluate(
    env.modules.find((m) => m.definition.name === 'base')!.args.get('networks')!,
    scope,
  ) as Record<string, { type?: string }>;
  // One LAN address per instance, the same in both passes (a consumer may read it in the first).
  const lanAddresses = new Map<number, string>();
  const addressOf = (role: string | undefined, index: number) =>
    onLan(networks[role ?? '']?.type)
      ? (lanAddresses.get(index) ?? lanAddresses.set(index, `192.168.99.${lan.next++}`).get(index)!)
      : `10.${role === 'production' ? 10 : role === 'gitops' ? 30 : 20}.0.${100 + index}`;
  // Two passes: a module may use an output of one declared after it (Grafana → Prometheus).
  for (let pass = 0; pass < 2; pass++) {
    env.modules.forEach((call, index) => {
      const inputs = Object.fromEntries(
        [...call.args].map(([k, v]) => {
          try {
            return [k, evaluate(v, scope)];
          } catch (error) {
            if (pass === 1) problems.push(`${env.name}/${call.name}.${k}: ${String(error)}`);
            return [k, UNKNOWN];
          }
        }),
      );
      const preview = previewModule(call.definition, inputs);
      if (pass === 1)
        problems.push(...preview.validationErrors.map((e) => `${env.name}/${call.name}: ${e}`));
      const fact = facts.get(call.name);
      const address = fact ? addressOf(fact.network, index) : undefined;
      const out = {
        ...(settle(preview.outputs as Value) as Record<string, Value>),
        ...(address ? { ipv4_address: address } : {}),
      } as Value;
      // A counted call is a list of instances, as module.<name>[*] sees it.
      // (The count of a call gated on a secret uses nonsensitive(), which the preview lacks: the secret is set.)
      const counted = call.options.count ? 1 : undefined;
      outputs[call.name] = counted === undefined ? out : counted === 1 ? [out] : [];
      byCall.set(call.name, {
        env: env.name,
        call,
        ...(fact ? { instance: fact.instance } : {}),
        ...(fact?.network ? { role: fact.network } : {}),
        inputs,
        files: [
          ...[...preview.files.values()].map((f) => f.content),
          ...strings(preview.resources as Value),
        ],
        written: new Map([...preview.files].map(([path, f]) => [path, f.content])),
        ...(address ? { address } : {}),
      });
    });
  }
  return [...byCall.values()];
}

/** `host:port` addresses a configuration text points at, skipping names outside the estate. */
function addressesIn(text: string): Array<{ host: string; port: number }> {
  const found: Array<{ host: string; port: number }> = [];
  for (const m of text.matchAll(/\b((?:\d{1,3}\.){3}\d{1,3}|[a-z0-9-]+\.incus|localhost):(\d+)\b/g))
    // Where a service or proxy device listens is not a link (tcp:ADDRESS:PORT, 0.0.0.0).
    if (m[1] !== '0.0.0.0' && !/(tcp|udp):$/.test(text.slice(0, m.index)))
      found.push({ host: m[1]!, port: Number(m[2]) });
  return found;
}

/** A-record values of a rendered zone file. */
const zoneRecords = (text: string) =>
  [...text.matchAll(/\sIN\s+A\s+((?:\d{1,3}\.){3}\d{1,3})\b/g)].map((m) => m[1]!);

interface Estate {
  readonly services: Evaluated[];
  readonly modes: Record<string, Record<string, string>>;
  readonly sites: Record<string, Environment['site']>;
  /** Inputs that failed to evaluate or validate: the plan would stop there. */
  readonly problems: string[];
}

function evaluateEstate(choice: NetworkChoice): Estate {
  const estate = atlasEstate({ iapetus: choice, cluster01: choice });
  const lan = { next: 1 };
  const problems: string[] = [];
  const services = estate.environments.flatMap((env) => evaluateEnvironment(env, lan, problems));
  const modes: Record<string, Record<string, string>> = {};
  for (const s of services.filter((x) => x.call.definition.name === 'base'))
    modes[s.env] = Object.fromEntries(
      Object.entries(s.inputs.networks as Record<string, { type?: string }>).map(([r, n]) => [
        r,
        n.type ?? 'bridge',
      ]),
    );
  return {
    services,
    modes,
    sites: Object.fromEntries(estate.environments.map((e) => [e.name, e.site])),
    problems,
  };
}

/**
 * Why `consumer` reaches `host:port`, or undefined when nothing routes there.
 * `lan` consumers are outside Incus (clients of the LAN-facing DNS).
 */
function reachable(
  estate: Estate,
  consumer: { env: string; role?: string; lan?: boolean; self?: Evaluated },
  host: string,
  port: number,
): string | undefined {
  const mode = (env: string, role?: string) => (role ? estate.modes[env]?.[role] : undefined);
  const own = estate.services.filter((s) => s.env === consumer.env);
  const single = (env: string) => (estate.sites[env]?.hosts.length ?? 1) <= 1;
  const memberOf = (s: Evaluated | undefined) =>
    typeof s?.inputs.target_node === 'string' ? s.inputs.target_node : undefined;
  // A cluster's bridges are one per member: known to share one only when pinned to one member.
  const sameHost = (producer: Evaluated) =>
    single(producer.env) ||
    (memberOf(consumer.self) !== undefined && memberOf(consumer.self) === memberOf(producer));
  const otherHost = (producer: Evaluated) =>
    !single(producer.env) &&
    memberOf(consumer.self) !== undefined &&
    memberOf(producer) !== undefined &&
    memberOf(consumer.self) !== memberOf(producer);
  if (host === 'localhost' || host === '127.0.0.1') return consumer.self ? 'itself' : undefined;
  if (host.endsWith('.incus')) {
    const producer = own.find((s) => `${s.instance}.incus` === host);
    if (!producer || consumer.lan || producer.role !== consumer.role) return undefined;
    if (mode(producer.env, producer.role) === 'ovn') return 'Incus DNS, same OVN network';
    if (onLan(mode(producer.env, producer.role))) return undefined; // no Incus DNS on the LAN
    return sameHost(producer) ? 'Incus DNS, same network and member' : undefined;
  }
  const lanHost = Object.entries(estate.sites).flatMap(([env, site]) =>
    (site?.hosts ?? []).map((h) => ({ env, ...h })),
  );
  const hostMatch = lanHost.find((h) => h.lanAddress === host);
  if (hostMatch) {
    // A proxy device on a service running on that host, listening on that port.
    const single = estate.sites[hostMatch.env]!.hosts.length === 1;
    const published = estate.services.some((s) => {
      if (s.env !== hostMatch.env) return false;
      const devices = (s.inputs.proxy_devices ?? {}) as Record<string, { listen: string }>;
      const onHost = single || s.inputs.target_node === hostMatch.name;
      return onHost && Object.values(devices).some((d) => d.listen === `tcp:0.0.0.0:${port}`);
    });
    // A macvlan instance cannot reach its own host's address.
    const ownHost =
      hostMatch.env === consumer.env &&
      (single ||
        memberOf(consumer.self) === undefined ||
        memberOf(consumer.self) === hostMatch.name);
    if (published && onLan(mode(consumer.env, consumer.role)) && ownHost) return undefined;
    if (published) return `published on ${hostMatch.name}`;
    // The Incus API of the consumer's own host, or of another environment's (Atlantis's remotes),
    // which listens on its LAN address.
    if (port !== 8443) return undefined;
    return hostMatch.env === consumer.env ? 'its own host' : `Incus API of ${hostMatch.name}`;
  }
  const forward = estate.services.find((s) => {
    const f = s.inputs.network_forward as
      { listen_address: string; ports: Array<{ port: number }> } | null | undefined;
    return f?.listen_address === host && f.ports.some((p) => p.port === port);
  });
  if (forward) return `forward of ${forward.env}/${forward.instance}`;
  if (host.startsWith('192.168.99.')) {
    // A macvlan instance: the LAN and its macvlan neighbours reach it, its own host does not.
    const producer = estate.services.find((s) => s.address === host);
    if (!producer) return undefined;
    if (consumer.lan || onLan(mode(consumer.env, consumer.role))) return 'LAN address';
    if (producer.env !== consumer.env || otherHost(producer))
      return 'LAN address, from another host';
    return undefined;
  }
  const producer = own.find((s) => s.address === host);
  // The Incus daemon (no role) routes to its own bridges as an instance on one of them does.
  const consumerMode = consumer.role ? mode(consumer.env, consumer.role) : 'bridge';
  if (producer) {
    if (consumer.lan || consumerMode !== 'bridge' || !sameHost(producer)) return undefined;
    return mode(producer.env, producer.role) === 'bridge' ? 'routed by its host' : undefined;
  }
  // A bridge gateway is the host itself (Incus API, Incus DNS).
  const gateway = /^10\.(\d+)\.0\.1$/.exec(host);
  if (gateway && consumer.role && mode(consumer.env, consumer.role) === 'bridge')
    return 'its own host (bridge gateway)';
  return undefined;
}

describe.each(Object.entries(MODES))('every rendered address in %s mode', (name, choice) => {
  const estate = evaluateEstate(choice);
  const checked: string[] = [];
  const failures: string[] = [];
  for (const s of estate.services) {
    const consumer = { env: s.env, ...(s.role ? { role: s.role } : {}), self: s };
    for (const text of s.files) {
      for (const { host, port } of addressesIn(text)) {
        const why = reachable(estate, consumer, host, port);
        const line = `${s.env}/${s.instance ?? s.call.name} → ${host}:${port}`;
        if (why) checked.push(`${line} (${why})`);
        else failures.push(line);
      }
      if (s.call.definition.name === 'coredns')
        for (const a of zoneRecords(text)) {
          // The zone answers LAN clients; the record's service listens on a port of its own.
          const ok = [9093, 9090, 53].some((p) =>
            reachable(estate, { env: s.env, lan: true }, a, p),
          );
          (ok ? checked : failures).push(`${s.env}/${s.instance} zone record → ${a}`);
        }
    }
  }

  it('finds the links of issue 9 in the configurations', () => {
    const all = checked.join('\n');
    // Alloy → Loki, federation, alerting, Grafana's datasources, the CA, Incus logging and metrics.
    expect(all).toMatch(/cluster01\/alloy01 → \S+:3100/);
    expect(all).toMatch(/iapetus\/prometheus01 → \S+:9090 \((published|forward)/);
    expect(all).toMatch(/iapetus\/prometheus01 → \S+:9093 \((published|forward)/);
    expect(all).toMatch(/iapetus\/grafana01 → \S+:9093/);
    expect(all).toMatch(/cluster01\/mosquitto01 → \S+:9000 \((published|forward)/);
    expect(all).toMatch(/iapetus\/incus_loki → \S+:3100/);
    expect(all).toMatch(/cluster01\/prometheus01 → \S+:8443/);
    expect(all).toMatch(/cluster01\/coredns01 zone record/);
    expect(checked.length).toBeGreaterThan(20);
  });

  it('evaluates every module input, and every input passes its validations', () => {
    expect(estate.problems).toEqual([]);
  });

  it('has no address its consumer cannot reach', () => {
    expect(failures).toEqual([]);
  });

  it(`keeps cross-environment traffic off names only the other host's DNS answers (${name})`, () => {
    for (const s of estate.services.filter((x) => x.env === 'cluster01'))
      for (const text of s.files)
        expect(text, s.call.name).not.toMatch(/loki01\.incus|step-ca01\.incus/);
    const iapetusPrometheus = estate.services.find(
      (s) => s.env === 'iapetus' && s.instance === 'prometheus01',
    )!;
    const config = parse(iapetusPrometheus.files.find((f) => f.includes('scrape_configs'))!) as {
      global: { external_labels: Record<string, string> };
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.global.external_labels).toEqual({ environment: 'iapetus' });
    const federation = config.scrape_configs.find((j) => j.job_name === 'federate-cluster01')!;
    const [target] = federation.static_configs[0]!.targets;
    expect(target).not.toMatch(/prometheus01\.incus/);
    const expected =
      choice.mode === 'ovn'
        ? /^192\.168\.68\.3\d:9090$/
        : new RegExp(`^${CLUSTER01_HOSTS[0].lanAddress.replace(/\./g, '\\.')}:9090$`);
    expect(target).toMatch(expected);
    if (choice.mode !== 'ovn') expect(IAPETUS_HOST.lanAddress).toBe('192.168.71.10');
  });
});

/** Two small environments built the way environments/*.ts build theirs, for links that cannot route. */
function pair(
  mode: NetworkChoice['mode'],
  options: { pin?: boolean; routed?: string[]; site?: boolean } = {},
) {
  const parent = mode === 'ovn' ? 'uplink' : 'eno1';
  const siteOf = (
    environment: string,
    hosts: Array<{ name: string; lanAddress: string }>,
    storage?: { pool: string; driver: 'ceph' },
  ) =>
    defineSite({
      environment,
      hosts,
      ...(storage ? { storage } : {}),
      ...(mode === 'ovn'
        ? { ovn: { network: parent, vips: options.routed ?? ['192.168.68.40'] } }
        : {}),
    });
  const networks = { production: { ipv4: '10.10.0.1/24' }, management: { ipv4: '10.20.0.1/24' } };
  const settings = mode === 'bridge' ? { mode } : { mode, parent };
  const hub = baseInfrastructure({
    ...settings,
    networks,
    site: siteOf('hub', [{ name: 'hub', lanAddress: '192.168.71.10' }]),
  });
  // A cluster whose data lives on Ceph, so only links decide where its instances must run.
  const edgeSite = siteOf(
    'edge-01',
    [
      { name: 'm1', lanAddress: '192.168.71.21' },
      { name: 'm2', lanAddress: '192.168.71.22' },
    ],
    { pool: 'remote', driver: 'ceph' },
  );
  const edge = baseInfrastructure({
    ...settings,
    networks,
    ...(options.site === false ? {} : { site: edgeSite }),
  });
  return { hub, edge };
}

describe('a link with no reachable form is refused, naming both ends and the fix', () => {
  it('bridge: another environment federates a cluster instance that may run on any member', () => {
    const { hub, edge } = pair('bridge');
    const remote = prometheus({ name: 'prometheus01', network: edge.attach('management') });
    expect(() =>
      prometheus({
        name: 'prometheus01',
        network: hub.attach('management'),
        scrapeJobs: [federationJob(fromEnvironment('edge-01', remote))],
      }),
    ).toThrow(
      /hub\.prometheus01\.scrape_jobs: prometheus01 \(hub\) cannot reach prometheus01 \(edge-01, management network, bridge\): edge-01 is a cluster .*; pin it with targetNode to one of m1, m2/,
    );
    // Pinned, it routes through that member's published port.
    const pinned = prometheus({
      name: 'prometheus01',
      network: edge.attach('management'),
      targetNode: 'm2',
    });
    const federating = prometheus({
      name: 'prometheus01',
      network: hub.attach('management'),
      scrapeJobs: [federationJob(pinned)],
    });
    expect(federating.options.links?.[0]).toMatchObject({
      kind: 'published',
      address: '192.168.71.22:9090',
    });
  });

  it('physical: a LAN-attached service cannot reach a NAT bridge of an environment with no declared host', () => {
    const { edge } = pair('physical', { site: false });
    const exporter = nodeExporters({ nodes: ['m1'], network: edge.attach('management') })[0]!;
    expect(() =>
      prometheus({
        name: 'prometheus02',
        network: edge.attach('production'),
        scrapeJobs: [scrapeJob('node', exporter)],
      }),
    ).toThrow(
      /prometheus02\.scrape_jobs: prometheus02 cannot reach node-exporter01 \(management network, bridge\): its management bridge is NAT-ed .*; declare the site of the environment/,
    );
  });

  it('ovn: more services to forward than routed uplink addresses', () => {
    const { hub, edge } = pair('ovn', { routed: ['192.168.68.40'] });
    const first = alertmanager({ name: 'alertmanager01', network: edge.attach('management') });
    const second = alertmanager({ name: 'alertmanager02', network: edge.attach('management') });
    expect(() =>
      prometheus({
        name: 'prometheus01',
        network: hub.attach('management'),
        alertmanagers: [first, second],
      }),
    ).toThrow(
      /prometheus01 \(hub\) cannot reach alertmanager02 \(edge-01, management network, ovn\): another environment, and edge-01 has no free routed uplink address .*; declare the OVN uplink and its routed addresses \(site\.ovn\.vips\) of edge-01/,
    );
  });
});

describe('on a cluster, a bridge is one segment per member', () => {
  /** The first link of a Prometheus (pinned to `at`) to a node-exporter on `exporterAt`, or to an Alertmanager Incus places. */
  const scraping = (
    edge: ReturnType<typeof pair>['edge'],
    at: string | undefined,
    exporterAt?: string,
  ) => {
    const management = edge.attach('management');
    const consumer = {
      name: 'prometheus01',
      network: management,
      ...(at ? { targetNode: at } : {}),
    };
    if (exporterAt === undefined) {
      const placed = alertmanager({ name: 'alertmanager01', network: management });
      return prometheus({ ...consumer, alertmanagers: [placed] }).options.links?.[0];
    }
    const [exporter] = nodeExporters({ nodes: [exporterAt], network: management });
    return prometheus({ ...consumer, scrapeJobs: [scrapeJob('node', exporter!)] }).options
      .links?.[0];
  };

  it('uses Incus DNS only between instances pinned to one member', () => {
    const { edge } = pair('bridge');
    expect(scraping(edge, 'm1', 'm1')).toMatchObject({
      kind: 'incus-dns',
      address: 'node-exporter01.incus:9100',
    });
  });

  it("publishes the producer's port on its member for a consumer on another member, or one Incus places", () => {
    const { edge } = pair('bridge');
    for (const at of ['m1', undefined])
      expect(scraping(edge, at, 'm2')).toMatchObject({
        kind: 'published',
        address: '192.168.71.22:9100',
        publication: { kind: 'proxy', listen: '192.168.71.22', port: 9100 },
      });
  });

  it('refuses a producer Incus places, naming the members to pin it to', () => {
    const { edge } = pair('bridge');
    expect(() => scraping(edge, 'm1')).toThrow(
      /edge-01\.prometheus01\.alertmanagers: prometheus01 \(edge-01\) cannot reach alertmanager01 \(edge-01, management network, bridge\): edge-01 is a cluster and alertmanager01 may run on any member, .*\(management is a bridge per member and prometheus01 runs on m1\); pin it with targetNode to one of m1, m2/,
    );
  });

  it('an OVN network spans the members: Incus DNS wherever either runs', () => {
    const { edge } = pair('ovn');
    expect(scraping(edge, 'm1', 'm2')).toMatchObject({ kind: 'incus-dns' });
  });
});

describe('a data volume on a member-local pool is placed with its instance', () => {
  const localEdge = baseInfrastructure({
    networks: { management: { ipv4: '10.20.0.1/24' } },
    site: defineSite({
      environment: 'edge-01',
      hosts: [
        { name: 'm1', lanAddress: '192.168.71.21' },
        { name: 'm2', lanAddress: '192.168.71.22' },
      ],
    }),
  });

  it('refuses an unpinned instance with a volume on "local" of a cluster (exit 2 through the CLI)', () => {
    expect(() =>
      alertmanager({ name: 'alertmanager01', network: localEdge.attach('management') }),
    ).toThrow(
      /^edge-01\.alertmanager01\.targetNode: alertmanager01 keeps its data volume on "local", a pool of each member's own disks, and edge-01 is a cluster: pin it with targetNode to one of m1, m2/,
    );
  });

  it('takes a pinned one, or one without a volume, or one on a shared pool', () => {
    const management = localEdge.attach('management');
    expect(
      alertmanager({ name: 'alertmanager01', network: management, targetNode: 'm2' }).args.get(
        'target_node',
      ),
    ).toMatchObject({ kind: 'string', value: 'm2' });
    expect(() =>
      alertmanager({ name: 'alertmanager01', network: management, data: { enabled: false } }),
    ).not.toThrow();
    const { edge } = pair('bridge');
    const shared = alertmanager({ name: 'alertmanager01', network: edge.attach('management') });
    expect(shared.args.get('storage_pool')).toMatchObject({ kind: 'string', value: 'remote' });
  });
});

describe('physical mode is a macvlan: the LAN reaches its instances, their own host does not', () => {
  it('a bridge instance of the same host reaches a macvlan instance through its published port', () => {
    const { hub } = pair('physical');
    const lanService = alertmanager({ name: 'alertmanager01', network: hub.attach('production') });
    const link = prometheus({
      name: 'prometheus01',
      network: hub.attach('management'),
      alertmanagers: [lanService],
    }).options.links?.[0];
    expect(link).toMatchObject({ kind: 'published', address: '192.168.71.10:9093' });
    expect(link?.reason).toMatch(
      /production is a macvlan, which the host routing management cannot reach/,
    );
  });

  it('so does the Incus daemon itself (its Loki logging)', () => {
    const { hub } = pair('physical');
    const logs = loki({ name: 'loki01', network: hub.attach('production') });
    const daemon = incusLoki({ name: 'incus_loki', loki: logs });
    expect(daemon.options.links?.[0]).toMatchObject({
      kind: 'published',
      address: '192.168.71.10:3100',
    });
  });

  it('another macvlan instance, or one on another member, uses its LAN address', () => {
    const { hub, edge } = pair('physical');
    const lanService = alertmanager({ name: 'alertmanager01', network: hub.attach('production') });
    expect(
      prometheus({
        name: 'prometheus01',
        network: hub.attach('production'),
        alertmanagers: [lanService],
      }).options.links?.[0],
    ).toMatchObject({ kind: 'lan', address: '<alertmanager01 address>:9093' });
    const pinned = alertmanager({
      name: 'alertmanager01',
      network: edge.attach('production'),
      targetNode: 'm2',
    });
    expect(
      prometheus({
        name: 'prometheus01',
        network: edge.attach('management'),
        targetNode: 'm1',
        alertmanagers: [pinned],
      }).options.links?.[0],
    ).toMatchObject({ kind: 'lan' });
  });

  it("refuses a macvlan consumer a port on its own host's address, and takes one from another member", () => {
    const { hub, edge } = pair('physical');
    const hubLogs = alertmanager({ name: 'alertmanager01', network: hub.attach('management') });
    expect(() =>
      prometheus({
        name: 'prometheus01',
        network: hub.attach('production'),
        alertmanagers: [hubLogs],
      }),
    ).toThrow(
      /prometheus01 \(hub\) cannot reach alertmanager01 .*, and prometheus01 is on the production macvlan, which cannot reach its own host's address \(hub, 192\.168\.71\.10\); attach prometheus01 to a bridge network, or leave out this link/,
    );
    const onM1 = alertmanager({
      name: 'alertmanager01',
      network: edge.attach('management'),
      targetNode: 'm1',
    });
    const consumer = { name: 'prometheus01', network: edge.attach('production') };
    for (const at of [undefined, 'm1'])
      expect(() =>
        prometheus({ ...consumer, ...(at ? { targetNode: at } : {}), alertmanagers: [onM1] }),
      ).toThrow(/pin prometheus01 with targetNode to a member other than m1/);
    expect(
      prometheus({ ...consumer, targetNode: 'm2', alertmanagers: [onM1] }).options.links?.[0],
    ).toMatchObject({ kind: 'published', address: '192.168.71.21:9093' });
  });

  it('refuses a macvlan producer Incus places on a cluster for a bridge consumer', () => {
    const { edge } = pair('physical');
    const placed = alertmanager({ name: 'alertmanager01', network: edge.attach('production') });
    expect(() =>
      prometheus({
        name: 'prometheus01',
        network: edge.attach('management'),
        targetNode: 'm1',
        alertmanagers: [placed],
      }),
    ).toThrow(
      /cannot reach alertmanager01 .*\(production is a macvlan, which the host routing management cannot reach on its own member\); pin it with targetNode/,
    );
  });
});

const canUseNamespaces =
  process.getuid?.() === 0 &&
  spawnSync('ip', ['netns', 'list']).status === 0 &&
  spawnSync('prometheus', ['--version']).status === 0 &&
  spawnSync('promtool', ['--version']).status === 0;

/**
 * The real programs: two network namespaces stand for the two hosts, joined
 * by a veth pair standing for the LAN (iapetus at its LAN address, cluster01's
 * node1 at its own). Debian's Prometheus runs in each with the configuration
 * the estate renders — only file paths, the scrape interval and the mTLS
 * Incus job (whose certificate exists only at apply) changed — and cluster01's
 * listens where its proxy device would publish it. iapetus's Prometheus must
 * federate cluster01's series through the rendered address. Traffic stays in
 * the namespaces; every wait is bounded.
 */
describe.skipIf(!canUseNamespaces)(
  'iapetus federates cluster01 through the published address',
  () => {
    const tag = `${process.pid}`;
    const spaces = { iapetus: `atlas-iap-${tag}`, cluster01: `atlas-c01-${tag}` };
    const dir = mkdtempSync(join(tmpdir(), 'atlas-federation-'));
    const children: ChildProcess[] = [];
    const ip = (...args: string[]) => {
      const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    afterAll(() => {
      for (const child of children) child.kill('SIGTERM');
      for (const ns of Object.values(spaces))
        spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    });

    it('pulls cluster01 series, labelled with their environment, into iapetus', async () => {
      const estate = evaluateEstate(MODES.bridge!);
      const iapetusLan = IAPETUS_HOST.lanAddress;
      const node1 = CLUSTER01_HOSTS[0];
      ip('netns', 'add', spaces.iapetus);
      ip('netns', 'add', spaces.cluster01);
      ip(
        'link',
        'add',
        `vi${tag}`,
        'netns',
        spaces.iapetus,
        'type',
        'veth',
        'peer',
        'name',
        `vc${tag}`,
        'netns',
        spaces.cluster01,
      );
      for (const [ns, dev, address] of [
        [spaces.iapetus, `vi${tag}`, iapetusLan],
        [spaces.cluster01, `vc${tag}`, node1.lanAddress],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }

      const start = (env: 'iapetus' | 'cluster01', listen: string) => {
        const service = estate.services.find(
          (s) => s.env === env && s.instance === 'prometheus01',
        )!;
        const home = join(dir, env);
        mkdirSync(join(home, 'rules'), { recursive: true });
        writeFileSync(
          join(home, 'rules', 'atlas.yml'),
          service.written.get('/etc/prometheus/rules/atlas.yml')!,
        );
        const config = parse(service.written.get('/etc/prometheus/prometheus.yml')!) as {
          global: Record<string, unknown>;
          rule_files: string[];
          scrape_configs: Array<{ job_name: string }>;
        };
        config.global.scrape_interval = '1s';
        config.rule_files = [join(home, 'rules', '*.yml')];
        config.scrape_configs = config.scrape_configs.filter((j) => j.job_name !== 'incus');
        writeFileSync(join(home, 'prometheus.yml'), stringify(config));
        const child = spawn(
          'ip',
          [
            'netns',
            'exec',
            spaces[env],
            'prometheus',
            `--config.file=${join(home, 'prometheus.yml')}`,
            `--storage.tsdb.path=${join(home, 'data')}`,
            `--web.listen-address=${listen}`,
          ],
          { stdio: 'ignore' },
        );
        children.push(child);
        return config;
      };
      // cluster01's Prometheus answers on node1's port 9090, as its proxy device publishes it.
      start('cluster01', '0.0.0.0:9090');
      const iapetusConfig = start('iapetus', '127.0.0.1:9090') as unknown as {
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      };
      const federation = iapetusConfig.scrape_configs.find(
        (j) => j.job_name === 'federate-cluster01',
      )!;
      expect(federation.static_configs[0]!.targets).toEqual([`${node1.lanAddress}:9090`]);

      const query = (expr: string) =>
        spawnSync(
          'ip',
          [
            'netns',
            'exec',
            spaces.iapetus,
            'promtool',
            'query',
            'instant',
            '-o',
            'json',
            'http://127.0.0.1:9090',
            expr,
          ],
          { encoding: 'utf8', timeout: 10_000 },
        );
      const deadline = Date.now() + 60_000;
      let series: Array<{ metric: Record<string, string> }> = [];
      while (Date.now() < deadline) {
        const r = query('up{environment="cluster01"}');
        if (r.status === 0 && r.stdout.trim().startsWith('[')) {
          series = JSON.parse(r.stdout) as typeof series;
          if (series.some((s) => s.metric.job === 'prometheus')) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      // cluster01's own "prometheus" job, through federation, carrying cluster01's external label.
      expect(series.map((s) => s.metric)).toContainEqual(
        expect.objectContaining({
          job: 'prometheus',
          environment: 'cluster01',
          instance: 'localhost:9090',
        }),
      );
      const federated = JSON.parse(query('up{job="federate-cluster01"}').stdout) as Array<{
        value: [number, string];
      }>;
      expect(federated[0]?.value[1]).toBe('1');
    }, 120_000);
  },
);

/**
 * The real programs on a model of cluster01's LAN: one network namespace per member at its
 * LAN address, joined by a bridge in a namespace of its own (the LAN switch). Debian's
 * Prometheus runs on node1 with the configuration the estate renders for prometheus01 (file
 * paths, the scrape interval and the mTLS Incus job changed); on node2 and node3 a
 * Prometheus answers /metrics on port 9100, where each exporter's proxy device publishes it.
 * The exporters of the other members must be up: on their own member's bridge, which node1
 * has no route to, they are reachable only so.
 */
describe.skipIf(!canUseNamespaces)(
  "cluster01's Prometheus scrapes the node-exporters of every member",
  () => {
    const tag = `${process.pid}`;
    const members = CLUSTER01_HOSTS.map((h, i) => ({ ...h, ns: `atlas-m${i + 1}-${tag}` }));
    const lan = `atlas-lan-${tag}`;
    const dir = mkdtempSync(join(tmpdir(), 'atlas-members-'));
    const children: ChildProcess[] = [];
    const ip = (...args: string[]) => {
      const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    const prometheusIn = (ns: string, home: string, listen: string) => {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns,
          'prometheus',
          `--config.file=${join(home, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(home, 'data')}`,
          `--web.listen-address=${listen}`,
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    };
    afterAll(() => {
      for (const child of children) child.kill('SIGTERM');
      for (const ns of [lan, ...members.map((m) => m.ns)])
        spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    });

    it('reaches node2 and node3 at the ports published on their members', async () => {
      const estate = evaluateEstate(MODES.bridge!);
      ip('netns', 'add', lan);
      ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lan, 'link', 'set', 'br0', 'up');
      members.forEach((m, i) => {
        ip('netns', 'add', m.ns);
        const [inside, outside] = [`m${i}${tag}`, `l${i}${tag}`];
        ip(
          'link',
          'add',
          inside,
          'netns',
          m.ns,
          'type',
          'veth',
          'peer',
          'name',
          outside,
          'netns',
          lan,
        );
        ip('-n', lan, 'link', 'set', outside, 'master', 'br0');
        ip('-n', lan, 'link', 'set', outside, 'up');
        ip('-n', m.ns, 'addr', 'add', `${m.lanAddress}/24`, 'dev', inside);
        ip('-n', m.ns, 'link', 'set', inside, 'up');
        ip('-n', m.ns, 'link', 'set', 'lo', 'up');
      });

      const service = estate.services.find(
        (s) => s.env === 'cluster01' && s.instance === 'prometheus01',
      )!;
      expect(service.inputs.target_node).toBe('node1');
      const config = parse(service.written.get('/etc/prometheus/prometheus.yml')!) as {
        global: Record<string, unknown>;
        rule_files?: string[];
        scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
      };
      config.global.scrape_interval = '1s';
      delete config.rule_files;
      config.scrape_configs = config.scrape_configs.filter((j) => j.job_name === 'node');
      const targets = config.scrape_configs[0]!.static_configs![0]!.targets;
      // node1's own exporter shares its bridge (Incus DNS); the others are on other members.
      expect(targets[0]).toBe('node-exporter01.incus:9100');
      const remote = targets.filter((t) => !t.endsWith('.incus:9100'));
      expect(remote).toEqual(members.slice(1).map((m) => `${m.lanAddress}:9100`));
      config.scrape_configs[0]!.static_configs![0]!.targets = remote;
      const scraper = join(dir, 'node1');
      mkdirSync(scraper, { recursive: true });
      writeFileSync(join(scraper, 'prometheus.yml'), stringify(config));
      prometheusIn(members[0]!.ns, scraper, '127.0.0.1:9090');
      // Each exporter's proxy device listens on all of its member's addresses.
      for (const m of members.slice(1)) {
        const home = join(dir, m.name);
        mkdirSync(home, { recursive: true });
        writeFileSync(join(home, 'prometheus.yml'), stringify({ scrape_configs: [] }));
        prometheusIn(m.ns, home, '0.0.0.0:9100');
      }

      const deadline = Date.now() + 60_000;
      let up: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
      while (Date.now() < deadline) {
        const r = spawnSync(
          'ip',
          [
            'netns',
            'exec',
            members[0]!.ns,
            'promtool',
            'query',
            'instant',
            '-o',
            'json',
            'http://127.0.0.1:9090',
            'up{job="node"} == 1',
          ],
          { encoding: 'utf8', timeout: 10_000 },
        );
        if (r.status === 0 && r.stdout.trim().startsWith('[')) {
          up = JSON.parse(r.stdout) as typeof up;
          if (up.length === remote.length) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(up.map((s) => s.metric.instance).sort()).toEqual(remote);
    }, 120_000);
  },
);
