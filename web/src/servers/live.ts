// When a live server update can be applied in place and when the list must be fetched again.
// graphcache updates a row that is on screen by itself; a re-query is needed only when the
// update may change which servers the current view should show.
import type { ServerFilter, ServerState } from '../gql/graphql';

export interface ServerUpdate {
  serverId: string;
  environment: string;
  status: { current: ServerState };
}

export interface ListView {
  /** The updated server is one of the rows on screen. */
  shown: boolean;
  /** Every server matching the filter is on this page (no other pages). */
  complete: boolean;
  filter: ServerFilter | undefined;
}

export function updateNeedsRefetch(update: ServerUpdate, view: ListView): boolean {
  const { filter } = view;
  const matches =
    (!filter?.environment || update.environment === filter.environment) &&
    (!filter?.status || update.status.current === filter.status);
  // On screen: updated in place, unless it no longer belongs to the filtered set.
  if (view.shown) return !matches;
  // Not on screen: a server this page should show (new, or newly matching). Other pages are
  // left to the periodic refresh.
  return matches && view.complete;
}
