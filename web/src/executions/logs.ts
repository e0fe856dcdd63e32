// Live output of an execution from GET /api/v1/executions/{id}/logs, polled while it runs
// (and once more when it ends) and merged without duplicates. The hub pages lines by offset in
// order per server, so a new line of one server shifts the offsets of the servers after it: each
// poll reads the pages again from the start and keeps only lines not seen, keyed by
// (job, attempt, seq). Polls slow down as the output grows.
import { useEffect, useEffectEvent, useRef, useState } from 'react';
import { useRestGet } from '../api/rest';

export interface LogLine {
  serverId: string;
  jobId: string;
  attempt: number;
  seq: number;
  stream: string;
  data: string;
  timestamp: string;
}

interface RawLine {
  server_id: string;
  job_id: string;
  attempt?: number;
  seq: number;
  stream: string;
  data: string;
  timestamp: string;
}

export type StreamFilter = 'all' | 'stdout' | 'stderr';

export function filterLines(lines: readonly LogLine[], server: string | null, stream: StreamFilter): LogLine[] {
  return lines.filter((l) => (server === null || l.serverId === server) && (stream === 'all' || l.stream === stream));
}

export const POLL_INTERVAL_MS = 1_000;
/** Lines per request (the hub allows up to 10,000). */
export const PAGE_LIMIT = 5_000;
/** Past this many lines a running execution is polled every few seconds instead. */
const SLOW_POLL_LINES = 20_000;
/** Lines kept in memory; the oldest are dropped past this (the hub keeps them all). */
export const MAX_LINES = 200_000;

export interface LogBuffer {
  lines: LogLine[];
  keys: Set<string>;
}

export const emptyBuffer = (): LogBuffer => ({ lines: [], keys: new Set() });

/** Appends new lines (in place, for speed) and says how many were new. */
export function mergeLines(buffer: LogBuffer, incoming: readonly LogLine[]): number {
  let added = 0;
  for (const line of incoming) {
    const key = `${line.jobId}:${line.attempt}:${line.seq}`;
    if (buffer.keys.has(key)) continue;
    buffer.keys.add(key);
    // A chunk may hold several lines (or end mid-line): one display row per line.
    const parts = line.data.replace(/\r?\n$/, '').split(/\r?\n/);
    for (const data of parts) buffer.lines.push(parts.length === 1 ? line : { ...line, data });
    added += 1;
  }
  if (buffer.lines.length > MAX_LINES) buffer.lines.splice(0, buffer.lines.length - MAX_LINES);
  return added;
}

export interface ExecutionLogs {
  lines: readonly LogLine[];
  /** Bumps on every change, for memoisation. */
  version: number;
  error: string | null;
}

/**
 * Output of one execution. The caller keys its component by execution id, so the buffer (kept
 * in state and appended in place for speed; `version` says when) belongs to one execution.
 */
export function useExecutionLogs(executionId: string, live: boolean): ExecutionLogs {
  const get = useRestGet();
  const [buffer] = useState<LogBuffer>(emptyBuffer);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(false);
  const lastPoll = useRef(0);

  const poll = useEffectEvent(async (force: boolean) => {
    if (inFlight.current) return;
    if (!force && buffer.lines.length > SLOW_POLL_LINES && Date.now() - lastPoll.current < 5 * POLL_INTERVAL_MS) return;
    inFlight.current = true;
    lastPoll.current = Date.now();
    try {
      let added = 0;
      let offset: number | null = 0;
      while (offset !== null) {
        const body: { entries: RawLine[]; next_offset?: number | null } = await get(
          `/executions/${encodeURIComponent(executionId)}/logs?offset=${offset}&limit=${PAGE_LIMIT}`,
        );
        added += mergeLines(
          buffer,
          body.entries.map((l) => ({ serverId: l.server_id, jobId: l.job_id, attempt: l.attempt ?? 1, seq: l.seq, stream: l.stream, data: l.data, timestamp: l.timestamp })),
        );
        offset = typeof body.next_offset === 'number' && body.entries.length > 0 ? body.next_offset : null;
      }
      if (added > 0) setVersion((v) => v + 1);
      setError(null);
    } catch (e) {
      setError(`Could not load the output: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      inFlight.current = false;
    }
  });

  useEffect(() => {
    // First ask at once (next tick), then every second while the execution runs; once more
    // when it stops running, since `live` changes.
    const first = setTimeout(() => void poll(true), 0);
    const id = live ? setInterval(() => void poll(false), POLL_INTERVAL_MS) : undefined;
    return () => {
      clearTimeout(first);
      clearInterval(id);
    };
  }, [live]);

  return { lines: buffer.lines, version, error };
}
