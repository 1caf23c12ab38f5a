import {
  T,
  defineModule,
  instanceName,
  ipv4Address,
  output,
  packageInfo,
  port,
  variable,
  type Rule,
  type Validation,
} from '@atlas/core';
import { commented } from '@atlas/incus-service';
import {
  binary,
  bool,
  call,
  cond,
  forList,
  forMap,
  get,
  nil,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  tuple,
  type Expr,
} from '@atlas/hcl';
import { dynamic, resource } from '@atlas/providers';
import { z } from 'zod';

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Incus's own health check timing (seconds and counts), used when health checks are on. */
export const HEALTH_CHECK_DEFAULTS = {
  interval: 10,
  timeout: 30,
  failureCount: 3,
  successCount: 3,
} as const;

/** The seeds' LAN VIPs (in the uplink's ipv4.ovn.ranges). */
export const SEED_VIPS = {
  mosquittoCluster01: '192.168.68.10',
  corednsCluster01: '192.168.68.11',
  corednsIapetus: '192.168.68.12',
} as const;

const NAME = '^[a-zA-Z0-9][a-zA-Z0-9_-]*$';

/** A backend or port name: it becomes part of an Incus backend name (`<backend>-<port>`). */
export const lbName: Rule<z.ZodString> = {
  schema: z
    .string({ error: 'expected a name of letters, digits, "_" and "-"' })
    .regex(new RegExp(NAME), 'expected a name of letters, digits, "_" and "-"'),
  validation: (self) => ({
    condition: call('can', [call('regex', [str(NAME), self])]),
    errorMessage: 'Must be letters, digits, "_" and "-", starting with a letter or digit.',
  }),
};

const portField = (field: string) => ref(`port.${field}`);
const allPorts = (self: Expr, test: Expr): Expr => call('alltrue', [forList('port', self, test)]);
const positiveWhole = (value: Expr): Expr =>
  binary('&&', binary('>=', value, num(1)), binary('==', call('floor', [value]), value));

