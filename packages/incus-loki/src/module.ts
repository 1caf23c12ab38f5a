import { T, defineModule, input, output, packageInfo, variable, type Rule } from '@atlas/core';
import { commented } from '@atlas/incus-service';
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
} from '@atlas/hcl';
import { resource } from '@atlas/providers';
import { z } from 'zod';

/** Event types Incus can send to a logging target. */
export const EVENT_TYPES = ['lifecycle', 'logging', 'network-acl'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Minimum levels for `logging` events (logrus level names). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What Incus assumes for `logging.<name>.*` keys that are not set (from its
 * server configuration reference). Incus does not store a key set to its
 * default, so these values must never be sent.
 */
export const INCUS_LOGGING_DEFAULTS = {
  types: 'lifecycle,logging',
  'logging.level': 'info',
  'target.retry': '3',
} as const;

/** The seeds' Incus → Loki logging: named `loki01`, lifecycle and logging events. */
export const INCUS_LOKI_DEFAULTS = {
  loggingName: 'loki01',
  types: ['lifecycle', 'logging'] as EventType[],
  level: 'info' as LogLevel,
  retry: 3,
} as const;

const LOGGING_NAME = '^[a-zA-Z0-9_-]+$';
/** A value inside a comma-separated Incus list: no commas, no spaces. */
const LIST_ITEM = '^[^,\\s]+$';

/** The `<name>` in `logging.<name>.*`: one key segment. */
export const loggingName: Rule<z.ZodString> = {
  schema: z
    .string({ error: 'expected a logging name of letters, digits, "_" and "-"' })
    .regex(new RegExp(LOGGING_NAME), 'expected a logging name of letters, digits, "_" and "-"'),
  validation: (self) => ({
    condition: call('can', [call('regex', [str(LOGGING_NAME), self])]),
    errorMessage: 'Must be letters, digits, "_" and "-" (one segment of logging.<name>.*).',
  }),
};

const PUSH_PATH = '/loki/api/v1/push';
const HTTP_URL = '^https?://\\S+$';

/** Loki's base URL: Incus adds the push path itself. */
export const lokiBaseUrl: Rule<z.ZodString> = {
  schema: z
    .string({ error: 'expected an http(s) URL such as http://loki01.incus:3100' })
    .regex(new RegExp(HTTP_URL), 'expected an http(s) URL such as http://loki01.incus:3100')
    .refine((url) => !url.endsWith(PUSH_PATH), `expected Loki's base URL, without ${PUSH_PATH}`),
  validation: (self) => ({
    condition: binary(
      '&&',
      call('can', [call('regex', [str(HTTP_URL), self])]),
      not(call('endswith', [self, str(PUSH_PATH)])),
    ),
    errorMessage: `Must be Loki's base URL such as http://loki01.incus:3100 (Incus adds ${PUSH_PATH}).`,
  }),
};

/** A list Incus stores as one comma-separated value: no item may hold a comma or a space. */
export const commaListItems = (what: string): Rule<z.ZodArray<z.ZodString>> => ({
  schema: z.array(
    z.string().regex(new RegExp(LIST_ITEM), `expected each ${what} without commas or spaces`),
  ),
  validation: (self) => ({
    condition: call('alltrue', [
      forList('item', self, call('can', [call('regex', [str(LIST_ITEM), ref('item')])])),
    ]),
    errorMessage: `Each ${what} must be non-empty, without commas or spaces.`,
  }),
});

/** The event types to send: at least one, each once. */
export const eventTypes: Rule<z.ZodType<EventType[]>> = {
  schema: z
    .array(z.enum(EVENT_TYPES, { error: `expected one of ${EVENT_TYPES.join(', ')}` }))
    .min(1, `expected at least one of ${EVENT_TYPES.join(', ')}`)
    .refine((types) => new Set(types).size === types.length, 'expected each event type once'),
  validation: (self) => ({
    condition: binary(
      '&&',
      binary(
        '&&',
        binary('>', call('length', [self]), num(0)),
        binary('==', call('length', [self]), call('length', [call('distinct', [self])])),
      ),
      call('alltrue', [
        forList('type', self, call('contains', [toExpr([...EVENT_TYPES]), ref('type')])),
      ]),
    ),
    errorMessage: `Must list one or more of ${EVENT_TYPES.join(', ')}, each once.`,
  }),
};

/** Least severe level of the logging events sent. */
export const logLevel: Rule<z.ZodType<LogLevel>> = {
  schema: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }),
  validation: (self) => ({
    condition: call('contains', [toExpr([...LOG_LEVELS]), self]),
    errorMessage: `Must be one of ${LOG_LEVELS.join(', ')}.`,
  }),
};

/** Delivery retries: a whole number, 0 or more. */
export const retryCount: Rule<z.ZodNumber> = {
  schema: z
    .number({ error: 'expected a whole number of retries, 0 or more' })
    .int('expected a whole number of retries, 0 or more')
    .min(0, 'expected a whole number of retries, 0 or more'),
  validation: (self) => ({
    condition: binary('&&', binary('>=', self, num(0)), binary('==', call('floor', [self]), self)),
    errorMessage: 'Must be a whole number, 0 or more.',
  }),
};

