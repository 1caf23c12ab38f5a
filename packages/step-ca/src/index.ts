import {
  T,
  instanceVariable,
  parseConfig,
  placement,
  reachable,
  port,
  serviceArgs,
  serviceOptionsSchema,
  type EnvVariable,
  type CertificateAuthority,
  type ModuleCall,
} from '@atlas/core';

export { certificateAuthoritySchema, type CertificateAuthority } from '@atlas/core';
import { tpl } from '@atlas/hcl';
import { z } from 'zod';
import {
  FINGERPRINT_PATH,
  STEP_CA_DEFAULTS,
  STEP_CA_PORT,
  STEP_CA_SETTINGS,
  caName,
  caPasswordValidations,
  certDurationSchema,
  dnsName,
  durationSeconds,
  provisionerName,
  rootFingerprint,
  stepCaModule,
} from './module.js';

export {
  FINGERPRINT_PATH,
  MIN_PASSWORD_LENGTH,
  ROOT_CERTIFICATE_PATH,
  STEP_CA_DEFAULTS,
  STEP_CA_PORT,
  STEP_CA_SETTINGS,
  STEP_HOME,
  caName,
  certDurationSchema,
  dnsName,
  goDuration,
  provisionerName,
  rootFingerprint,
  stepCaModule,
} from './module.js';

export const stepCaConfigSchema = serviceOptionsSchema(STEP_CA_DEFAULTS)
  .extend({
    /** Written into the root and intermediate certificates at first initialisation. */
    caName: caName.schema.default(STEP_CA_SETTINGS.caName),
    /** Defaults to `<name>.incus`, `<name>` and `localhost`. */
    dnsNames: z.array(dnsName.schema).min(1, 'expected at least one DNS name').optional(),
    acmeProvisioner: provisionerName.schema.default(STEP_CA_SETTINGS.acmeProvisioner),
    /** A JWK provisioner for services the CA cannot reach for an ACME challenge; its password is a root secret. */
    serviceProvisioner: z.union([z.literal(false), provisionerName.schema]).default(false),
    certDuration: certDurationSchema.default(STEP_CA_SETTINGS.certDuration),
    maxCertDuration: certDurationSchema.default(STEP_CA_SETTINGS.maxCertDuration),
    port: port.schema.default(STEP_CA_PORT),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (durationSeconds(c.certDuration) > durationSeconds(c.maxCertDuration))
      ctx.addIssue({
        code: 'custom',
        path: ['certDuration'],
        message: `expected at most maxCertDuration (${c.maxCertDuration})`,
      });
  });

export type StepCaConfig = z.input<typeof stepCaConfigSchema>;

export type StepCaInstance = ModuleCall<
  typeof stepCaModule.variables,
  typeof stepCaModule.body.outputs
> &
  CertificateAuthority & {
    readonly service: 'step-ca';
    readonly caPassword: EnvVariable<string>;
  };

/**
 * A step-ca instance. Its key password becomes the sensitive root variable
 * `<name>_password` (underscored); clients get `<name>_root_fingerprint`.
 */
export function stepCa(config: StepCaConfig): StepCaInstance {
  const c = parseConfig(stepCaConfigSchema, config, [config.name ?? STEP_CA_DEFAULTS.instanceName]);
  const caPassword = instanceVariable<string>(
    c.name,
    'password',
    {
      type: T.string,
      description: `Password that encrypts the private keys of ${c.name}.`,
      sensitive: true,
      validations: caPasswordValidations,
    },
    `<${c.name} CA password>`,
  );
  const fingerprint = instanceVariable<string>(
    c.name,
    'root_fingerprint',
    {
      type: T.string,
      description: `SHA-256 fingerprint of the root certificate of ${c.name}; after it first starts, \`incus exec ${c.name} -- cat ${FINGERPRINT_PATH}\` prints it.`,
      rules: [rootFingerprint],
    },
    `<output of: incus exec ${c.name} -- cat ${FINGERPRINT_PATH}>`,
  );
  const unless = <V>(value: V, dflt: V): V | undefined => (value === dflt ? undefined : value);
  const provisioner = c.serviceProvisioner
    ? {
        name: c.serviceProvisioner,
        password: instanceVariable<string>(
          c.name,
          'service_provisioner_password',
          {
            type: T.string,
            description: `Password of the "${c.serviceProvisioner}" JWK provisioner of ${c.name}; services that take certificates from it need the same value.`,
            sensitive: true,
            validations: caPasswordValidations,
          },
          `<${c.name} service provisioner password>`,
        ),
      }
    : undefined;
  const call = stepCaModule.call(
    c.name,
    {
      ...serviceArgs(c, STEP_CA_DEFAULTS),
      ca_name: unless(c.caName, STEP_CA_SETTINGS.caName),
      dns_names: c.dnsNames,
      acme_provisioner: unless(c.acmeProvisioner, STEP_CA_SETTINGS.acmeProvisioner),
      cert_duration: unless(c.certDuration, STEP_CA_SETTINGS.certDuration),
      max_cert_duration: unless(c.maxCertDuration, STEP_CA_SETTINGS.maxCertDuration),
      port: unless(c.port, STEP_CA_PORT),
      ca_password: caPassword.ref,
      service_provisioner: provisioner?.name,
      service_provisioner_password: provisioner?.password.ref,
    },
    { inputs: [caPassword, ...(provisioner ? [provisioner.password] : [])] },
  );
  return Object.assign(call, {
    service: 'step-ca' as const,
    caPassword,
    acme: {
      directoryUrl: call.outputs.acme_directory_url,
      caUrl: call.outputs.ca_url,
      directoryLink: reachable(
        placement(c),
        c.port,
        call.outputs.acme_directory_url,
        (hostPort) => tpl`https://${hostPort}/acme/${c.acmeProvisioner}/directory`,
      ),
      caLink: reachable(
        placement(c),
        c.port,
        call.outputs.ca_url,
        (hostPort) => tpl`https://${hostPort}`,
      ),
    },
    rootFingerprint: fingerprint,
    ...(provisioner ? { provisioner } : {}),
  });
}
