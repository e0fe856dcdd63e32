// The servers list's filters and sort order: read from and written to the URL (so a view can be
// shared and survives reload), narrowed on the hub where its API can (one environment, one
// status, group, tags, text), and applied in full in the browser over the fetched rows (several
// environments or statuses, last-seen range).
import type { ServerFilter, ServerRowFragment, ServerState } from '../gql/graphql';
import { readPosition, writePosition, type PagePosition } from '../lib/paging';
import { isServerState } from './status';

/** The specification's non-production environments. */
export const ENVIRONMENTS = ['dev', 'staging', 'uat', 'preprod'] as const;

export const LAST_SEEN = {
  any: { label: 'Any time' },
  '5m': { label: 'Within 5 minutes' },
  '1h': { label: 'Within 1 hour' },
  '24h': { label: 'Within 24 hours' },
  'over-5m': { label: 'More than 5 minutes ago' },
  'over-24h': { label: 'More than 24 hours ago' },
  never: { label: 'Never' },
} as const;
export type LastSeen = keyof typeof LAST_SEEN;
const isLastSeen = (value: string): value is LastSeen => Object.hasOwn(LAST_SEEN, value);

export const SORT_KEYS = ['serverId', 'hostname', 'environment', 'serverGroup', 'status', 'cpu', 'memory', 'disk', 'lastHeartbeat'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
const isSortKey = (value: string): value is SortKey => (SORT_KEYS as readonly string[]).includes(value);

export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export interface ServerListFilters {
  environments: string[];
  statuses: ServerState[];
  lastSeen: LastSeen;
  group: string | null;
  tags: string[];
  q: string;
  /** Where the list is (lib/paging.ts): a cursor and the page number shown. */
  position: PagePosition;
  sort: Sort;
}

export const DEFAULT_SORT: Sort = { key: 'serverId', dir: 'asc' };

const unique = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

export function parseFilters(params: URLSearchParams): ServerListFilters {
  const [sortKey = '', sortDir] = (params.get('sort') ?? '').split(':');
  const lastSeen = params.get('seen') ?? 'any';
  return {
    environments: unique(params.getAll('environment')),
    statuses: unique(params.getAll('status')).filter(isServerState),
    lastSeen: isLastSeen(lastSeen) ? lastSeen : 'any',
    group: params.get('group')?.trim() || null,
    tags: unique(params.getAll('tag')),
    q: params.get('q') ?? '',
    position: readPosition(params),
    sort: isSortKey(sortKey) ? { key: sortKey, dir: sortDir === 'desc' ? 'desc' : 'asc' } : DEFAULT_SORT,
  };
}

/** Writes filters back to URL parameters, leaving out defaults. */
export function filtersToParams(filters: ServerListFilters): URLSearchParams {
  const params = new URLSearchParams();
  filters.environments.forEach((env) => params.append('environment', env));
  filters.statuses.forEach((status) => params.append('status', status));
  if (filters.lastSeen !== 'any') params.set('seen', filters.lastSeen);
  if (filters.group) params.set('group', filters.group);
  filters.tags.forEach((tag) => params.append('tag', tag));
  if (filters.q) params.set('q', filters.q);
  writePosition(params, filters.position);
  if (filters.sort.key !== DEFAULT_SORT.key || filters.sort.dir !== DEFAULT_SORT.dir) {
    params.set('sort', `${filters.sort.key}:${filters.sort.dir}`);
  }
  return params;
}

/** What the hub can narrow by itself: one environment, one status, the group, tags, text. */
export function toServerFilter(filters: Pick<ServerListFilters, 'environments' | 'statuses' | 'group' | 'tags' | 'q'>): ServerFilter | undefined {
  const filter: ServerFilter = {};
  if (filters.environments.length === 1) filter.environment = filters.environments[0]!;
  if (filters.statuses.length === 1) filter.status = filters.statuses[0]!;
  if (filters.group) filter.serverGroup = filters.group;
  if (filters.tags.length >= 1) filter.tags = filters.tags;
  const q = filters.q.trim();
  if (q) filter.q = q;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

export function hasFilters(filters: ServerListFilters): boolean {
  return (
    filters.environments.length > 0 ||
    filters.statuses.length > 0 ||
    filters.lastSeen !== 'any' ||
    filters.group !== null ||
    filters.tags.length > 0 ||
    filters.q.trim() !== ''
  );
}

const MINUTE = 60_000;

function matchesLastSeen(lastHeartbeat: string | null | undefined, range: LastSeen, now: number): boolean {
  if (range === 'any') return true;
  const at = lastHeartbeat ? Date.parse(lastHeartbeat) : Number.NaN;
  if (range === 'never') return Number.isNaN(at);
  if (Number.isNaN(at)) return range === 'over-5m' || range === 'over-24h';
  const age = now - at;
  switch (range) {
    case '5m':
      return age <= 5 * MINUTE;
    case '1h':
      return age <= 60 * MINUTE;
    case '24h':
      return age <= 24 * 60 * MINUTE;
    case 'over-5m':
      return age > 5 * MINUTE;
    case 'over-24h':
      return age > 24 * 60 * MINUTE;
  }
}

/** Every filter, applied in the browser (also the ones the hub already applied: harmless). */
export function matchesFilters(server: ServerRowFragment, filters: ServerListFilters, now: number): boolean {
  if (filters.environments.length > 0 && !filters.environments.includes(server.environment)) return false;
  if (filters.statuses.length > 0 && !filters.statuses.includes(server.status.current)) return false;
  if (filters.group && server.serverGroup !== filters.group) return false;
  if (filters.tags.some((tag) => !server.tags.includes(tag))) return false;
  if (!matchesLastSeen(server.status.lastHeartbeat, filters.lastSeen, now)) return false;
  const q = filters.q.trim().toLowerCase();
  if (q) {
    const haystack = [server.serverId, server.hostname, server.ipAddress, ...server.tags].join(' ').toLowerCase();
    if (!haystack.includes(q)) return false;
  }
  return true;
}

const STATE_ORDER: Record<ServerState, number> = { ERROR: 0, UNREACHABLE: 1, MAINTENANCE: 2, BUSY: 3, IDLE: 4 };

function sortValue(server: ServerRowFragment, key: SortKey): string | number {
  switch (key) {
    case 'serverId':
      return server.serverId;
    case 'hostname':
      return server.hostname;
    case 'environment':
      return server.environment;
    case 'serverGroup':
      return server.serverGroup;
    case 'status':
      return STATE_ORDER[server.status.current] ?? 9;
    case 'cpu':
      return server.status.cpuPercent;
    case 'memory':
      return server.status.memoryUsagePercent;
    case 'disk':
      return server.status.diskUsagePercent;
    case 'lastHeartbeat':
      return server.status.lastHeartbeat ? Date.parse(server.status.lastHeartbeat) : -Infinity;
  }
}

const COLLATOR = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A sorted copy; ties keep server-id order so the list does not shuffle on live updates. */
export function sortServers(servers: readonly ServerRowFragment[], sort: Sort): ServerRowFragment[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...servers].sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : COLLATOR.compare(String(x), String(y));
    return order !== 0 ? sign * order : COLLATOR.compare(a.serverId, b.serverId);
  });
}
