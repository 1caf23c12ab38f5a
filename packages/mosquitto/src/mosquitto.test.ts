import { testNetwork } from '@atlas/testing';
import { T, envVariable, type NetworkAttachment } from '@atlas/core';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr, ref } from '@atlas/hcl';
import { previewModule, previewModuleCall, type ModulePreview } from '@atlas/preview';
import { checkCloudInit, checkContent, hasChecker, runChecker, verifyTree } from '@atlas/verify';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_PATH,
  MOSQUITTO_DEFAULTS,
  mosquitto,
  mosquittoConfigSchema,
  mosquittoModule,
  type CertificateAuthority,
} from './index.js';
import {
  CERTIFICATE_SCRIPT,
  LISTENERS_DIR,
  MQTTS_LISTENER_FILE,
  SETUP_SCRIPT,
  USERS_FILE,
} from './module.js';

const attach = (mode: NetworkAttachment['mode']) => testNetwork(mode, 'production');
const network = attach('bridge');

const ca: CertificateAuthority = {
  name: 'step-ca01',
  acme: {
    directoryUrl: ref('module.step_ca01.acme_directory_url'),
    caUrl: ref('module.step_ca01.ca_url'),
  },
  rootFingerprint: envVariable('step_ca01_root_fingerprint', {
    type: T.string,
    description: 'Root fingerprint of step-ca01.',
  }),
  provisioner: {
    name: 'services',
    password: envVariable('step_ca01_service_provisioner_password', {
      type: T.string,
      description: 'Password of the services provisioner of step-ca01.',
      sensitive: true,
    }),
  },
};

// Module inputs as an environment would resolve them.
const users = { sensor: 'correct horse battery', dashboard: "it's: a 'secret'" };
const tls = {
  ca_url: 'https://step-ca01.incus:9000',
  provisioner: 'services',
  ca_fingerprint: 'ab'.repeat(32),
};
const tls_provisioner_password = 'a provisioner password';
const base = { profiles: ['base', 'production'] };
const plain = () => previewModule(mosquittoModule, base);
const secured = () =>
  previewModule(mosquittoModule, { ...base, users, tls, tls_provisioner_password });

/** A builder's module call previewed with the users and CA outputs an applied environment has. */
const previewCall = (m: ReturnType<typeof mosquitto>) =>
  previewModule(mosquittoModule, {
    ...Object.fromEntries(m.args),
    ...(m.args.has('users') ? { users } : {}),
    ...(m.args.has('tls') ? { tls, tls_provisioner_password } : {}),
  });

const fileOf = (preview: ModulePreview, path: string) => {
  const file = preview.files.get(path);
  if (!file) throw new Error(`cloud-init writes no ${path}`);
  return file.content;
};

describe('mosquitto defaults', () => {
  it("carry the seeds' sizing, volume and snapshot policy", () => {
    const c = mosquittoConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'mosquitto01',
      profileName: 'mosquitto',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
      allowAnonymous: false,
      hostPorts: { mqtt: 1883, mqtts: 8883 },
    });
    expect(c.data).toMatchObject({
      enabled: true,
      size: '5GB',
      snapshots: { enabled: false, schedule: '@daily', expiry: '7d' },
    });
    // No users and no TLS unless the builder passes them (a sensitive root variable, a CA).
    const v = mosquittoModule.variables;
    expect([v.users.default, v.tls.default]).toEqual([{}, null]);
  });

  it('mount the data volume at /mosquitto/data and persist retained messages there', () => {
    const preview = plain();
    const devices = preview.resources['incus_profile.service']!.device as Array<{
      name: string;
      properties: Record<string, string>;
    }>;
    expect(devices.find((d) => d.name === 'data')?.properties.path).toBe(
      MOSQUITTO_DEFAULTS.dataVolume.mountPath,
    );
    expect(fileOf(preview, CONFIG_PATH)).toContain(
      'persistence true\npersistence_location /mosquitto/data/\n',
    );
    // Created at boot even without the volume.
    const noVolume = previewModule(mosquittoModule, { ...base, enable_data_persistence: false });
    expect(noVolume.resources['incus_storage_volume.data[0]']).toBeUndefined();
    expect(fileOf(noVolume, SETUP_SCRIPT)).toContain(
      'install -d -o mosquitto -g mosquitto -m 0750 /mosquitto/data',
    );
  });
});

