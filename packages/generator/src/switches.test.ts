import {
  defineEnvironment,
  defineModule,
  enableSwitch,
  switchedBy,
  T,
  variable,
} from '@atlas/core';
import { printFile } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { renderEnvironment } from './render.js';
import { DEFAULT_STATE, remoteStateBlock } from './state.js';

// One variable is all a switched call needs.
const echo = defineModule({
  name: 'echo',
  package: { name: '@atlas/test', version: '0.0.0' },
  description: 'Test module.',
  providers: ['incus'],
  variables: { instance_name: variable({ type: T.string, description: 'Name.' }) },
  build: () => ({ resources: [], outputs: {} }),
});

describe('a switched module call', () => {
  const lab = (options: Parameters<typeof echo.call>[2]) =>
    defineEnvironment({
      name: 'lab',
      description: 'Lab.',
      modules: [echo.call('echo01', { instance_name: 'echo01' }, options)],
    });

  it('counts the call, declares the switch (on, never null) and moves the uncounted state to index 0', () => {
    const on = enableSwitch('enable_echo', 'Whether echo01 exists.');
    const env = lab(switchedBy(on));
    expect(env.variables.map((v) => v.name)).toEqual(['enable_echo']);
    const files = renderEnvironment(env, {
      remoteState: (remote) => remoteStateBlock(remote, DEFAULT_STATE),
    }).hcl;
    const main = printFile(files.get('main.tf')!);
    expect(main).toContain('count  = var.enable_echo ? 1 : 0');
    expect(main).toContain('moved {\n  from = module.echo01\n  to   = module.echo01[0]\n}');
    expect(printFile(files.get('variables.tf')!)).toContain(
      'variable "enable_echo" {\n  description = "Whether echo01 exists."\n  type        = bool\n  default     = true\n  nullable    = false\n}',
    );
  });
});
