// The server page's metrics history as charts draw it: the three ranges the hub serves (1 h a
// point a minute, 24 h every 5 minutes, 7 d an hour), the hub's points laid on a full grid of
// steps so a step without heartbeats is a gap (null) and never a line drawn through, time labels
// in the user's locale, and a plain-words summary of each series for screen readers.
import type { MetricsRange } from '../gql/graphql';

export interface RangeSpec {
  /** The value in the segmented control and its label. */
  key: '1h' | '24h' | '7d';
  label: string;
  /** "the last hour" */
  phrase: string;
  range: MetricsRange;
  stepMs: number;
  steps: number;
  /** How one step is called in the coverage sentence ("minute", "5-minute step", "hour"). */
  stepName: string;
}

const MINUTE = 60_000;

export const RANGES: readonly RangeSpec[] = [
  { key: '1h', label: '1 h', phrase: 'the last hour', range: 'HOUR', stepMs: MINUTE, steps: 60, stepName: 'minutes' },
  { key: '24h', label: '24 h', phrase: 'the last 24 hours', range: 'DAY', stepMs: 5 * MINUTE, steps: 288, stepName: '5-minute steps' },
  { key: '7d', label: '7 d', phrase: 'the last 7 days', range: 'WEEK', stepMs: 60 * MINUTE, steps: 168, stepName: 'hours' },
];

export const rangeSpec = (key: string): RangeSpec => RANGES.find((r) => r.key === key) ?? RANGES[0]!;

export type MetricKey = 'cpuPercent' | 'memoryUsagePercent' | 'diskUsagePercent' | 'load1';

/** One point of `metricsHistory` as the query selects it. */
export type HistoryPoint = { at: string; samples: number } & Record<MetricKey, { avg: number; max: number }>;

/** One step of a chart: its start, its label, and the mean and peak (null: no heartbeat). */
export interface ChartRow {
  t: number;
  label: string;
  avg: number | null;
  max: number | null;
  samples: number;
}

/** Time labels in the user's locale: hours and minutes, with the weekday for the week. */
export function timeLabeler(spec: RangeSpec, locale?: string, timeZone?: string): (t: number) => string {
  const format = new Intl.DateTimeFormat(
    locale,
    spec.range === 'WEEK'
      ? { weekday: 'short', hour: '2-digit', minute: '2-digit', timeZone }
      : { hour: '2-digit', minute: '2-digit', timeZone },
  );
  return (t) => format.format(t);
}

/** A full label (date and time) for tables and the peak's time. */
export function fullTimeLabeler(locale?: string, timeZone?: string): (t: number) => string {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
  return (t) => format.format(t);
}

/**
 * The points of one metric on every step of `spec` ending with the step that holds `now` (or a
 * later point's, if the hub's clock is ahead): steps without a point are null, so the line
 * breaks there. Points older than the range are left out.
 */
export function toChartRows(points: readonly HistoryPoint[], metric: MetricKey, spec: RangeSpec, now: number, label: (t: number) => string): ChartRow[] {
  const byStep = new Map<number, HistoryPoint>();
  let last = Math.floor(now / spec.stepMs) * spec.stepMs;
  for (const point of points) {
    const at = Date.parse(point.at);
    if (Number.isNaN(at)) continue;
    const step = Math.floor(at / spec.stepMs) * spec.stepMs;
    byStep.set(step, point);
    if (step > last) last = step;
  }
  const rows: ChartRow[] = [];
  for (let i = spec.steps - 1; i >= 0; i--) {
    const t = last - i * spec.stepMs;
    const point = byStep.get(t);
    const stat = point?.[metric];
    rows.push({ t, label: label(t), avg: stat ? stat.avg : null, max: stat ? stat.max : null, samples: point?.samples ?? 0 });
  }
  return rows;
}

export interface SeriesSummary {
  /** Steps with at least one heartbeat, and all steps of the range. */
  covered: number;
  steps: number;
  /** Mean over every heartbeat in the range (each step weighted by its samples); null: no data. */
  mean: number | null;
  /** The largest sample and the start of its step. */
  peak: { value: number; t: number } | null;
  /** The latest step's mean. */
  latest: { value: number; t: number } | null;
}

export function summarize(rows: readonly ChartRow[]): SeriesSummary {
  let covered = 0;
  let weighted = 0;
  let samples = 0;
  let peak: SeriesSummary['peak'] = null;
  let latest: SeriesSummary['latest'] = null;
  for (const row of rows) {
    if (row.avg === null || row.max === null) continue;
    covered++;
    const weight = Math.max(1, row.samples);
    weighted += row.avg * weight;
    samples += weight;
    if (!peak || row.max > peak.value) peak = { value: row.max, t: row.t };
    latest = { value: row.avg, t: row.t };
  }
  return { covered, steps: rows.length, mean: samples > 0 ? weighted / samples : null, peak, latest };
}

/**
 * "Mean 23.4%, peak 97.3% (6 Dec 2026, 14:05), latest 25%. Data for 42 of 60 minutes." — or
 * "No heartbeats in the last hour."
 */
export function describeSummary(summary: SeriesSummary, spec: RangeSpec, format: (value: number) => string, fullTime: (t: number) => string): string {
  if (!summary.peak || summary.mean === null || !summary.latest) return `No heartbeats in ${spec.phrase}.`;
  return (
    `Mean ${format(summary.mean)}, peak ${format(summary.peak.value)} (${fullTime(summary.peak.t)}), latest ${format(summary.latest.value)}. ` +
    `Data for ${summary.covered} of ${summary.steps} ${spec.stepName}.`
  );
}

/** Load averages: two decimals. */
export const formatLoad = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–');
