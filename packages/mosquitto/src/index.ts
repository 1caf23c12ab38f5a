import {
  T,
  instanceVariable,
  parseConfig,
  port,
  type EnvVariable,
  type Link,
  type ModuleCall,
} from '@atlas/core';
import {
  certificateAuthoritySchema,
  proxyDevicesFor,
  serviceArgs,
  serviceOptionsSchema,
  linkedValue,
  type ServicePort,
  type TcpService,
} from '@atlas/incus-service';

export type { CertificateAuthority, TcpService } from '@atlas/incus-service';
import { binary, call, num, object, str } from '@atlas/hcl';
import { z } from 'zod';
import {
  MOSQUITTO_DEFAULTS,
  MQTTS_PORT,
  MQTT_PORT,
  mosquittoModule,
  usersValidations,
} from './module.js';

export {
  CONFIG_PATH,
  MIN_PASSWORD_LENGTH,
  MOSQUITTO_DEFAULTS,
  MQTTS_PORT,
  MQTT_PORT,
  mosquittoModule,
} from './module.js';

export const mosquittoConfigSchema = serviceOptionsSchema(MOSQUITTO_DEFAULTS)
  .extend({
    /**
     * Accept clients without credentials. Otherwise the broker has a password
     * file, and its users come from the sensitive root variable `<name>_users`.
     */
    allowAnonymous: z.boolean().default(false),
    /**
     * Serve MQTTS with a certificate from this CA, requested with its JWK
     * provisioner (stepCa({ serviceProvisioner })) so the CA never has to reach
     * the broker; plain MQTT is served until the certificate arrives.
     */
    tls: z
      .object({
        ca: certificateAuthoritySchema.refine((ca) => ca.provisioner !== undefined, {
          message:
            'expected a CA with a service provisioner (stepCa({ serviceProvisioner: "services" })): the broker signs its request with it',
        }),
      })
      .strict()
      .optional(),
    /** Host ports of the proxy devices in bridge mode. */
    hostPorts: z
      .object({
        mqtt: port.schema.default(MQTT_PORT),
        mqtts: port.schema.default(MQTTS_PORT),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tls && c.hostPorts.mqtt === c.hostPorts.mqtts)
      ctx.addIssue({
        code: 'custom',
        path: ['hostPorts', 'mqtts'],
        message: `expected a host port other than the MQTT one (${c.hostPorts.mqtt})`,
      });
  });

export type MosquittoConfig = z.input<typeof mosquittoConfigSchema>;

export type MosquittoInstance = ModuleCall<
  typeof mosquittoModule.variables,
  typeof mosquittoModule.body.outputs
> &
  TcpService & {
    readonly service: 'mosquitto';
    /** The sensitive root variable with the user → password map; absent for an anonymous broker. */
    readonly users?: EnvVariable<Record<string, string>>;
  };

/**
 * A Mosquitto instance: MQTT, MQTTS when `tls` names a CA, and the listeners
 * published on the host in bridge mode.
 */
export function mosquitto(config: MosquittoConfig): MosquittoInstance {
  const c = parseConfig(mosquittoConfigSchema, config, [
    config.name ?? MOSQUITTO_DEFAULTS.instanceName,
  ]);
  const users = c.allowAnonymous
    ? undefined
    : instanceVariable<Record<string, string>>(
        c.name,
        'users',
        {
          type: T.map(T.string),
          description: `MQTT users of ${c.name} and their passwords (user name → password).`,
          sensitive: true,
          validations: (self) => [
            {
              condition: binary('>', call('length', [self]), num(0)),
              errorMessage:
                'Must hold at least one user (or build the broker with allowAnonymous).',
            },
            ...usersValidations(self),
          ],
        },
        { '<user>': '<password of at least 12 characters>' },
      );
  const ports: ServicePort[] = [
    { name: 'mqtt', protocol: 'tcp', port: MQTT_PORT, hostPort: c.hostPorts.mqtt },
    ...(c.tls
      ? [{ name: 'mqtts', protocol: 'tcp' as const, port: MQTTS_PORT, hostPort: c.hostPorts.mqtts }]
      : []),
  ];
  const links: Link[] = [];
  const broker = mosquittoModule.call(
    c.name,
    {
      ...serviceArgs(c, MOSQUITTO_DEFAULTS),
      users: users?.ref,
      tls_provisioner_password: c.tls?.ca.provisioner!.password.ref,
      tls: c.tls
        ? object({
            ca_url: linkedValue(c, c.tls.ca.acme.caLink, c.tls.ca.acme.caUrl, 'tls', links),
            provisioner: str(c.tls.ca.provisioner!.name),
            ca_fingerprint: c.tls.ca.rootFingerprint.ref,
          })
        : undefined,
      proxy_devices: proxyDevicesFor(c.network, ports),
    },
    {
      inputs: [
        ...(users ? [users] : []),
        ...(c.tls ? [c.tls.ca.rootFingerprint, c.tls.ca.provisioner!.password] : []),
      ],
      links,
    },
  );
  return Object.assign(broker, {
    service: 'mosquitto' as const,
    ...(users ? { users } : {}),
    ports,
    address: broker.outputs.ipv4_address,
  });
}
