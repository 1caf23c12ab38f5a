// What log shippers (Alloy, Promtail) share: the inputs of a journald/log-file shipper,
// validated once for zod and once for the generated `validation` blocks.
import {
  goDuration,
  input,
  port,
  T,
  variable,
  variablesOf,
  type Link,
  type Validation,
} from '@atlas/core';
import { exprSchema, logSinkSchema, type LogSink } from './service-options.js';
import { binary, call, forList, isExpr, not, ref, str, toExpr, type Expr } from '@atlas/hcl';
import { linkedValue, type LinkConsumer } from './links.js';
import { z } from 'zod';

/** The journal field naming the systemd unit a line came from, as both shippers offer it to relabeling. */
export const JOURNAL_UNIT_LABEL = '__journal__systemd_unit';
/** The journal priority as a word (`err`, `info`…), shipped as the `level` label. */
export const JOURNAL_PRIORITY_LABEL = '__journal_priority_keyword';
/** The host an entry was logged on: its instance's name, for the `instance` label. */
export const JOURNAL_HOSTNAME_LABEL = '__journal__hostname';

/** Labels the shipper sets itself; static labels may not take them over. */
export const SHIPPER_LABELS = ['job', 'unit', 'service', 'level', 'filename'] as const;

export const DEFAULT_JOURNAL_MAX_AGE = '12h';
export const DEFAULT_LOG_FILES: readonly string[] = ['/var/log/*.log'];

const LABEL_NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const UNIT_TYPES = 'service|socket|timer|scope|mount|path|swap|slice|target';
const UNIT_NAME = `^[a-zA-Z0-9:_.@-]+\\.(${UNIT_TYPES})$`;
const PUSH_URL = '^https?://[^/\\s]+(/\\S*)?$';

const can = (pattern: string, value: Expr) => call('can', [call('regex', [str(pattern), value])]);

const LABEL_NAME_MESSAGE =
  'letters, digits and underscores, not starting with a digit (^[a-zA-Z_][a-zA-Z0-9_]*$)';
const RESERVED_MESSAGE = `names starting with "__" are reserved, and ${SHIPPER_LABELS.join(', ')} are set by the shipper`;

const isReserved = (name: string) =>
  name.startsWith('__') || (SHIPPER_LABELS as readonly string[]).includes(name);

/** Static labels on every line shipped: `{ environment: 'cluster01', host: 'node1' }`. */
export const labelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const name of Object.keys(labels)) {
    if (!new RegExp(LABEL_NAME).test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `expected a label name of ${LABEL_NAME_MESSAGE}`,
      });
    else if (isReserved(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `label name not allowed: ${RESERVED_MESSAGE}`,
      });
  }
});

const UNIT_MESSAGE = `a systemd unit name such as mosquitto.service (letters, digits and ":_.@-", ending in .${UNIT_TYPES.split('|').join(', .')})`;

const unitMapping = z
  .object({
    unit: z.string().regex(new RegExp(UNIT_NAME), `expected ${UNIT_MESSAGE}`),
    service: z.string().min(1, 'expected a non-empty service label'),
  })
  .strict();

/** `mosquitto` or `mosquitto.service` → unit `mosquitto.service`, service `mosquitto`. */
function unitOf(name: string): { unit: string; service: string } {
  const unit = new RegExp(`\\.(${UNIT_TYPES})$`).test(name) ? name : `${name}.service`;
  return { unit, service: unit.replace(/\.service$/, '') };
}

/**
 * The systemd units to ship, each with the `service` label its lines get: a
 * unit name (`mosquitto`, `coredns.service`; the label is the name without
 * `.service`) or `{ unit, service }`. Empty ships the whole journal.
 */
export const servicesSchema = z
  .array(
    z
      .union([z.string(), z.object({ unit: z.string(), service: z.string() }).strict()])
      .transform((s) => (typeof s === 'string' ? unitOf(s) : s))
      .pipe(unitMapping),
  )
  .superRefine((units, ctx) => {
    const seen = new Set<string>();
    units.forEach((u, i) => {
      if (seen.has(u.unit))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'unit'],
          message: `unit "${u.unit}" is listed twice`,
        });
      seen.add(u.unit);
    });
  });

export const logFilesSchema = z.array(
  z.string().startsWith('/', 'expected an absolute path or glob such as /var/log/*.log'),
);

/** Where logs go: a Loki instance, or (escape hatch) an expression for a push URL from elsewhere. */
export const lokiTargetSchema = z.custom<LogSink | Expr>(
  (v) => exprSchema.safeParse(v).success || logSinkSchema.safeParse(v).success,
  {
    message:
      'expected a Loki instance (the value loki(…) returns) or an HCL expression for its push URL',
  },
);

/** The push URL `consumer` reaches `target` at (its link added to `links`). */
export const pushUrlFor = (consumer: LinkConsumer, target: LogSink | Expr, links: Link[]): Expr =>
  isExpr(target)
    ? target
    : linkedValue(consumer, target.logs.link, target.logs.pushUrl, 'loki_push_url', links);

/** The HTTP server of a shipper: its default port and what the port variable says. */
export interface ShipperHttp {
  readonly port: number;
  readonly description: string;
}

/** The builder options both shippers add to the standard service options. */
export function logShippingOptions(http: ShipperHttp) {
  const inputs = logShippingInputs(http);
  return {
    /** The Loki to push to: `loki01` (renders as `module.loki01.push_url`). */
    loki: lokiTargetSchema,
    labels: inputs.labels.schema,
    services: inputs.units.schema,
    /** How far back to read the journal when no position is stored yet. */
    journalMaxAge: inputs.journal_max_age.schema,
    /** Files to ship besides the journal; empty ships the journal only. */
    logFiles: inputs.log_files.schema,
    httpPort: inputs.http_port.schema,
  };
}

