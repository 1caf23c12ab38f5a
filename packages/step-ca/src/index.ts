import { T, instanceVariable, parseConfig, type EnvVariable, type ModuleCall } from '@atlas/core';
import {
  placement,
  reachable,
  serviceArgs,
  serviceOptionsSchema,
  type CertificateAuthority,
} from '@atlas/incus-service';

export { certificateAuthoritySchema, type CertificateAuthority } from '@atlas/incus-service';
import { tpl } from '@atlas/hcl';
import { z } from 'zod';
import {
  FINGERPRINT_PATH,
  STEP_CA_DEFAULTS,
  STEP_CA_INPUTS,
  caPasswordValidations,
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
    caName: STEP_CA_INPUTS.ca_name.schema,
    /** Defaults to `<name>.incus`, `<name>` and `localhost`. */
    dnsNames: STEP_CA_INPUTS.dns_names.schema,
    acmeProvisioner: STEP_CA_INPUTS.acme_provisioner.schema,
    /** A JWK provisioner for services the CA cannot reach for an ACME challenge; its password is a root secret. */
    serviceProvisioner: z.union([z.literal(false), provisionerName.schema]).default(false),
    certDuration: STEP_CA_INPUTS.cert_duration.schema,
    maxCertDuration: STEP_CA_INPUTS.max_cert_duration.schema,
    port: STEP_CA_INPUTS.port.schema,
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
      ca_name: STEP_CA_INPUTS.ca_name.arg(c.caName),
      dns_names: c.dnsNames,
      acme_provisioner: STEP_CA_INPUTS.acme_provisioner.arg(c.acmeProvisioner),
      cert_duration: STEP_CA_INPUTS.cert_duration.arg(c.certDuration),
      max_cert_duration: STEP_CA_INPUTS.max_cert_duration.arg(c.maxCertDuration),
      port: STEP_CA_INPUTS.port.arg(c.port),
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
