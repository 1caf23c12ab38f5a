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

/** The HTTPS address of a Forgejo instance. */
export const forgejoUrl = regexRule(
  '^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[^\\s]*)?$',
  'an https URL such as https://forgejo.example.com',
);

/**
 * A runner label: `name:host` runs jobs on the runner itself,
 * `name:docker://image` in a container of that image.
 */
export const runnerLabel = regexRule(
  '^[A-Za-z0-9][A-Za-z0-9._-]*:(host|docker://[a-z0-9][A-Za-z0-9._/:@-]*)$',
  'a label such as "docker:docker://node:20-bookworm" or "self-hosted:host"',
);

/** A release of Forgejo Runner, without the leading "v". */
export const semver = regexRule(
  '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  'a release version such as 12.8.2 (no leading "v")',
);

/** The name the runner registers under in Forgejo. */
export const runnerName = regexRule(
  '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
  'a runner name of letters, digits, ".", "_" and "-", at most 63 characters',
);
