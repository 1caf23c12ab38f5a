import { binary, bool, call, cond, nil, num, str, type Expr } from '@atlas/hcl';
import { Cron } from 'croner';
import ipaddr from 'ipaddr.js';
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

/**
 * A rule whose HCL side is a coarse `regex` (all OpenTofu can do) and whose
 * TypeScript side asks a real parser, so the estate catches what the regex lets through.
 */
const parsedRule = (pattern: string, what: string, valid: (s: string) => boolean): PatternRule => {
  const regex = new RegExp(pattern);
  return {
    ...regexRule(pattern, what),
    schema: z
      .string({ error: `expected ${what}` })
      .refine((s) => regex.test(s) && valid(s), `expected ${what}`),
  };
};

/** The schedule aliases Incus accepts for `snapshots.schedule` (a comma-separated list of them is allowed too). */
const SCHEDULE_ALIASES = [
  '@hourly',
  '@daily',
  '@midnight',
  '@weekly',
  '@monthly',
  '@annually',
  '@yearly',
];

/**
 * Whether Incus (robfig/cron's standard parser) takes `schedule`: five
 * fields, each value in range, or a list of aliases. croner checks the
 * fields; Quartz extensions it also knows (L, W, #) are not Incus's.
 */
export function isSnapshotSchedule(schedule: string): boolean {
  if (schedule.startsWith('@'))
    return schedule.split(',').every((alias) => SCHEDULE_ALIASES.includes(alias.trim()));
  const fields = schedule.split(' ');
  if (
    fields.length !== 5 ||
    fields.some((f) => f === '' || /[LW#]/i.test(f.replace(/[A-Za-z]{3}/g, '')))
  )
    return false;
  try {
    new Cron(schedule, { paused: true });
    return true;
  } catch {
    return false;
  }
}

/** Incus snapshot schedule: a 5-field cron expression or @hourly, @daily, @weekly, @monthly, @yearly. */
export const snapshotSchedule = parsedRule(
  '^(@(hourly|daily|midnight|weekly|monthly|yearly|annually)(, *@(hourly|daily|midnight|weekly|monthly|yearly|annually))*|[0-9*,/?-]+ [0-9*,/?-]+ [0-9*,/?-]+ [0-9*,/a-zA-Z-]+ [0-9*,/?a-zA-Z-]+)$',
  'a cron expression of five fields in range ("0 2 * * *") or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly',
  isSnapshotSchedule,
);

/** Incus snapshot expiry: `7d`, `2w`, `1m` (months), or several parts like `1w 3d`. */
export const snapshotExpiry = regexRule(
  '^[0-9]+[MHdwmy]( [0-9]+[MHdwmy])*$',
  'an Incus expiry such as 7d, 2w or 1m (units M minutes, H hours, d days, w weeks, m months, y years)',
);

/**
 * Incus snapshot name pattern. Incus renders it with Pongo2, where `creation_date` is a Go
 * time: unformatted it prints spaces, colons and a zone, which a snapshot name cannot hold,
 * so Incus's docs say to format it (`{{ creation_date|date:"2006-01-02_15-04-05" }}`, with
 * single or double quotes). `%d` numbers snapshots instead. Literal text and the date layout
 * are limited to characters a snapshot name may contain.
 */
export const snapshotPattern = regexRule(
  `^([A-Za-z0-9_.-]|%d|\\{\\{ *creation_date *\\| *date *: *("[A-Za-z0-9_.-]+"|'[A-Za-z0-9_.-]+') *\\}\\})+$`,
  `a snapshot name pattern of letters, digits, "-", "_", ".", "%d" and formatted dates such as {{ creation_date|date:'2006-01-02_15-04-05' }} (an unformatted {{ creation_date }} is not a valid snapshot name)`,
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

const isIpv4 = (text: string) => ipaddr.IPv4.isValidFourPartDecimal(text);

function isCidr(text: string, family: 'ipv4' | 'ipv6'): boolean {
  const slash = text.indexOf('/');
  const address = text.slice(0, slash);
  if (slash < 0 || !/^(0|[1-9][0-9]*)$/.test(text.slice(slash + 1))) return false;
  try {
    if (family === 'ipv4') return isIpv4(address) && (ipaddr.IPv4.parseCIDR(text), true);
    // ipaddr.js also reads IPv4-mapped forms; Incus wants a plain IPv6 address here.
    return (
      !address.includes('.') && ipaddr.IPv6.isValid(address) && (ipaddr.IPv6.parseCIDR(text), true)
    );
  } catch {
    return false;
  }
}

/** An IPv4 address (dotted quad, checked by ipaddr.js). */
export const ipv4Address = parsedRule(`^${IPV4}$`, 'an IPv4 address such as 10.10.0.1', isIpv4);

/** An IPv4 address with prefix length, as Incus wants for `ipv4.address` (`10.10.0.1/24`). */
export const ipv4Cidr = parsedRule(
  `^${IPV4}/(3[0-2]|[12]?[0-9])$`,
  'an IPv4 address with prefix length such as 10.10.0.1/24',
  (text) => isCidr(text, 'ipv4'),
);

/** An IPv6 address with prefix length (`fd00:10:10::1/64`). */
export const ipv6Cidr = parsedRule(
  '^[0-9a-fA-F:]*:[0-9a-fA-F:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$',
  'an IPv6 address with prefix length such as fd00:10:10::1/64',
  (text) => isCidr(text, 'ipv6'),
);

/** An HCL identifier, as OpenTofu wants for module, variable and output names. */
export const hclIdentifier = regexRule(
  '^[a-zA-Z_][a-zA-Z0-9_-]*$',
  'an identifier of letters, digits, underscores and hyphens that starts with a letter or underscore',
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

/** The IPv4 or IPv6 network a gateway address with prefix length lies in, as [first, last] numbers. */
function cidrSpan(cidr: string): readonly [bigint, bigint] {
  const [address, bits] = ipaddr.parseCIDR(cidr);
  const bytes = address.toByteArray();
  const width = bytes.length * 8;
  const value = bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
  const host = (1n << BigInt(width - bits)) - 1n;
  return [value & ~host, value | host];
}

/** Whether two networks given as address/prefix (`10.20.0.1/24`) share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  if (a.includes(':') !== b.includes(':')) return false;
  const [aFirst, aLast] = cidrSpan(a);
  const [bFirst, bLast] = cidrSpan(b);
  return aFirst <= bLast && bFirst <= aLast;
}

const ipv4Number = (address: string) =>
  ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);

/** An entry of Incus's `ipv4.ovn.ranges`: `192.168.68.10-192.168.68.50`, or a single address. */
export const ipv4RangeSchema = z.string().refine((text) => {
  const [first, last, ...rest] = text.split('-');
  if (rest.length || !isIpv4(first!) || (last !== undefined && !isIpv4(last))) return false;
  return last === undefined || ipv4Number(first!) <= ipv4Number(last);
}, 'expected an IPv4 range such as 192.168.68.10-192.168.68.50 (first address, "-", last address)');

/** Whether `address` lies in one of `ranges` (entries of {@link ipv4RangeSchema}). */
export function inIpv4Ranges(address: string, ranges: readonly string[]): boolean {
  const n = ipv4Number(address);
  return ranges.some((range) => {
    const [first, last = first] = range.split('-') as [string, string?];
    return ipv4Number(first) <= n && n <= ipv4Number(last!);
  });
}

/** A description: printed in comments, tables and `description = "…"`, so one line of text. */
export const oneLineDescription = z
  .string({ error: 'expected a description (one line of text)' })
  .refine((text) => text.trim() !== '', 'expected a description (one line of text), got none')
  .refine(
    (text) => !/[\r\n\u2028\u2029]/.test(text),
    'expected one line: descriptions end up in comments and tables, where a line break would end them; use a space or split the text into sentences',
  );
