// Table tests for the execution history filters: what the hub is asked, what the page narrows.
import { describe, expect, it } from 'vitest';
import type { ExecutionSummaryFragment } from '../gql/graphql';
import { DEFAULT_SORT, foldFeed, formatSort, matchesHistory, parseSort, sortExecutions, toExecutionFilter, type HistoryFilters } from './history';

const NONE: HistoryFilters = { statuses: [], initiatedBy: '', q: '', templateId: '', environment: '', from: '', to: '' };

describe('toExecutionFilter', () => {
  it('asks the hub for one status, template, initiator, environment and a date range', () => {
    expect(toExecutionFilter(NONE)).toBeUndefined();
    const filter = toExecutionFilter({ ...NONE, statuses: ['FAILED'], initiatedBy: ' ops@x ', templateId: 't1', environment: 'uat', from: '2025-06-01', to: '2025-06-02' });
    expect(filter).toMatchObject({ status: 'FAILED', initiatedBy: 'ops@x', templateId: 't1', environment: 'uat' });
    // "to" is inclusive: the range ends at the start of the next day.
    expect(Date.parse(filter!.to!) - Date.parse(filter!.from!)).toBe(2 * 86_400_000);
    expect(toExecutionFilter({ ...NONE, statuses: ['FAILED', 'CANCELLED'] })).toBeUndefined();
    expect(toExecutionFilter({ ...NONE, from: 'not-a-date' })).toBeUndefined();
  });
});

describe('matchesHistory', () => {
  const e = { executionId: 'exec_1', overall: 'FAILED', initiatedBy: 'a@b', targetServers: ['web-01'] } as ExecutionSummaryFragment;
  it.each<[Partial<HistoryFilters>, boolean]>([
    [{}, true],
    [{ statuses: ['FAILED', 'CANCELLED'] }, true],
    [{ statuses: ['COMPLETED'] }, false],
    [{ q: 'WEB-01' }, true],
    [{ q: 'echo' }, true],
    [{ q: 'nothing' }, false],
  ])('%j → %s', (filters, expected) => {
    expect(matchesHistory(e, { ...NONE, ...filters }, 'shell_command: echo hi')).toBe(expected);
  });
});

describe('foldFeed', () => {
  const event = (kind: 'STARTED' | 'FINISHED', executionId: string) =>
    ({ executionsFeed: { kind, execution: { executionId } } }) as unknown as Parameters<typeof foldFeed>[1];

  it('counts events and remembers the executions that started, once each', () => {
    let state = foldFeed(undefined, event('STARTED', 'e1'));
    state = foldFeed(state, event('FINISHED', 'e1'));
    state = foldFeed(state, event('STARTED', 'e2'));
    state = foldFeed(state, event('STARTED', 'e2'));
    expect(state).toEqual({ events: 4, started: ['e1', 'e2'] });
  });

  it('is pure: folding the same event twice from one state gives equal states', () => {
    const before = foldFeed(undefined, event('STARTED', 'e1'));
    expect(foldFeed(before, event('STARTED', 'e3'))).toEqual(foldFeed(before, event('STARTED', 'e3')));
    expect(before.started).toEqual(['e1']);
  });
});

describe('quick ranges', () => {
  it('start the range its length before now (to the minute) and replace the dates', () => {
    const now = Date.parse('2025-06-10T12:34:56Z');
    expect(toExecutionFilter({ ...NONE, range: '1h', from: '2025-01-01' }, now)).toEqual({ from: '2025-06-10T11:34:00.000Z' });
    expect(toExecutionFilter({ ...NONE, range: '24h' }, now)).toEqual({ from: '2025-06-09T12:34:00.000Z' });
    expect(toExecutionFilter({ ...NONE, range: '7d', environment: 'uat' }, now)).toEqual({ environment: 'uat', from: '2025-06-03T12:34:00.000Z' });
  });
});

describe('sortExecutions', () => {
  const row = (id: string, by: string, created: string, duration: number | null, servers: number) =>
    ({ executionId: id, initiatedBy: by, overall: 'COMPLETED', targetServers: Array.from({ length: servers }, (_, i) => `s${i}`), timing: { createdAt: created, durationSeconds: duration } }) as unknown as ExecutionSummaryFragment;
  const rows = [row('b', 'zoe@x', '2025-01-02T00:00:00Z', 5, 1), row('a', 'Al@x', '2025-01-03T00:00:00Z', null, 3), row('c', 'bo@x', '2025-01-01T00:00:00Z', 1, 2)];
  const ids = (sorted: ExecutionSummaryFragment[]) => sorted.map((r) => r.executionId);
  it('sorts by a column either way, missing durations last', () => {
    expect(ids(sortExecutions(rows, DEFAULT_SORT, () => ''))).toEqual(['a', 'b', 'c']);
    expect(ids(sortExecutions(rows, { key: 'created', desc: false }, () => ''))).toEqual(['c', 'b', 'a']);
    expect(ids(sortExecutions(rows, { key: 'initiator', desc: false }, () => ''))).toEqual(['a', 'c', 'b']);
    expect(ids(sortExecutions(rows, { key: 'servers', desc: true }, () => ''))).toEqual(['a', 'c', 'b']);
    expect(ids(sortExecutions(rows, { key: 'duration', desc: false }, () => ''))).toEqual(['c', 'b', 'a']);
    expect(ids(sortExecutions(rows, { key: 'duration', desc: true }, () => ''))).toEqual(['b', 'c', 'a']);
  });
  it('reads and writes the sort in the URL, the default for anything unknown', () => {
    expect(parseSort('duration:asc')).toEqual({ key: 'duration', desc: false });
    expect(parseSort('bogus:desc')).toEqual(DEFAULT_SORT);
    expect(formatSort({ key: 'servers', desc: true })).toBe('servers:desc');
  });
});
