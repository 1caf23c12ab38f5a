import { renderModules, writeTree } from '@atlas/generator';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defineSite } from '@atlas/core';
import { describe, expect, it } from 'vitest';
import { baseInfrastructure, baseModule } from './index.js';

const networks = {
  production: { ipv4: '10.10.0.1/24', ipv6: 'fd00:10:10::1/64', ipv6Nat: true },
  management: { ipv4: '10.20.0.1/24' },
  gitops: { ipv4: '10.30.0.1/24' },
};
const configOf = (preview: ReturnType<typeof previewModuleCall>, role: string) =>
  (preview.resources[`incus_network.this["${role}"]`] ?? {}).config;

const configErrors = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
};

describe('base infrastructure checks', () => {
  it('refuses overlapping subnets, naming both networks', () => {
    expect(
      configErrors(() =>
        baseInfrastructure({
          networks: {
            production: { ipv4: '10.20.0.1/16', ipv6: 'fd00:10:10::1/64' },
            management: { ipv4: '10.20.5.1/24', ipv6: 'fd00:10:10::2/64' },
          },
        }),
      ),
    ).toEqual([
      'base.networks.management.ipv4: 10.20.5.1/24 overlaps 10.20.0.1/16 of networks.production.ipv4; give each network its own subnet',
      'base.networks.management.ipv6: fd00:10:10::2/64 overlaps fd00:10:10::1/64 of networks.production.ipv6; give each network its own subnet',
    ]);
  });

  it('attaches only declared networks: a type error, and at run time a configuration error', () => {
    const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } } });
    expect(base.attach('management').role).toBe('management');
    // @ts-expect-error gitops is not declared, so attach() does not take it
    expect(configErrors(() => base.attach('gitops'))).toEqual([
      'base.networks.gitops: attach("gitops"): the base declares no "gitops" network (it has management); add it to networks or attach a declared one',
    ]);
  });

  it('takes the uplink OVN ranges in ovn mode only, and hands them to attachments', () => {
    const uplinkOvnRanges = ['192.168.68.10-192.168.68.19'];
    const ovn = baseInfrastructure({ mode: 'ovn', parent: 'uplink', uplinkOvnRanges, networks });
    expect(ovn.attach('production').uplinkRanges).toEqual(uplinkOvnRanges);
    expect(configErrors(() => baseInfrastructure({ uplinkOvnRanges, networks }))).toEqual([
      'base.uplinkOvnRanges: only ovn mode has an uplink with OVN ranges',
    ]);
  });
});