/** S16: an OVN network load balancer publishing instances on a LAN-routable VIP. */
export const ovnLbModule = defineModule({
  name: 'ovn-lb',
  package: packageInfo(import.meta.url),
  description:
    'An OVN network load balancer: a LAN-routable VIP on an OVN network forwarding TCP and UDP ports to backend instances, with OVN health checks. In OVN mode it replaces the proxy devices of bridge mode.',
  providers: ['incus'],
  variables: {
    network: variable({
      type: T.string,
      description: 'The OVN network the backends are attached to.',
      rules: [instanceName],
      example: 'production',
    }),
    listen_address: variable({
      type: T.string,
      description:
        "The VIP: an IPv4 address from the uplink network's ipv4.ovn.ranges, reachable from the LAN.",
      rules: [ipv4Address],
      example: SEED_VIPS.mosquittoCluster01,
    }),
    description: variable({
      type: T.string,
      description: 'Description of the load balancer in Incus.',
      default: null,
    }),
    backends: variable({
      type: T.map(T.string),
      description: 'IPv4 address of each backend instance on the OVN network, by backend name.',
      validations: (self): Validation[] => [
        {
          condition: binary('>', call('length', [self]), num(0)),
          errorMessage: 'Needs at least one backend.',
          rejects: {},
        },
        {
          condition: call('alltrue', [
            forList('name', call('keys', [self]), lbName.validation(ref('name')).condition),
          ]),
          errorMessage: 'Each backend name must be letters, digits, "_" and "-".',
          rejects: { 'bad name': '10.10.0.20' },
        },
        {
          condition: call('alltrue', [
            forList(
              'address',
              call('values', [self]),
              ipv4Address.validation(ref('address')).condition,
            ),
          ]),
          errorMessage: 'Each backend address must be an IPv4 address.',
          rejects: { mosquitto01: 'mosquitto01.incus' },
        },
      ],
      example: object({ mosquitto01: str('10.10.0.20') }),
    }),
    ports: variable({
      type: T.list(
        T.object({
          name: T.string,
          protocol: T.optional(T.string, 'tcp'),
          listen_port: T.number,
          target_port: T.optional(T.number),
        }),
      ),
      description:
        'Ports the VIP forwards to every backend: "target_port" defaults to "listen_port". Names key the endpoints output.',
      validations: (self): Validation[] => [
        {
          condition: binary('>', call('length', [self]), num(0)),
          errorMessage: 'Needs at least one port.',
          rejects: [],
        },
        {
          condition: allPorts(self, lbName.validation(portField('name')).condition),
          errorMessage: 'Each port name must be letters, digits, "_" and "-".',
          rejects: [{ name: 'bad name', listen_port: 1883 }],
        },
        {
          condition: binary(
            '==',
            call('length', [self]),
            call('length', [call('distinct', [forList('port', self, portField('name'))])]),
          ),
          errorMessage: 'Port names must be unique.',
          rejects: [
            { name: 'mqtt', listen_port: 1883 },
            { name: 'mqtt', listen_port: 8883 },
          ],
        },
        {
          condition: allPorts(
            self,
            call('contains', [toExpr([...PROTOCOLS]), portField('protocol')]),
          ),
          errorMessage: 'Each port "protocol" must be tcp or udp.',
          rejects: [{ name: 'mqtt', protocol: 'sctp', listen_port: 1883 }],
        },
        {
          condition: allPorts(self, port.validation(portField('listen_port')).condition),
          errorMessage: 'Each "listen_port" must be a port number from 1 to 65535.',
          rejects: [{ name: 'mqtt', listen_port: 0 }],
        },
        {
          condition: allPorts(
            self,
            cond(
              binary('==', portField('target_port'), nil),
              bool(true),
              port.validation(portField('target_port')).condition,
            ),
          ),
          errorMessage: 'Each "target_port" must be null or a port number from 1 to 65535.',
          rejects: [{ name: 'mqtt', listen_port: 1883, target_port: 70000 }],
        },
        {
          condition: binary(
            '==',
            call('length', [self]),
            call('length', [
              call('distinct', [
                forList('port', self, tpl`${portField('protocol')}/${portField('listen_port')}`),
              ]),
            ]),
          ),
          errorMessage: 'A protocol and listen port may be used only once.',
          rejects: [
            { name: 'a', listen_port: 1883 },
            { name: 'b', listen_port: 1883 },
          ],
        },
      ],
      example: tuple([object({ name: str('mqtt'), listen_port: num(1883) })]),
    }),
    health_check: variable({
      type: T.object({
        interval: T.optional(T.number, HEALTH_CHECK_DEFAULTS.interval),
        timeout: T.optional(T.number, HEALTH_CHECK_DEFAULTS.timeout),
        failure_count: T.optional(T.number, HEALTH_CHECK_DEFAULTS.failureCount),
        success_count: T.optional(T.number, HEALTH_CHECK_DEFAULTS.successCount),
      }),
      description:
        "OVN health checks of the backends: seconds between checks and before a check fails, and how many failures or successes take a backend out or back in. The default {} uses Incus's timing; null turns health checks off.",
      default: {},
      validations: (self): Validation[] => [
        {
          condition: cond(
            binary('==', self, nil),
            bool(true),
            call('alltrue', [
              forList('value', call('values', [self]), positiveWhole(ref('value'))),
            ]),
          ),
          errorMessage: 'Each health check setting must be a whole number, 1 or more.',
          rejects: { interval: 0 },
        },
      ],
    }),
  },
  build: (v) => {
    const backendsLocal = call(
      'merge',
      [
        forList(
          'port',
          v.ports,
          forMap(
            ['name', 'address'],
            v.backends,
            tpl`${ref('name')}-${portField('name')}`,
            object({
              address: ref('address'),
              port: call('coalesce', [portField('target_port'), portField('listen_port')]),
            }),
          ),
        ),
      ],
      { expandFinal: true },
    );
    const check = (key: string) => call('tostring', [get(v.health_check, key)]);
    const lb = resource('incus_network_lb', 'this', {
      network: v.network,
      listen_address: v.listen_address,
      description: v.description,
      config: cond(
        binary('==', v.health_check, nil),
        object({}),
        object({
          healthcheck: str('true'),
          'healthcheck.interval': check('interval'),
          'healthcheck.timeout': check('timeout'),
          'healthcheck.failure_count': check('failure_count'),
          'healthcheck.success_count': check('success_count'),
        }),
      ),
      backend: [
        dynamic(ref('local.backends'), (backend) => ({
          name: backend.key,
          target_address: get(backend.value, 'address'),
          target_port: call('tostring', [get(backend.value, 'port')]),
        })),
      ],
      port: [
        dynamic(v.ports, (p) => ({
          description: get(p.value, 'name'),
          protocol: get(p.value, 'protocol'),
          listen_port: call('tostring', [get(p.value, 'listen_port')]),
          target_backend: forList(
            'name',
            call('keys', [v.backends]),
            tpl`${ref('name')}-${get(p.value, 'name')}`,
          ),
        })),
      ],
    });
    return {
      locals: {
        backends: {
          value: backendsLocal,
          comment:
            'One Incus backend per instance and port ("<instance>-<port>"), so each port can forward to its own target port.',
        },
      },
      resources: [
        commented(
          lb.block,
          'The VIP answers on the LAN; OVN spreads connections over the backends.',
        ),
      ],
      outputs: {
        vip: output({
          description: "The VIP: the load balancer's LAN address.",
          value: lb.attr('listen_address'),
          type: T.string,
        }),
        endpoints: output({
          description: 'host:port on the VIP, by port name.',
          value: forMap(
            'port',
            v.ports,
            portField('name'),
            tpl`${lb.attr('listen_address')}:${portField('listen_port')}`,
          ),
          type: T.map(T.string),
        }),
      },
    };
  },
});