export interface LogShippingOptions {
  readonly loki: LogSink | Expr;
  readonly labels: Readonly<Record<string, string>>;
  readonly services: ReadonlyArray<{ readonly unit: string; readonly service: string }>;
  readonly journalMaxAge: string;
  readonly logFiles: readonly string[];
  readonly httpPort: number;
}

/** Module arguments for the shipping variables; defaults are left out to keep the call short. */
export function logShippingArgs(
  o: LogShippingOptions & LinkConsumer,
  http: ShipperHttp,
  links: Link[],
) {
  const inputs = logShippingInputs(http);
  return {
    loki_push_url: pushUrlFor(o, o.loki, links),
    labels: inputs.labels.arg({ ...o.labels }),
    units: inputs.units.arg(o.services.map((s) => ({ ...s }))),
    journal_max_age: inputs.journal_max_age.arg(o.journalMaxAge),
    log_files: inputs.log_files.arg([...o.logFiles]),
    http_port: inputs.http_port.arg(o.httpPort),
  };
}

const allOf = (iterator: string, collection: Expr, condition: Expr) =>
  call('alltrue', [forList(iterator, collection, condition)]);

/** The shipping inputs both shippers declare once, in README order: builder options and module variables. */
export function logShippingInputs(http: ShipperHttp) {
  // Builders ask for them on every call: build them once per shipper.
  const cached = shippingInputs.get(http);
  if (cached) return cached;
  const inputs = declareShippingInputs(http);
  shippingInputs.set(http, inputs);
  return inputs;
}

const shippingInputs = new WeakMap<ShipperHttp, ReturnType<typeof declareShippingInputs>>();

function declareShippingInputs(http: ShipperHttp) {
  return {
    labels: input(labelsSchema, {
      type: T.map(T.string),
      description:
        'Static labels on every line shipped, e.g. { environment = "cluster01", host = "node1" }.',
      default: {},
      validations: (self): Validation[] => [
        {
          condition: allOf('name', call('keys', [self]), can(LABEL_NAME, ref('name'))),
          errorMessage: `Label names must be ${LABEL_NAME_MESSAGE}.`,
          rejects: { '1env': 'x' },
        },
        {
          condition: allOf(
            'name',
            call('keys', [self]),
            binary(
              '&&',
              not(call('startswith', [ref('name'), str('__')])),
              not(call('contains', [toExpr([...SHIPPER_LABELS]), ref('name')])),
            ),
          ),
          errorMessage: `Label ${RESERVED_MESSAGE}.`,
          rejects: { __name__: 'x' },
        },
      ],
    }),
    journal_max_age: input(goDuration, {
      type: T.string,
      description: 'How far back to read the journal when no position is stored yet (Go duration).',
      default: DEFAULT_JOURNAL_MAX_AGE,
    }),
    units: input(servicesSchema, {
      type: T.list(T.object({ unit: T.string, service: T.string })),
      description:
        'systemd units to ship, each with the "service" label its lines get; empty ships the whole journal, labelled by unit name without ".service".',
      default: [],
      validations: (self): Validation[] => [
        {
          condition: allOf('u', self, can(UNIT_NAME, ref('u.unit'))),
          errorMessage: `Each "unit" must be ${UNIT_MESSAGE}.`,
          rejects: [{ unit: 'my app.service', service: 'app' }],
        },
        {
          condition: binary(
            '==',
            call('length', [call('distinct', [forList('u', self, ref('u.unit'))])]),
            call('length', [self]),
          ),
          errorMessage: 'Each unit may be listed only once.',
          rejects: [
            { unit: 'a.service', service: 'a' },
            { unit: 'a.service', service: 'b' },
          ],
        },
        {
          condition: allOf('u', self, binary('!=', ref('u.service'), str(''))),
          errorMessage: 'Each "service" label must be non-empty.',
          rejects: [{ unit: 'a.service', service: '' }],
        },
      ],
    }),
    log_files: input(logFilesSchema, {
      type: T.list(T.string),
      description:
        'Files to ship besides the journal (absolute paths or globs), labelled job = "varlogs"; empty ships the journal only.',
      default: [...DEFAULT_LOG_FILES],
      validations: (self): Validation[] => [
        {
          condition: allOf('path', self, call('startswith', [ref('path'), str('/')])),
          errorMessage: 'Each log file must be an absolute path or glob such as /var/log/*.log.',
          rejects: ['var/log/*.log'],
        },
      ],
    }),
    http_port: input(port, {
      type: T.number,
      description: http.description,
      default: http.port,
    }),
  };
}

/** The module variables both shippers declare, in README order. */
export function logShippingVariables(http: ShipperHttp) {
  return {
    loki_push_url: variable({
      type: T.string,
      description: 'Loki push URL to ship to, such as http://loki01.incus:3100/loki/api/v1/push.',
      example: 'http://loki01.incus:3100/loki/api/v1/push',
      validations: (self): Validation[] => [
        {
          condition: can(PUSH_URL, self),
          errorMessage:
            'Must be an http:// or https:// URL such as http://loki01.incus:3100/loki/api/v1/push.',
          rejects: 'loki01.incus:3100/loki/api/v1/push',
        },
      ],
    }),
    ...variablesOf(logShippingInputs(http)),
  };
}

/** A relabel regex matching exactly this unit name (relabel regexes are anchored; unit names hold no other metacharacter). */
export const unitPattern = (unit: Expr): Expr => call('replace', [unit, str('.'), str('\\.')]);

/** A relabel regex matching any of the listed units. */
export const anyUnitPattern = (units: Expr): Expr =>
  call('join', [str('|'), forList('u', units, unitPattern(ref('u.unit')))]);