describe('base infrastructure', () => {
  it('bridge mode: NAT bridges, IPv6 only where asked (ULA with NAT66), "none" elsewhere', () => {
    const preview = previewModuleCall(baseInfrastructure({ networks }).call);
    expect(preview.validationErrors).toEqual([]);
    expect(configOf(preview, 'production')).toEqual({
      'ipv4.address': '10.10.0.1/24',
      'ipv4.nat': 'true',
      'ipv6.address': 'fd00:10:10::1/64',
      'ipv6.nat': 'true',
    });
    expect(configOf(preview, 'management')).toEqual({
      'ipv4.address': '10.20.0.1/24',
      'ipv4.nat': 'true',
      'ipv6.address': 'none',
    });
  });

  it('physical mode puts production on the LAN as a macvlan (many instances) and keeps the others as bridges', () => {
    const base = baseInfrastructure({ mode: 'physical', parent: 'eno1', networks });
    const preview = previewModuleCall(base.call);
    expect(configOf(preview, 'production')).toEqual({ parent: 'eno1' });
    // A managed "physical" network would pass eno1 to the first instance only.
    expect(preview.resources['incus_network.this["production"]']).toMatchObject({
      name: 'production',
      type: 'macvlan',
    });
    expect(preview.resources['incus_network.this["management"]']).toMatchObject({ type: 'bridge' });
    expect(base.attach('production').mode).toBe('physical');
    expect(base.attach('management').mode).toBe('bridge');
    const named = baseInfrastructure({
      mode: 'physical',
      parent: 'eno1',
      productionNetworkName: 'lan',
      networks,
    });
    expect(
      previewModuleCall(named.call).resources['incus_network.this["production"]'],
    ).toMatchObject({ name: 'lan' });
  });

  it('a single host creates each network once, with no per-member definitions', () => {
    const site = defineSite({
      environment: 'solo',
      hosts: [{ name: 'solo', lanAddress: '192.168.71.10' }],
    });
    const preview = previewModuleCall(baseInfrastructure({ networks, site }).call);
    expect(Object.keys(preview.resources).filter((a) => a.startsWith('incus_network.'))).toEqual([
      'incus_network.this["gitops"]',
      'incus_network.this["management"]',
      'incus_network.this["production"]',
    ]);
  });

  it('a cluster defines each network on every member (with its own LAN interface), then creates it once', () => {
    const site = defineSite({
      environment: 'cluster',
      hosts: [
        { name: 'node1', lanAddress: '192.168.71.5' },
        { name: 'node2', lanAddress: '192.168.71.6', lanInterface: 'enp1s0' },
      ],
    });
    const base = baseInfrastructure({ mode: 'physical', parent: 'eno1', networks, site });
    const preview = previewModuleCall(base.call);
    expect(preview.validationErrors).toEqual([]);
    expect(preview.resources['incus_network.member["production/node1"]']).toEqual(
      expect.objectContaining({
        name: 'production',
        type: 'macvlan',
        target: 'node1',
        config: { parent: 'eno1' },
      }),
    );
    expect(preview.resources['incus_network.member["production/node2"]']).toMatchObject({
      target: 'node2',
      config: { parent: 'enp1s0' },
    });
    expect(preview.resources['incus_network.member["management/node2"]']).toMatchObject({
      name: 'management',
      type: 'bridge',
      target: 'node2',
      config: {},
    });
    // Incus refuses the member-specific parent on the cluster-wide network.
    expect(configOf(preview, 'production')).toEqual({});
    expect(configOf(preview, 'management')).toMatchObject({ 'ipv4.address': '10.20.0.1/24' });
    const main = renderModules([baseModule]).get('modules/base/main.tf')!;
    expect(main).toMatch(
      /resource "incus_network" "this" \{[^]*depends_on = \[incus_network\.member\]/,
    );
  });

  it('a cluster with OVN networks creates them once: they span the members', () => {
    const site = defineSite({
      environment: 'cluster',
      hosts: [
        { name: 'node1', lanAddress: '192.168.71.5' },
        { name: 'node2', lanAddress: '192.168.71.6' },
      ],
      ovn: { network: 'uplink', vips: ['192.168.68.30'] },
    });
    const base = baseInfrastructure({ mode: 'ovn', parent: 'uplink', networks, site });
    const preview = previewModuleCall(base.call);
    expect(
      Object.keys(preview.resources).filter((a) => a.startsWith('incus_network.member')),
    ).toEqual([]);
  });

  it('OVN mode makes every network an overlay on the uplink', () => {
    const base = baseInfrastructure({ mode: 'ovn', parent: 'uplink', networks });
    const preview = previewModuleCall(base.call);
    for (const role of ['production', 'management', 'gitops']) {
      expect(preview.resources[`incus_network.this["${role}"]`]).toMatchObject({ type: 'ovn' });
      expect(configOf(preview, role)).toMatchObject({ network: 'uplink' });
    }
    expect(base.attach('gitops').mode).toBe('ovn');
  });

  it('gives every network a profile with eth0 on it, and a container base profile that restarts and autostarts', () => {
    const preview = previewModuleCall(baseInfrastructure({ networks }).call);
    expect(preview.resources['incus_profile.container_base']).toMatchObject({
      name: 'container-base',
      config: { 'boot.autostart': 'true', 'boot.autorestart': 'true' },
    });
    expect(preview.resources['incus_profile.network["management"]']).toMatchObject({
      name: 'management-network',
      device: [{ name: 'eth0', type: 'nic', properties: { network: 'management' } }],
    });
    expect(preview.outputs.gateways).toEqual({
      production: '10.10.0.1',
      management: '10.20.0.1',
      gitops: '10.30.0.1',
    });
  });

  it('names the container base profile as asked, passing the name only when it is not the default', () => {
    const renamed = baseInfrastructure({ networks, containerBaseProfileName: 'ct-base' }).call;
    expect(previewModuleCall(renamed).resources['incus_profile.container_base']).toMatchObject({
      name: 'ct-base',
    });
    expect(baseInfrastructure({ networks }).call.args.has('container_base_profile_name')).toBe(
      false,
    );
    expect(
      configErrors(() => baseInfrastructure({ networks, containerBaseProfileName: '' })),
    ).toEqual(['base.containerBaseProfileName: expected a profile name']);
  });

  it('rejects bad input in zod and in the module', () => {
    expect(() => baseInfrastructure({ mode: 'physical', networks })).toThrow(
      /base\.parent: physical and ovn modes need "parent"/,
    );
    expect(() => baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1' } } })).toThrow(
      /base\.networks\.management\.ipv4: expected an IPv4 address with prefix length/,
    );
    const bad = previewModule(baseModule, {
      networks: { management: { type: 'vlan', ipv4_address: '10.20.0.1' } },
    });
    expect(bad.validationErrors.join('\n')).toMatch(/bridge, macvlan, physical or ovn/);
    expect(bad.validationErrors.join('\n')).toMatch(/10\.10\.0\.1\/24/);
    const noParent = previewModule(baseModule, { networks: { production: { type: 'physical' } } });
    expect(noParent.validationErrors.join('\n')).toMatch(/need "parent"/);
  });

  it('renders a valid, tofu-fmt exact module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-base-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([baseModule]));
      expect(await verifyTree(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
