import {
  T,
  input,
  nullable,
  output,
  packageInfo,
  port,
  variable,
  variablesOf,
  type Rule,
  type Validation,
} from '@atlas/core';
import {
  SMALLSTEP_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  shellQuoted,
  pinnedPackage,
} from '@atlas/incus-service';
import {
  binary,
  bool,
  call,
  cond,
  forList,
  get,
  nil,
  num,
  object,
  ref,
  str,
  templateParts,
  toExpr,
  tpl,
  tuple,
  type Expr,
} from '@atlas/hcl';
import { z } from 'zod';

export const STEP_CA_PORT = 9000;

/** STEPPATH: configuration, certificates, secrets and database of the CA, on the data volume. */
export const STEP_HOME = '/home/step';
export const ROOT_CERTIFICATE_PATH = `${STEP_HOME}/certs/root_ca.crt`;
export const FINGERPRINT_PATH = `${STEP_HOME}/fingerprint`;

/** The seeds' sizing, volume and snapshot policy for step-ca. */
export const STEP_CA_DEFAULTS = {
  instanceName: 'step-ca01',
  profileName: 'step-ca',
  cpu: 1,
  memory: '512MB',
  rootDiskSize: '1GB',
  dataVolume: {
    size: '1GB',
    mountPath: STEP_HOME,
    snapshots: { schedule: '@weekly', expiry: '4w' },
  },
  // Smallstep's apt repository, not Debian: vendor versions (the CLI is released with the CA).
  packageVersions: { 'step-ca': '0.29.0', 'step-cli': '0.29.0' },
} as const;

/** The seeds' CA settings: certificates live 24 hours. */
export const STEP_CA_SETTINGS = {
  caName: 'Atlas Internal CA',
  acmeProvisioner: 'acme',
  serviceProvisioner: 'services',
  certDuration: '24h',
  maxCertDuration: '24h',
} as const;

/** Smallstep's Debian repository, which carries step-ca and step-cli. */

const regexRule = (pattern: string, what: string): Rule<z.ZodString> => ({
  schema: z
    .string({ error: `expected ${what}` })
    .regex(new RegExp(pattern, 'u'), `expected ${what}`),
  validation: (self) => ({
    condition: call('can', [call('regex', [str(pattern), self])]),
    errorMessage: `Must be ${what}.`,
  }),
});

/** The CA's name, written into its root and intermediate certificates: any text on one line. */
export const caName = regexRule(
  '^[^\\x00-\\x1f\\x7f]{1,64}$',
  'a name of 1 to 64 characters without control characters',
);

const DNS_NAME =
  '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$';

/** A name clients reach the CA by: a DNS name (`step-ca01.incus`, `localhost`) or an IPv4 address. */
export const dnsName = regexRule(DNS_NAME, 'a DNS name such as step-ca01.incus or an IPv4 address');

/** An ACME provisioner name; it is part of the directory URL (`/acme/<name>/directory`). */
export const provisionerName = regexRule(
  '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$',
  'a name of letters, digits, ".", "_" and "-" that starts with a letter or digit',
);

// Go's duration syntax as step-ca reads it, restricted to whole hours, minutes and seconds.
const GO_DURATION = '^(([0-9]+h)([0-9]+m)?([0-9]+s)?|([0-9]+m)([0-9]+s)?|[0-9]+s)$';
const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1 };
/** step-ca's shortest certificate (its default minTLSCertDuration). */
const MIN_CERT_SECONDS = 300;

/** A duration step-ca reads, such as `24h` or `1h30m`. */
export const goDuration = regexRule(
  GO_DURATION,
  'a duration in Go syntax of whole hours, minutes and seconds such as 24h, 90m or 1h30m',
);

/** Seconds in a {@link goDuration}. */
export const durationSeconds = (value: string): number =>
  [...value.matchAll(/([0-9]+)([hms])/g)].reduce(
    (total, [, n, unit]) => total + Number(n) * UNIT_SECONDS[unit!]!,
    0,
  );

const TOO_SHORT = "at least 5m, step-ca's shortest certificate";

/** A TLS certificate lifetime for the CA's claims: a {@link goDuration} of at least 5 minutes. */
export const certDurationSchema = goDuration.schema.refine(
  (d) => durationSeconds(d) >= MIN_CERT_SECONDS,
  `expected ${TOO_SHORT}`,
);