describe('mosquitto validation', () => {
  it.each([
    [{ cpu: 0 }, 'cpu_limit', 0, 'whole number of CPUs'],
    [{ memory: '256 MB' }, 'memory_limit', '256 MB', 'size such as 512MB'],
    [{ data: { snapshots: { expiry: 'a week' } } }, 'snapshot_expiry', 'a week', 'Incus expiry'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => mosquitto({ network, ...bad } as never)).toThrow(new RegExp(message, 'i'));
    const preview = previewModule(mosquittoModule, { ...base, [variable]: value });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`, 'i'),
    );
  });

  it('rejects host ports out of range or shared by both listeners, and a CA that is not one', () => {
    expect(() => mosquitto({ network, hostPorts: { mqtt: 70000 } })).toThrow(
      /mosquitto01\.hostPorts\.mqtt: expected a port number/,
    );
    expect(() => mosquitto({ network, tls: { ca }, hostPorts: { mqtts: 1883 } })).toThrow(
      /mosquitto01\.hostPorts\.mqtts: expected a host port other than the MQTT one/,
    );
    expect(() =>
      mosquitto({ network, tls: { ca: 'https://step-ca01.incus:9000' as never } }),
    ).toThrow(/mosquitto01\.tls\.ca: expected a certificate authority/);
    const preview = previewModule(mosquittoModule, {
      ...base,
      proxy_devices: { 'mqtt-tcp': { listen: '0.0.0.0:1883', connect: 'tcp:127.0.0.1:1883' } },
    });
    expect(preview.validationErrors.join('\n')).toMatch(/var\.proxy_devices: .*tcp:ADDRESS:PORT/);
  });

  it.each([
    [{ users: { 'bad:name': 'long enough secret' } }, /var\.users: User names must be/],
    [{ users: { sensor: 'short' } }, /var\.users: Passwords must be at least 12 characters/],
    [{ users: { sensor: 'two\nlines password' } }, /var\.users: Passwords must be .* single line/],
    [{ tls: { ...tls, ca_url: 'http://step-ca01.incus:9000' } }, /var\.tls: .*https:\/\/ URL/],
    [{ tls: { ...tls, ca_fingerprint: 'AB'.repeat(32) } }, /var\.tls: .*SHA-256 fingerprint/],
  ])('rejects %j in the module (values only the environment holds)', (bad, message) => {
    const preview = previewModule(mosquittoModule, { ...base, ...bad });
    expect(preview.validationErrors.join('\n')).toMatch(message);
  });
});

describe('mosquitto users', () => {
  it('come from a sensitive root variable and never reach generated files', () => {
    const m = mosquitto({ network });
    expect(m.users).toMatchObject({ name: 'mosquitto01_users', spec: { sensitive: true } });
    expect(m.options.inputs).toContain(m.users);
    expect(printExpr(m.args.get('users')!)).toBe('var.mosquitto01_users');
    expect(mosquittoModule.variables.users.sensitive).toBe(true);
    const rendered = [...renderModules([mosquittoModule]).values()].join('\n');
    expect(rendered).not.toContain('correct horse');
  });

  it('are hashed into the password file at boot from a root-only file', () => {
    const preview = secured();
    expect(preview.files.get(USERS_FILE)).toEqual({
      // OpenTofu maps iterate in key order.
      content: `dashboard:${users.dashboard}\nsensor:${users.sensor}\n`,
      permissions: '0600',
    });
    const conf = fileOf(preview, CONFIG_PATH);
    expect(conf).toContain('allow_anonymous false\npassword_file /etc/mosquitto/passwd\n');
    expect(fileOf(preview, SETUP_SCRIPT)).toContain(
      'mosquitto_passwd -b /etc/mosquitto/passwd "${entry%%:*}" "${entry#*:}"',
    );
  });

  it('are required unless the broker is anonymous, which has no password file', () => {
    const users = mosquitto({ network }).users!;
    expect(users.spec.validations?.(ref('var.x')).map((v) => v.errorMessage)).toContain(
      'Must hold at least one user (or build the broker with allowAnonymous).',
    );
    const anonymous = mosquitto({ network, allowAnonymous: true });
    expect(anonymous.users).toBeUndefined();
    expect(anonymous.args.has('users')).toBe(false);
    expect(anonymous.options.inputs).toEqual([]);
    const preview = previewModuleCall(anonymous);
    expect(fileOf(preview, CONFIG_PATH)).toContain('allow_anonymous true\n');
    expect(fileOf(preview, CONFIG_PATH)).not.toContain('password_file');
    expect(preview.files.has(USERS_FILE)).toBe(false);
  });
});

describe('mosquitto listeners', () => {
  const proxies = (m: ReturnType<typeof mosquitto>) =>
    (
      previewCall(m).resources['incus_profile.service']!.device as Array<{
        name: string;
        type: string;
        properties: Record<string, string>;
      }>
    )
      .filter((d) => d.type === 'proxy')
      .map((d) => [d.name, d.properties.listen, d.properties.connect]);

  it('publish MQTT, and MQTTS with TLS, through proxy devices in bridge mode only', () => {
    expect(proxies(mosquitto({ network, allowAnonymous: true }))).toEqual([
      ['mqtt-tcp', 'tcp:0.0.0.0:1883', 'tcp:127.0.0.1:1883'],
    ]);
    expect(proxies(mosquitto({ network, tls: { ca }, hostPorts: { mqtt: 11883 } }))).toEqual([
      ['mqtt-tcp', 'tcp:0.0.0.0:11883', 'tcp:127.0.0.1:1883'],
      ['mqtts-tcp', 'tcp:0.0.0.0:8883', 'tcp:127.0.0.1:8883'],
    ]);
    expect(proxies(mosquitto({ network: attach('physical'), tls: { ca } }))).toEqual([]);
    expect(proxies(mosquitto({ network: attach('ovn'), tls: { ca } }))).toEqual([]);
  });

  it('report endpoints and the ports clients outside connect to', () => {
    expect(plain().outputs).toMatchObject({
      mqtt_endpoint: 'mqtt://mosquitto01.incus:1883',
      mqtts_endpoint: null,
      external_ports: { mqtt: 1883 },
    });
    const bridged = previewCall(
      mosquitto({ network, tls: { ca }, hostPorts: { mqtt: 11883, mqtts: 18883 } }),
    );
    expect(bridged.outputs).toMatchObject({
      mqtts_endpoint: 'mqtts://mosquitto01.incus:8883',
      external_ports: { mqtt: 11883, mqtts: 18883 },
    });
    const direct = previewCall(mosquitto({ network: attach('physical'), tls: { ca } }));
    expect(direct.outputs.external_ports).toEqual({ mqtt: 1883, mqtts: 8883 });
  });

  it('make the broker a TCP service an OVN load balancer can front', () => {
    const m = mosquitto({ name: 'mosquitto02', network: attach('ovn'), tls: { ca } });
    expect(m.name).toBe('mosquitto02');
    expect(m.ports.map((p) => [p.name, p.protocol, p.port])).toEqual([
      ['mqtt', 'tcp', 1883],
      ['mqtts', 'tcp', 8883],
    ]);
    expect(printExpr(m.address)).toBe('module.mosquitto02.ipv4_address');
  });
});

describe('mosquitto TLS', () => {
  it('takes the CA as a typed instance and pins its root fingerprint from a root variable', () => {
    const m = mosquitto({ network, tls: { ca } });
    expect(m.options.inputs).toEqual([m.users, ca.rootFingerprint, ca.provisioner!.password]);
    expect(printExpr(m.args.get('tls')!)).toBe(
      [
        '{',
        '  ca_url         = module.step_ca01.ca_url',
        '  provisioner    = "services"',
        '  ca_fingerprint = var.step_ca01_root_fingerprint',
        '}',
      ].join('\n'),
    );
    expect(printExpr(m.args.get('tls_provisioner_password')!)).toBe(
      'var.step_ca01_service_provisioner_password',
    );
    const { provisioner: _, ...acmeOnly } = ca;
    expect(() => mosquitto({ network, tls: { ca: acmeOnly } })).toThrow(
      /mosquitto01\.tls\.ca: expected a CA with a service provisioner/,
    );
  });

  it('serves MQTT at once and adds the MQTTS listener once a token-signed certificate is in, renewed on a timer', () => {
    const preview = secured();
    const conf = fileOf(preview, CONFIG_PATH);
    expect(conf).toContain(`include_dir ${LISTENERS_DIR}\n`);
    expect(conf).not.toContain('listener 8883');
    expect(fileOf(preview, MQTTS_LISTENER_FILE)).toContain(
      [
        'listener 8883',
        'certfile /etc/mosquitto/certs/server.crt',
        'keyfile /etc/mosquitto/certs/server.key',
        'cafile /etc/mosquitto/certs/ca.crt',
      ].join('\n'),
    );
    expect(fileOf(preview, '/etc/mosquitto/atlas-provisioner-password')).toBe(
      tls_provisioner_password,
    );
    const script = fileOf(preview, CERTIFICATE_SCRIPT);
    expect(script).toContain(`fingerprint='${tls.ca_fingerprint}'`);
    expect(script).toContain(
      'step ca root "$work/ca.crt" --ca-url "$ca_url" --fingerprint "$fingerprint"',
    );
    expect(script).toContain("provisioner='services'");
    expect(script).toContain("hostname='mosquitto01.incus'");
    // A signed token: the CA never connects back, so this works from another environment.
    expect(script).toContain('--provisioner "$provisioner"');
    expect(script).not.toContain('--acme');
    expect(script).toContain(`install -m 0644 ${MQTTS_LISTENER_FILE} ${LISTENERS_DIR}/mqtts.conf`);
    expect(script).toContain('https://packages.smallstep.com/stable/debian debs main');
    // Smallstep's step-cli is pinned like the Debian packages (package_versions).
    expect(script).toContain(
      '\tDEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold step-cli=0.29.0\n',
    );
    expect(fileOf(preview, '/etc/systemd/system/atlas-mosquitto-certificate.timer')).toContain(
      'OnUnitActiveSec=15min',
    );
    expect(fileOf(preview, SETUP_SCRIPT)).toContain(
      'systemctl enable --now atlas-mosquitto-certificate.timer',
    );

    const without = plain();
    expect(fileOf(without, CONFIG_PATH)).not.toContain('listener 8883');
    expect([...without.files.keys()].filter((p) => p.includes('certificate'))).toEqual([]);
    expect(fileOf(without, SETUP_SCRIPT)).not.toContain('atlas-mosquitto-certificate');
  });
});

describe('the mosquitto module', () => {
  it('is valid, tofu-fmt exact OpenTofu', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-mosquitto-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([mosquittoModule]));
      expect(await verifyTree(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("installs Debian's mosquitto and writes its configuration once the package is in", () => {
    const userData = plain().cloudInit!;
    // Pinned to the Debian 13 version it was tested with, so a rebuild installs the same.
    expect(userData).toMatch(/packages:\n {2}- "mosquitto=2\.0\.21-1"\n/);
    expect(userData).toMatch(/- path: \/etc\/mosquitto\/mosquitto.conf\n.*\n {2}defer: true/);
    expect(userData).toContain(`runcmd:\n  - ${SETUP_SCRIPT}\n`);
  });

  it.skipIf(!hasChecker('cloud-init'))(
    'user-data passes cloud-init schema, with and without TLS',
    () => {
      for (const preview of [plain(), secured()]) {
        const result = checkCloudInit(preview.cloudInit!);
        expect(result.stdout + result.stderr).toContain('Valid cloud-config');
      }
    },
  );

  it.skipIf(!hasChecker('shellcheck'))('boot scripts pass shellcheck', () => {
    const scripts = [
      fileOf(plain(), SETUP_SCRIPT),
      fileOf(secured(), SETUP_SCRIPT),
      fileOf(secured(), CERTIFICATE_SCRIPT),
    ];
    for (const script of scripts) {
      const result = checkContent('shellcheck', script, (f) => [f]);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});

// ---- mosquitto.conf, run for real ------------------------------------------------------------

/** The installed program's path (mosquitto lives in /usr/sbin, often not on a user's PATH). */
function programPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start mosquitto on `conf`; after `ms` report whether it still runs, then always stop it. */
async function runBroker(
  conf: string,
  probe: () => Promise<void>,
  ms = 1000,
): Promise<{ running: boolean; exitCode: number | null; output: string }> {
  const broker = spawn(programPath('mosquitto')!, ['-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  broker.stdout.on('data', (d) => (output += d));
  broker.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    broker.once('exit', (code) => resolve(code)),
  );
  try {
    await Promise.race([sleep(ms), exited]);
    const running = broker.exitCode === null && broker.signalCode === null;
    if (running) await probe();
    return { running, exitCode: broker.exitCode, output };
  } finally {
    if (broker.exitCode === null && broker.signalCode === null) {
      broker.kill('SIGTERM');
      await exited;
    }
  }
}

const tcpAccepts = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });

const tlsHandshake = (port: number, ca: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
      const { CN } = socket.getPeerCertificate().subject;
      socket.end();
      resolve(String(CN));
    });
    socket.once('error', reject);
  });

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasChecker('mosquitto') || !hasOpenssl)('mosquitto.conf run by mosquitto', () => {
  /**
   * The rendered file with only what ties it to the container rewritten:
   * listeners on loopback and free ports, files in a scratch folder.
   */
  function localCopy(conf: string, dir: string, ports: { mqtt: number; mqtts: number }): string {
    return conf
      .replace(/^listener 1883$/m, `listener ${ports.mqtt} 127.0.0.1`)
      .replace(/^listener 8883$/m, `listener ${ports.mqtts} 127.0.0.1`)
      .replace(/^persistence_location .*$/m, `persistence_location ${dir}/data/`)
      .replace(/^password_file .*$/m, `password_file ${dir}/passwd`)
      .replace(/^certfile .*$/m, `certfile ${dir}/server.crt`)
      .replace(/^keyfile .*$/m, `keyfile ${dir}/server.key`)
      .replace(/^cafile .*$/m, `cafile ${dir}/server.crt`)
      .replace(/^include_dir .*$/m, `include_dir ${dir}/listeners.d`);
  }

  /** Scratch folder the broker can read even after dropping root privileges to its own user. */
  function scratch(): string {
    const dir = mkdtempSync(join(tmpdir(), 'atlas-mosquitto-run-'));
    execFileSync('mkdir', ['-m', '0777', join(dir, 'data')]);
    chmodSync(dir, 0o755);
    return dir;
  }

  it('serves MQTT while the certificate is pending, then MQTTS too, with a password file', async () => {
    const dir = scratch();
    try {
      const preview = secured();
      // The password file as the setup script builds it, from the users file.
      writeFileSync(join(dir, 'passwd'), '');
      for (const entry of fileOf(preview, USERS_FILE).trimEnd().split('\n')) {
        const at = entry.indexOf(':');
        execFileSync('mosquitto_passwd', [
          '-b',
          join(dir, 'passwd'),
          entry.slice(0, at),
          entry.slice(at + 1),
        ]);
      }
      expect(readFileSync(join(dir, 'passwd'), 'utf8')).toMatch(/^dashboard:\$7\$.*\nsensor:\$7\$/);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'server.key'),
          '-out',
          join(dir, 'server.crt'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      for (const f of ['passwd', 'server.key', 'server.crt']) chmodSync(join(dir, f), 0o644);
      const ports = { mqtt: await freePort(), mqtts: await freePort() };
      const conf = join(dir, 'mosquitto.conf');
      writeFileSync(conf, localCopy(fileOf(preview, CONFIG_PATH), dir, ports));
      execFileSync('mkdir', ['-m', '0755', join(dir, 'listeners.d')]);

      // While the certificate is pending (another environment's CA not reached yet): plain MQTT only.
      let mqttsRefused = false;
      const waiting = await runBroker(conf, async () => {
        await tcpAccepts(ports.mqtt);
        mqttsRefused = await tcpAccepts(ports.mqtts).then(
          () => false,
          () => true,
        );
      });
      expect(waiting.running).toBe(true);
      expect(mqttsRefused).toBe(true);

      // The certificate script's last step: the MQTTS listener joins.
      writeFileSync(
        join(dir, 'listeners.d', 'mqtts.conf'),
        localCopy(fileOf(preview, MQTTS_LISTENER_FILE), dir, ports),
      );
      const certificate = readFileSync(join(dir, 'server.crt'), 'utf8');
      let peer = '';
      const run = await runBroker(conf, async () => {
        await tcpAccepts(ports.mqtt);
        peer = await tlsHandshake(ports.mqtts, certificate);
      });
      expect(run.output).not.toMatch(/error/i);
      expect(run.running).toBe(true);
      expect(peer).toBe('localhost');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves anonymous MQTT without TLS', async () => {
    const dir = scratch();
    try {
      const port = await freePort();
      const conf = join(dir, 'mosquitto.conf');
      writeFileSync(conf, localCopy(fileOf(plain(), CONFIG_PATH), dir, { mqtt: port, mqtts: 0 }));
      const run = await runBroker(conf, () => tcpAccepts(port));
      expect(run.running).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero on a broken configuration', () => {
    const dir = scratch();
    try {
      const conf = join(dir, 'broken.conf');
      writeFileSync(
        conf,
        localCopy(fileOf(plain(), CONFIG_PATH), dir, { mqtt: 1, mqtts: 2 }).replace(
          'persistence true',
          'persistance true',
        ),
      );
      const result = runChecker('mosquitto', ['-c', conf]);
      expect(result.stderr + result.stdout).toMatch(/Unknown configuration variable "persistance"/);
      expect(result.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
