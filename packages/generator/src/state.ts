import {
  attr,
  binary,
  blank,
  block,
  call,
  comment,
  cond,
  heredoc,
  interp,
  literal,
  nil,
  num,
  object,
  ref,
  str,
  toExpr,
  type Block,
  type BodyItem,
  type File,
} from '@atlas/hcl';
import { resource } from '@atlas/providers';
import {
  instanceName,
  isCluster,
  output,
  T,
  variable,
  type Environment,
  type RemoteState,
} from '@atlas/core';
import { outputBlock, variableBlock, versionsBlock, type RenderedFiles } from './render.js';

/** Where an environment keeps its OpenTofu state: an Incus storage bucket made by its bootstrap project. */
export interface StateSettings {
  /** Storage pool for the bucket (created by bootstrap). */
  readonly poolName: string;
  /** Driver of that pool; buckets need a local driver such as dir, btrfs or zfs. */
  readonly poolDriver: string;
  readonly bucketName: string;
  /** `core.storage_buckets_address`: where Incus serves the S3 API. */
  readonly listenAddress: string;
}

export const DEFAULT_STATE: StateSettings = {
  poolName: 'terraform-state',
  poolDriver: 'dir',
  bucketName: 'atlas-terraform-state',
  listenAddress: ':8555',
};

/** An Incus remote name as `incus remote add` takes it: no colon (the remote separator), slash or space. */
const REMOTE_NAME = '^[^:/\\s]+$';

/** The object key of an environment's state in its bucket. */
export const stateKey = (env: Pick<Environment, 'name'>) => `${env.name}/terraform.tfstate`;

/** OpenTofu (and Terraform) 1.10 added S3-native state locking, `use_lockfile`. */
export const S3_BACKEND_TOFU_VERSION = '>= 1.10.0';

/**
 * The partial S3 backend of a main project. Bucket, endpoint and keys are
 * not written here: they come from backend.hcl, which bootstrap prints.
 */
export function s3Backend(env: Pick<Environment, 'name'>): Block {
  return block(
    'backend',
    ['s3'],
    [
      attr('key', stateKey(env)),
      // Incus answers for any region; the AWS-only checks below do not exist there.
      attr('region', 'us-east-1'),
      attr('use_path_style', true),
      attr('skip_credentials_validation', true),
      attr('skip_region_validation', true),
      attr('skip_requesting_account_id', true),
      attr('skip_metadata_api_check', true),
      attr('skip_s3_checksum', true),
      // A lock object beside the state in the bucket: no DynamoDB, and two
      // applies (an operator's and Atlantis's) cannot interleave.
      attr('use_lockfile', true),
    ],
    [
      'State lives in the Incus storage bucket that bootstrap/ creates. Bucket, endpoint and keys',
      'come from backend.hcl (never committed): tofu init -backend-config=backend.hcl',
    ],
  );
}

/**
 * bootstrap/: a small root module with local state that creates the storage
 * pool, the bucket and an admin key for the main project's state, and prints
 * the backend configuration.
 */
