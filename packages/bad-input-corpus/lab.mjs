// The estate every case starts from: one environment, "lab", on a management
// and a production network. A case changes one thing and must be refused.
import { baseInfrastructure } from '@atlas/base';
import { T, defineEnvironment, defineModule, output, variable } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { ref } from '@atlas/hcl';
import { mosquitto } from '@atlas/mosquitto';
import { ovnLoadBalancer } from '@atlas/ovn-lb';

export const REPOSITORY = 'https://example.com/estate.git';

export const base = baseInfrastructure({
  networks: { management: { ipv4: '10.20.0.1/24' }, production: { ipv4: '10.10.0.1/24' } },
});
export const management = base.attach('management');
export const production = base.attach('production');

/** The lab environment with these module calls after the base (and any other spec fields). */
export const lab = (modules = [], spec = {}) =>
  defineEnvironment({
    name: 'lab',
    description: 'The bad-input corpus lab.',
    modules: [base.call, ...modules],
    ...spec,
  });

export const estate = (environments, spec = {}) =>
  defineEstate({ repository: REPOSITORY, environments, ...spec });

/** An estate of the lab environment alone. */
export const labEstate = (modules, spec) => estate([lab(modules, spec)]);

/**
 * An OVN lab: a production network on an uplink with these OVN ranges, and
 * Mosquitto behind a load balancer; `lb` overrides the load balancer's options.
 */
export function ovnLabEstate({ uplinkOvnRanges = ['192.168.68.10-192.168.68.19'], lb = {} } = {}) {
  const ovnBase = baseInfrastructure({
    mode: 'ovn',
    parent: 'uplink',
    uplinkOvnRanges,
    networks: { production: { ipv4: '10.10.0.1/24' } },
  });
  const network = ovnBase.attach('production');
  const mosquitto01 = mosquitto({ name: 'mosquitto01', network });
  const balancer = ovnLoadBalancer({
    name: 'mosquitto_lb',
    network,
    vip: '192.168.68.10',
    backends: [mosquitto01],
    ports: [{ name: 'mqtt', port: 1883 }],
    ...lb,
  });
  return estate([
    defineEnvironment({
      name: 'lab',
      description: 'An OVN lab.',
      modules: [ovnBase.call, mosquitto01, balancer],
    }),
  ]);
}

/** A small module of the user's own: one variable, one output, one template file. */
export function ownModule({
  name = 'echo',
  description = 'Echoes its input.',
  variableName = 'message',
  variableDescription = 'What to echo.',
  outputName = 'message',
  outputDescription = 'The message.',
  template = [{ kind: 'literal', value: 'hello\n' }],
} = {}) {
  return defineModule({
    name,
    package: { name: 'corpus', version: '0.0.0' },
    description,
    providers: [],
    variables: {
      [variableName]: variable({ type: T.string, description: variableDescription, default: 'hi' }),
    },
    build: () => ({
      resources: [],
      outputs: {
        [outputName]: output({
          description: outputDescription,
          value: ref(`var.${variableName}`),
          type: T.string,
        }),
      },
      templates: { 'templates/echo.tftpl': template },
    }),
  });
}
