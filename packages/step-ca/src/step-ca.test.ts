import { testNetwork } from '@atlas/testing';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr, str } from '@atlas/hcl';
import { evaluate, previewModule, previewModuleCall, type ModulePreview } from '@atlas/preview';
import {
  checkCloudInit,
  checkContent,
  hasChecker,
  summarizeModule,
  verifyTree,
} from '@atlas/verify';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ROOT_CERTIFICATE_PATH,
  STEP_CA_DEFAULTS,
  rootFingerprint,
  stepCa,
  stepCaConfigSchema,
  stepCaModule,
} from './index.js';

const network = testNetwork();

const INIT_SCRIPT = '/usr/local/sbin/atlas-step-ca-init';
const base = { profiles: ['base', 'management'], ca_password: 'a long CA key password' };
const preview = (inputs: Record<string, unknown> = {}) =>
  previewModule(stepCaModule, { ...base, ...inputs });

const fileOf = (p: ModulePreview, path: string) => {
  const file = p.files.get(path);
  if (!file) throw new Error(`cloud-init writes no ${path}`);
  return file.content;
};

describe('step-ca defaults', () => {
  it("carry the seeds' sizing, volume, snapshot policy and CA settings", () => {
    const c = stepCaConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'step-ca01',
      profileName: 'step-ca',
      cpu: 1,
      memory: '512MB',
      rootDiskSize: '1GB',
      caName: 'Atlas Internal CA',
      acmeProvisioner: 'acme',
      certDuration: '24h',
      maxCertDuration: '24h',
      port: 9000,
    });
    expect(c.data).toMatchObject({
      enabled: true,
      size: '1GB',
      snapshots: { enabled: false, schedule: '@weekly', expiry: '4w' },
    });
  });

  it('serve ACME at https://step-ca01.incus:9000 with the seeded DNS names, keeping STEPPATH on the volume', () => {
    const p = preview();
    expect(p.validationErrors).toEqual([]);
    expect(p.outputs).toMatchObject({
      ca_url: 'https://step-ca01.incus:9000',
      acme_directory_url: 'https://step-ca01.incus:9000/acme/acme/directory',
      health_url: 'https://step-ca01.incus:9000/health',
      fingerprint_command: 'incus exec step-ca01 -- cat /home/step/fingerprint',
      root_certificate_path: ROOT_CERTIFICATE_PATH,
    });
    expect(p.locals.dns_names).toEqual(['step-ca01.incus', 'step-ca01', 'localhost']);
    const devices = p.resources['incus_profile.service']!.device as Array<{
      name: string;
      properties: Record<string, string>;
    }>;
    expect(devices.find((d) => d.name === 'data')?.properties.path).toBe(
      STEP_CA_DEFAULTS.dataVolume.mountPath,
    );
  });
});

