// The execution history's filters: what the hub narrows (ExecutionFilter: one status, template,
// initiator, environment, date range) and what the browser applies within the page (several
// statuses, free text); quick ranges (last hour / 24 hours / 7 days) next to the dates; the
// sort of the page's rows by a column; and what the page keeps of the `executionsFeed`.
import type { ExecutionFilter, ExecutionOrder, ExecutionOrderField, ExecutionsFeedSubscription, ExecutionState, ExecutionSummaryFragment } from '../gql/graphql';

export interface HistoryFilters {
  statuses: ExecutionState[];
  initiatedBy: string;
  q: string;
  templateId: string;
  environment: string;
  /** yyyy-mm-dd, inclusive. */
  from: string;
  to: string;
  /** A quick range ending now; replaces the dates when set. */
  range?: QuickRange | '';
}

/** Quick ranges offered next to the date pickers, each with its length. */
export const QUICK_RANGES = { '1h': { label: '1 h', name: 'Last hour', ms: 3_600_000 }, '24h': { label: '24 h', name: 'Last 24 hours', ms: 86_400_000 }, '7d': { label: '7 d', name: 'Last 7 days', ms: 7 * 86_400_000 } } as const;
export type QuickRange = keyof typeof QUICK_RANGES;
export const isQuickRange = (v: string | null): v is QuickRange => v !== null && Object.hasOwn(QUICK_RANGES, v);

/** Start of the given local day, or of the day after (for an inclusive "to"). */
function dayStart(date: string, nextDay = false): string | undefined {
  const t = Date.parse(`${date}T00:00:00`);
  if (Number.isNaN(t)) return undefined;
  return new Date(t + (nextDay ? 86_400_000 : 0)).toISOString();
}

/**
 * The hub's filter. A quick range starts at `now` minus its length, `now` taken to the minute so
 * the filter (and the query) stays the same while the minute lasts.
 */
export function toExecutionFilter(f: HistoryFilters, now: number = Date.now()): ExecutionFilter | undefined {
  const filter: ExecutionFilter = {};
  if (f.statuses.length === 1) filter.status = f.statuses[0]!;
  if (f.initiatedBy.trim()) filter.initiatedBy = f.initiatedBy.trim();
  if (f.templateId) filter.templateId = f.templateId;
  if (f.environment) filter.environment = f.environment;
  if (f.range && isQuickRange(f.range)) {
    filter.from = new Date(Math.floor(now / 60_000) * 60_000 - QUICK_RANGES[f.range].ms).toISOString();
    return filter;
  }
  const from = f.from ? dayStart(f.from) : undefined;
  const to = f.to ? dayStart(f.to, true) : undefined;
  if (from) filter.from = from;
  if (to) filter.to = to;
  return Object.keys(filter).length ? filter : undefined;
}

export function matchesHistory(e: ExecutionSummaryFragment, f: HistoryFilters, label: string): boolean {
  if (f.statuses.length > 0 && !f.statuses.includes(e.overall)) return false;
  const q = f.q.trim().toLowerCase();
  if (q && ![e.executionId, label, ...e.targetServers].some((s) => s.toLowerCase().includes(q))) return false;
  return true;
}

export interface FeedState {
  /** Events seen since the page opened. */
  events: number;
  /** Executions that started since the page opened, newest last (bounded). */
  started: readonly string[];
}

/** Folds one `executionsFeed` event into what the page keeps (pure: urql may call it twice). */
export function foldFeed(prev: FeedState | undefined, event: ExecutionsFeedSubscription): FeedState {
  const state = prev ?? { events: 0, started: [] };
  const { kind, execution } = event.executionsFeed;
  const started = kind === 'STARTED' && !state.started.includes(execution.executionId) ? [...state.started, execution.executionId].slice(-200) : state.started;
  return { events: state.events + 1, started };
}

/** The columns the history sorts by. */
export const SORT_KEYS = ['execution', 'action', 'state', 'servers', 'initiator', 'created', 'duration'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface HistorySort {
  key: SortKey;
  desc: boolean;
}
/** The hub's order: newest first. */
export const DEFAULT_SORT: HistorySort = { key: 'created', desc: true };

/** The columns the hub orders the whole history by; the others sort the page shown. */
const HUB_ORDER: Partial<Record<SortKey, ExecutionOrderField>> = {
  execution: 'EXECUTION_ID',
  state: 'STATE',
  initiator: 'INITIATED_BY',
  created: 'CREATED_AT',
};

/** The hub's order for a sort, or null when the column sorts only the page shown. */
export function hubOrder(sort: HistorySort): ExecutionOrder | null {
  const field = HUB_ORDER[sort.key];
  return field ? { field, ascending: !sort.desc } : null;
}

/** "created:desc" ⇄ { key, desc }; anything else is the default. */
export function parseSort(value: string | null): HistorySort {
  const [key, dir] = (value ?? '').split(':');
  return (SORT_KEYS as readonly string[]).includes(key ?? '') ? { key: key as SortKey, desc: dir === 'desc' } : DEFAULT_SORT;
}
export const formatSort = (s: HistorySort) => `${s.key}:${s.desc ? 'desc' : 'asc'}`;

/** The rows sorted by one column (stable; missing durations last either way). */
export function sortExecutions<T extends ExecutionSummaryFragment>(rows: readonly T[], sort: HistorySort, label: (e: T) => string): T[] {
  const value = (e: T): string | number | null => {
    switch (sort.key) {
      case 'execution':
        return e.executionId;
      case 'action':
        return label(e).toLowerCase();
      case 'state':
        return e.overall;
      case 'servers':
        return e.targetServers.length;
      case 'initiator':
        return e.initiatedBy.toLowerCase();
      case 'created':
        return Date.parse(e.timing.createdAt);
      case 'duration':
        return e.timing.durationSeconds ?? null;
    }
  };
  const dir = sort.desc ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index, v: value(row) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.index - b.index : a.v === null ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? c * dir : a.index - b.index;
    })
    .map((x) => x.row);
}
