import { binary, bool, call, cond, nil, num, str, type Expr } from '@atlas/hcl';
import { z } from 'zod';

/** One `validation` block of a `variable`. */
export interface Validation {
  readonly condition: Expr;
  readonly errorMessage: string;
  /** A value this validation rejects: the generated module tests expect it to fail. */
  readonly rejects?: unknown;
}

/**
 * A value rule stated once and enforced twice: by zod when TypeScript builds the
 * estate, and by the generated `validation` block when someone uses the module
 * straight from HCL.
 */
export interface Rule<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  /** The HCL validation for a variable whose value is `self` (e.g. `var.cpu_limit`). */
  readonly validation: (self: Expr) => Validation;
}

/** A rule that a string matches a pattern; `what` names the expectation in messages. */
export interface PatternRule extends Rule<z.ZodString> {
  readonly what: string;
}

/** A rule that a string matches `pattern` (a regex both JavaScript and RE2 read alike); `what` completes "expected …". */
export const regexRule = (pattern: string, what: string): PatternRule => ({
  what,
  schema: z.string({ error: `expected ${what}` }).regex(new RegExp(pattern), `expected ${what}`),
  validation: (self) => ({
    condition: call('can', [call('regex', [str(pattern), self])]),
    errorMessage: `Must be ${what}.`,
  }),
});

const SIZE_UNITS = 'kB|MB|GB|TB|KiB|MiB|GiB|TiB';

/** CPU count for `limits.cpu`: a whole number from 1 to 64. */
export const cpuCount: Rule<z.ZodNumber> = {
  schema: z
    .number({ error: 'expected a whole number of CPUs from 1 to 64' })
    .int('expected a whole number of CPUs from 1 to 64')
    .min(1, 'expected a whole number of CPUs from 1 to 64')
    .max(64, 'expected a whole number of CPUs from 1 to 64'),
  validation: (self) => ({
    condition: binary(
      '&&',
      binary('&&', binary('>=', self, num(1)), binary('<=', self, num(64))),
      binary('==', call('floor', [self]), self),
    ),
    errorMessage: 'Must be a whole number of CPUs from 1 to 64.',
  }),
};

/** Memory or disk size in Incus notation: a whole number and a unit, no space (`512MB`, `2GiB`). */
export const byteSize = regexRule(
  `^[1-9][0-9]*(${SIZE_UNITS})$`,
  `a size such as 512MB or 2GiB (a whole number followed by ${SIZE_UNITS.split('|').join(', ')}; no space)`,
);

/** Prometheus-style duration: `15s`, `30d`, `2w`, `720h`. */
export const duration = regexRule(
  '^[0-9]+(ms|s|m|h|d|w|y)$',
  'a duration such as 15s, 720h, 30d or 2w',
);

/** A Go duration, as Alertmanager, Alloy and Promtail flags take it: `12h`, `90m`, `1h30m` (no days). */
export const goDuration = regexRule(
  '^([0-9]+(ns|us|ms|s|m|h))+$',
  'a duration such as 12h, 90m or 1h30m (units ns, us, ms, s, m, h; no days)',
);

/** Incus snapshot schedule: a 5-field cron expression or @hourly, @daily, @weekly, @monthly, @yearly. */
export const snapshotSchedule = regexRule(
  '^(@(hourly|daily|midnight|weekly|monthly|yearly|annually)|[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/a-zA-Z-]+ [0-9*,/a-zA-Z-]+)$',
  'a cron expression ("0 2 * * *") or one of @hourly, @daily, @weekly, @monthly, @yearly',
);

/** Incus snapshot expiry: `7d`, `2w`, `1m` (months), or several parts like `1w 3d`. */
export const snapshotExpiry = regexRule(
  '^[0-9]+[MHdwmy]( [0-9]+[MHdwmy])*$',
  'an Incus expiry such as 7d, 2w or 1m (units M minutes, H hours, d days, w weeks, m months, y years)',
);

/** Incus instance, profile or volume name: letters, digits and hyphens, starting with a letter, at most 63 characters. */
export const instanceName = regexRule(
  '^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$',
  'a name of letters, digits and hyphens that starts with a letter, does not end with a hyphen and is at most 63 characters',
);

/** TCP/UDP port number. */
export const port: Rule<z.ZodNumber> = {
  schema: z
    .number({ error: 'expected a port number from 1 to 65535' })
    .int('expected a port number from 1 to 65535')
    .min(1, 'expected a port number from 1 to 65535')
    .max(65535, 'expected a port number from 1 to 65535'),
  validation: (self) => ({
    condition: binary('&&', binary('>=', self, num(1)), binary('<=', self, num(65535))),
    errorMessage: 'Must be a port number from 1 to 65535.',
  }),
};

const IPV4 =
  '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';

/** An IPv4 address. */
export const ipv4Address = regexRule(`^${IPV4}$`, 'an IPv4 address such as 10.10.0.1');

/** An IPv4 address with prefix length, as Incus wants for `ipv4.address` (`10.10.0.1/24`). */
export const ipv4Cidr = regexRule(
  `^${IPV4}/(3[0-2]|[12]?[0-9])$`,
  'an IPv4 address with prefix length such as 10.10.0.1/24',
);

/** An IPv6 address with prefix length (`fd00:10:10::1/64`). */
export const ipv6Cidr = regexRule(
  '^[0-9a-fA-F:]*:[0-9a-fA-F:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$',
  'an IPv6 address with prefix length such as fd00:10:10::1/64',
);

/** A rule that also accepts `null` (an unset, optional value). */
export function nullable<S extends z.ZodType>(rule: Rule<S>): Rule<z.ZodNullable<S>> {
  return {
    schema: rule.schema.nullable(),
    validation: (self) => {
      const inner = rule.validation(self);
      return {
        // HCL's `||` does not short-circuit, so guard the inner check with a conditional.
        condition: cond(binary('==', self, nil), bool(true), inner.condition),
        errorMessage: inner.errorMessage.replace(/\.$/, ', or null.'),
      };
    },
  };
}
