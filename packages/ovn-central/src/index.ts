import { parseConfig, type ModuleCall, type Ref } from '@atlas/core';
import { serviceArgs, serviceOptionsSchema } from '@atlas/incus-service';
import { z } from 'zod';
import { OVN_CENTRAL_DEFAULTS, OVN_CENTRAL_INPUTS, ovnCentralModule } from './module.js';

export {
  DEFAULT_BRIDGE,
  LISTEN_SCRIPT,
  NORTHBOUND_PORT,
  OVN_CENTRAL_DEFAULTS,
  SOUTHBOUND_PORT,
  ovnCentralModule,
} from './module.js';

export const ovnCentralConfigSchema = serviceOptionsSchema(OVN_CENTRAL_DEFAULTS)
  .extend({
    /** Host address the databases are published on (seeds: 192.168.71.5); pin `targetNode` to its owner. */
    hostAddress: OVN_CENTRAL_INPUTS.host_address.schema,
    /**
     * Bridge for eth0 (seeds: cluster01's `incusbr0`); then only the base
     * profile of `network` is used. `null` joins `network` itself, which must not be OVN.
     */
    bridge: OVN_CENTRAL_INPUTS.bridge_network.schema,
    /** Set `network.ovn.northbound_connection` on the Incus server too. */
    setNorthboundConnection: OVN_CENTRAL_INPUTS.set_northbound_connection.schema,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.bridge === null && c.network.mode === 'ovn')
      ctx.addIssue({
        code: 'custom',
        path: ['network'],
        message:
          'OVN central cannot run on the OVN network it serves: keep a bridge (e.g. "incusbr0") or attach a bridge network',
      });
  });

export type OvnCentralConfig = z.input<typeof ovnCentralConfigSchema>;

export type OvnCentralInstance = ModuleCall<
  typeof ovnCentralModule.variables,
  typeof ovnCentralModule.body.outputs
> & {
  readonly service: 'ovn-central';
  /** `tcp:<host address>:6641`, for `network.ovn.northbound_connection`. */
  readonly northboundConnection: Ref<string>;
  /** `tcp:<host address>:6642`, for the chassis. */
  readonly southboundConnection: Ref<string>;
};

/** OVN central: validates `config` and returns the module call with typed outputs. */
export function ovnCentral(config: OvnCentralConfig): OvnCentralInstance {
  const c = parseConfig(ovnCentralConfigSchema, config, [
    config.name ?? OVN_CENTRAL_DEFAULTS.instanceName,
  ]);
  const call = ovnCentralModule.call(c.name, {
    ...serviceArgs(c, OVN_CENTRAL_DEFAULTS),
    // On its own bridge the instance needs only the base profile: the network
    // profile's NIC would be replaced, and in OVN mode it names the overlay.
    profiles: c.bridge === null ? c.network.profiles : c.network.profiles.slice(0, 1),
    host_address: c.hostAddress,
    bridge_network: OVN_CENTRAL_INPUTS.bridge_network.arg(c.bridge),
    set_northbound_connection: OVN_CENTRAL_INPUTS.set_northbound_connection.arg(
      c.setNorthboundConnection,
    ),
  });
  return Object.assign(call, {
    service: 'ovn-central' as const,
    northboundConnection: call.outputs.northbound_connection,
    southboundConnection: call.outputs.southbound_connection,
  });
}
