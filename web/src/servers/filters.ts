// The servers page's filters live in the URL (?environment=&status=&q=&page=): parsing and
// validating them, and turning them into the GraphQL ServerFilter input.
import type { ServerFilter, ServerState } from '../gql/graphql';
import { isServerState } from './status';

/** The specification's non-production environments. */
export const ENVIRONMENTS = ['dev', 'staging', 'uat', 'preprod'] as const;

export interface ServerListFilters {
  environment: string | null;
  status: ServerState | null;
  q: string;
  page: number;
}

export function parseFilters(params: URLSearchParams): ServerListFilters {
  const environment = params.get('environment')?.trim() || null;
  const status = params.get('status');
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return {
    environment,
    status: status !== null && isServerState(status) ? status : null,
    q: params.get('q') ?? '',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

/** Writes filters back to URL parameters, leaving out defaults. */
export function filtersToParams(filters: ServerListFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.environment) params.set('environment', filters.environment);
  if (filters.status) params.set('status', filters.status);
  if (filters.q) params.set('q', filters.q);
  if (filters.page > 1) params.set('page', String(filters.page));
  return params;
}

/** The GraphQL input: only the fields the user set; `undefined` when nothing is filtered. */
export function toServerFilter(filters: Pick<ServerListFilters, 'environment' | 'status' | 'q'>): ServerFilter | undefined {
  const filter: ServerFilter = {};
  if (filters.environment) filter.environment = filters.environment;
  if (filters.status) filter.status = filters.status;
  const q = filters.q.trim();
  if (q) filter.q = q;
  return Object.keys(filter).length > 0 ? filter : undefined;
}
