// The execution history's filters: what the hub narrows (ExecutionFilter: one status, template,
// initiator, environment, date range) and what the browser applies within the page (several
// statuses, free text); and what the page keeps of the `executionsFeed`.
import type { ExecutionFilter, ExecutionsFeedSubscription, ExecutionState, ExecutionSummaryFragment } from '../gql/graphql';

export interface HistoryFilters {
  statuses: ExecutionState[];
  initiatedBy: string;
  q: string;
  templateId: string;
  environment: string;
  /** yyyy-mm-dd, inclusive. */
  from: string;
  to: string;
}

/** Start of the given local day, or of the day after (for an inclusive "to"). */
function dayStart(date: string, nextDay = false): string | undefined {
  const t = Date.parse(`${date}T00:00:00`);
  if (Number.isNaN(t)) return undefined;
  return new Date(t + (nextDay ? 86_400_000 : 0)).toISOString();
}

export function toExecutionFilter(f: HistoryFilters): ExecutionFilter | undefined {
  const filter: ExecutionFilter = {};
  if (f.statuses.length === 1) filter.status = f.statuses[0]!;
  if (f.initiatedBy.trim()) filter.initiatedBy = f.initiatedBy.trim();
  if (f.templateId) filter.templateId = f.templateId;
  if (f.environment) filter.environment = f.environment;
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
