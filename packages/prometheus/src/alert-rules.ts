/** One Prometheus alerting rule, as the module's `alert_rules` variable takes it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires. */
  readonly for: string;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly summary: string;
  readonly description: string;
}

/**
 * The seeds' standard rules: service availability, memory, disk, CPU and load.
 * Container figures come from the Incus metrics API; host figures from
 * node-exporter where it runs.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  {
    alert: 'ServiceDown',
    expr: 'up == 0',
    for: '2m',
    severity: 'critical',
    summary: '{{ $labels.job }} on {{ $labels.instance }} is down',
    description: '{{ $labels.instance }} has not answered scrapes for more than 2 minutes.',
  },
  {
    alert: 'ServiceFlapping',
    expr: 'changes(process_start_time_seconds[10m]) > 5',
    for: '0m',
    severity: 'warning',
    summary: '{{ $labels.job }} on {{ $labels.instance }} keeps restarting',
    description: '{{ $labels.instance }} restarted {{ $value }} times in the last 10 minutes.',
  },
  {
    alert: 'HighMemoryUsage',
    expr: '(1 - incus_memory_MemAvailable_bytes / incus_memory_MemTotal_bytes) * 100 > 80',
    for: '5m',
    severity: 'warning',
    summary: 'Container {{ $labels.name }} uses over 80% of its memory',
    description: 'Memory use of {{ $labels.name }} is {{ $value | humanize }}%.',
  },
  {
    alert: 'CriticalMemoryUsage',
    expr: '(1 - incus_memory_MemAvailable_bytes / incus_memory_MemTotal_bytes) * 100 > 95',
    for: '1m',
    severity: 'critical',
    summary: 'Container {{ $labels.name }} is about to be OOM-killed',
    description:
      'Memory use of {{ $labels.name }} is {{ $value | humanize }}%; the hard limit kills it at 100%.',
  },
  {
    alert: 'HostOutOfMemory',
    expr: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10',
    for: '2m',
    severity: 'warning',
    summary: 'Host {{ $labels.instance }} has under 10% memory available',
    description: 'Only {{ $value | humanize }}% of memory is available on {{ $labels.instance }}.',
  },
  {
    alert: 'HostHighMemoryPressure',
    expr: 'rate(node_vmstat_pgmajfault[1m]) > 1000',
    for: '2m',
    severity: 'warning',
    summary: 'Host {{ $labels.instance }} is under heavy memory pressure',
    description: '{{ $labels.instance }} has {{ $value | humanize }} major page faults per second.',
  },
  {
    alert: 'DiskSpaceWarning',
    expr: 'incus_filesystem_avail_bytes / incus_filesystem_size_bytes * 100 < 20',
    for: '5m',
    severity: 'warning',
    summary: 'Container {{ $labels.name }} has under 20% disk space left',
    description:
      '{{ $value | humanize }}% of {{ $labels.mountpoint }} is free in {{ $labels.name }}.',
  },
  {
    alert: 'DiskSpaceCritical',
    expr: 'incus_filesystem_avail_bytes / incus_filesystem_size_bytes * 100 < 10',
    for: '1m',
    severity: 'critical',
    summary: 'Container {{ $labels.name }} has under 10% disk space left',
    description:
      '{{ $value | humanize }}% of {{ $labels.mountpoint }} is free in {{ $labels.name }}.',
  },
  {
    alert: 'HighCPUUsage',
    // Grouped by environment too: federated series of two environments may share container names.
    // A VM's idle time is a series of its own (mode="idle"): counting it would put every idle VM at 100%.
    expr: 'sum by (environment, name) (rate(incus_cpu_seconds_total{mode!="idle"}[5m])) / on (environment, name) max by (environment, name) (incus_cpu_effective_total) * 100 > 80',
    for: '10m',
    severity: 'warning',
    summary: 'Container {{ $labels.name }} uses over 80% of its CPU',
    description: 'CPU use of {{ $labels.name }} has been {{ $value | humanize }}% for 10 minutes.',
  },
  {
    alert: 'HighLoadAverage',
    // group_left keeps node_load1's own labels (job among them), which a one-to-one match drops.
    expr: 'node_load1 > on (environment, instance) group_left 2 * count by (environment, instance) (node_cpu_seconds_total{mode="idle"})',
    for: '5m',
    severity: 'warning',
    summary: 'Host {{ $labels.instance }} load is over twice its CPU count',
    description: 'The 1-minute load average on {{ $labels.instance }} is {{ $value }}.',
  },
];