/** The HCL side of {@link certDurationSchema}, next to the {@link goDuration} rule. */
const certDurationValidations = (self: Expr): Validation[] => [
  {
    // Unparseable values pass here: the goDuration rule reports them.
    condition: call('try', [
      binary(
        '>=',
        call('sum', [
          forList(
            'part',
            call('regexall', [str('([0-9]+)([hms])'), self]),
            binary(
              '*',
              call('tonumber', [get(ref('part'), 0)]),
              call('lookup', [toExpr(UNIT_SECONDS), get(ref('part'), 1)]),
            ),
          ),
        ]),
        num(MIN_CERT_SECONDS),
      ),
      bool(true),
    ]),
    errorMessage: `Must be ${TOO_SHORT}.`,
    rejects: '1m',
  },
];

/** SHA-256 fingerprint of the root certificate, as `step certificate fingerprint` prints it. */
export const rootFingerprint = regexRule(
  '^[0-9a-f]{64}$',
  'a SHA-256 fingerprint: 64 lower-case hexadecimal digits',
);

export const MIN_PASSWORD_LENGTH = 16;

/** The CA password's rule, for the module variable and the root variable that feeds it. */
export const caPasswordValidations = (self: Expr): Validation[] => [
  {
    condition: binary('>=', call('length', [self]), num(MIN_PASSWORD_LENGTH)),
    errorMessage: `Must be at least ${MIN_PASSWORD_LENGTH} characters.`,
    rejects: '<short>',
  },
];

const instance = ref('var.instance_name');
const INIT_SCRIPT = '/usr/local/sbin/atlas-step-ca-init';
const PASSWORD_FILE = '/etc/step-ca/password';
const SERVICES_PASSWORD_FILE = '/etc/step-ca/services-password';

/**
 * First boot: initialise the CA unless the data volume already holds one, then
 * (again on a rebuilt container) make the ACME provisioner, listen address,
 * DNS names and certificate lifetimes match the module's variables, and
 * publish the root fingerprint.
 */
const initScript = templateParts`#!/bin/sh
# Initialises step-ca, or brings an existing CA on the data volume in line with
# the module's variables, and writes the root certificate's fingerprint.
set -eu

export STEPPATH=${STEP_HOME}
config="$STEPPATH/config/ca.json"
password_file=${PASSWORD_FILE}

as_step() {
	runuser -u step -- env STEPPATH="$STEPPATH" "$@"
}

install -d -o step -g step -m 0700 "$STEPPATH"

if [ ! -s "$config" ]; then
	as_step step ca init \\
		--deployment-type standalone \\
		--name ${shellQuoted(ref('ca_name'))} \\
		--dns '${call('join', [str(','), ref('dns_names')])}' \\
		--address ':${ref('port')}' \\
		--provisioner admin \\
		--password-file "$password_file"
fi

if ! jq -e --arg name '${ref('acme_provisioner')}' \\
	'any(.authority.provisioners[]; .type == "ACME" and .name == $name)' "$config" >/dev/null; then
	as_step step ca provisioner add '${ref('acme_provisioner')}' --type ACME --ca-config "$config"
fi

# Services in other networks or environments sign a token with this provisioner's
# password: the CA needs no way back to them, unlike an ACME challenge.
if [ -s ${SERVICES_PASSWORD_FILE} ] && ! jq -e --arg name '${ref('service_provisioner')}' \\
	'any(.authority.provisioners[]; .type == "JWK" and .name == $name)' "$config" >/dev/null; then
	as_step step ca provisioner add '${ref('service_provisioner')}' --type JWK --create \\
		--password-file ${SERVICES_PASSWORD_FILE} --ca-config "$config"
fi

updated="$(mktemp)"
jq --arg address ':${ref('port')}' \\
	--argjson dns '${call('jsonencode', [ref('dns_names')])}' \\
	--arg default '${ref('cert_duration')}' \\
	--arg max '${ref('max_cert_duration')}' \\
	'.address = $address | .dnsNames = $dns
	| .authority.claims = (.authority.claims // {}) + {defaultTLSCertDuration: $default, maxTLSCertDuration: $max}' \\
	"$config" >"$updated"
install -o step -g step -m 0600 "$updated" "$config"
rm -f "$updated"

as_step step certificate fingerprint "$STEPPATH/certs/root_ca.crt" >${FINGERPRINT_PATH}
`;

