import { T, output, packageInfo, variable, type Validation } from '@atlas/core';
import {
  SMALLSTEP_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  pinnedPackage,
  shellQuoted,
} from '@atlas/incus-service';
import {
  binary,
  bool,
  call,
  cond,
  forList,
  forMap,
  get,
  interp,
  literal,
  nil,
  not,
  num,
  object,
  ref,
  str,
  templateParts,
  tpl,
  whenBlock,
  type Expr,
} from '@atlas/hcl';

export const MQTT_PORT = 1883;
export const MQTTS_PORT = 8883;

/** The seeds' sizing, volume and snapshot policy for Mosquitto; the volume holds retained messages. */
export const MOSQUITTO_DEFAULTS = {
  instanceName: 'mosquitto01',
  profileName: 'mosquitto',
  cpu: 1,
  memory: '256MB',
  rootDiskSize: '1GB',
  dataVolume: {
    size: '5GB',
    mountPath: '/mosquitto/data',
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
  // Debian 13 (trixie) main, as `apt-cache policy mosquitto` shows it; step-cli (for the TLS
  // certificate) is from Smallstep's apt repository, a vendor version.
  packageVersions: { mosquitto: '2.0.21-1', 'step-cli': '0.29.0' },
} as const;

/** Smallstep's Debian repository, for step-cli (the CA client). */

export const CONFIG_PATH = '/etc/mosquitto/mosquitto.conf';
export const PASSWORD_FILE = '/etc/mosquitto/passwd';
export const CERT_DIR = '/etc/mosquitto/certs';
/** Plain-text `user:password` lines, root-only, hashed into the password file at first boot and then removed. */
export const USERS_FILE = '/etc/mosquitto/atlas-users';
export const SETUP_SCRIPT = '/usr/local/sbin/atlas-mosquitto-setup';
export const CERTIFICATE_SCRIPT = '/usr/local/sbin/atlas-mosquitto-certificate';
const CERTIFICATE_UNIT = 'atlas-mosquitto-certificate';
/** Listeners that join once their files exist: the MQTTS one, after the first certificate. */
export const LISTENERS_DIR = '/etc/mosquitto/atlas-listeners.d';
/** The MQTTS listener, copied into LISTENERS_DIR by the certificate script. */
export const MQTTS_LISTENER_FILE = '/etc/mosquitto/atlas-mqtts.conf';
const PROVISIONER_PASSWORD_FILE = '/etc/mosquitto/atlas-provisioner-password';
const DATA_DIR = MOSQUITTO_DEFAULTS.dataVolume.mountPath;

const USER_NAME = '^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$';
export const MIN_PASSWORD_LENGTH = 12;
const HTTPS_URL = '^https://[^\\s\'"]+$';
const FINGERPRINT = '^[0-9a-f]{64}$';

/** Rules for the user → password map, on the module variable and on the root variable that feeds it. */
export const usersValidations = (self: Expr): Validation[] => [
  {
    condition: call('alltrue', [
      forList(
        'name',
        call('keys', [self]),
        call('can', [call('regex', [str(USER_NAME), ref('name')])]),
      ),
    ]),
    errorMessage:
      'User names must be letters, digits, ".", "_", "-" and "@" (at most 64), starting with a letter or digit.',
    rejects: { 'bad user': 'correct-horse-battery' },
  },
  {
    condition: call('alltrue', [
      forList(
        'password',
        call('values', [self]),
        binary(
          '&&',
          binary('>=', call('length', [ref('password')]), num(MIN_PASSWORD_LENGTH)),
          not(call('can', [call('regex', [str('[\\r\\n]'), ref('password')])])),
        ),
      ),
    ]),
    errorMessage: `Passwords must be at least ${MIN_PASSWORD_LENGTH} characters on a single line.`,
    rejects: { operator: '<short>' },
  },
];

const tls = (field: string) => get(ref('var.tls'), field);
const hasTls = binary('!=', ref('var.tls'), nil);
const instance = ref('var.instance_name');

/**
 * mosquitto.conf. Blocks end with the blank line that follows them: a strip
 * marker eats the line break after each `%{ … ~}` tag.
 */
const mosquittoConf = templateParts`# Mosquitto broker, configured by Atlas from the module's variables.
# Authentication settings apply to every listener.
per_listener_settings false
${whenBlock(
  ref('authenticated'),
  templateParts`allow_anonymous false
password_file ${PASSWORD_FILE}

`,
  templateParts`allow_anonymous true

`,
)}
# Retained messages and persistent sessions survive restarts on the data volume.
persistence true
persistence_location ${DATA_DIR}/

# systemd passes stderr to the journal, which the log shippers read.
log_dest stderr
log_timestamp false

${whenBlock(
  ref('tls'),
  templateParts`# MQTTS joins once ${CERTIFICATE_UNIT} has a certificate and puts its listener here;
# until then the broker serves plain MQTT instead of failing on missing files.
include_dir ${LISTENERS_DIR}

`,
)}
listener ${MQTT_PORT}
`;

/** The MQTTS listener, enabled by the certificate script once the certificate exists. */
export const MQTTS_LISTENER = `# MQTTS with a certificate from the internal CA, renewed by ${CERTIFICATE_UNIT}.timer.
listener ${MQTTS_PORT}
certfile ${CERT_DIR}/server.crt
keyfile ${CERT_DIR}/server.key
cafile ${CERT_DIR}/ca.crt
`;

/** First boot, after the packages are installed: data folder, password file, certificate, service. */
const setupScript = templateParts`#!/bin/sh
# Prepares Mosquitto on first boot: data folder, password file, TLS certificate.
set -eu

# The data volume may be disabled: the folder must exist either way.
install -d -o mosquitto -g mosquitto -m 0750 ${DATA_DIR}

if [ -s ${USERS_FILE} ]; then
	(umask 077 && : >${PASSWORD_FILE})
	while IFS= read -r entry; do
		mosquitto_passwd -b ${PASSWORD_FILE} "\${entry%%:*}" "\${entry#*:}"
	done <${USERS_FILE}
	chown mosquitto:mosquitto ${PASSWORD_FILE}
	rm -f ${USERS_FILE}
fi

${whenBlock(
  ref('tls'),
  templateParts`install -d -m 0755 ${LISTENERS_DIR}
systemctl daemon-reload
if ! ${CERTIFICATE_SCRIPT}; then
	echo "no TLS certificate yet; ${CERTIFICATE_UNIT}.timer keeps trying" >&2
fi
systemctl enable --now ${CERTIFICATE_UNIT}.timer

`,
)}
systemctl enable mosquitto
systemctl restart mosquitto
`;

/**
 * Gets the server certificate from the CA with a token signed by its JWK
 * provisioner — the CA never connects back, so this works from another
 * network or environment — and gets a new one once two thirds of its lifetime
 * have passed. Trust in the CA comes from the pinned root fingerprint.
 */
const certificateScript = templateParts`#!/bin/sh
# Obtains Mosquitto's TLS certificate from the CA, or a new one when due;
# run at first boot and by ${CERTIFICATE_UNIT}.timer.
set -eu

certs=${CERT_DIR}
hostname=${shellQuoted(ref('hostname'))}
ca_url=${shellQuoted(ref('ca_url'))}
provisioner=${shellQuoted(ref('provisioner'))}
fingerprint=${shellQuoted(ref('ca_fingerprint'))}

if ! command -v step >/dev/null; then
${aptRepositoryInstall(SMALLSTEP_APT_REPOSITORY, [pinnedPackage('step-cli')]).flatMap((line) => [
  literal('\t'),
  ...(typeof line === 'string'
    ? [literal(line)]
    : line.kind === 'template'
      ? line.parts
      : [interp(line)]),
  literal('\n'),
])}fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
install -d -o root -g mosquitto -m 0750 "$certs"

if [ ! -s "$certs/ca.crt" ]; then
	step ca root "$work/ca.crt" --ca-url "$ca_url" --fingerprint "$fingerprint"
	install -o root -g mosquitto -m 0644 "$work/ca.crt" "$certs/ca.crt"
fi

# Exit status 1: the certificate is still fresh; 0: due; 2: none yet.
due=0
step certificate needs-renewal "$certs/server.crt" >/dev/null 2>&1 || due=$?
if [ "$due" -eq 1 ]; then
	exit 0
fi

step ca certificate "$hostname" "$work/server.crt" "$work/server.key" \\
	--ca-url "$ca_url" --root "$certs/ca.crt" --provisioner "$provisioner" \\
	--provisioner-password-file ${PROVISIONER_PASSWORD_FILE} --force
install -o root -g mosquitto -m 0640 "$work/server.key" "$certs/server.key"
install -o root -g mosquitto -m 0644 "$work/server.crt" "$certs/server.crt"
if [ -e ${LISTENERS_DIR}/mqtts.conf ]; then
	# Mosquitto reloads its certificate and key on SIGHUP.
	systemctl reload-or-restart mosquitto
else
	# A new listener needs a restart; MQTT clients reconnect.
	install -m 0644 ${MQTTS_LISTENER_FILE} ${LISTENERS_DIR}/mqtts.conf
	systemctl restart mosquitto
fi
`;

const CERTIFICATE_SERVICE = `[Unit]
Description=Obtain or renew Mosquitto's TLS certificate from the internal CA
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${CERTIFICATE_SCRIPT}
`;

const CERTIFICATE_TIMER = `[Unit]
Description=Check Mosquitto's TLS certificate every 15 minutes

[Timer]
OnBootSec=1min
OnUnitActiveSec=15min
RandomizedDelaySec=1min

[Install]
WantedBy=timers.target
`;

/** S8: Mosquitto, the estate's MQTT broker. */
export const mosquittoModule = incusServiceModule({
  name: 'mosquitto',
  package: packageInfo(import.meta.url),
  description:
    'Mosquitto MQTT broker in an Incus system container: MQTT on 1883 and, with a certificate authority, MQTTS on 8883 with an ACME certificate renewed on a timer; password-file authentication from a sensitive user map; retained messages on a persistent volume; proxy devices publish the ports in bridge mode.',
  defaults: MOSQUITTO_DEFAULTS,
  // Debian's package starts mosquitto at install, as this account, on the root-owned volume.
  dataOwner: { unit: 'mosquitto', user: 'mosquitto', group: 'mosquitto' },
  proxyDevices: true,
  variables: {
    users: variable({
      type: T.map(T.string),
      description:
        'MQTT users and their passwords (user name → password), hashed into the password file at first boot. With no users the broker accepts anonymous clients.',
      default: {},
      sensitive: true,
      validations: usersValidations,
    }),
    tls: variable({
      type: T.object({ ca_url: T.string, provisioner: T.string, ca_fingerprint: T.string }),
      description:
        'Serve MQTTS with a certificate from a step-ca CA: its base URL (one this broker can reach), the JWK provisioner it signs requests with (password in tls_provisioner_password) and the root certificate fingerprint (pinned to trust it); null for plain MQTT only. MQTT is served while the certificate is pending.',
      default: null,
      validations: (self): Validation[] => [
        {
          condition: cond(
            binary('==', self, nil),
            bool(true),
            call('can', [call('regex', [str(HTTPS_URL), get(self, 'ca_url')])]),
          ),
          errorMessage: 'Must be null, or have "ca_url" as an https:// URL.',
          rejects: {
            ca_url: 'http://step-ca01.incus:9000',
            provisioner: 'services',
            ca_fingerprint: 'ab'.repeat(32),
          },
        },
        {
          condition: cond(
            binary('==', self, nil),
            bool(true),
            call('can', [call('regex', [str(FINGERPRINT), get(self, 'ca_fingerprint')])]),
          ),
          errorMessage:
            'Must be null, or have "ca_fingerprint" as a SHA-256 fingerprint: 64 lower-case hexadecimal digits.',
          rejects: {
            ca_url: 'https://step-ca01.incus:9000',
            provisioner: 'services',
            ca_fingerprint: 'ABC',
          },
        },
      ],
    }),
    tls_provisioner_password: variable({
      type: T.string,
      description:
        "Password of the CA's JWK provisioner named in tls.provisioner (the step-ca module's service_provisioner_password); needed with tls.",
      sensitive: true,
      default: null,
    }),
  },
  build: (v) => ({
    locals: {
      listener_ports: {
        value: call('merge', [
          object({ mqtt: num(MQTT_PORT) }),
          cond(hasTls, object({ mqtts: num(MQTTS_PORT) }), object({})),
        ]),
        comment: 'Listeners inside the container; MQTTS only with a certificate authority.',
      },
      external_ports: {
        value: forMap(
          ['name', 'port'],
          ref('local.listener_ports'),
          ref('name'),
          call('try', [
            call('tonumber', [
              call('regex', [
                str('[0-9]+$'),
                get(ref('var.proxy_devices'), tpl`${ref('name')}-tcp`, 'listen'),
              ]),
            ]),
            ref('port'),
          ]),
        ),
        comment:
          'Where clients outside reach each listener: the host port of its proxy device ("<listener>-tcp", bridge mode), else the listener itself.',
      },
      authenticated: {
        value: binary('>', call('length', [v.users]), num(0)),
        comment: 'With no users the broker takes anonymous clients and has no password file.',
      },
      mosquitto_conf: call('templatefile', [
        tpl`${ref('path.module')}/templates/mosquitto.conf.tftpl`,
        object({ authenticated: ref('local.authenticated'), tls: hasTls }),
      ]),
      setup_script: call('templatefile', [
        tpl`${ref('path.module')}/templates/atlas-mosquitto-setup.sh.tftpl`,
        object({ tls: hasTls }),
      ]),
      certificate_script: cond(
        hasTls,
        call('templatefile', [
          tpl`${ref('path.module')}/templates/atlas-mosquitto-certificate.sh.tftpl`,
          object({
            hostname: tpl`${v.instance_name}.incus`,
            package_versions: ref('var.package_versions'),
            ca_url: tls('ca_url'),
            provisioner: tls('provisioner'),
            ca_fingerprint: tls('ca_fingerprint'),
          }),
        ]),
        str(''),
      ),
    },
    templates: {
      'templates/mosquitto.conf.tftpl': mosquittoConf,
      'templates/atlas-mosquitto-setup.sh.tftpl': setupScript,
      'templates/atlas-mosquitto-certificate.sh.tftpl': certificateScript,
    },
    cloudInit: {
      config: {
        packages: ['mosquitto', 'ca-certificates', 'curl', 'gnupg'],
        writeFiles: [
          {
            path: USERS_FILE,
            content: ref('users'),
            permissions: '0600',
            when: ref('authenticated'),
          },
          // After the package is installed, so dpkg never asks about its own mosquitto.conf.
          { path: CONFIG_PATH, content: ref('mosquitto_conf'), defer: true },
          { path: SETUP_SCRIPT, content: ref('setup_script'), permissions: '0755' },
          {
            path: CERTIFICATE_SCRIPT,
            content: ref('certificate_script'),
            permissions: '0755',
            when: ref('tls'),
          },
          {
            path: PROVISIONER_PASSWORD_FILE,
            content: ref('provisioner_password'),
            permissions: '0600',
            when: ref('tls'),
          },
          { path: MQTTS_LISTENER_FILE, content: MQTTS_LISTENER, when: ref('tls') },
          {
            path: `/etc/systemd/system/${CERTIFICATE_UNIT}.service`,
            content: CERTIFICATE_SERVICE,
            when: ref('tls'),
          },
          {
            path: `/etc/systemd/system/${CERTIFICATE_UNIT}.timer`,
            content: CERTIFICATE_TIMER,
            when: ref('tls'),
          },
        ],
        runcmd: [SETUP_SCRIPT],
      },
      vars: {
        authenticated: ref('local.authenticated'),
        users: call('join', [
          str(''),
          forList(['name', 'password'], v.users, tpl`${ref('name')}:${ref('password')}\n`),
        ]),
        mosquitto_conf: ref('local.mosquitto_conf'),
        setup_script: ref('local.setup_script'),
        tls: hasTls,
        certificate_script: ref('local.certificate_script'),
        provisioner_password: cond(
          binary('==', v.tls_provisioner_password, nil),
          str(''),
          v.tls_provisioner_password,
        ),
      },
    },
    outputs: {
      mqtt_endpoint: output({
        description: 'Internal MQTT endpoint.',
        value: tpl`mqtt://${instance}.incus:${MQTT_PORT}`,
        type: T.string,
      }),
      mqtts_endpoint: output({
        description: 'Internal MQTTS endpoint, or null without TLS.',
        value: cond(hasTls, tpl`mqtts://${instance}.incus:${MQTTS_PORT}`, nil),
        type: T.string,
      }),
      external_ports: output({
        description:
          'Port clients outside reach each listener on (mqtt, and mqtts with TLS): the host port in bridge mode, the listener port otherwise.',
        value: ref('local.external_ports'),
        type: T.map(T.number),
      }),
    },
  }),
});
