// The metrics history logic: the hub's points laid on a full grid of steps (a missing step is a
// gap, never interpolated), the summary in words, locale time labels.
import { describe, expect, it } from 'vitest';
import { describeSummary, formatLoad, fullTimeLabeler, rangeSpec, summarize, timeLabeler, toChartRows, type HistoryPoint } from './metricsSeries';
import { formatPercent } from '../lib/format';

const stat = (avg: number, max: number) => ({ avg, max });
const point = (at: string, cpu: number, cpuMax: number, samples = 6): HistoryPoint => ({
  at,
  samples,
  cpuPercent: stat(cpu, cpuMax),
  memoryUsagePercent: stat(50, 55),
  diskUsagePercent: stat(20, 20),
  load1: stat(0.5, 0.75),
});
const now = Date.parse('2026-12-06T12:00:30Z');
const hour = rangeSpec('1h');

describe('toChartRows', () => {
  it('puts every minute of the last hour on the grid, with null where no heartbeat came', () => {
    const points = [point('2026-12-06T11:58:00Z', 10, 20), point('2026-12-06T12:00:00+00:00', 30, 40)];
    const rows = toChartRows(points, 'cpuPercent', hour, now, (t) => new Date(t).toISOString().slice(11, 16));
    expect(rows).toHaveLength(60);
    expect(rows.at(-1)).toMatchObject({ label: '12:00', avg: 30, max: 40, samples: 6 });
    expect(rows.at(-2)).toMatchObject({ label: '11:59', avg: null, max: null, samples: 0 });
    expect(rows.at(-3)).toMatchObject({ label: '11:58', avg: 10, max: 20 });
    expect(rows[0]!.label).toBe('11:01');
  });

  it('leaves out points older than the range and follows a hub clock that is ahead', () => {
    const rows = toChartRows([point('2026-12-06T10:00:00Z', 99, 99), point('2026-12-06T12:02:00Z', 5, 6)], 'cpuPercent', hour, now, String);
    expect(rows.filter((r) => r.avg !== null)).toHaveLength(1);
    expect(rows.at(-1)).toMatchObject({ t: Date.parse('2026-12-06T12:02:00Z'), avg: 5 });
  });

  it('uses 5-minute steps for 24 h and hours for 7 d', () => {
    expect(toChartRows([], 'load1', rangeSpec('24h'), now, String)).toHaveLength(288);
    const week = toChartRows([point('2026-12-06T11:00:00Z', 1, 2)], 'cpuPercent', rangeSpec('7d'), now, String);
    expect(week).toHaveLength(168);
    expect(week.at(-1)!.avg).toBeNull();
    expect(week.at(-2)!.avg).toBe(1);
    expect(week[1]!.t - week[0]!.t).toBe(3_600_000);
  });
});

describe('summarize and describeSummary', () => {
  const full = fullTimeLabeler('en-GB', 'UTC');
  it('gives the mean over heartbeats, the peak with its time, the latest value and the coverage', () => {
    const points = [point('2026-12-06T11:58:00Z', 10, 20, 2), point('2026-12-06T12:00:00Z', 40, 97.29, 6)];
    const summary = summarize(toChartRows(points, 'cpuPercent', hour, now, String));
    expect(summary.mean).toBeCloseTo((10 * 2 + 40 * 6) / 8);
    expect(summary.peak).toEqual({ value: 97.29, t: Date.parse('2026-12-06T12:00:00Z') });
    expect(describeSummary(summary, hour, formatPercent, full)).toBe('Mean 32.5%, peak 97.3% (6 Dec 2026, 12:00), latest 40%. Data for 2 of 60 minutes.');
  });

  it('says when there is no data at all', () => {
    expect(describeSummary(summarize(toChartRows([], 'load1', rangeSpec('7d'), now, String)), rangeSpec('7d'), formatLoad, full)).toBe('No heartbeats in the last 7 days.');
  });
});

describe('labels', () => {
  it('formats times in the given locale, with the weekday for the week', () => {
    const t = Date.parse('2026-12-06T14:05:00Z');
    expect(timeLabeler(hour, 'en-GB', 'UTC')(t)).toBe('14:05');
    expect(timeLabeler(hour, 'en-US', 'UTC')(t)).toBe('02:05 PM');
    expect(timeLabeler(rangeSpec('7d'), 'en-GB', 'UTC')(t)).toBe('Sun 14:05');
    expect(formatLoad(4.236)).toBe('4.24');
  });

  it('falls back to the hour range for an unknown key', () => {
    expect(rangeSpec('bogus').range).toBe('HOUR');
  });
});