const SERVICE_UNIT = `[Unit]
Description=step-ca certificate authority
Documentation=https://smallstep.com/docs/step-ca
After=network-online.target
Wants=network-online.target
ConditionFileNotEmpty=${STEP_HOME}/config/ca.json

[Service]
Type=simple
User=step
Group=step
Environment=STEPPATH=${STEP_HOME}
WorkingDirectory=${STEP_HOME}
ExecStart=/usr/bin/step-ca ${STEP_HOME}/config/ca.json --password-file=${PASSWORD_FILE}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full

[Install]
WantedBy=multi-user.target
`;

/** The goDuration rule, with the estate's stricter floor on the zod side (the module's is certDurationValidations). */
const certDuration: Rule<z.ZodType<string>> = { ...goDuration, schema: certDurationSchema };

/** step-ca's own inputs, declared once: the builder's options and the module's variables. */
export const STEP_CA_INPUTS = {
  ca_name: input(caName, {
    type: T.string,
    description:
      'Name of the CA, written into its root and intermediate certificates when the CA is first initialised (later changes do not rename an existing CA).',
    default: STEP_CA_SETTINGS.caName,
  }),
  dns_names: input(z.array(dnsName.schema).min(1, 'expected at least one DNS name'), {
    type: T.list(T.string),
    description:
      'DNS names and IP addresses clients reach the CA by; null means "<instance_name>.incus", "<instance_name>" and "localhost".',
    default: null,
    validations: (self): Validation[] => [
      {
        condition: cond(
          binary('==', self, nil),
          bool(true),
          binary(
            '&&',
            binary('>', call('length', [self]), num(0)),
            call('alltrue', [forList('name', self, dnsName.validation(ref('name')).condition)]),
          ),
        ),
        errorMessage:
          'Must be null or a non-empty list of DNS names (such as step-ca01.incus) or IPv4 addresses.',
        rejects: [],
      },
    ],
  }),
  acme_provisioner: input(provisionerName, {
    type: T.string,
    description:
      'Name of the ACME provisioner; clients use the directory https://<instance>.incus:<port>/acme/<name>/directory.',
    default: STEP_CA_SETTINGS.acmeProvisioner,
  }),
  cert_duration: input(certDuration, {
    type: T.string,
    description:
      'Default lifetime of issued TLS certificates (defaultTLSCertDuration in ca.json), in Go duration syntax.',
    default: STEP_CA_SETTINGS.certDuration,
    validations: certDurationValidations,
  }),
  max_cert_duration: input(certDuration, {
    type: T.string,
    description:
      'Longest lifetime a client may ask for (maxTLSCertDuration in ca.json); at least cert_duration.',
    default: STEP_CA_SETTINGS.maxCertDuration,
    validations: certDurationValidations,
  }),
  port: input(port, {
    type: T.number,
    description: 'Port the CA serves HTTPS (the API and ACME) on.',
    default: STEP_CA_PORT,
  }),
};

