import { previewModule } from '@atlas/preview';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_FILE, POSITIONS_FILE, promtailModule } from './module.js';

// No Promtail binary is packaged for Debian, so the test checks config.yml against the parts of
// Promtail's configuration reference the module writes: Promtail refuses unknown keys, so every
// key must be one it knows, and the values must have the types and syntax it expects.

type Yaml = Record<string, unknown>;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  root: [
    'server',
    'positions',
    'clients',
    'scrape_configs',
    'limits_config',
    'target_config',
    'options',
    'tracing',
  ],
  server: [
    'http_listen_address',
    'http_listen_port',
    'grpc_listen_address',
    'grpc_listen_port',
    'log_level',
    'register_instrumentation',
  ],
  positions: ['filename', 'sync_period', 'ignore_invalid_yaml'],
  client: [
    'url',
    'tenant_id',
    'batchwait',
    'batchsize',
    'basic_auth',
    'bearer_token',
    'tls_config',
    'backoff_config',
    'external_labels',
    'timeout',
  ],
  scrape: [
    'job_name',
    'journal',
    'static_configs',
    'relabel_configs',
    'pipeline_stages',
    'file_sd_configs',
    'syslog',
    'loki_push_api',
  ],
  journal: ['max_age', 'json', 'labels', 'path', 'matches'],
  static: ['targets', 'labels'],
  relabel: [
    'source_labels',
    'separator',
    'target_label',
    'regex',
    'modulus',
    'replacement',
    'action',
  ],
};
const ACTIONS = ['replace', 'keep', 'drop', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GO_DURATION = /^([0-9]+(ns|us|ms|s|m|h))+$/;

function promtailProblems(config: Yaml): string[] {
  const problems: string[] = [];
  const keys = (value: unknown, kind: string, where: string): Yaml => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where}: expected a mapping`);
      return {};
    }
    for (const key of Object.keys(value))
      if (!KNOWN_KEYS[kind]!.includes(key)) problems.push(`${where}: unknown key ${key}`);
    return value as Yaml;
  };
  const check = (ok: boolean, message: string) => ok || problems.push(message);

  const root = keys(config, 'root', 'config');
  const server = keys(root.server, 'server', 'server');
  check(Number.isInteger(server.http_listen_port), 'server.http_listen_port: expected a port');
  const positions = keys(root.positions, 'positions', 'positions');
  check(
    String(positions.filename).startsWith('/'),
    'positions.filename: expected an absolute path',
  );
  check(Array.isArray(root.clients) && root.clients.length > 0, 'clients: expected at least one');
  (root.clients as unknown[]).forEach((c, i) => {
    const client = keys(c, 'client', `clients[${i}]`);
    check(
      /^https?:\/\/\S+$/.test(String(client.url)),
      `clients[${i}].url: expected an http(s) URL`,
    );
  });
  const jobs = root.scrape_configs as unknown[];
  check(Array.isArray(jobs) && jobs.length > 0, 'scrape_configs: expected at least one job');
  const names = new Set<unknown>();
  jobs.forEach((j, i) => {
    const where = `scrape_configs[${i}]`;
    const job = keys(j, 'scrape', where);
    check(
      typeof job.job_name === 'string' && !names.has(job.job_name),
      `${where}: job_name must be unique`,
    );
    names.add(job.job_name);
    check(
      'journal' in job !== 'static_configs' in job,
      `${where}: one of journal or static_configs`,
    );
    if ('journal' in job) {
      const journal = keys(job.journal, 'journal', `${where}.journal`);
      check(
        GO_DURATION.test(String(journal.max_age)),
        `${where}.journal.max_age: expected a Go duration`,
      );
      for (const name of Object.keys((journal.labels ?? {}) as Yaml))
        check(
          LABEL_NAME.test(name) && !name.startsWith('__'),
          `${where}.journal.labels: bad name ${name}`,
        );
    }
    ((job.static_configs ?? []) as unknown[]).forEach((s, k) => {
      const sc = keys(s, 'static', `${where}.static_configs[${k}]`);
      const labels = (sc.labels ?? {}) as Yaml;
      check(
        typeof labels.__path__ === 'string',
        `${where}.static_configs[${k}]: expected a __path__ label`,
      );
      for (const name of Object.keys(labels))
        check(LABEL_NAME.test(name), `${where}.static_configs[${k}].labels: bad name ${name}`);
    });
    ((job.relabel_configs ?? []) as unknown[]).forEach((r, k) => {
      const at = `${where}.relabel_configs[${k}]`;
      const rule = keys(r, 'relabel', at);
      const action = (rule.action ?? 'replace') as string;
      check(ACTIONS.includes(action), `${at}: unknown action ${action}`);
      check(
        Array.isArray(rule.source_labels) && rule.source_labels.every((l) => LABEL_NAME.test(l)),
        `${at}: source_labels must be label names`,
      );
      if (action === 'replace')
        check(LABEL_NAME.test(String(rule.target_label)), `${at}: replace needs a target_label`);
      if (rule.regex !== undefined)
        try {
          new RegExp(String(rule.regex));
        } catch {
          problems.push(`${at}: regex does not compile`);
        }
    });
  });
  return problems;
}

/** Prometheus relabeling as Promtail applies it: anchored regex, `;`-joined sources, `$1` by default. */
function relabel(
  rules: readonly Yaml[],
  labels: Record<string, string>,
): Record<string, string> | null {
  const out = { ...labels };
  for (const rule of rules) {
    const value = (rule.source_labels as string[]).map((l) => out[l] ?? '').join(';');
    const match = new RegExp(`^(?:${(rule.regex as string | undefined) ?? '(.*)'})$`).exec(value);
    if (rule.action === 'keep') {
      if (!match) return null;
      continue;
    }
    if (!match) continue;
    const replaced = ((rule.replacement as string | undefined) ?? '$1').replace(
      /\$(\d)/g,
      (_, n: string) => match[Number(n)] ?? '',
    );
    if (replaced === '') delete out[rule.target_label as string];
    else out[rule.target_label as string] = replaced;
  }
  return Object.fromEntries(Object.entries(out).filter(([name]) => !name.startsWith('__')));
}

const base = {
  profiles: ['base', 'management'],
  loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
};

const configOf = (inputs: Record<string, unknown>): Yaml => {
  const preview = previewModule(promtailModule, { ...base, ...inputs });
  expect(preview.validationErrors).toEqual([]);
  const file = preview.files.get(CONFIG_FILE);
  if (!file) throw new Error(`cloud-init writes no ${CONFIG_FILE}`);
  return parse(file.content) as Yaml;
};

const journalRules = (config: Yaml) =>
  (config.scrape_configs as Yaml[])[0]!.relabel_configs as Yaml[];

describe(CONFIG_FILE, () => {
  it('(the check itself finds unknown keys and malformed values)', () => {
    const config = configOf({});
    const jobs = config.scrape_configs as Yaml[];
    expect(
      promtailProblems({
        ...config,
        scrape_config: [],
        positions: { filename: 'positions.yaml' },
        scrape_configs: [
          {
            ...jobs[0],
            journal: { max_age: '1d' },
            relabel_configs: [{ source_labels: ['a-b'], action: 'keepp' }],
          },
          { ...jobs[1], job_name: 'journal' },
        ],
      }),
    ).toEqual([
      'config: unknown key scrape_config',
      'positions.filename: expected an absolute path',
      'scrape_configs[0].journal.max_age: expected a Go duration',
      'scrape_configs[0].relabel_configs[0]: unknown action keepp',
      'scrape_configs[0].relabel_configs[0]: source_labels must be label names',
      'scrape_configs[1]: job_name must be unique',
    ]);
  });

  it('has only keys Promtail knows, with the types and syntax it expects', () => {
    for (const inputs of [
      {},
      { log_files: [] },
      {
        labels: { environment: 'cluster01', host: 'node1' },
        units: [{ unit: 'mosquitto.service', service: 'mqtt' }],
        log_files: ['/var/log/*.log', '/var/log/apt/*.log'],
        journal_max_age: '1h30m',
      },
    ])
      expect(promtailProblems(configOf(inputs))).toEqual([]);
  });

  it('serves HTTP on the port, keeps positions on disk and pushes to the Loki URL', () => {
    const config = configOf({ http_port: 9081 });
    expect(config.server).toEqual({ http_listen_port: 9081, grpc_listen_port: 0 });
    expect(config.positions).toEqual({ filename: POSITIONS_FILE });
    expect(config.clients).toEqual([{ url: 'http://loki01.incus:3100/loki/api/v1/push' }]);
  });

  it('reads the journal and the log files with the static labels', () => {
    const config = configOf({ labels: { environment: 'cluster01' }, journal_max_age: '6h' });
    const [journal, files] = config.scrape_configs as Yaml[];
    expect(journal).toMatchObject({
      job_name: 'journal',
      journal: { max_age: '6h', labels: { environment: 'cluster01', job: 'systemd-journal' } },
    });
    expect(files).toEqual({
      job_name: 'varlogs',
      static_configs: [
        {
          targets: ['localhost'],
          labels: { environment: 'cluster01', job: 'varlogs', __path__: '/var/log/*.log' },
        },
      ],
    });
    expect((configOf({ log_files: [] }).scrape_configs as Yaml[]).map((j) => j.job_name)).toEqual([
      'journal',
    ]);
  });

  it('labels the whole journal by unit and service when no units are listed', () => {
    const rules = journalRules(configOf({}));
    const entry = (unit: string) => ({
      __journal__systemd_unit: unit,
      __journal_priority_keyword: 'warning',
      job: 'systemd-journal',
    });
    expect(relabel(rules, entry('sshd.service'))).toEqual({
      job: 'systemd-journal',
      unit: 'sshd.service',
      service: 'sshd',
      level: 'warning',
    });
    expect(relabel(rules, entry('session-1.scope'))).toEqual({
      job: 'systemd-journal',
      unit: 'session-1.scope',
      level: 'warning',
    });
  });

  it('ships only the listed units, each with its own service label', () => {
    const rules = journalRules(
      configOf({
        units: [
          { unit: 'mosquitto.service', service: 'mqtt' },
          { unit: 'coredns.service', service: 'coredns' },
          { unit: 'getty@tty1.service', service: 'console' },
        ],
      }),
    );
    const entry = (unit: string) => ({
      __journal__systemd_unit: unit,
      __journal_priority_keyword: 'info',
    });
    expect(relabel(rules, entry('mosquitto.service'))).toEqual({
      unit: 'mosquitto.service',
      service: 'mqtt',
      level: 'info',
    });
    expect(relabel(rules, entry('getty@tty1.service'))?.service).toBe('console');
    expect(relabel(rules, entry('coredns.service'))?.service).toBe('coredns');
    for (const other of ['sshd.service', 'mosquittoXservice', 'coredns.service.d'])
      expect(relabel(rules, entry(other))).toBeNull();
  });

  it('keeps label values and service names exactly as given', () => {
    const odd = [
      'quote " backslash \\',
      '${x} %{y}',
      'line\nbreak',
      'unicode é 🎉 \u2028',
      ': - # yaml',
    ];
    const labels = Object.fromEntries(odd.map((value, i) => [`l${i}`, value]));
    const config = configOf({
      labels,
      units: odd.map((service, i) => ({ unit: `u${i}.service`, service })),
    });
    expect(((config.scrape_configs as Yaml[])[0]!.journal as Yaml).labels).toEqual({
      ...labels,
      job: 'systemd-journal',
    });
    expect(
      journalRules(config).flatMap((r) => (r.replacement === undefined ? [] : [r.replacement])),
    ).toEqual(odd);
  });
});
