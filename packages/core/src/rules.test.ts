import { describe, expect, it } from 'vitest';
import {
  byteSize,
  cidrsOverlap,
  cpuCount,
  inIpv4Ranges,
  ipv4Address,
  ipv4RangeSchema,
  isSnapshotSchedule,
  duration,
  instanceName,
  ipv4Cidr,
  ipv6Cidr,
  port,
  snapshotExpiry,
  snapshotPattern,
  snapshotSchedule,
} from './rules.js';

const accepts = (
  rule: { schema: { safeParse(v: unknown): { success: boolean } } },
  value: unknown,
) => rule.schema.safeParse(value).success;

describe('shared rules', () => {
  it('CPU count is a whole number from 1 to 64', () => {
    for (const ok of [1, 2, 64]) expect(accepts(cpuCount, ok)).toBe(true);
    for (const bad of [0, 65, 'two', 1.5, -1, null]) expect(accepts(cpuCount, bad)).toBe(false);
  });

  it('byte sizes need a unit and no space', () => {
    for (const ok of ['512MB', '2GB', '1GiB', '100GB', '64kB'])
      expect(accepts(byteSize, ok)).toBe(true);
    for (const bad of ['2 GB', '2gb', '2', 'GB', '0GB', '1.5GB', '-1GB', ''])
      expect(accepts(byteSize, bad)).toBe(false);
  });

  it('durations, schedules and expiries follow Prometheus and Incus syntax', () => {
    expect(['15s', '30d', '2w', '720h'].every((v) => accepts(duration, v))).toBe(true);
    expect(['30 days', '1.5h', 'h'].some((v) => accepts(duration, v))).toBe(false);
    expect(
      ['@daily', '@weekly', '0 2 * * *', '*/15 * * * *'].every((v) => accepts(snapshotSchedule, v)),
    ).toBe(true);
    expect(['daily', '@sometimes', '0 2 * *'].some((v) => accepts(snapshotSchedule, v))).toBe(
      false,
    );
    expect(['7d', '2w', '4w', '1m', '1w 3d'].every((v) => accepts(snapshotExpiry, v))).toBe(true);
    expect(['7 days', '7', 'd7'].some((v) => accepts(snapshotExpiry, v))).toBe(false);
  });

  it('snapshot patterns take the forms Incus documents and refuse an unformatted creation_date', () => {
    const documented = [
      "auto-{{ creation_date|date:'2006-01-02_15-04-05' }}",
      '{{ creation_date|date:"2006-01-02_15-04-05" }}',
      "{{creation_date|date:'20060102'}}",
      'snap%d',
      'weekly-%d',
    ];
    for (const v of documented) expect(accepts(snapshotPattern, v), v).toBe(true);
    const unnamable = [
      'auto-{{creation_date}}',
      '{{ creation_date }}',
      "{{ creation_date|date:'2006-01-02 15:04:05' }}",
      'auto/{{ creation_date|date:"2006" }}',
      '{{ creation_date|upper }}',
      '',
    ];
    for (const v of unnamable) expect(accepts(snapshotPattern, v), v).toBe(false);
  });

  it('snapshot schedules go through a cron parser: five fields, each in range, or Incus aliases', () => {
    const good = ['0 2 * * *', '*/15 * * * *', '0 0 * * MON-FRI', '0 0 1 JAN *', '0 0 ? * 7'];
    const aliases = ['@hourly', '@midnight', '@annually', '@daily,@weekly', '@daily, @monthly'];
    for (const v of [...good, ...aliases]) expect(accepts(snapshotSchedule, v), v).toBe(true);
    const bad = ['99 99 99 99 99', '60 * * * *', '0 24 * * *', '0 0 32 * *', '0 0 * 13 *'];
    const unlikeIncus = ['0 0 0 * * *', '0 0 L * *', '0 0 * * 5#2', '@every 1h', '@reboot', ''];
    for (const v of [...bad, ...unlikeIncus]) expect(accepts(snapshotSchedule, v), v).toBe(false);
    expect(isSnapshotSchedule('0 0 * * 8')).toBe(false);
  });

  it('addresses are read by ipaddr.js, not just matched', () => {
    for (const v of ['10.20.0.256/24', '010.20.0.1/24', '10.20.1/24', '10.20.0.1/33', '10.20.0.1/'])
      expect(accepts(ipv4Cidr, v), v).toBe(false);
    for (const v of [
      'fd00::g/64',
      'fd00::1::2/64',
      'fd00:12345::1/64',
      'fd00::1/129',
      '::ffff:1.2.3.4/96',
    ])
      expect(accepts(ipv6Cidr, v), v).toBe(false);
    expect(accepts(ipv6Cidr, '2001:db8::/32')).toBe(true);
    expect(accepts(ipv4Address, '192.168.68.10')).toBe(true);
    expect(accepts(ipv4Address, '192.168.068.10') || accepts(ipv4Address, '1.2.3')).toBe(false);
  });

  it('subnets overlap when they share an address, whatever the gateway', () => {
    expect(cidrsOverlap('10.20.0.1/24', '10.20.0.254/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.1/8', '10.20.0.1/24')).toBe(true);
    expect(cidrsOverlap('10.20.0.1/24', '10.20.1.1/24')).toBe(false);
    expect(cidrsOverlap('fd00:10:10::1/64', 'fd00:10::1/32')).toBe(true);
    expect(cidrsOverlap('fd00:10:10::1/64', 'fd00:10:20::1/64')).toBe(false);
    expect(cidrsOverlap('10.20.0.1/24', 'fd00:10:20::1/64')).toBe(false);
  });

  it('OVN ranges are first-last IPv4 pairs or single addresses', () => {
    expect(ipv4RangeSchema.safeParse('192.168.68.10-192.168.68.19').success).toBe(true);
    expect(ipv4RangeSchema.safeParse('192.168.68.10').success).toBe(true);
    expect(ipv4RangeSchema.safeParse('192.168.68.19-192.168.68.10').success).toBe(false);
    expect(ipv4RangeSchema.safeParse('192.168.68.10..192.168.68.19').success).toBe(false);
    const ranges = ['192.168.68.10-192.168.68.19', '192.168.70.1'];
    expect(
      ['192.168.68.10', '192.168.68.19', '192.168.70.1'].every((a) => inIpv4Ranges(a, ranges)),
    ).toBe(true);
    expect(
      ['192.168.68.9', '192.168.68.20', '192.168.70.2'].some((a) => inIpv4Ranges(a, ranges)),
    ).toBe(false);
  });

  it('names, ports and addresses', () => {
    expect(['grafana01', 'step-ca01', 'a'].every((v) => accepts(instanceName, v))).toBe(true);
    expect(
      ['01grafana', 'bad_name', 'trailing-', 'x'.repeat(64)].some((v) => accepts(instanceName, v)),
    ).toBe(false);
    expect(accepts(port, 53) && accepts(port, 65535)).toBe(true);
    expect(accepts(port, 0) || accepts(port, 70000)).toBe(false);
    expect(accepts(ipv4Cidr, '10.20.0.1/24')).toBe(true);
    expect(accepts(ipv4Cidr, '10.20.0.1') || accepts(ipv4Cidr, '300.1.1.1/24')).toBe(false);
    expect(accepts(ipv6Cidr, 'fd00:10:10::1/64')).toBe(true);
    expect(accepts(ipv6Cidr, '10.0.0.1/24')).toBe(false);
  });

  it('zod messages say what was expected', () => {
    const r = cpuCount.schema.safeParse('two');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/whole number of CPUs from 1 to 64/);
    expect(byteSize.schema.safeParse('2 GB').error?.issues[0]?.message).toMatch(/512MB or 2GiB/);
  });
});
