// The outcomes of every execution created since `from` (page after page of 500, up to
// MAX_PAGES), asked for again every `refreshMs` while the tab is visible. Read with the client
// directly: the rate needs all pages at once, not one page per query hook.
import { useEffect, useState } from 'react';
import { createRequest, useClient } from 'urql';
import { pipe, take, toPromise } from 'wonka';
import { OverviewOutcomesQuery } from '../api/overview';
import type { OverviewOutcomesQuery as OutcomesData } from '../gql/graphql';

export const OUTCOMES_PAGE_SIZE = 500;
export const MAX_PAGES = 20;

export type OutcomeItem = OutcomesData['executions']['items'][number];

export interface OutcomesState {
  items: OutcomeItem[] | null;
  /** Executions the hub has since `from` (may be more than `items` when capped). */
  total: number;
  error: string | null;
}

export function useOutcomes(from: string, refreshMs: number): OutcomesState {
  const client = useClient();
  const [state, setState] = useState<OutcomesState>({ items: null, total: 0, error: null });
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      if (document.visibilityState === 'hidden') return;
      const items: OutcomeItem[] = [];
      let total = 0;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const request = createRequest(OverviewOutcomesQuery, { from, page, pageSize: OUTCOMES_PAGE_SIZE });
        const result = await pipe(client.executeQuery(request, { requestPolicy: 'network-only' }), take(1), toPromise);
        if (stopped) return;
        if (result.error || !result.data) {
          setState((s) => ({ ...s, error: result.error?.message ?? 'no data' }));
          return;
        }
        total = result.data.executions.total;
        items.push(...result.data.executions.items);
        if (items.length >= total || result.data.executions.items.length < OUTCOMES_PAGE_SIZE) break;
      }
      setState({ items, total, error: null });
    };
    void load();
    const id = setInterval(() => void load(), refreshMs);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, [client, from, refreshMs]);
  return state;
}
