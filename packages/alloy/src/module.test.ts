import { previewModule } from '@atlas/preview';
import { describeLogShipper } from '@atlas/testing';
import { hasChecker, runChecker } from '@atlas/verify';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALLOY_DEFAULTS,
  ENVIRONMENT_FILE,
  alloy,
  alloyConfigSchema,
  alloyModule,
} from './index.js';

describeLogShipper({
  name: 'alloy',
  build: alloy,
  configSchema: alloyConfigSchema,
  module: alloyModule,
  memory: '512MB',
  rootDiskSize: '2GB',
  httpPort: 12345,
  publishes: true,
});

const moduleInputs = {
  profiles: ['base', 'management'],
  loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
};

describe('defaults', () => {
  it("take Promtail's slot on cluster01, with room for Alloy's larger binary", () => {
    expect(ALLOY_DEFAULTS).toEqual({
      instanceName: 'alloy01',
      profileName: 'alloy',
      cpu: 1,
      memory: '512MB',
      rootDiskSize: '2GB',
      packageVersions: { alloy: '1.10.1' },
    });
  });
});

describe('first boot', () => {
  const preview = previewModule(alloyModule, { ...moduleInputs, http_port: 12346 });

  it("installs Alloy from Grafana's apt repository and starts it", () => {
    const userData = parse(preview.cloudInit!);
    expect(userData.runcmd).toEqual(
      expect.arrayContaining([
        expect.stringContaining('https://apt.grafana.com stable main'),
        expect.stringMatching(/apt-get install .* alloy=1\.10\.1$/),
        'systemctl enable alloy',
        'systemctl restart alloy',
      ]),
    );
  });

  it(`sets the listen address in ${ENVIRONMENT_FILE}`, () => {
    expect(preview.files.get(ENVIRONMENT_FILE)?.content).toBe(
      [
        'CONFIG_FILE="/etc/alloy/config.alloy"',
        'CUSTOM_ARGS="--server.http.listen-addr=0.0.0.0:12346 --disable-reporting"',
        'RESTART_ON_UPGRADE=true',
        '',
      ].join('\n'),
    );
  });

  it.skipIf(!hasChecker('shellcheck'))(
    `writes a ${ENVIRONMENT_FILE} the package's scripts can source`,
    () => {
      // Variables are read by the sourcing script and systemd, so "unused" (SC2034) does not apply.
      const result = runChecker('shellcheck', ['--shell=sh', '--exclude=SC2034', '-'], {
        input: preview.files.get(ENVIRONMENT_FILE)!.content,
      });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
