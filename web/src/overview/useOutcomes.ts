// The outcomes of every execution created since `from` (page after page of 500 by cursor, up to
// MAX_PAGES), asked for again every `refreshMs` while the tab is visible. Read with the client
// directly: the rate needs all pages at once, not one page per query hook.
import { useEffect, useState } from 'react';
import { createRequest, useClient, type GraphQLRequest, type OperationResult } from 'urql';
import { pipe, take, toPromise } from 'wonka';
import { OverviewOutcomesQuery } from '../api/overview';
import type { OverviewOutcomesQuery as OutcomesData, OverviewOutcomesQueryVariables } from '../gql/graphql';

export const OUTCOMES_PAGE_SIZE = 500;
export const MAX_PAGES = 20;

export type OutcomeItem = OutcomesData['executions']['nodes'][number];

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
      let after: string | null = null;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const request: GraphQLRequest<OutcomesData, OverviewOutcomesQueryVariables> = createRequest(OverviewOutcomesQuery, { from, first: OUTCOMES_PAGE_SIZE, after });
        const result: OperationResult<OutcomesData> = await pipe(client.executeQuery(request, { requestPolicy: 'network-only' }), take(1), toPromise);
        if (stopped) return;
        if (result.error || !result.data) {
          setState((s) => ({ ...s, error: result.error?.message ?? 'no data' }));
          return;
        }
        const { totalCount, nodes, pageInfo } = result.data.executions;
        total = totalCount;
        items.push(...nodes);
        if (!pageInfo.hasNextPage || !pageInfo.endCursor) break;
        after = pageInfo.endCursor;
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
