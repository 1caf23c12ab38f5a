import {
  ATLANTIS_DATA_DIR,
  ATLANTIS_PROJECT_OVERRIDES,
  T,
  input,
  output,
  packageInfo,
  rejecting,
  variable,
  variablesOf,
  type Validation,
} from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import {
  binary,
  call,
  cond,
  forList,
  forMap,
  nil,
  not,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  tuple,
  type Expr,
} from '@atlas/hcl';
import { dynamic, type IncusInstanceFileArgs } from '@atlas/providers';
import { z } from 'zod';
import {
  dnsName,
  eachElement,
  githubUser,
  opentofuRelease,
  pemCertificate,
  pemPrivateKey,
  pinnedImage,
  remoteAddress,
  remoteName,
  repoPattern,
} from './rules.js';

export const ATLANTIS_PORT = 4141;

/** Path of Atlantis's Prometheus endpoint, switched on in the server-side repo config. */
export const ATLANTIS_METRICS_PATH = '/metrics';

/**
 * The Incus remote Atlantis's OCI image is pulled through. The root module that
 * launches Atlantis declares it in its provider, so `ghcr:` resolves there too.
 */
export const ATLANTIS_IMAGE_REMOTE = {
  name: 'ghcr',
  address: 'https://ghcr.io',
  protocol: 'oci',
  public: true,
} as const;

/**
 * The seeds' sizing for Atlantis. The image is upstream's, pinned to a release
 * (v0.35.0 ships OpenTofu 1.10, which the environments' S3 lock files need),
 * pulled through the `ghcr` remote. The seeds give Atlantis no snapshot policy;
 * plans and locks change little, so it gets the daily/7d policy of the other
 * small stateful services.
 */
