// Target selection for the action builder: explicit server ids, or a selector (environment,
// group, tags, status) resolved over the known servers until the hub resolves selectors itself.
import type { ServerRowFragment, ServerState } from '../gql/graphql';

export interface Selector {
  environment: string | null;
  serverGroup: string | null;
  tags: string[];
  status: ServerState | null;
}

export const EMPTY_SELECTOR: Selector = { environment: null, serverGroup: null, tags: [], status: null };

export function isEmptySelector(s: Selector): boolean {
  return !s.environment && !s.serverGroup && s.tags.length === 0 && !s.status;
}

export function matchSelector(servers: readonly ServerRowFragment[], s: Selector): ServerRowFragment[] {
  return servers.filter(
    (server) =>
      (!s.environment || server.environment === s.environment) &&
      (!s.serverGroup || server.serverGroup === s.serverGroup) &&
      s.tags.every((t) => server.tags.includes(t)) &&
      (!s.status || server.status.current === s.status),
  );
}
