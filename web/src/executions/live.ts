// What the monitor does with each event of `executionUpdates`, kept free of React so it can be
// tested event by event:
// - SNAPSHOT (first, and again after MISSED): the execution and the latest ≤500 output lines.
//   When the tail is full, older lines may be missing here (the page opened mid-run, or events
//   were dropped): read the lines after the highest cursor held, page by page, up to the tail.
// - OUTPUT: new lines, merged by cursor (the tail and the first live lines may overlap).
// - UPDATE: the execution after a change of status or progress.
// - MISSED: the hub dropped events for this watcher; a SNAPSHOT follows. Counted and shown.
// When the execution reaches its final state, the lines after the highest cursor are read once
// more and the hub's line count compared with ours; if they differ (a line published out of
// order fell into a gap), the whole output is read again and merged.
import type { ExecutionMonitorFragment, ExecutionUpdatesSubscription } from '../gql/graphql';
import { isFinalExecution } from './describe';
import { emptyBuffer, mergeLines, type LogBuffer, type LogLine } from './logs';

export type ExecutionEvent = ExecutionUpdatesSubscription['executionUpdates'];

/** The most output lines a SNAPSHOT carries (the hub's SNAPSHOT_TAIL). */
export const SNAPSHOT_TAIL = 500;
/** Lines per page read after a cursor (the hub allows up to 10,000). */
export const PAGE_LIMIT = 5_000;

/** Lines to read from the hub after a cursor (`executionLogs(after:)`, REST `logs?after=`). */
export interface Catchup {
  after: number;
  /** Stop once a page reaches this cursor (the first line of a snapshot tail); null: to the end. */
  until: number | null;
  /** Afterwards compare the hub's line count with ours and read everything again if they differ. */
  verify: boolean;
}

export interface LiveState {
  buffer: LogBuffer;
  execution: ExecutionMonitorFragment | null;
  /** Events the hub dropped for this watcher, in all. */
  missed: number;
  /** A MISSED came and its SNAPSHOT did not yet. */
  resyncing: boolean;
  /** The final state was seen and its last read planned (once). */
  finalRead: boolean;
}

export const createLiveState = (): LiveState => ({ buffer: emptyBuffer(), execution: null, missed: 0, resyncing: false, finalRead: false });

/** Plans the last read once the execution is final: anything after the highest cursor, verified. */
function finalCatchup(state: LiveState, after: number): Catchup | null {
  if (!state.execution || !isFinalExecution(state.execution.overall) || state.finalRead) return null;
  state.finalRead = true;
  return { after, until: null, verify: true };
}

/** Applies one event to the state (in place); returns the lines to read from the hub, if any. */
export function applyEvent(state: LiveState, event: ExecutionEvent): Catchup | null {
  switch (event.kind) {
    case 'SNAPSHOT': {
      const watermark = state.buffer.maxCursor;
      if (event.execution) state.execution = event.execution;
      state.resyncing = false;
      mergeLines(state.buffer, event.output);
      let first = Infinity;
      for (const line of event.output) first = Math.min(first, line.cursor);
      const gap = event.output.length >= SNAPSHOT_TAIL && first > watermark;
      return finalCatchup(state, gap ? watermark : state.buffer.maxCursor) ?? (gap ? { after: watermark, until: first, verify: false } : null);
    }
    case 'UPDATE':
      if (event.execution) state.execution = event.execution;
      return finalCatchup(state, state.buffer.maxCursor);
    case 'OUTPUT':
      mergeLines(state.buffer, event.output);
      return null;
    case 'MISSED':
      state.missed += event.missed;
      state.resyncing = true;
      return null;
  }
}

/**
 * The fallback's read while the stream is down: the lines after the highest cursor held; once
 * the execution is final, one last verified read (then nothing more).
 */
export function pollCatchup(state: LiveState, final: boolean): Catchup | null {
  if (state.finalRead) return null;
  if (final) state.finalRead = true;
  return { after: state.buffer.maxCursor, until: null, verify: final };
}

/** "12 events missed — resynced", or null when nothing was missed. */
export function missedNotice(state: Pick<LiveState, 'missed' | 'resyncing'>): string | null {
  if (state.missed === 0) return null;
  const events = state.missed === 1 ? '1 event' : `${state.missed.toLocaleString('en-US')} events`;
  return `${events} missed — ${state.resyncing ? 'resyncing…' : 'resynced'}`;
}

/** A page of lines after a cursor; `total`: the execution's lines in all. */
export interface LogPage {
  entries: readonly LogLine[];
  total: number;
  lastCursor?: number | null;
}

/**
 * Reads the pages a catch-up asks for with `fetchPage(after)` and merges them; returns how many
 * lines were new. `alive()` false stops it (the page was left).
 */
export async function runCatchup(buffer: LogBuffer, catchup: Catchup, fetchPage: (after: number) => Promise<LogPage>, alive: () => boolean = () => true): Promise<number> {
  let added = 0;
  let after = catchup.after;
  let page: LogPage;
  for (;;) {
    page = await fetchPage(after);
    if (!alive()) return added;
    added += mergeLines(buffer, page.entries);
    const last = page.lastCursor ?? null;
    if (last === null || page.entries.length < PAGE_LIMIT) break;
    if (catchup.until !== null && last >= catchup.until) break;
    after = last;
  }
  if (catchup.verify && page.total !== buffer.cursors.size) {
    added += await runCatchup(buffer, { after: 0, until: null, verify: false }, fetchPage, alive);
  }
  return added;
}
