import { previewModule } from '@atlas/preview';
import { describeLogShipper } from '@atlas/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMTAIL_DEFAULTS, promtail, promtailConfigSchema, promtailModule } from './index.js';

describeLogShipper({
  name: 'promtail',
  build: promtail,
  configSchema: promtailConfigSchema,
  module: promtailModule,
  memory: '256MB',
  rootDiskSize: '1GB',
  httpPort: 9080,
});

const moduleInputs = {
  profiles: ['base', 'management'],
  loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
};

describe('defaults', () => {
  it("are the operator's guide's promtail01: 1 CPU, 256MB, 1GB root disk, stateless", () => {
    expect(PROMTAIL_DEFAULTS).toEqual({
      instanceName: 'promtail01',
      profileName: 'promtail',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
      packageVersions: { promtail: '3.5.3' },
    });
  });
});

describe('first boot', () => {
  const preview = previewModule(promtailModule, moduleInputs);

  it("installs Promtail from Grafana's apt repository, lets it read logs, and starts it", () => {
    const userData = parse(preview.cloudInit!);
    const runcmd = userData.runcmd as string[];
    expect(runcmd).toEqual(
      expect.arrayContaining([
        expect.stringContaining('https://apt.grafana.com stable main'),
        expect.stringMatching(/apt-get install .* promtail=3\.5\.3$/),
        'usermod -a -G systemd-journal,adm promtail',
        'install -d -o promtail -m 0750 /var/lib/promtail',
        'systemctl enable promtail',
        'systemctl restart promtail',
      ]),
    );
    // The positions folder exists before the service restarts with it.
    expect(runcmd.indexOf('install -d -o promtail -m 0750 /var/lib/promtail')).toBeLessThan(
      runcmd.indexOf('systemctl restart promtail'),
    );
  });
});
