// Display formatters shared by the dashboard: relative times ("3 minutes ago") and percentages.
// Pure functions with an injectable clock, so tests pin their output.

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const PERCENT = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 0 });

/** Units from largest to smallest, each with its length in seconds. */
const UNITS: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** A past time this recent reads as "just now". */
const JUST_NOW_SECONDS = 5;
/**
 * A future time this close reads as "just now" too: the caller's clock ticks every few seconds
 * (so fresh data can be newer than `now`), and hub and browser clocks may differ slightly.
 */
const FUTURE_TOLERANCE_SECONDS = 60;

/**
 * "just now", "42 seconds ago", "3 minutes ago", "yesterday", ...
 * `null`/`undefined` (never seen) gives "never"; an unparsable timestamp gives "unknown".
 */
export function formatRelativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (iso == null || iso === '') return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  const seconds = Math.round((then - now) / 1000);
  if (seconds > -JUST_NOW_SECONDS && seconds < FUTURE_TOLERANCE_SECONDS) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return RELATIVE.format(Math.trunc(seconds / size), unit);
    }
  }
  return 'just now';
}

/** 42.46 → "42.5%"; out-of-range values are clamped to 0–100; NaN/null → "–". */
export function formatPercent(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–';
  const clamped = Math.min(100, Math.max(0, value));
  return `${PERCENT.format(clamped)}%`;
}

/** "1 server", "3 servers". */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** 3.2 → "3.2 s", 125 → "2 min 5 s", 7300 → "2 h 1 min"; null → "–". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min${s ? ` ${s} s` : ''}`;
}

const DATE_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/**
 * The dashboard's one absolute date format ("6 Dec 2026, 06:14:03", local time): every absolute
 * time a view shows goes through it. "–" when missing or unreadable.
 */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '–' : DATE_TIME.format(t);
}
