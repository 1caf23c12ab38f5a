import { defineSite, type NetworkAttachment, type NetworkMode } from '@atlas/core';
import { printExpr, ref, tpl } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { placement, reachable, resolveLink, type LinkConsumer } from './links.js';

const hub = defineSite({
  environment: 'hub',
  hosts: [{ name: 'hub', lanAddress: '192.168.71.10' }],
});
const cluster = defineSite({
  environment: 'edge',
  hosts: [
    { name: 'm1', lanAddress: '192.168.71.21' },
    { name: 'm2', lanAddress: '192.168.71.22' },
  ],
  ovn: { network: 'uplink', vips: ['192.168.68.40'] },
});

const attach = (
  site: typeof hub,
  role: string,
  mode: NetworkMode = 'bridge',
): NetworkAttachment => ({
  kind: 'network-attachment',
  role,
  mode,
  profiles: [],
  network: ref(`module.base.networks.${role}`),
  site,
});

/** Loki on `network`, as the loki builder describes its push URL. */
const loki = (network: NetworkAttachment, targetNode?: string) =>
  reachable(
    placement({ name: 'loki01', network, ...(targetNode ? { targetNode } : {}) }),
    3100,
    ref('module.loki01.push_url'),
    (hostPort) => tpl`http://${hostPort}/loki/api/v1/push`,
  );

const shipper = (network: NetworkAttachment): LinkConsumer => ({ name: 'alloy01', network });
const resolved = (consumer: LinkConsumer, target: ReturnType<typeof loki>) => {
  const { value, link } = resolveLink(consumer, target, 'loki_push_url');
  return { value: printExpr(value), kind: link.kind, reason: link.reason };
};

describe('resolveLink', () => {
  it('uses <instance>.incus on the same network of the same environment', () => {
    const management = attach(hub, 'management');
    expect(resolved(shipper(management), loki(management))).toEqual({
      value: 'module.loki01.push_url',
      kind: 'incus-dns',
      reason: 'loki01: same network (management), Incus DNS answers loki01.incus',
    });
  });

  it("uses the instance's address across bridges of one host", () => {
    const r = resolved(shipper(attach(hub, 'production')), loki(attach(hub, 'management')));
    expect(r.kind).toBe('routed');
    expect(r.value).toBe('"http://${module.loki01.ipv4_address}:3100/loki/api/v1/push"');
  });

  it("publishes on the producer's host for another environment, and pins on a cluster", () => {
    const r = resolved(
      shipper(attach(hub, 'management')),
      loki(attach(cluster, 'management'), 'm2'),
    );
    expect(r).toMatchObject({
      kind: 'published',
      value: '"http://192.168.71.22:3100/loki/api/v1/push"',
    });
    const link = resolveLink(
      shipper(attach(hub, 'management')),
      loki(attach(cluster, 'management'), 'm2'),
      'loki_push_url',
    ).link;
    expect(link.publication).toMatchObject({ kind: 'proxy', listen: '192.168.71.22', port: 3100 });
    expect(() =>
      resolveLink(
        shipper(attach(hub, 'management')),
        loki(attach(cluster, 'management')),
        'loki_push_url',
      ),
    ).toThrow(/hub\.alloy01\.loki_push_url: .*pin it with targetNode to one of m1, m2/);
    expect(() =>
      resolveLink(
        shipper(attach(hub, 'management')),
        loki(attach(cluster, 'management'), 'm9'),
        'loki_push_url',
      ),
    ).toThrow(/pinned to "m9", which edge does not declare/);
  });

  it('forwards a routed uplink address on OVN, one per instance, and refuses when none is left', () => {
    const ovn = attach(cluster, 'management', 'ovn');
    const r = resolved(shipper(attach(hub, 'management')), loki(ovn));
    expect(r).toMatchObject({
      kind: 'forward',
      value: '"http://192.168.68.40:3100/loki/api/v1/push"',
    });
    // The same instance keeps its address; another one finds none free.
    expect(resolved(shipper(attach(hub, 'gitops')), loki(ovn)).value).toContain('192.168.68.40');
    const other = reachable(
      placement({ name: 'loki02', network: ovn }),
      3100,
      ref('module.loki02.push_url'),
    );
    expect(() => resolveLink(shipper(attach(hub, 'management')), other, 'loki_push_url')).toThrow(
      /no free routed uplink address .*declare the OVN uplink and its routed addresses \(site\.ovn\.vips\) of edge/,
    );
  });

  it("reads a physical instance's LAN address from its environment's state, null until applied", () => {
    const r = resolved(
      shipper(attach(hub, 'management')),
      loki(attach(cluster, 'production', 'physical')),
    );
    expect(r.kind).toBe('lan');
    expect(r.value).toBe(
      'one(data.terraform_remote_state.edge[*].outputs.loki01_ipv4_address) == null ? null : "http://${one(data.terraform_remote_state.edge[*].outputs.loki01_ipv4_address)}:3100/loki/api/v1/push"',
    );
  });

  it('publishes a NAT bridge for LAN clients of the same environment', () => {
    const lanClients: LinkConsumer = { name: 'coredns01 clients', onLan: true, site: hub };
    expect(resolved(lanClients, loki(attach(hub, 'management'))).kind).toBe('published');
    // The Incus daemon on the host reaches its own bridge by address.
    expect(
      resolved({ name: 'Incus daemon', site: hub }, loki(attach(hub, 'management'))).kind,
    ).toBe('routed');
  });
});

describe('defineSite', () => {
  it('names the field of a bad declaration', () => {
    expect(() =>
      defineSite({ environment: 'x', hosts: [{ name: 'a', lanAddress: '192.168.1' }] }),
    ).toThrow(/x\.site\.hosts\[0\]\.lanAddress: expected an IPv4 address/);
    expect(() =>
      defineSite({
        environment: 'x',
        hosts: [
          { name: 'a', lanAddress: '192.168.1.1' },
          { name: 'a', lanAddress: '192.168.1.2' },
        ],
      }),
    ).toThrow(/x\.site\.hosts\[1\]\.name: host "a" is listed twice/);
  });
});
