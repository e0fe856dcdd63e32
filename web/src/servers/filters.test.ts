// Table tests for the servers list's URL filters, the hub-side narrowing and the browser-side
// matching and sorting.
import { FIRST_PAGE } from '../lib/paging';
import { describe, expect, it } from 'vitest';
import { makeServers } from '../test/servers';
import { DEFAULT_SORT, filtersToParams, matchesFilters, parseFilters, sortServers, toServerFilter, type ServerListFilters } from './filters';

const NONE: ServerListFilters = { environments: [], statuses: [], lastSeen: 'any', group: null, tags: [], q: '', position: FIRST_PAGE, sort: DEFAULT_SORT };
const NOW = Date.now();
const ids = (filters: Partial<ServerListFilters>) =>
  makeServers()
    .filter((s) => matchesFilters(s, { ...NONE, ...filters }, NOW))
    .map((s) => s.serverId);

describe('parseFilters / filtersToParams', () => {
  it('reads several values, drops unknown statuses and bad pages, and round-trips', () => {
    const params = new URLSearchParams('environment=uat&environment=dev&status=BUSY&status=bogus&seen=5m&group=web&tag=a&tag=b&q=x&page=0&sort=cpu:desc');
    const filters = parseFilters(params);
    expect(filters).toEqual({
      environments: ['uat', 'dev'],
      statuses: ['BUSY'],
      lastSeen: '5m',
      group: 'web',
      tags: ['a', 'b'],
      q: 'x',
      position: FIRST_PAGE,
      sort: { key: 'cpu', dir: 'desc' },
    });
    expect(parseFilters(filtersToParams(filters))).toEqual(filters);
  });

  it('leaves defaults out of the URL and ignores an unknown sort or range', () => {
    expect(filtersToParams(NONE).toString()).toBe('');
    const filters = parseFilters(new URLSearchParams('sort=nope:desc&seen=forever'));
    expect(filters.sort).toEqual(DEFAULT_SORT);
    expect(filters.lastSeen).toBe('any');
  });
});

describe('toServerFilter', () => {
  it('asks the hub only for what it can narrow by one value', () => {
    expect(toServerFilter(NONE)).toBeUndefined();
    expect(toServerFilter({ ...NONE, environments: ['uat'], statuses: ['IDLE'], group: 'web', tags: ['nginx', 'php'], q: '  db ' })).toEqual({
      environment: 'uat',
      status: 'IDLE',
      serverGroup: 'web',
      tags: ['nginx', 'php'],
      q: 'db',
    });
    expect(toServerFilter({ ...NONE, environments: ['uat', 'dev'], statuses: ['IDLE', 'BUSY'] })).toBeUndefined();
  });
});

describe('matchesFilters', () => {
  it.each<[string, Partial<ServerListFilters>, string[]]>([
    ['no filter', {}, ['nonprod-web-01', 'nonprod-db-01', 'nonprod-app-01']],
    ['two environments', { environments: ['uat', 'dev'] }, ['nonprod-db-01', 'nonprod-app-01']],
    ['two statuses', { statuses: ['IDLE', 'ERROR'] }, ['nonprod-web-01', 'nonprod-db-01']],
    ['group', { group: 'db-tier' }, ['nonprod-db-01']],
    ['every tag', { tags: ['nginx', 'php'] }, ['nonprod-web-01']],
    ['a tag nobody has', { tags: ['nginx', 'redis'] }, []],
    ['text in the IP address', { q: '10.0.2' }, ['nonprod-db-01']],
    ['seen within 5 minutes', { lastSeen: '5m' }, ['nonprod-web-01', 'nonprod-db-01']],
    ['seen within 1 minute is not a range, 5 minutes ago is', { lastSeen: 'over-5m' }, ['nonprod-app-01']],
    ['never seen', { lastSeen: 'never' }, ['nonprod-app-01']],
  ])('%s', (_name, filters, expected) => {
    expect(ids(filters)).toEqual(expected);
  });
});

describe('sortServers', () => {
  it('sorts by a column either way, ties by server id', () => {
    const servers = makeServers();
    expect(sortServers(servers, { key: 'cpu', dir: 'desc' }).map((s) => s.serverId)).toEqual(['nonprod-db-01', 'nonprod-web-01', 'nonprod-app-01']);
    expect(sortServers(servers, { key: 'serverId', dir: 'asc' }).map((s) => s.serverId)).toEqual(['nonprod-app-01', 'nonprod-db-01', 'nonprod-web-01']);
    expect(sortServers(servers, { key: 'lastHeartbeat', dir: 'asc' })[0]!.serverId).toBe('nonprod-app-01');
    expect(sortServers(servers, { key: 'status', dir: 'asc' })[0]!.status.current).toBe('ERROR');
  });
});
