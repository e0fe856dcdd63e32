// Table tests for the execution history filters: what the hub is asked, what the page narrows.
import { describe, expect, it } from 'vitest';
import type { ExecutionSummaryFragment } from '../gql/graphql';
import { foldFeed, matchesHistory, toExecutionFilter, type HistoryFilters } from './history';

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