/** The logging target's inputs, declared once: the builder's options and the module's variables. */
export const INCUS_LOKI_INPUTS = {
  logging_name: input(loggingName, {
    type: T.string,
    description: 'Name of the logging target: the <name> in the logging.<name>.* server keys.',
    default: INCUS_LOKI_DEFAULTS.loggingName,
  }),
  types: input(eventTypes, {
    type: T.list(T.string),
    description: `Events to send: any of ${EVENT_TYPES.join(', ')}.`,
    default: INCUS_LOKI_DEFAULTS.types,
  }),
  logging_level: input(logLevel, {
    type: T.string,
    description: `Least severe level of logging events to send: ${LOG_LEVELS.join(', ')}.`,
    default: INCUS_LOKI_DEFAULTS.level,
  }),
  lifecycle_types: input(commaListItems('lifecycle type'), {
    type: T.list(T.string),
    description:
      'Kinds of lifecycle events to send (e.g. instance, network); empty sends them all.',
    default: [],
  }),
  lifecycle_projects: input(commaListItems('project'), {
    type: T.list(T.string),
    description: 'Projects whose lifecycle events are sent; empty sends those of every project.',
    default: [],
  }),
  labels: input(commaListItems('label'), {
    type: T.list(T.string),
    description:
      'Event fields Incus turns into Loki labels (e.g. action, level, project) instead of message text.',
    default: [],
  }),
  instance: input(z.string().min(1), {
    type: T.string,
    description:
      'Value of the "instance" label; null keeps the Incus default (the server or cluster member name).',
    default: null,
  }),
  retry: input(retryCount, {
    type: T.number,
    description: 'How many times Incus retries a failed delivery.',
    default: INCUS_LOKI_DEFAULTS.retry,
  }),
};

/** S14: Incus sends its own events (lifecycle, instance and daemon logs) straight to Loki. */
export const incusLokiModule = defineModule({
  name: 'incus-loki',
  package: packageInfo(import.meta.url),
  description:
    'Incus server logging to Loki: a named logging target (logging.<name>.*) in the server configuration, sending lifecycle events and daemon and instance logs. Keys equal to their Incus default are never sent.',
  providers: ['incus'],
  variables: {
    logging_name: INCUS_LOKI_INPUTS.logging_name.variable,
    loki_address: variable({
      type: T.string,
      description: `Base URL of Loki (Incus pushes to <address>${PUSH_PATH}).`,
      rules: [lokiBaseUrl],
      example: 'http://loki01.incus:3100',
    }),
    types: INCUS_LOKI_INPUTS.types.variable,
    logging_level: INCUS_LOKI_INPUTS.logging_level.variable,
    lifecycle_types: INCUS_LOKI_INPUTS.lifecycle_types.variable,
    lifecycle_projects: INCUS_LOKI_INPUTS.lifecycle_projects.variable,
    labels: INCUS_LOKI_INPUTS.labels.variable,
    instance: INCUS_LOKI_INPUTS.instance.variable,
    retry: INCUS_LOKI_INPUTS.retry.variable,
    ca_cert: variable({
      type: T.string,
      description:
        "PEM bundle that verifies Loki's certificate, for an https address; null trusts the system CAs.",
      default: null,
    }),
    username: variable({
      type: T.string,
      description: 'User for HTTP basic authentication to Loki; null for none.',
      default: null,
    }),
    password: variable({
      type: T.string,
      description: 'Password for HTTP basic authentication, sent only together with username.',
      default: null,
      sensitive: true,
    }),
  },
  build: (v) => {
    const settings = object({
      'target.type': str('loki'),
      'target.address': v.loki_address,
      // Sorted, so lifecycle and logging in either order match the Incus default and stay out.
      types: call('join', [str(','), call('sort', [v.types])]),
      'logging.level': v.logging_level,
      'lifecycle.types': call('join', [str(','), v.lifecycle_types]),
      'lifecycle.projects': call('join', [str(','), v.lifecycle_projects]),
      'target.labels': call('join', [str(','), v.labels]),
      'target.instance': v.instance,
      'target.retry': call('tostring', [v.retry]),
      'target.ca_cert': v.ca_cert,
      'target.username': v.username,
    });
    const value = ref('value');
    const stored = forMap(['key', 'value'], ref('local.settings'), ref('key'), value, {
      cond: binary(
        '&&',
        binary('&&', binary('!=', value, nil), binary('!=', value, str(''))),
        binary('!=', value, call('lookup', [ref('local.incus_defaults'), ref('key'), nil])),
      ),
    });
    const server = resource('incus_server', 'this', { config: ref('local.server_config') });
    return {
      locals: {
        prefix: { value: tpl`logging.${v.logging_name}` },
        settings: { value: settings },
        incus_defaults: {
          value: toExpr(INCUS_LOGGING_DEFAULTS),
          comment: 'What Incus assumes for these keys when they are not set.',
        },
        stored_settings: {
          value: stored,
          comment: [
            'Incus does not store a key set to "" or to its default value, so sending one would show',
            'as a change on every plan: such keys are left out.',
          ].join('\n'),
        },
        server_config: {
          value: call('merge', [
            forMap(
              ['key', 'value'],
              ref('local.stored_settings'),
              tpl`${ref('local.prefix')}.${ref('key')}`,
              value,
            ),
            cond(
              binary('==', v.username, nil),
              object({}),
              object([{ key: tpl`${ref('local.prefix')}.target.password`, value: v.password }]),
            ),
          ]),
          comment: [
            'The password joins apart, keyed on the username: a filter that looked at the sensitive',
            'password would mark the whole map sensitive and hide it from every plan.',
          ].join('\n'),
        },
      },
      resources: [
        commented(
          server.block,
          'Manages only the keys it sets; the rest of the server configuration is left alone.',
        ),
      ],
      outputs: {
        logging_name: output({
          description: 'Name of the Incus logging target that ships to Loki.',
          value: v.logging_name,
          type: T.string,
        }),
        loki_push_url: output({
          description: 'URL Incus pushes events to.',
          value: tpl`${v.loki_address}${PUSH_PATH}`,
          type: T.string,
        }),
      },
    };
  },
});