/** S11: step-ca, the estate's internal ACME certificate authority. */
export const stepCaModule = incusServiceModule({
  name: 'step-ca',
  package: packageInfo(import.meta.url),
  description:
    "step-ca in an Incus system container: a CA initialised on first boot with an ACME provisioner, its name, DNS names and certificate lifetimes from variables, keys encrypted with a sensitive password, and the root fingerprint published for clients' trust.",
  defaults: STEP_CA_DEFAULTS,
  // Published when another environment takes certificates from it (issue 9).
  proxyDevices: true,
  variables: {
    ...variablesOf(STEP_CA_INPUTS),
    ca_password: variable({
      type: T.string,
      description: `Password that encrypts the CA's private keys and the admin provisioner's key (at least ${MIN_PASSWORD_LENGTH} characters).`,
      sensitive: true,
      validations: caPasswordValidations,
      example: ref('var.step_ca01_password'),
    }),
    service_provisioner: variable({
      type: T.string,
      description:
        'Name of a JWK provisioner for services the CA cannot reach for an ACME challenge (another network or environment), whose key is encrypted with service_provisioner_password; null for none.',
      default: null,
      rules: [nullable(provisionerName)],
    }),
    service_provisioner_password: variable({
      type: T.string,
      description: `Password of the service_provisioner's key; clients sign certificate requests with it (at least ${MIN_PASSWORD_LENGTH} characters). Needed with service_provisioner.`,
      sensitive: true,
      default: null,
      validations: (self): Validation[] =>
        caPasswordValidations(self).map((rule) => ({
          condition: cond(binary('==', self, nil), bool(true), rule.condition),
          errorMessage: `Must be null, or: ${rule.errorMessage}`,
          ...(rule.rejects === undefined ? {} : { rejects: rule.rejects }),
        })),
    }),
  },
  build: (v) => ({
    locals: {
      dns_names: {
        value: cond(
          binary('==', v.dns_names, nil),
          tuple([tpl`${v.instance_name}.incus`, v.instance_name, str('localhost')]),
          v.dns_names,
        ),
        comment:
          'Names in the CA certificate and ca.json; by default how .incus DNS and the host itself reach it.',
      },
      init_script: call('templatefile', [
        tpl`${ref('path.module')}/templates/step-ca-init.sh.tftpl`,
        object({
          ca_name: v.ca_name,
          dns_names: ref('local.dns_names'),
          port: v.port,
          acme_provisioner: v.acme_provisioner,
          service_provisioner: cond(
            binary('==', v.service_provisioner, nil),
            str(''),
            v.service_provisioner,
          ),
          cert_duration: v.cert_duration,
          max_cert_duration: v.max_cert_duration,
        }),
      ]),
    },
    templates: { 'templates/step-ca-init.sh.tftpl': initScript },
    cloudInit: {
      config: {
        users: [{ name: 'step', system: true, homedir: STEP_HOME, shell: '/usr/sbin/nologin' }],
        packages: ['ca-certificates', 'curl', 'gnupg', 'jq'],
        writeFiles: [
          {
            path: PASSWORD_FILE,
            content: ref('ca_password'),
            owner: 'root:step',
            permissions: '0640',
            defer: true,
          },
          {
            path: SERVICES_PASSWORD_FILE,
            content: ref('service_provisioner_password'),
            owner: 'root:step',
            permissions: '0640',
            defer: true,
            when: ref('service_provisioner'),
          },
          { path: INIT_SCRIPT, content: ref('init_script'), permissions: '0755' },
          { path: '/etc/systemd/system/step-ca.service', content: SERVICE_UNIT },
        ],
        runcmd: [
          ...aptRepositoryInstall(SMALLSTEP_APT_REPOSITORY, [
            pinnedPackage('step-ca'),
            pinnedPackage('step-cli'),
          ]),
          INIT_SCRIPT,
          'systemctl daemon-reload',
          'systemctl enable --now step-ca',
        ],
      },
      vars: {
        ca_password: v.ca_password,
        service_provisioner: binary('!=', v.service_provisioner, nil),
        service_provisioner_password: cond(
          binary('==', v.service_provisioner_password, nil),
          str(''),
          v.service_provisioner_password,
        ),
        init_script: ref('local.init_script'),
      },
    },
    outputs: {
      ca_url: output({
        description:
          'Base URL of the CA (API, health and root download), for step ca bootstrap and --ca-url.',
        value: tpl`https://${instance}.incus:${v.port}`,
        type: T.string,
      }),
      acme_directory_url: output({
        description: 'ACME directory URL clients request certificates from.',
        value: tpl`https://${instance}.incus:${v.port}/acme/${v.acme_provisioner}/directory`,
        type: T.string,
      }),
      service_provisioner: output({
        description:
          'Name of the JWK provisioner for services the CA cannot reach for a challenge, or null for none.',
        value: v.service_provisioner,
        type: T.string,
      }),
      health_url: output({
        description: 'Health endpoint of the CA (returns {"status":"ok"}).',
        value: tpl`https://${instance}.incus:${v.port}/health`,
        type: T.string,
      }),
      fingerprint_command: output({
        description:
          "Command that prints the root certificate's SHA-256 fingerprint, which clients pin when they bootstrap trust.",
        value: tpl`incus exec ${instance} -- cat ${FINGERPRINT_PATH}`,
        type: T.string,
      }),
      root_certificate_path: output({
        description: 'Path of the root certificate inside the instance.',
        value: str(ROOT_CERTIFICATE_PATH),
        type: T.string,
      }),
    },
  }),
});
