// One execution, live, for the monitor: `executionUpdates` (see live.ts for what each event
// does), and pages of the lines a snapshot tail does not hold, read after a cursor with GraphQL
// `executionLogs(after:)` — run outside graphcache (api/direct.ts), which would keep every page of
// a long run a second time. Output is kept in a buffer appended in place; `version` changes (at most every
// RENDER_MS) when it grew. If the subscription fails, `poll()` reads the lines after the
// highest cursor instead.
import { useCallback, useEffect, useRef, useState } from 'react';
import { createRequest, useClient, type CombinedError } from 'urql';
import { pipe, subscribe } from 'wonka';
import { useDirectQuery } from '../api/direct';
import { ExecutionLogsQuery, ExecutionUpdatesSubscription } from '../api/executions';
import { applyEvent, createLiveState, missedNotice, PAGE_LIMIT, pollCatchup, runCatchup, type Catchup, type LiveState, type LogPage } from './live';
import type { LogLine } from './logs';

/** Output renders at most this often, however fast lines arrive. */
export const RENDER_MS = 100;

/**
 * `live`: subscribe (the execution was running when the page opened); `static`: read the whole
 * output once (it was over); `wait`: not known yet.
 */
export type LiveMode = 'wait' | 'live' | 'static';

export interface LiveExecution {
  state: LiveState;
  lines: readonly LogLine[];
  version: number;
  /** "n events missed — resynced", if the hub dropped events for this page. */
  notice: string | null;
  logError: string | null;
  streamError: CombinedError | null;
  /** Reads the lines after the highest cursor held (the fallback while the stream is down). */
  poll: (final: boolean) => void;
}

export function useLiveExecution(executionId: string, mode: LiveMode): LiveExecution {
  const client = useClient();
  const query = useDirectQuery();
  const [state] = useState(createLiveState);
  const [version, setVersion] = useState(0);
  const [streamError, setStreamError] = useState<CombinedError | null>(null);
  const [logError, setLogError] = useState<string | null>(null);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const alive = useRef(true);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, []);

  const rerender = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      if (alive.current) setVersion((v) => v + 1);
    }, RENDER_MS);
  }, []);

  const fetchPage = useCallback(
    async (after: number): Promise<LogPage> => {
      const { executionLogs: page } = await query(ExecutionLogsQuery, { executionId, after, limit: PAGE_LIMIT });
      return { entries: page.entries, total: page.total, lastCursor: page.lastCursor ?? null };
    },
    [query, executionId],
  );

  /** Catch-ups run one after another, so pages never interleave. */
  const enqueue = useCallback(
    (catchup: Catchup) => {
      queue.current = queue.current
        .then(async () => {
          if (!alive.current) return;
          const added = await runCatchup(state.buffer, catchup, fetchPage, () => alive.current);
          if (!alive.current) return;
          setLogError(null);
          if (added > 0) rerender();
        })
        .catch((e: unknown) => {
          if (alive.current) setLogError(`Could not load the output: ${e instanceof Error ? e.message : String(e)}`);
        });
    },
    [state, fetchPage, rerender],
  );

  useEffect(() => {
    if (mode === 'static') enqueue({ after: 0, until: null, verify: false });
    if (mode !== 'live') return;
    const request = createRequest(ExecutionUpdatesSubscription, { executionId });
    const subscription = pipe(
      client.executeSubscription(request),
      subscribe((result) => {
        if (result.error) {
          setStreamError(result.error);
          return;
        }
        const event = result.data?.executionUpdates;
        if (!event) return;
        setStreamError(null);
        const catchup = applyEvent(state, event);
        if (catchup) enqueue(catchup);
        rerender();
      }),
    );
    return () => subscription.unsubscribe();
  }, [mode, executionId, client, state, enqueue, rerender]);

  const poll = useCallback(
    (final: boolean) => {
      const catchup = pollCatchup(state, final);
      if (catchup) enqueue(catchup);
    },
    [state, enqueue],
  );

  return { state, lines: state.buffer.rows, version, notice: missedNotice(state), logError, streamError, poll };
}