export function renderBootstrap(
  env: Environment,
  settings: StateSettings = DEFAULT_STATE,
): RenderedFiles {
  const remote = env.provider.remote;
  // A site with several hosts is a cluster: its members, by the names Incus knows them by.
  const members = isCluster(env.site) ? env.site.hosts.map((h) => h.name) : [];
  const bucketMember = members[0];
  const endpointHost = env.site?.hosts[0];
  const variables = {
    s3_endpoint: variable({
      type: T.string,
      description: bucketMember
        ? `URL at which OpenTofu (and Atlantis) reach the S3 API of ${bucketMember}, the member that holds the bucket.`
        : `URL at which OpenTofu (and Atlantis) reach this Incus server's S3 API, e.g. https://${env.name}.example.net${settings.listenAddress}.`,
      validations: (self) => [
        {
          condition: call('can', [call('regex', [str('^https?://[^/\\s]+$'), self])]),
          errorMessage:
            'Must be an http(s) URL with no path, such as https://incus.example.net:8555.',
          rejects: 'https://incus.example.net:8555/state',
        },
      ],
      example: `https://${env.name}.example.net${settings.listenAddress}`,
      // The host (or the bucket's member) declared in the site: its LAN address is where S3 listens.
      ...(endpointHost
        ? {
            default: `https://${endpointHost.lanAddress}:${settings.listenAddress.split(':').pop()}`,
          }
        : {}),
    }),
    storage_buckets_address: variable({
      type: T.string,
      description: 'Address Incus serves storage buckets on (core.storage_buckets_address).',
      default: settings.listenAddress,
    }),
    pool_name: variable({
      type: T.string,
      description: 'Storage pool that holds the state bucket.',
      default: settings.poolName,
      rules: [instanceName],
    }),
    pool_driver: variable({
      type: T.string,
      description: 'Driver of that pool (dir, btrfs, zfs or lvm).',
      default: settings.poolDriver,
    }),
    bucket_name: variable({
      type: T.string,
      description: 'Name of the state bucket.',
      default: settings.bucketName,
    }),
    remote: variable({
      type: T.string,
      description: remote
        ? `Incus remote of ${env.name} in the client configuration (incus remote add ${remote} https://<address>:8443), as the main project uses; null: the local daemon or INCUS_REMOTE.`
        : 'Incus remote to talk to, from the client configuration; null (as the main project): the local daemon or INCUS_REMOTE.',
      default: remote ?? null,
      validations: (self) => [
        {
          condition: binary(
            '||',
            binary('==', self, nil),
            call('can', [call('regex', [str(REMOTE_NAME), self])]),
          ),
          errorMessage:
            'Must be null or the name of a remote from incus remote list (no colon, slash or space).',
          rejects: 'cluster01:',
        },
      ],
    }),
  };

  const server = resource('incus_server', 'buckets', {
    config: { 'core.storage_buckets_address': ref('var.storage_buckets_address') },
    // The listen address is a member's own setting on a cluster.
    ...(bucketMember ? { target: bucketMember } : {}),
  });
  const perMember = members.length
    ? resource(
        'incus_storage_pool',
        'state_member',
        { name: ref('var.pool_name'), driver: ref('var.pool_driver'), target: ref('each.key') },
        { for_each: [...members] },
      )
    : undefined;
  const pool = resource(
    'incus_storage_pool',
    'state',
    { name: ref('var.pool_name'), driver: ref('var.pool_driver') },
    perMember ? { depends_on: [perMember] } : {},
  );
  const bucket = resource(
    'incus_storage_bucket',
    'state',
    {
      name: ref('var.bucket_name'),
      pool: pool.attr('name'),
      ...(bucketMember ? { target: bucketMember } : {}),
    },
    { depends_on: [server] },
  );
  const key = resource('incus_storage_bucket_key', 'tofu', {
    name: 'opentofu',
    description: `Read and write ${env.name}'s OpenTofu state`,
    pool: pool.attr('name'),
    storage_bucket: bucket.attr('name'),
    role: 'admin',
  });

  const outputs = {
    bucket: output({
      description: 'Name of the state bucket.',
      value: bucket.attr('name'),
      type: T.string,
    }),
    access_key: output({
      description: 'S3 access key of the state bucket.',
      value: key.attr('access_key'),
      type: T.string,
      sensitive: true,
    }),
    secret_key: output({
      description: 'S3 secret key of the state bucket.',
      value: key.attr('secret_key'),
      type: T.string,
      sensitive: true,
    }),
    backend_config: output({
      description:
        "The main project's backend.hcl: tofu output -raw backend_config > ../backend.hcl",
      value: heredoc([
        literal('bucket     = "'),
        interp(bucket.attr('name')),
        literal('"\nendpoints  = { s3 = "'),
        interp(ref('var.s3_endpoint')),
        literal('" }\naccess_key = "'),
        interp(key.attr('access_key')),
        literal('"\nsecret_key = "'),
        interp(key.attr('secret_key')),
        literal('"\n'),
      ]),
      type: T.string,
      sensitive: true,
    }),
  };

  const main: BodyItem[] = [
    comment('Incus serves storage buckets over S3 only once it has an address to listen on.'),
    server.block,
    ...(perMember
      ? [
          comment(
            'A cluster: the pool is first defined on every member (target), then created once. The bucket',
            `and the S3 listener live on ${bucketMember}, the member s3_endpoint names.`,
          ),
          perMember.block,
        ]
      : []),
    pool.block,
    bucket.block,
    key.block,
  ];
  return {
    hcl: new Map<string, File>([
      ['main.tf', { body: main }],
      [
        'variables.tf',
        { body: Object.entries(variables).map(([n, s]) => variableBlock(n, s, ref(`var.${n}`))) },
      ],
      ['outputs.tf', { body: Object.entries(outputs).map(([n, s]) => outputBlock(n, s)) }],
      [
        'providers.tf',
        {
          body: [
            block(
              'provider',
              ['incus'],
              [attr('default_remote', ref('var.remote'))],
              `The Incus that holds ${env.name}'s state: the same remote as ${env.name}'s own provider.`,
            ),
          ],
        },
      ],
      [
        'versions.tf',
        {
          body: [
            {
              ...versionsBlock(
                ['incus'],
                [
                  block(
                    'backend',
                    ['local'],
                    [],
                    [
                      'Local state on purpose: this project creates the bucket the main project keeps its state in.',
                      'Atlantis keeps it on its data volume (tofu init -backend-config=path=FILE).',
                    ],
                  ),
                ],
              ),
            },
          ],
        },
      ],
    ]),
    templates: new Map(),
  };
}

