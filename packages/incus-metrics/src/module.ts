import {
  T,
  defineModule,
  input,
  output,
  packageInfo,
  variable,
  variablesOf,
  type Rule,
} from '@atlas/core';
import { commented } from '@atlas/incus-service';
import { binary, call, num, object, str, tpl } from '@atlas/hcl';
import { resource } from '@atlas/providers';
import { z } from 'zod';

/** Port of the Incus API, which serves `/1.0/metrics`. */
export const INCUS_API_PORT = 8443;

/** The seeds' certificate: registered as `prometheus-metrics`, valid for 10 years (3650 days). */
export const INCUS_METRICS_DEFAULTS = {
  certificateName: 'prometheus-metrics',
  commonName: 'prometheus-metrics',
  validityHours: 87600,
} as const;

/** Shortest certificate lifetime accepted: anything shorter expires between two applies. */
export const MIN_VALIDITY_HOURS = 24;

/** `host:port` of the Incus API as Prometheus reaches it (IPv4 address or host name). */
export const hostPort: Rule<z.ZodString> = {
  schema: z
    .string({ error: 'expected host:port such as 10.20.0.1:8443' })
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'expected host:port such as 10.20.0.1:8443'),
  validation: (self) => ({
    condition: call('can', [call('regex', [str('^[A-Za-z0-9.-]+:[0-9]{1,5}$'), self])]),
    errorMessage: 'Must be host:port, such as 10.20.0.1:8443.',
  }),
};

/** Certificate lifetime in whole hours, at least a day. */
export const validityHours: Rule<z.ZodNumber> = {
  schema: z
    .number({ error: `expected whole hours, at least ${MIN_VALIDITY_HOURS}` })
    .int(`expected whole hours, at least ${MIN_VALIDITY_HOURS}`)
    .min(MIN_VALIDITY_HOURS, `expected whole hours, at least ${MIN_VALIDITY_HOURS}`),
  validation: (self) => ({
    condition: binary(
      '&&',
      binary('>=', self, num(MIN_VALIDITY_HOURS)),
      binary('==', call('floor', [self]), self),
    ),
    errorMessage: `Must be whole hours, at least ${MIN_VALIDITY_HOURS}.`,
  }),
};

/** The certificate's inputs, declared once: the builder's options and the module's variables. */
export const INCUS_METRICS_INPUTS = {
  certificate_name: input(z.string().min(1), {
    type: T.string,
    description: "Name of the certificate in Incus's trust store.",
    default: INCUS_METRICS_DEFAULTS.certificateName,
  }),
  common_name: input(z.string().min(1), {
    type: T.string,
    description: 'Subject common name of the client certificate.',
    default: INCUS_METRICS_DEFAULTS.commonName,
  }),
  validity_hours: input(validityHours, {
    type: T.number,
    description: `How long the certificate is valid, in hours (87600 = 10 years; at least ${MIN_VALIDITY_HOURS}).`,
    default: INCUS_METRICS_DEFAULTS.validityHours,
  }),
};

/** S13: the client certificate Prometheus presents to the Incus metrics API. */
export const incusMetricsModule = defineModule({
  name: 'incus-metrics',
  package: packageInfo(import.meta.url),
  description:
    'An ECDSA P-384 client certificate, generated with the tls provider and registered in Incus as a "metrics" certificate, so Prometheus can scrape the Incus metrics API over mTLS.',
  providers: ['incus', 'tls'],
  variables: {
    ...variablesOf(INCUS_METRICS_INPUTS),
    metrics_address: variable({
      type: T.string,
      description: `host:port of the Incus API as Prometheus reaches it, e.g. the management network's gateway and port ${INCUS_API_PORT}.`,
      rules: [hostPort],
      example: `10.20.0.1:${INCUS_API_PORT}`,
    }),
  },
  build: (v) => {
    const key = resource('tls_private_key', 'metrics', {
      algorithm: 'ECDSA',
      ecdsa_curve: 'P384',
    });
    const certificate = resource('tls_self_signed_cert', 'metrics', {
      private_key_pem: key.attr('private_key_pem'),
      validity_period_hours: v.validity_hours,
      allowed_uses: ['client_auth', 'digital_signature', 'key_encipherment'],
      subject: [{ common_name: v.common_name }],
    });
    const registration = resource('incus_certificate', 'metrics', {
      name: v.certificate_name,
      type: 'metrics',
      certificate: certificate.attr('cert_pem'),
      description: 'Prometheus scrapes /1.0/metrics with this certificate.',
    });
    const certificatePem = certificate.attr('cert_pem');
    const privateKeyPem = key.attr('private_key_pem');
    return {
      resources: [
        commented(key.block, [
          'The private key lives in the OpenTofu state (keep it encrypted) and reaches Prometheus only',
          'through the sensitive outputs.',
        ]),
        certificate.block,
        commented(
          registration.block,
          'A "metrics" certificate may read /1.0/metrics and nothing else of the API.',
        ),
      ],
      outputs: {
        metrics_endpoint: output({
          description: 'URL of the Incus metrics API.',
          value: tpl`https://${v.metrics_address}/1.0/metrics`,
          type: T.string,
        }),
        certificate_pem: output({
          description: 'Client certificate (PEM) registered in Incus.',
          value: certificatePem,
          type: T.string,
        }),
        private_key_pem: output({
          description: 'Private key (PEM) of the client certificate.',
          value: privateKeyPem,
          type: T.string,
          sensitive: true,
        }),
        prometheus: output({
          description:
            "Everything Prometheus needs to scrape Incus: the value of the prometheus module's incus_metrics variable.",
          value: object({
            address: v.metrics_address,
            certificate: certificatePem,
            private_key: privateKeyPem,
          }),
          type: T.object({ address: T.string, certificate: T.string, private_key: T.string }),
          sensitive: true,
        }),
      },
    };
  },
});
