import { previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker } from '@atlas/verify';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { atlasEstate } from './index.js';

/**
 * Every module call of the estate, evaluated as OpenTofu would at plan time:
 * its variable validations pass, and the user-data it gives cloud-init is
 * accepted by cloud-init itself. (User-data shaped by values known only after
 * apply, such as another environment's outputs, is checked in its package's
 * tests with concrete values instead.)
 */
describe.each(atlasEstate().environments.map((env) => [env.name, env] as const))('%s', (_, env) => {
  const previews = env.modules.map((call) => ({ call, preview: previewModuleCall(call) }));

  it('passes every module variable validation', () => {
    for (const { call, preview } of previews)
      expect(preview.validationErrors, call.name).toEqual([]);
  });

  it.skipIf(!hasChecker('cloud-init'))('gives cloud-init user-data it accepts', () => {
    const checked = previews.filter(({ preview }) => preview.cloudInit !== undefined);
    expect(checked.length).toBeGreaterThanOrEqual(4);
    for (const { call, preview } of checked) {
      const result = checkCloudInit(preview.cloudInit!);
      expect(result.stdout + result.stderr, call.name).toContain('Valid cloud-config');
    }
  });
});

/** What first boot installs and in which order, for every instance of the estate. */
describe.each(atlasEstate().environments.map((env) => [env.name, env] as const))(
  '%s first boot',
  (_, env) => {
    const userData = env.modules.flatMap((call) => {
      const text = previewModuleCall(call).cloudInit;
      if (text === undefined) return [];
      const doc = (parse(text) ?? {}) as {
        packages?: string[];
        write_files?: Array<{ path: string; content: string; defer?: boolean }>;
      };
      return [{ name: call.name, doc }];
    });

    it('installs every Debian service package at an exact version', () => {
      const services = ['prometheus', 'mosquitto', 'ovn-central'];
      for (const { name, doc } of userData)
        for (const pkg of doc.packages ?? [])
          if (services.includes(pkg.split('=')[0]!))
            expect(pkg, name).toMatch(/^[a-z0-9-]+=[0-9][A-Za-z0-9.+~:-]*$/);
    });

    it('gives each data volume to its service before the package install can start it', () => {
      for (const { name, doc } of userData) {
        const dropIns = (doc.write_files ?? []).filter((f) =>
          f.path.endsWith('.service.d/atlas-data-owner.conf'),
        );
        for (const dropIn of dropIns) {
          // Undeferred files are written in cloud-init's init stage, before `packages`.
          expect(dropIn.defer, name).toBeUndefined();
          expect(dropIn.content, name).toMatch(/^ExecStartPre=\+\/usr\/bin\/chown -R \S+ \//m);
        }
        if (/^(prometheus|mosquitto|loki|grafana)\d/.test(name))
          expect(dropIns.length, name).toBe(1);
      }
    });
  },
);
