// An execution's output as the monitor holds it: display rows in the order the hub stored the
// lines (by `cursor`, execution-wide and increasing), each line once whatever way it arrived
// (snapshot tail, live OUTPUT events, pages read after a cursor — which overlap), a chunk of several
// lines split into one row per line. Appending is in place and cheap; lines that arrive out of
// cursor order (two agents' batches published in the other order, or older pages read after
// the live tail) are merged into place.
import type { LogLineFieldsFragment } from '../gql/graphql';

export type LogLine = LogLineFieldsFragment;

export type StreamFilter = 'all' | 'stdout' | 'stderr';

/** Rows kept in memory; the oldest are dropped past this (the hub keeps them all). */
export const MAX_ROWS = 200_000;

export interface LogBuffer {
  /** Display rows, ascending by cursor (the rows of one multi-line chunk share its cursor). */
  rows: LogLine[];
  /** Cursors of every line taken in, including rows dropped past MAX_ROWS: never taken twice. */
  cursors: Set<number>;
  /** The highest cursor taken in (0 before any). */
  maxCursor: number;
  /** Rows dropped from the start past MAX_ROWS. */
  dropped: number;
}

export const emptyBuffer = (): LogBuffer => ({ rows: [], cursors: new Set(), maxCursor: 0, dropped: 0 });

/** One display row per line of a chunk (a chunk may hold several lines, or end mid-line). */
function toRows(line: LogLine, out: LogLine[]): void {
  const parts = line.data.replace(/\r?\n$/, '').split(/\r?\n/);
  if (parts.length === 1) out.push(parts[0] === line.data ? line : { ...line, data: parts[0]! });
  else for (const data of parts) out.push({ ...line, data });
}

/** Merges two row lists that are each ascending by cursor (stable: `a` first on ties). */
function mergeSorted(a: readonly LogLine[], b: readonly LogLine[]): LogLine[] {
  const out: LogLine[] = new Array<LogLine>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]!.cursor <= b[j]!.cursor ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/**
 * Takes in lines not seen before (by cursor) and keeps the rows in cursor order. Returns how
 * many lines were new. The common case — newer lines at the end — appends in place.
 */
export function mergeLines(buffer: LogBuffer, incoming: readonly LogLine[]): number {
  const fresh: LogLine[] = [];
  for (const line of incoming) {
    if (buffer.cursors.has(line.cursor)) continue;
    buffer.cursors.add(line.cursor);
    fresh.push(line);
  }
  if (fresh.length === 0) return 0;
  fresh.sort((x, y) => x.cursor - y.cursor);
  const rows: LogLine[] = [];
  for (const line of fresh) toRows(line, rows);
  const last = buffer.rows.at(-1);
  if (!last || rows[0]!.cursor > last.cursor) {
    for (const row of rows) buffer.rows.push(row);
  } else {
    buffer.rows = mergeSorted(buffer.rows, rows);
  }
  buffer.maxCursor = Math.max(buffer.maxCursor, fresh.at(-1)!.cursor);
  if (buffer.rows.length > MAX_ROWS) {
    const excess = buffer.rows.length - MAX_ROWS;
    buffer.rows.splice(0, excess);
    buffer.dropped += excess;
  }
  return fresh.length;
}

/** How many rows have a cursor at or below `cursor` (rows are ascending by cursor). */
export function countUpTo(rows: readonly LogLine[], cursor: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.cursor <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first `end` rows (all by default) of one server and stream. */
export function filterLines(lines: readonly LogLine[], server: string | null, stream: StreamFilter, end = lines.length): LogLine[] {
  const out: LogLine[] = [];
  for (let i = 0; i < end; i++) {
    const l = lines[i]!;
    if ((server === null || l.serverId === server) && (stream === 'all' || l.stream === stream)) out.push(l);
  }
  return out;
}