describe('step-ca validation', () => {
  it.each([
    [{ cpu: 65 }, 'cpu_limit', 65, 'whole number of CPUs'],
    [{ memory: '512M' }, 'memory_limit', '512M', 'size such as 512MB'],
    [{ caName: 'Atlas\nCA' }, 'ca_name', 'Atlas\nCA', 'without control characters'],
    [{ dnsNames: ['step ca'] }, 'dns_names', ['step ca'], 'DNS name'],
    [{ dnsNames: [] }, 'dns_names', [], 'DNS name'],
    [{ acmeProvisioner: 'acme/x' }, 'acme_provisioner', 'acme/x', 'letters, digits'],
    [{ certDuration: '1d' }, 'cert_duration', '1d', 'Go syntax'],
    [{ certDuration: '4m' }, 'cert_duration', '4m', 'at least 5m'],
    [{ maxCertDuration: '24' }, 'max_cert_duration', '24', 'Go syntax'],
    [{ port: 0 }, 'port', 0, 'port number'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => stepCa({ network, ...bad } as never)).toThrow(new RegExp(message, 'i'));
    const p = preview({ [variable]: value });
    expect(p.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`, 'i'),
    );
  });

  it('rejects a default certificate lifetime above the maximum', () => {
    expect(() => stepCa({ network, certDuration: '48h' })).toThrow(
      /step-ca01\.certDuration: expected at most maxCertDuration \(24h\)/,
    );
    expect(() => stepCa({ network, certDuration: '1h30m', maxCertDuration: '90m' })).not.toThrow();
  });

  it('rejects a short CA password in the module and in the root variable that feeds it', () => {
    expect(preview({ ca_password: 'short' }).validationErrors.join('\n')).toMatch(
      /var\.ca_password: Must be at least 16 characters/,
    );
    const password = stepCa({ network }).caPassword;
    expect(password.spec.validations?.(password.ref).map((v) => v.errorMessage)).toEqual([
      'Must be at least 16 characters.',
    ]);
  });

  it('accepts only a lower-case SHA-256 fingerprint for the root, in zod and in HCL', () => {
    const good = 'ab'.repeat(32);
    const holds = (value: string) =>
      evaluate(rootFingerprint.validation(str(value)).condition, { lookup: () => undefined });
    expect(rootFingerprint.schema.safeParse(good).success).toBe(true);
    expect(holds(good)).toBe(true);
    for (const bad of ['AB'.repeat(32), 'ab'.repeat(31), `${'ab'.repeat(31)}zz`]) {
      expect(rootFingerprint.schema.safeParse(bad).success).toBe(false);
      expect(holds(bad)).toBe(false);
    }
  });
});

describe('stepCa()', () => {
  it('keeps the CA password in a sensitive root variable and passes it as a reference', () => {
    const ca = stepCa({ network });
    expect(ca.caPassword).toMatchObject({ name: 'step_ca01_password', spec: { sensitive: true } });
    expect(ca.options.inputs).toEqual([ca.caPassword]);
    expect(printExpr(ca.args.get('ca_password')!)).toBe('var.step_ca01_password');
    const rendered = [...renderModules([stepCaModule]).values()].join('\n');
    expect(rendered).not.toContain(base.ca_password);
  });

  it('is a certificate authority other services take as a typed input', () => {
    const ca = stepCa({ name: 'step-ca02', network });
    expect(ca.name).toBe('step_ca02');
    expect(printExpr(ca.acme.directoryUrl)).toBe('module.step_ca02.acme_directory_url');
    expect(printExpr(ca.acme.caUrl)).toBe('module.step_ca02.ca_url');
    expect(ca.rootFingerprint).toMatchObject({
      name: 'step_ca02_root_fingerprint',
      spec: { rules: [rootFingerprint] },
    });
    expect(ca.rootFingerprint.spec.sensitive).toBeUndefined();
    expect(ca.rootFingerprint.spec.description).toContain(
      'incus exec step-ca02 -- cat /home/step/fingerprint',
    );
  });

  it('writes only the settings that differ from the module defaults', () => {
    const keys = (config: Parameters<typeof stepCa>[0]) =>
      [...stepCa(config).args.keys()].filter(
        (k) =>
          !['instance_name', 'profiles', 'cpu_limit', 'memory_limit', 'ca_password'].includes(k),
      );
    expect(keys({ network })).toEqual([]);
    expect(keys({ network, dnsNames: ['ca.example.com'], port: 443, certDuration: '1h' })).toEqual([
      'dns_names',
      'cert_duration',
      'port',
    ]);
  });
});

describe('step-ca first boot', () => {
  it("installs step-ca and step-cli from Smallstep's repository and runs the CA as a systemd unit", () => {
    const userData = preview().cloudInit!;
    expect(userData).toContain(
      'curl -fsSL https://packages.smallstep.com/keys/apt/repo-signing-key.gpg | gpg --dearmor -o /etc/apt/keyrings/smallstep.gpg',
    );
    expect(userData).toContain(
      'echo "deb [signed-by=/etc/apt/keyrings/smallstep.gpg] https://packages.smallstep.com/stable/debian debs main"',
    );
    expect(userData).toContain(
      'apt-get install -y -o Dpkg::Options::=--force-confold step-ca=0.29.0 step-cli=0.29.0',
    );
    expect(userData).toMatch(
      /- \/usr\/local\/sbin\/atlas-step-ca-init\n.*daemon-reload\n.*enable --now step-ca\n/,
    );
    const unit = fileOf(preview(), '/etc/systemd/system/step-ca.service');
    expect(unit).toContain(
      'ExecStart=/usr/bin/step-ca /home/step/config/ca.json --password-file=/etc/step-ca/password',
    );
    expect(unit).toContain('User=step');
  });

  it('writes the password root-only readable by the step user, from the sensitive variable', () => {
    expect(preview().files.get('/etc/step-ca/password')).toEqual({
      content: base.ca_password,
      permissions: '0640',
    });
    expect(preview().cloudInit).toMatch(
      /owner: root:step\n {2}permissions: "0640"\n {2}defer: true/,
    );
  });

  it('initialises the CA non-interactively, adds the ACME provisioner and sets the certificate lifetimes', () => {
    const script = fileOf(
      preview({
        instance_name: 'step-ca02',
        ca_name: "Bob's CA",
        acme_provisioner: 'devices',
        cert_duration: '12h',
        max_cert_duration: '168h',
        port: 8443,
      }),
      INIT_SCRIPT,
    );
    expect(script).toContain('if [ ! -s "$config" ]; then\n\tas_step step ca init \\');
    expect(script).toContain("--dns 'step-ca02.incus,step-ca02,localhost'");
    expect(script).toContain("--address ':8443'");
    expect(script).toContain('--provisioner admin');
    expect(script).toContain('--password-file "$password_file"');
    expect(script).toContain("as_step step ca provisioner add 'devices' --type ACME");
    expect(script).toContain("--arg default '12h'");
    expect(script).toContain("--arg max '168h'");
    expect(script).toContain(
      '.authority.claims = (.authority.claims // {}) + {defaultTLSCertDuration: $default, maxTLSCertDuration: $max}',
    );
    expect(script).toContain(
      'as_step step certificate fingerprint "$STEPPATH/certs/root_ca.crt" >/home/step/fingerprint',
    );
    // The CA name is one shell word whatever its quotes.
    const name = /--name (.*) \\$/m.exec(script)![1]!;
    expect(execFileSync('sh', ['-c', `printf %s ${name}`], { encoding: 'utf8' })).toBe("Bob's CA");
  });

  it('creates STEPPATH even when the data volume is disabled', () => {
    const p = preview({ enable_data_persistence: false });
    expect(p.resources['incus_storage_volume.data[0]']).toBeUndefined();
    expect(fileOf(p, INIT_SCRIPT)).toContain('install -d -o step -g step -m 0700 "$STEPPATH"');
    expect(p.cloudInit).toContain('homedir: /home/step');
  });

  it.skipIf(!hasChecker('shellcheck'))('the init script passes shellcheck', () => {
    const result = checkContent('shellcheck', fileOf(preview(), INIT_SCRIPT), (f) => [f]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', () => {
    const result = checkCloudInit(previewModuleCall(stepCa({ network })).cloudInit!);
    expect(result.stdout + result.stderr).toContain('Valid cloud-config');
  });
});

describe('step-ca for services in other environments', () => {
  const withServices = () =>
    preview({
      service_provisioner: 'services',
      service_provisioner_password: 'a long provisioner secret',
    });

  it('adds a JWK provisioner whose password file only root and step read', () => {
    const p = withServices();
    expect(fileOf(p, INIT_SCRIPT)).toContain(
      "step ca provisioner add 'services' --type JWK --create",
    );
    expect(p.files.get('/etc/step-ca/services-password')).toMatchObject({
      content: 'a long provisioner secret',
      permissions: '0640',
    });
    expect(preview().files.has('/etc/step-ca/services-password')).toBe(false);
  });

  it('makes the builder declare the password as a sensitive root variable', () => {
    const ca = stepCa({ network, serviceProvisioner: 'services' });
    expect(ca.provisioner?.name).toBe('services');
    expect(ca.provisioner?.password).toMatchObject({
      name: 'step_ca01_service_provisioner_password',
      spec: { sensitive: true },
    });
    expect(ca.options.inputs).toContain(ca.provisioner!.password);
    expect(stepCa({ network }).provisioner).toBeUndefined();
  });

  it.skipIf(!hasChecker('shellcheck'))('its init script passes shellcheck', () => {
    const result = checkContent('shellcheck', fileOf(withServices(), INIT_SCRIPT), (f) => [f]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('cloud-init'))('its user-data passes cloud-init schema', () => {
    const result = checkCloudInit(withServices().cloudInit!);
    expect(result.stdout + result.stderr).toContain('Valid cloud-config');
  });
});

describe('the step-ca module', () => {
  it('is valid, tofu-fmt exact OpenTofu that publishes nothing unless a link needs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-step-ca-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([stepCaModule]));
      expect(await verifyTree(dir)).toEqual([]);
      const summary = await summarizeModule(join(dir, 'generated', 'modules', 'step-ca'));
      expect(summary.resources).toEqual([
        'incus_instance.this',
        'incus_network_forward.this',
        'incus_profile.service',
        'incus_storage_volume.data',
      ]);
      expect(summary.variables.ca_password).toEqual({ required: true, sensitive: true });
      expect(summary.outputs).toEqual(
        expect.arrayContaining([
          'acme_directory_url',
          'ca_url',
          'fingerprint_command',
          'root_certificate_path',
        ]),
      );
      // Remote clients get a proxy device or network forward from the estate (issue 9); none by default.
      expect(summary.variables.proxy_devices).toMatchObject({ required: false });
      expect(summary.variables.network_forward).toMatchObject({ required: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
