/**
 * What the repository's atlantis.yaml (written by the generator) and the Atlantis server (the
 * atlantis module's server-side repo config and data volume) must agree on. Both sides read it
 * from here, so they cannot drift apart.
 */

/** Where the Atlantis container's data volume is mounted: plans, locks, and what must not be in git. */
export const ATLANTIS_DATA_DIR = '/atlantis-data';

/**
 * Keys of a project in atlantis.yaml that Atlantis restricts unless the server-side repo
 * config lists them in `allowed_overrides`. The generator sets exactly these on every project
 * and the server allows exactly these.
 */
export const ATLANTIS_PROJECT_OVERRIDES = ['workflow', 'apply_requirements'] as const;

export type AtlantisProjectOverride = (typeof ATLANTIS_PROJECT_OVERRIDES)[number];

/** Backend settings (bucket, endpoint, keys) of an environment's root module, on the data volume. */
export const atlantisBackendFile = (environment: string): string =>
  `${ATLANTIS_DATA_DIR}/backends/${environment}.hcl`;

/** Local state of an environment's bootstrap, on the data volume. */
export const atlantisBootstrapState = (environment: string): string =>
  `${ATLANTIS_DATA_DIR}/bootstrap/${environment}.tfstate`;

/** Values of a project's variables (its terraform.tfvars, secrets included), on the data volume. */
export const atlantisVarFile = (project: string): string =>
  `${ATLANTIS_DATA_DIR}/vars/${project}.tfvars`;
