import { duration, parseConfig, type Link, type ModuleCall } from '@atlas/core';
import {
  alertReceiverSchema,
  metricsSourceSchema,
  serviceArgs,
  serviceOptionsSchema,
  linkedValue,
  type AlertReceiver,
  type DatasourceSource,
  type MetricsSource,
  placement,
  reachable,
} from '@atlas/incus-service';
import { isExpr, object, str, toExpr, tuple, type Expr, tpl } from '@atlas/hcl';
import { z } from 'zod';
import {
  PROMETHEUS_DEFAULTS,
  PROMETHEUS_INPUTS,
  PROMETHEUS_PORT,
  alertRuleValue,
  prometheusModule,
} from './module.js';

export { DEFAULT_ALERT_RULES, type AlertRule } from './alert-rules.js';
export {
  PROMETHEUS_DEFAULTS,
  PROMETHEUS_INPUTS,
  PROMETHEUS_PORT,
  prometheusModule,
} from './module.js';

const JOB_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

const scrapeJobSchema = z
  .object({
    name: z.string().regex(JOB_NAME, 'expected a job name of letters, digits, "_" and "-"'),
    /** Services to scrape (their metrics target), or literal `host:port` strings. */
    targets: z
      .array(
        z.union([metricsSourceSchema, z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')]),
      )
      .min(1),
    metricsPath: z.string().startsWith('/').optional(),
    scheme: z.enum(['http', 'https']).optional(),
    honorLabels: z.boolean().optional(),
    params: z.record(z.string(), z.array(z.string())).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type ScrapeJob = z.input<typeof scrapeJobSchema>;

/** A scrape job for one or more services, with their metrics path and scheme. */
export function scrapeJob(name: string, ...sources: MetricsSource[]): ScrapeJob {
  const first = sources[0];
  return {
    name,
    targets: sources,
    ...(first?.metrics.path && first.metrics.path !== '/metrics'
      ? { metricsPath: first.metrics.path }
      : {}),
    ...(first?.metrics.scheme && first.metrics.scheme !== 'http'
      ? { scheme: first.metrics.scheme }
      : {}),
  };
}

/** Default series pulled by federation: everything each job scraped. */
export const DEFAULT_FEDERATION_MATCH = ['{job=~".+"}'];

/** A federation job: this Prometheus pulls `match` series from another one (C3: iapetus ← cluster01). */
export function federationJob(
  source: MetricsSource & { readonly environment?: string },
  options: { name?: string; match?: string[]; labels?: Record<string, string> } = {},
): ScrapeJob {
  return {
    // Federating another environment's Prometheus is named after that environment.
    name: options.name ?? `federate-${source.environment ?? source.name}`,
    targets: [source],
    metricsPath: '/federate',
    honorLabels: true,
    params: { 'match[]': options.match ?? DEFAULT_FEDERATION_MATCH },
    ...(options.labels ? { labels: options.labels } : {}),
  };
}

const alertmanagerSchema = z.union([
  alertReceiverSchema,
  z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'),
]);

export const prometheusConfigSchema = serviceOptionsSchema(PROMETHEUS_DEFAULTS)
  .extend({
    retention: z
      .object({
        time: PROMETHEUS_INPUTS.retention_time.schema,
        size: PROMETHEUS_INPUTS.retention_size.schema,
      })
      .strict()
      .prefault({}),
    scrapeInterval: PROMETHEUS_INPUTS.scrape_interval.schema,
    evaluationInterval: PROMETHEUS_INPUTS.evaluation_interval.schema,
    scrapeJobs: z.array(scrapeJobSchema).default([]),
    /** Added to what this Prometheus sends out; defaults to `{ environment: <its site's environment> }`. */
    externalLabels: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name'), z.string())
      .optional(),
    alertmanagers: z.array(alertmanagerSchema).default([]),
    /** Replaces the standard alert rules when given. */
    alertRules: z
      .array(
        z
          .object({
            alert: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an alert name like ServiceDown'),
            expr: z.string().min(1),
            for: duration.schema,
            severity: z.enum(['critical', 'warning', 'info']),
            summary: z.string().min(1),
            description: z.string().min(1),
          })
          .strict(),
      )
      .optional(),
    /** The incus-metrics module's outputs, for the mTLS scrape of the Incus API. */
    /** An incusMetrics(…) instance, or its `prometheus` output. */
    incusMetrics: z
      .union(
        [
          z.custom<Expr>((v) => isExpr(v)),
          z.custom<{ incusMetrics: { prometheus: Expr } }>(
            (v) => typeof v === 'object' && v !== null && 'incusMetrics' in v,
          ),
        ],
        { error: 'expected an incusMetrics(…) instance or its prometheus output' },
      )
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.scrapeJobs.forEach((j, i) => {
      if (seen.has(j.name))
        ctx.addIssue({
          code: 'custom',
          path: ['scrapeJobs', i, 'name'],
          message: `job name "${j.name}" is used twice`,
        });
      seen.add(j.name);
    });
  });

export type PrometheusConfig = z.input<typeof prometheusConfigSchema>;

export type PrometheusInstance = ModuleCall<
  typeof prometheusModule.variables,
  typeof prometheusModule.body.outputs
> &
  MetricsSource &
  DatasourceSource & { readonly service: 'prometheus' };

/**
 * The Prometheus that will be called `name`, before it is built: for a service
 * it scrapes that also queries it (Grafana). Its capabilities point at
 * `module.<name>.…`; the environment checks the call exists.
 */
export function prometheusReference(name: string): MetricsSource & DatasourceSource {
  const outputs = prometheusModule.refs(name);
  return {
    name,
    metrics: { target: outputs.metrics_target },
    datasource: { type: 'prometheus', url: outputs.endpoint },
  };
}

/** A Prometheus instance: validates `config` and returns the module call with typed outputs. */
export function prometheus(config: PrometheusConfig): PrometheusInstance {
  const c = parseConfig(prometheusConfigSchema, config, [
    config.name ?? PROMETHEUS_DEFAULTS.instanceName,
  ]);
  const links: Link[] = [];
  const target = (t: MetricsSource | string): Expr =>
    typeof t === 'string'
      ? str(t)
      : linkedValue(c, t.metrics.link, t.metrics.target, 'scrape_jobs', links);
  const alertmanager = (a: AlertReceiver | string): Expr =>
    typeof a === 'string'
      ? str(a)
      : linkedValue(c, a.alerting.link, a.alerting.target, 'alertmanagers', links);
  const call = prometheusModule.call(
    c.name,
    {
      ...serviceArgs(c, PROMETHEUS_DEFAULTS),
      retention_time: PROMETHEUS_INPUTS.retention_time.arg(c.retention.time),
      retention_size: c.retention.size,
      scrape_interval: PROMETHEUS_INPUTS.scrape_interval.arg(c.scrapeInterval),
      evaluation_interval: PROMETHEUS_INPUTS.evaluation_interval.arg(c.evaluationInterval),
      external_labels:
        c.externalLabels ??
        (c.network.site ? { environment: c.network.site.environment } : undefined),
      scrape_jobs: c.scrapeJobs.length
        ? tuple(
            c.scrapeJobs.map((j) =>
              object({
                name: str(j.name),
                targets: tuple(j.targets.map(target)),
                ...(j.metricsPath ? { metrics_path: str(j.metricsPath) } : {}),
                ...(j.scheme ? { scheme: str(j.scheme) } : {}),
                ...(j.honorLabels ? { honor_labels: toExpr(true) } : {}),
                ...(j.params ? { params: toExpr(j.params) } : {}),
                ...(j.labels ? { labels: toExpr(j.labels) } : {}),
              }),
            ),
          )
        : undefined,
      alertmanagers: c.alertmanagers.length ? tuple(c.alertmanagers.map(alertmanager)) : undefined,
      alert_rules: c.alertRules?.map(alertRuleValue),
      incus_metrics:
        c.incusMetrics && !isExpr(c.incusMetrics)
          ? c.incusMetrics.incusMetrics.prometheus
          : c.incusMetrics,
    },
    { links },
  );
  const at = placement(c);
  return Object.assign(call, {
    service: 'prometheus' as const,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(at, PROMETHEUS_PORT, call.outputs.metrics_target),
    },
    datasource: {
      type: 'prometheus' as const,
      url: call.outputs.endpoint,
      link: reachable(
        at,
        PROMETHEUS_PORT,
        call.outputs.endpoint,
        (hostPort) => tpl`http://${hostPort}`,
      ),
    },
  });
}
