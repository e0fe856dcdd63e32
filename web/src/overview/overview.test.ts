// The Overview's numbers: fleet counts by environment and state with links to the filtered
// servers list, the servers needing attention and the success rate per day and per hour.
import { describe, expect, it } from 'vitest';
import { dayBuckets, fleetHealth, hourBuckets, needsAttention, serversLink, successRates, type AttentionServer } from './overview';

const DAY = 86_400_000;
const now = new Date(2026, 11, 6, 14, 30).getTime();
const server = (id: string, env: string, state: AttentionServer['status']['current'], disk = 20, certDays: number | null = 60, revoked = false): AttentionServer => ({
  serverId: id,
  hostname: `${id}.example`,
  environment: env,
  status: { current: state, lastHeartbeat: null, cpuPercent: 1, memoryUsagePercent: 1, diskUsagePercent: disk },
  credentials: { certificateFingerprint: 'ab', certificateNotAfter: certDays === null ? null : new Date(now + certDays * DAY).toISOString(), lastRotation: null, revoked },
});

describe('fleetHealth and serversLink', () => {
  it('counts servers by environment and state, with totals', () => {
    const fleet = fleetHealth([server('a', 'dev', 'IDLE'), server('b', 'dev', 'BUSY'), server('c', 'uat', 'IDLE'), server('d', 'dev', 'IDLE')]);
    expect(fleet.rows.map((r) => r.environment)).toEqual(['dev', 'uat']);
    expect(fleet.rows[0]).toMatchObject({ total: 3, counts: { IDLE: 2, BUSY: 1, ERROR: 0 } });
    expect(fleet.totals).toMatchObject({ IDLE: 3, BUSY: 1, UNREACHABLE: 0 });
    expect(fleet.total).toBe(4);
  });

  it('links to the servers list filtered the way that list reads its URL', () => {
    expect(serversLink('dev', 'IDLE')).toBe('/servers?environment=dev&status=IDLE');
    expect(serversLink(null, 'UNREACHABLE')).toBe('/servers?status=UNREACHABLE');
    expect(serversLink('staging')).toBe('/servers?environment=staging');
    expect(serversLink()).toBe('/servers');
  });
});

describe('needsAttention', () => {
  it('lists unreachable servers, disks at 90 % or more and certificates expired or expiring within 14 days', () => {
    const items = needsAttention(
      [
        server('ok', 'dev', 'IDLE', 89.9, 14),
        server('down', 'dev', 'UNREACHABLE'),
        server('full', 'uat', 'BUSY', 90),
        server('soon', 'uat', 'IDLE', 10, 5.5),
        server('gone', 'uat', 'IDLE', 10, -2.5),
        server('revoked', 'uat', 'IDLE', 10, -30, true),
      ],
      now,
    );
    expect(items.map((i) => [i.serverId, i.reasons])).toEqual([
      ['down', ['Unreachable']],
      ['gone', ['Certificate expired 2 days ago']],
      ['full', ['Disk 90% full']],
      ['soon', ['Certificate expires in 5 days']],
    ]);
  });
});

describe('successRates', () => {
  it('counts succeeded and failed per local day over 7 days; cancelled and unfinished are not in the rate', () => {
    const at = (ms: number) => ({ createdAt: new Date(ms).toISOString() });
    const today = new Date(2026, 11, 6, 9).getTime();
    const buckets = successRates(
      [
        { overall: 'COMPLETED', timing: at(today) },
        { overall: 'COMPLETED', timing: at(today + 3_600_000) },
        { overall: 'FAILED', timing: at(today) },
        { overall: 'CANCELLED', timing: at(today) },
        { overall: 'RUNNING', timing: at(today) },
        { overall: 'FAILED', timing: at(today - 2 * DAY) },
        { overall: 'COMPLETED', timing: at(today - 8 * DAY) },
      ],
      dayBuckets(now),
    );
    expect(buckets).toHaveLength(7);
    expect(buckets[6]).toMatchObject({ succeeded: 2, failed: 1, cancelled: 1, unfinished: 1 });
    expect(buckets[6]!.rate).toBeCloseTo(2 / 3);
    expect(buckets[4]).toMatchObject({ succeeded: 0, failed: 1, rate: 0 });
    expect(buckets[5]!.rate).toBeNull();
    expect(buckets.reduce((n, b) => n + b.succeeded, 0)).toBe(2);
  });

  it('uses the 24 hours ending with the current one', () => {
    const hours = hourBuckets(now);
    expect(hours).toHaveLength(24);
    expect(new Date(hours[23]!.start).getHours()).toBe(14);
    expect(hours[23]!.end - hours[0]!.start).toBe(DAY);
  });
});
