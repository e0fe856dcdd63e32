// Tests for following an execution event by event: the snapshot's tail and live lines merged
// by cursor, older lines read when the tail is full, MISSED counted and resynced (with the gap
// read after the highest cursor held), one verified read at the end, and the catch-up's paging.
import { describe, expect, it, vi } from 'vitest';
import { logLine, monitorExecution } from '../test/executions';
import { applyEvent, createLiveState, missedNotice, PAGE_LIMIT, pollCatchup, runCatchup, SNAPSHOT_TAIL, type ExecutionEvent, type LogPage } from './live';
import { emptyBuffer, mergeLines } from './logs';

const running = monitorExecution(2, () => 'RUNNING');
const done = monitorExecution(2, () => 'SUCCESS', 'COMPLETED');
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => logLine(from + i, `line ${from + i}`));

const snapshot = (output = lines(1, 3), execution = running): ExecutionEvent => ({ kind: 'SNAPSHOT', missed: 0, execution, output });
const output = (out: ExecutionEvent['output']): ExecutionEvent => ({ kind: 'OUTPUT', missed: 0, execution: null, output: out });
const update = (execution = running): ExecutionEvent => ({ kind: 'UPDATE', missed: 0, execution, output: [] });
const missed = (n: number): ExecutionEvent => ({ kind: 'MISSED', missed: n, execution: null, output: [] });

const cursors = (state: ReturnType<typeof createLiveState>) => state.buffer.rows.map((r) => r.cursor);

describe('applyEvent', () => {
  it('takes the execution and tail from a SNAPSHOT; a short tail is the whole output', () => {
    const state = createLiveState();
    expect(applyEvent(state, snapshot())).toBeNull();
    expect(state.execution).toBe(running);
    expect(cursors(state)).toEqual([1, 2, 3]);
  });

  it('appends OUTPUT lines in order, once each, where the tail overlaps them', () => {
    const state = createLiveState();
    applyEvent(state, snapshot(lines(1, 3)));
    expect(applyEvent(state, output(lines(2, 4)))).toBeNull();
    applyEvent(state, output([logLine(8, 'late b', 'b'), logLine(7, 'late a')]));
    expect(cursors(state)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(state.buffer.rows.map((r) => r.data).slice(-2)).toEqual(['late a', 'late b']);
  });

  it('reads the older lines when the tail is full (the page opened mid-run)', () => {
    const state = createLiveState();
    const tail = lines(1001, SNAPSHOT_TAIL);
    expect(applyEvent(state, snapshot(tail))).toEqual({ after: 0, until: 1001, verify: false });
  });

  it('counts MISSED, then resyncs from the next SNAPSHOT and reads the gap after the highest cursor held', () => {
    const state = createLiveState();
    applyEvent(state, snapshot(lines(1, 3)));
    applyEvent(state, output(lines(4, 2)));
    expect(applyEvent(state, missed(40))).toBeNull();
    expect(missedNotice(state)).toBe('40 events missed — resyncing…');

    const catchup = applyEvent(state, snapshot(lines(2000, SNAPSHOT_TAIL)));
    expect(catchup).toEqual({ after: 5, until: 2000, verify: false });
    expect(missedNotice(state)).toBe('40 events missed — resynced');
    applyEvent(state, missed(1));
    applyEvent(state, snapshot(lines(2000, 10)));
    expect(missedNotice(state)).toBe('41 events missed — resynced');
  });

  it('needs no read after MISSED when the new tail is short: it holds every line', () => {
    const state = createLiveState();
    applyEvent(state, snapshot(lines(1, 3)));
    applyEvent(state, missed(2));
    expect(applyEvent(state, snapshot(lines(1, 9)))).toBeNull();
    expect(cursors(state)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('plans one verified read of the rest when the execution is final', () => {
    const state = createLiveState();
    applyEvent(state, snapshot(lines(1, 3)));
    applyEvent(state, update());
    expect(applyEvent(state, update(done))).toEqual({ after: 3, until: null, verify: true });
    expect(state.execution?.overall).toBe('COMPLETED');
    // urql may deliver the last event again: nothing more is read.
    expect(applyEvent(state, update(done))).toBeNull();
  });

  it('reads everything, verified, when the first SNAPSHOT is already final with a full tail', () => {
    const state = createLiveState();
    expect(applyEvent(state, snapshot(lines(900, SNAPSHOT_TAIL), done))).toEqual({ after: 0, until: null, verify: true });
  });

  it('says nothing when no event was missed', () => {
    expect(missedNotice(createLiveState())).toBeNull();
    expect(missedNotice({ missed: 1, resyncing: false })).toBe('1 event missed — resynced');
    expect(missedNotice({ missed: 12_345, resyncing: false })).toBe('12,345 events missed — resynced');
  });
});

describe('pollCatchup', () => {
  it('reads after the highest cursor while running, then once verified when final', () => {
    const state = createLiveState();
    applyEvent(state, snapshot(lines(1, 4)));
    expect(pollCatchup(state, false)).toEqual({ after: 4, until: null, verify: false });
    expect(pollCatchup(state, true)).toEqual({ after: 4, until: null, verify: true });
    expect(pollCatchup(state, true)).toBeNull();
  });
});

/** A hub holding `all` lines, answering `executionLogs(after:)` as it does. */
function hubPages(all: ReturnType<typeof lines>) {
  return vi.fn((after: number): Promise<LogPage> => {
    const entries = all.filter((l) => l.cursor > after).slice(0, PAGE_LIMIT);
    return Promise.resolve({ entries, total: all.length, lastCursor: entries.at(-1)?.cursor ?? null });
  });
}

describe('runCatchup', () => {
  it('pages after a cursor until it reaches the tail', async () => {
    const all = lines(1, PAGE_LIMIT * 3);
    const fetchPage = hubPages(all);
    const buffer = emptyBuffer();
    const added = await runCatchup(buffer, { after: 0, until: PAGE_LIMIT + 10, verify: false }, fetchPage);
    expect(fetchPage.mock.calls.map(([after]) => after)).toEqual([0, PAGE_LIMIT]);
    expect(added).toBe(PAGE_LIMIT * 2);
  });

  it('reads to the end when there is no tail', async () => {
    const fetchPage = hubPages(lines(1, 12));
    const buffer = emptyBuffer();
    expect(await runCatchup(buffer, { after: 0, until: null, verify: false }, fetchPage)).toBe(12);
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });

  it('reads everything again when the verified count differs (a line fell into a gap)', async () => {
    const all = lines(1, 10);
    const buffer = emptyBuffer();
    // Held: every line but 4, which was published after 5 and lost with a MISSED.
    const held = all.filter((l) => l.cursor !== 4);
    mergeLines(buffer, held);
    const fetchPage = hubPages(all);
    expect(await runCatchup(buffer, { after: 10, until: null, verify: true }, fetchPage)).toBe(1);
    expect(fetchPage.mock.calls.map(([after]) => after)).toEqual([10, 0]);
    expect(buffer.rows.map((r) => r.cursor)).toEqual(all.map((l) => l.cursor));
  });

  it('stops when the page is left', async () => {
    const fetchPage = hubPages(lines(1, 5));
    const buffer = emptyBuffer();
    expect(await runCatchup(buffer, { after: 0, until: null, verify: true }, fetchPage, () => false)).toBe(0);
    expect(buffer.rows).toEqual([]);
  });
});