export const ATLANTIS_DEFAULTS = {
  instanceName: 'atlantis01',
  profileName: 'atlantis',
  cpu: 2,
  memory: '1GB',
  rootDiskSize: '2GB',
  image: 'ghcr:runatlantis/atlantis:v0.35.0',
  dataVolume: {
    size: '10GB',
    mountPath: ATLANTIS_DATA_DIR,
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
} as const;

/** The OpenTofu the image ships, pinned so that an image update does not move it unreviewed. */
export const OPENTOFU_VERSION = '1.10.6';

/** The upstream image's `atlantis` user, which the server runs as. */
export const ATLANTIS_USER = { uid: 100, gid: 1000, home: '/home/atlantis' } as const;

/** Where the Incus client configuration goes (INCUS_CONF, read by the CLI and the OpenTofu provider). */
export const INCUS_CONFIG_DIR = `${ATLANTIS_USER.home}/.config/incus`;

export const APPLY_REQUIREMENTS = ['approved', 'mergeable', 'undiverged'] as const;
type ApplyRequirement = (typeof APPLY_REQUIREMENTS)[number];
const DEFAULT_APPLY_REQUIREMENTS: ApplyRequirement[] = ['approved', 'mergeable'];

/** Remote names the client configuration already uses for image servers, or that the Incus client reserves. */
export const RESERVED_REMOTE_NAMES = ['local', 'images', 'ghcr'] as const;

/** Image servers the generated code pulls from; `tofu` inside Atlantis resolves `images:` and `ghcr:` through them. */
const IMAGE_REMOTES = {
  images: { addr: 'https://images.linuxcontainers.org', protocol: 'simplestreams', public: true },
  [ATLANTIS_IMAGE_REMOTE.name]: {
    addr: ATLANTIS_IMAGE_REMOTE.address,
    protocol: ATLANTIS_IMAGE_REMOTE.protocol,
    public: ATLANTIS_IMAGE_REMOTE.public,
  },
};

const remote = (field: string) => ref(`remote.${field}`);

/**
 * Atlantis's own inputs, declared once: the builder's options and the module's variables.
 * The GitHub secrets and the Incus remotes are filled in by the builder, so they stay variables.
 */
export const ATLANTIS_INPUTS = {
  image: input(rejecting(pinnedImage, 'ghcr:runatlantis/atlantis:latest'), {
    type: T.string,
    description:
      'OCI image of Atlantis on an Incus remote, pinned to a release (a version tag or an @sha256: digest): a rebuild then runs the Atlantis, and the OpenTofu inside it, that was reviewed.',
    default: ATLANTIS_DEFAULTS.image,
  }),
  opentofu_version: input(rejecting(opentofuRelease, '1.9.1'), {
    type: T.string,
    description:
      'OpenTofu release Atlantis plans and applies with (ATLANTIS_DEFAULT_TF_VERSION; Atlantis downloads it when the image lacks it). The environments need 1.10 or later for their S3 state lock files.',
    default: OPENTOFU_VERSION,
  }),
  domain: input(dnsName, {
    type: T.string,
    description:
      'Public host name Atlantis is reached under through the tunnel (ATLANTIS_ATLANTIS_URL); GitHub posts webhooks to https://<domain>/events.',
    example: 'atlantis.example.com',
  }),
  repo_allowlist: input(
    z.array(repoPattern.schema).min(1, 'expected at least one repository pattern'),
    {
      type: T.list(T.string),
      description:
        'Repositories Atlantis accepts webhooks from (ATLANTIS_REPO_ALLOWLIST), as {hostname}/{owner}/{repo} patterns where * matches anything.',
      validations: (self): Validation[] => [
        {
          condition: binary('>', call('length', [self]), num(0)),
          errorMessage: 'List at least one repository pattern.',
          rejects: [],
        },
        eachElement(repoPattern, self, 'entry', ['example-org/infrastructure']),
      ],
      example: ['github.com/example-org/infrastructure'],
    },
  ),
  github_user: input(githubUser, {
    type: T.string,
    description: 'GitHub account Atlantis comments as (ATLANTIS_GH_USER).',
    example: 'atlantis-bot',
  }),
  apply_requirements: input(z.array(z.enum(APPLY_REQUIREMENTS)), {
    type: T.list(T.string),
    description: `What a pull request needs before "atlantis apply" runs: any of ${APPLY_REQUIREMENTS.join(', ')}.`,
    default: DEFAULT_APPLY_REQUIREMENTS,
    validations: (self): Validation[] => [
      {
        condition: call('alltrue', [
          forList('item', self, call('contains', [toExpr([...APPLY_REQUIREMENTS]), ref('item')])),
        ]),
        errorMessage: `Each requirement must be one of ${APPLY_REQUIREMENTS.join(', ')}.`,
        rejects: ['approved', 'reviewed'],
      },
    ],
  }),
};

/** S12: Atlantis as an OCI application container on the gitops network. */
export const atlantisModule = incusServiceModule({
  name: 'atlantis',
  package: packageInfo(import.meta.url),
  description:
    'Atlantis in an Incus OCI application container on the gitops network: configured through environment variables (no cloud-init), GitHub credentials from sensitive variables, plans and locks on a persistent volume, and an Incus client configuration for the remotes it manages.',
  defaults: ATLANTIS_DEFAULTS,
  // An OCI application container: no systemd, no cloud-init, nothing to upload a journal with.
  journalUpload: false,
  variables: {
    ...variablesOf({
      image: ATLANTIS_INPUTS.image,
      opentofu_version: ATLANTIS_INPUTS.opentofu_version,
      domain: ATLANTIS_INPUTS.domain,
      repo_allowlist: ATLANTIS_INPUTS.repo_allowlist,
      github_user: ATLANTIS_INPUTS.github_user,
    }),
    github_token: variable({
      type: T.string,
      description: 'GitHub token of that account (ATLANTIS_GH_TOKEN).',
      sensitive: true,
      validations: (self): Validation[] => [
        {
          condition: binary('>', call('length', [call('trimspace', [self])]), num(0)),
          errorMessage: 'Must not be empty.',
          rejects: '',
        },
      ],
      example: ref('var.atlantis_github_token'),
    }),
    github_webhook_secret: variable({
      type: T.string,
      description:
        'Secret GitHub signs webhooks with (ATLANTIS_GH_WEBHOOK_SECRET); Atlantis asks for more than 24 random characters.',
      sensitive: true,
      validations: (self): Validation[] => [
        {
          condition: binary('>', call('length', [self]), num(24)),
          errorMessage: 'Must be more than 24 characters.',
          rejects: '<only 22 characters>',
        },
      ],
      example: ref('var.atlantis_github_webhook_secret'),
    }),
    apply_requirements: ATLANTIS_INPUTS.apply_requirements.variable,
    incus_remotes: variable({
      type: T.list(
        T.object({
          name: T.string,
          address: T.string,
          server_certificate: T.optional(T.string),
          default: T.optional(T.bool, false),
        }),
      ),
      description:
        'Incus servers the plans and applies talk to, e.g. iapetus and cluster01. "server_certificate" (PEM) pins the server\'s certificate, as `incus remote add` would; leave it null when a CA the image trusts signed it. Exactly one remote is the "default": OpenTofu uses it where an environment names no remote.',
      validations: (self): Validation[] => [
        {
          condition: binary(
            '==',
            call('length', [forList('remote', self, remote('name'), { cond: remote('default') })]),
            num(1),
          ),
          errorMessage: 'Exactly one remote must have default = true.',
          rejects: [{ name: 'iapetus', address: 'https://10.30.0.1:8443' }],
        },
        {
          condition: binary(
            '==',
            call('length', [call('distinct', [forList('remote', self, remote('name'))])]),
            call('length', [self]),
          ),
          errorMessage: 'Remote names must be unique.',
          rejects: [
            { name: 'iapetus', address: 'https://10.30.0.1:8443', default: true },
            { name: 'iapetus', address: 'https://10.30.0.2:8443' },
          ],
        },
        eachElement(remoteName, forList('remote', self, remote('name')), 'remote name', [
          { name: 'Iapetus', address: 'https://10.30.0.1:8443', default: true },
        ]),
        {
          condition: call('alltrue', [
            forList(
              'remote',
              self,
              not(call('contains', [toExpr([...RESERVED_REMOTE_NAMES]), remote('name')])),
            ),
          ]),
          errorMessage: `Remote names ${RESERVED_REMOTE_NAMES.join(', ')} are taken by the Incus client and the image servers.`,
          rejects: [{ name: 'images', address: 'https://10.30.0.1:8443', default: true }],
        },
        eachElement(remoteAddress, forList('remote', self, remote('address')), 'remote address', [
          { name: 'iapetus', address: 'http://10.30.0.1:8443', default: true },
        ]),
        {
          condition: call('alltrue', [
            forList(
              'remote',
              self,
              cond(
                binary('==', remote('server_certificate'), nil),
                toExpr(true),
                pemCertificate.validation(remote('server_certificate')).condition,
              ),
            ),
          ]),
          errorMessage: 'Each server_certificate must be null or a PEM certificate.',
          rejects: [
            {
              name: 'iapetus',
              address: 'https://10.30.0.1:8443',
              default: true,
              server_certificate: 'not a certificate',
            },
          ],
        },
      ],
      example: tuple([
        object({
          name: str('iapetus'),
          address: str('https://10.30.0.1:8443'),
          default: toExpr(true),
        }),
        object({ name: str('cluster01'), address: str('https://192.168.71.10:8443') }),
      ]),
    }),
    incus_client_certificate: variable({
      type: T.string,
      description:
        'PEM certificate Atlantis authenticates to every remote with; trust it on each server (`incus config trust add-certificate`).',
      rules: [pemCertificate],
      example: ref('var.atlantis_incus_client_certificate'),
    }),
    incus_client_key: variable({
      type: T.string,
      description: 'PEM private key of that certificate.',
      sensitive: true,
      rules: [pemPrivateKey],
      example: ref('var.atlantis_incus_client_key'),
    }),
  },
  build: (v) => {
    const remotes = v.incus_remotes;
    const persistent = ref('var.enable_data_persistence');
    return {
      locals: {
        repo_config: {
          value: object({
            repos: tuple([
              object({
                id: str('/.*/'),
                apply_requirements: v.apply_requirements,
                // Exactly the restricted keys the generated atlantis.yaml sets on its projects.
                allowed_overrides: toExpr([...ATLANTIS_PROJECT_OVERRIDES]),
                // atlantis.yaml defines each project's workflow: init reads the backend
                // settings and plan the variable values kept on the data volume.
                allow_custom_workflows: toExpr(true),
              }),
            ]),
            metrics: object({ prometheus: object({ endpoint: str(ATLANTIS_METRICS_PATH) }) }),
          }),
          comment:
            'Server-side repo config: apply requirements and workflows for every allowed repository, and Prometheus metrics.',
        },
        incus_client_config: {
          value: object({
            'default-remote': call('one', [
              forList('remote', remotes, remote('name'), { cond: remote('default') }),
            ]),
            remotes: call('merge', [
              toExpr(IMAGE_REMOTES),
              forMap(
                'remote',
                remotes,
                remote('name'),
                object({
                  addr: remote('address'),
                  auth_type: str('tls'),
                  protocol: str('incus'),
                  public: toExpr(false),
                }),
              ),
            ]),
          }),
          comment:
            'Incus client config.yml: the image servers plus the managed remotes, with the default one named.',
        },
        server_certificates: {
          value: forMap('remote', remotes, remote('name'), remote('server_certificate'), {
            cond: binary('!=', remote('server_certificate'), nil),
          }),
          comment: 'Pinned server certificates by remote name (servercerts/<name>.crt).',
        },
      },
      // The provider creates missing parent folders with the file's own mode, so
      // every file is 0700: private to the atlantis user, and usable as a folder mode.
      instanceFiles: [
        clientFile(
          `${INCUS_CONFIG_DIR}/config.yml`,
          call('yamlencode', [ref('local.incus_client_config')]),
        ),
        clientFile(`${INCUS_CONFIG_DIR}/client.crt`, ref('var.incus_client_certificate')),
        clientFile(`${INCUS_CONFIG_DIR}/client.key`, ref('var.incus_client_key')),
        dynamic(
          ref('local.server_certificates'),
          (cert) => clientFile(tpl`${INCUS_CONFIG_DIR}/servercerts/${cert.key}.crt`, cert.value),
          { iterator: 'cert' },
        ),
      ],
      // A new volume's root belongs to root; Atlantis runs as its own user and must write there.
      dataVolumeConfig: {
        'initial.uid': str(String(ATLANTIS_USER.uid)),
        'initial.gid': str(String(ATLANTIS_USER.gid)),
        'initial.mode': str('0750'),
      },
      instanceConfig: {
        'environment.ATLANTIS_ATLANTIS_URL': tpl`https://${v.domain}`,
        'environment.ATLANTIS_PORT': str(String(ATLANTIS_PORT)),
        'environment.ATLANTIS_DATA_DIR': cond(
          persistent,
          str(ATLANTIS_DATA_DIR),
          // Without the volume Atlantis keeps its data in its own default place, which its user can create.
          str(`${ATLANTIS_USER.home}/.atlantis`),
        ),
        'environment.ATLANTIS_REPO_ALLOWLIST': call('join', [str(','), v.repo_allowlist]),
        'environment.ATLANTIS_REPO_CONFIG_JSON': call('jsonencode', [ref('local.repo_config')]),
        'environment.ATLANTIS_TF_DISTRIBUTION': str('opentofu'),
        'environment.ATLANTIS_DEFAULT_TF_VERSION': ref('var.opentofu_version'),
        'environment.ATLANTIS_GH_USER': v.github_user,
        'environment.ATLANTIS_GH_TOKEN': v.github_token,
        'environment.ATLANTIS_GH_WEBHOOK_SECRET': v.github_webhook_secret,
        'environment.INCUS_CONF': str(INCUS_CONFIG_DIR),
      },
      outputs: {
        endpoint: output({
          description: 'Internal HTTP endpoint of Atlantis (its UI and API).',
          value: tpl`http://${ref('var.instance_name')}.incus:${ATLANTIS_PORT}`,
          type: T.string,
        }),
        webhook_url: output({
          description: 'URL to enter as the payload URL of the GitHub webhook.',
          value: tpl`https://${v.domain}/events`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Atlantis's metrics (path /metrics).",
          value: tpl`${ref('var.instance_name')}.incus:${ATLANTIS_PORT}`,
          type: T.string,
        }),
      },
    };
  },
});

/** A file of the Incus client configuration, owned by the atlantis user. */
function clientFile(targetPath: string | Expr, content: Expr): IncusInstanceFileArgs {
  return {
    target_path: targetPath,
    content,
    uid: ATLANTIS_USER.uid,
    gid: ATLANTIS_USER.gid,
    mode: '0700',
    create_directories: true,
  };
}
