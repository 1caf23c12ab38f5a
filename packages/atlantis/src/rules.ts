import { regexRule, type Rule, type Validation } from '@atlas/core';
import { call, forList, ref, type Expr } from '@atlas/hcl';

/**
 * The validation of `rule` applied to every element of the list `self`; `rejects` is a value
 * of the whole variable it rejects, for the generated module tests.
 */
export function eachElement(rule: Rule, self: Expr, noun: string, rejects?: unknown): Validation {
  const inner = rule.validation(ref('item'));
  return {
    condition: call('alltrue', [forList('item', self, inner.condition)]),
    errorMessage: `Each ${noun} ${inner.errorMessage.replace(/^Must/, 'must')}`,
    ...(rejects === undefined ? {} : { rejects }),
  };
}

const LABEL = '[a-z0-9]([a-z0-9-]*[a-z0-9])?';
const HOST = `${LABEL}(\\.${LABEL})+`;

/** A lower-case DNS name with at least two labels. */
export const dnsName = regexRule(`^${HOST}$`, 'a lower-case DNS name such as atlantis.example.com');

/** An entry of Atlantis's `--repo-allowlist`: `{hostname}/{owner}/{repo}`, where `*` matches anything. */
export const repoPattern = regexRule(
  `^${HOST}/(\\*|[A-Za-z0-9_.*-]+/[A-Za-z0-9_.*-]+)$`,
  'a repository pattern such as github.com/org/* or github.com/org/repo (host, owner and repository; * matches any characters)',
);

/** A GitHub account name. */
export const githubUser = regexRule(
  '^[A-Za-z0-9]([A-Za-z0-9-]{0,37}[A-Za-z0-9])?$',
  'a GitHub user name (letters, digits and inner hyphens, at most 39 characters)',
);

/** An OpenTofu release the environments can use: 1.10 or later, for their S3 state lock files. */
export const opentofuRelease = regexRule(
  '^1\\.([1-9][0-9])\\.[0-9]+$',
  'an OpenTofu release of 1.10.0 or later, such as 1.10.6',
);

/** An Incus remote's name; it also names the remote's server certificate file. */
export const remoteName = regexRule(
  '^[a-z][a-z0-9-]*$',
  'a remote name of lower-case letters, digits and hyphens that starts with a letter',
);

/** The HTTPS address of an Incus server's API. */
export const remoteAddress = regexRule(
  '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
  'an Incus API address such as https://10.30.0.1:8443',
);

/** A PEM-encoded X.509 certificate. */
export const pemCertificate = regexRule(
  '-----BEGIN CERTIFICATE-----',
  'a PEM certificate (-----BEGIN CERTIFICATE-----)',
);

/** A PEM-encoded private key of any algorithm. */
export const pemPrivateKey = regexRule(
  '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----',
  'a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)',
);

/**
 * An image on an Incus remote pinned to a release: a version tag or a digest, so a rebuild
 * runs what was reviewed (`latest` moves under the same name).
 */
export const pinnedImage = regexRule(
  '^[a-z][a-z0-9-]*:[a-z0-9][a-z0-9._/-]*(:v?[0-9]+\\.[0-9]+\\.[0-9]+|@sha256:[0-9a-f]{64})$',
  'an image pinned to a release, such as ghcr:runatlantis/atlantis:v0.35.0 (a version tag or an @sha256: digest, never latest)',
);
