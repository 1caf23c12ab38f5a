import { previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker } from '@atlas/verify';
import { describe, expect, it } from 'vitest';
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