/** backend.hcl.example: what bootstrap's backend_config output gives, with placeholders. */
export function backendExample(settings: StateSettings = DEFAULT_STATE): File {
  return {
    body: [
      attr('bucket', settings.bucketName, [
        'Copy to backend.hcl (never commit it), or write it from bootstrap:',
        '  tofu -chdir=bootstrap output -raw backend_config > backend.hcl',
      ]),
      attr('endpoints', { s3: `https://<incus-host>${settings.listenAddress}` }),
      attr('access_key', '<bootstrap output access_key>'),
      attr('secret_key', '<bootstrap output secret_key>'),
    ],
  };
}

/**
 * `data "terraform_remote_state" "<env>"`: another environment's outputs, read
 * from its state bucket with the credentials in this environment's variables.
 */
export function remoteStateBlock(remote: RemoteState, state: StateSettings): Block {
  const prefix = remote.environment.replace(/-/g, '_');
  return block(
    'data',
    ['terraform_remote_state', prefix],
    [
      attr(
        'count',
        cond(ref(`var.${prefix}_applied`), num(1), num(0)),
        `A state object that does not exist yet fails the read, defaults or not: read it once ${remote.environment} is applied.`,
      ),
      attr('backend', 's3'),
      attr(
        'config',
        object({
          bucket: str(state.bucketName),
          key: str(stateKey({ name: remote.environment })),
          region: str('us-east-1'),
          endpoints: object({ s3: ref(`var.${prefix}_state_endpoint`) }),
          access_key: ref(`var.${prefix}_state_access_key`),
          secret_key: ref(`var.${prefix}_state_secret_key`),
          use_path_style: toExpr(true),
          skip_credentials_validation: toExpr(true),
          skip_region_validation: toExpr(true),
          skip_requesting_account_id: toExpr(true),
          skip_metadata_api_check: toExpr(true),
          skip_s3_checksum: toExpr(true),
        }),
      ),
      blank,
      attr(
        'defaults',
        object(Object.fromEntries(remote.outputs.map((o) => [o, nil]))),
        `Outputs ${remote.environment} does not have (yet) read as null.`,
      ),
    ],
    `What this environment uses of ${remote.environment}: ${remote.outputs.join(', ')}.`,
  );
}
