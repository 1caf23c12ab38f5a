import { renderEstate, writeTree } from '@atlas/generator';
import { verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { atlasEstate, type NetworkChoice } from './index.js';

const MODES: Record<string, NetworkChoice> = {
  bridge: { mode: 'bridge' },
  physical: { mode: 'physical', parent: 'eno1' },
  ovn: { mode: 'ovn', parent: 'uplink' },
};

describe.each(Object.entries(MODES))('the estate in %s mode', (mode, network) => {
  const files = renderEstate(atlasEstate({ iapetus: network, cluster01: network }));
  const cluster01 = files.get('environments/cluster01/main.tf')!;
  const scratch: string[] = [];
  afterAll(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

  it('parses, is tofu-fmt exact, and every reference, module call and resource checks out', async () => {
    const dir = await mkdtemp(join(tmpdir(), `atlas-${mode}-`));
    scratch.push(dir);
    await writeTree(join(dir, 'generated'), files);
    expect(await verifyTree(dir)).toEqual([]);
  });

  it('publishes MQTT and DNS the way the mode calls for', () => {
    const proxyDevices = /proxy_devices\s+=/;
    if (mode === 'bridge') {
      expect(cluster01).toMatch(proxyDevices);
      expect(cluster01).toMatch(/mqtt-tcp\s+= \{ listen = "tcp:0\.0\.0\.0:1883"/);
      // DNS on its member node2's LAN address only: Incus's own DNS holds port 53 on the bridges.
      expect(cluster01).toMatch(/dns-udp\s+= \{ listen = "udp:192\.168\.71\.6:53"/);
    } else {
      // A physical network gives containers LAN addresses; OVN uses load balancers instead.
      expect(cluster01).not.toMatch(/(mqtt-tcp|dns-udp)\s+= \{ listen/);
    }
    // Management stays a NAT bridge in physical mode: what iapetus uses is published on node1.
    if (mode === 'ovn') expect(cluster01).not.toMatch(proxyDevices);
    else expect(cluster01).toMatch(/link-9090-tcp\s+= \{ listen = "tcp:0\.0\.0\.0:9090"/);
    if (mode === 'ovn') {
      expect(cluster01).toContain('source = "../../modules/ovn-lb"');
      expect(cluster01).toMatch(/module "mosquitto_lb" \{[^]*listen_address = "192\.168\.68\.10"/);
      expect(cluster01).toMatch(/module "coredns_lb" \{[^]*listen_address = "192\.168\.68\.11"/);
      expect(cluster01).toContain('source = "../../modules/ovn-central"');
    } else {
      expect(cluster01).not.toContain('ovn-lb');
    }
  });
});
