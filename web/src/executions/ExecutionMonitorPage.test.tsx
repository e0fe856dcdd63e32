// Execution monitor tests: progress and metrics from the execution, the snapshot's output, live
// OUTPUT lines appended in order and UPDATEs, MISSED resynced with the gap read by cursor, a
// finished execution's output read by pages, the polling fallback, a 1,000-server grid and a
// 5,000-line log that keep the DOM small, and cancelling; a skipped or lock-waiting job's reason
// on its tile; a template run's name and parameters. Log pages come from GraphQL `executionLogs`
// posted outside urql (stubbed fetch).
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSessionStore } from '../auth/session';
import type { ExecutionMonitorFragment, LockFieldsFragment } from '../gql/graphql';
import { notificationCenter } from '../notifications/center';
import { fakeClient, graphQLError } from '../test/client';
import { logLine, monitorExecution as execution } from '../test/executions';
import { makeLock } from '../test/locks';
import { jsonResponse, renderWithProviders } from '../test/render';
import ExecutionMonitorPage from './ExecutionMonitorPage';
import { PAGE_LIMIT, SNAPSHOT_TAIL, type ExecutionEvent } from './live';
import type { LogLine } from './logs';

/** The hub's stored output, for GraphQL `executionLogs(executionId, after, limit)`. */
let stored: LogLine[] = [];

/** The variables of a log page request (a POST /graphql body). */
const variablesOf = (init: RequestInit | undefined) => (JSON.parse(init?.body as string) as { variables: { executionId: string; after: number; limit: number } }).variables;

/** Answers log pages like the hub: the lines stored after a cursor, in order. */
function logsEndpoint() {
  return vi.fn<typeof fetch>((_input, init) => {
    const { after, limit } = variablesOf(init);
    const entries = stored.filter((l) => l.cursor > after).slice(0, limit);
    return Promise.resolve(jsonResponse(200, { data: { executionLogs: { total: stored.length, lastCursor: entries.at(-1)?.cursor ?? null, entries } } }));
  });
}

function setup(initial: ExecutionMonitorFragment, locks: LockFieldsFragment[] = []) {
  const fetchMock = logsEndpoint();
  vi.stubGlobal('fetch', fetchMock);
  const fake = fakeClient({
    Execution: () => ({ data: { execution: initial } }),
    CancelExecution: () => ({ data: { cancelExecution: { execution: { ...initial, overall: 'CANCELLED' }, userErrors: [] } } }),
    ServerLocks: () => ({ data: { serverLocks: { totalCount: locks.length, nodes: locks } } }),
    ActionTemplates: () => ({ data: { actionTemplates: { totalCount: 1, nodes: [{ templateId: 'tpl-disk', name: 'Disk check' }] } } }),
  });
  const store = createSessionStore(window.sessionStorage);
  store.start({ accessToken: 'tok', refreshToken: 'r', expiresAt: Date.now() + 60_000 });
  renderWithProviders(
    <Routes>
      <Route path="/executions/:executionId" element={<ExecutionMonitorPage />} />
    </Routes>,
    { client: fake.client, route: '/executions/exec-1', store },
  );
  const event = (e: ExecutionEvent) => act(() => fake.push('ExecutionUpdates', { executionUpdates: e }));
  const logCalls = () => fetchMock.mock.calls.map(([, init]) => variablesOf(init).after);
  return { ...fake, event, logCalls, fetchMock };
}

const snapshot = (exec: ExecutionMonitorFragment, output: LogLine[]): ExecutionEvent => ({ kind: 'SNAPSHOT', missed: 0, execution: exec, output });
const outputEvent = (output: LogLine[]): ExecutionEvent => ({ kind: 'OUTPUT', missed: 0, execution: null, output });
const shownLines = () => within(screen.getByTestId('log-view')).queryAllByTestId('log-line').map((l) => l.textContent);

describe('ExecutionMonitorPage', () => {
  beforeEach(() => {
    stored = [];
    notificationCenter.reset();
  });

  it('shows progress, metrics, the grid and the output of the snapshot', async () => {
    const running = execution(4, (i) => (i < 2 ? 'SUCCESS' : i === 2 ? 'FAILED' : 'RUNNING'));
    const { event, calls } = setup(running);
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('3 of 4 done · 75%');
    expect(screen.getByTestId('execution-state')).toHaveTextContent('Running');
    expect(screen.getByTestId('stat-success')).toHaveTextContent('2');
    expect(screen.getByTestId('stat-failed')).toHaveTextContent('1');
    expect(screen.getAllByTestId('job-cell').map((c) => c.getAttribute('data-state'))).toEqual(['SUCCESS', 'SUCCESS', 'FAILED', 'RUNNING']);
    await waitFor(() => expect(calls.some((c) => c.name === 'ExecutionUpdates' && c.variables.executionId === 'exec-1')).toBe(true));

    event(snapshot(running, [logLine(1, 'hello\n', 'srv-0000'), logLine(2, 'oops\n', 'srv-0001', 'stderr')]));
    const log = screen.getByTestId('log-view');
    expect(await within(log).findByText('hello')).toBeVisible();
    expect(within(log).getByText('[stderr]', { exact: false })).toBeVisible();
  });

  it("shows on a tile why its job was skipped (the hub's reason) or waits for someone else's lock", async () => {
    const running = execution(4, (i) => (i === 0 ? 'SKIPPED' : i === 3 ? 'SUCCESS' : 'PENDING'));
    running.results.details[0]!.error = 'server srv-0000 is locked by maintenance lock by admin@example.com (disk swap); this execution does not wait for locks';
    const locks = [
      makeLock('srv-0001', { userId: 'admin@example.com', reason: 'kernel patch' }),
      // The initiator's own maintenance lock does not hold the job back: no reason shown.
      makeLock('srv-0002', { userId: 'ops@example.com', reason: 'own work' }),
    ];
    setup(running, locks);
    await screen.findByTestId('progress-text');
    const cell = (id: string) => screen.getAllByTestId('job-cell').find((c) => c.getAttribute('data-server-id') === id)!;
    expect(within(cell('srv-0000')).getByTestId('job-note')).toHaveTextContent('locked by maintenance lock by admin@example.com (disk swap)');
    expect(cell('srv-0000')).toHaveAttribute('title', expect.stringContaining('does not wait for locks'));
    expect(await within(cell('srv-0001')).findByTestId('job-note')).toHaveTextContent('Waiting: Maintenance lock by admin@example.com: kernel patch');
    expect(within(cell('srv-0002')).queryByTestId('job-note')).toBeNull();
    expect(within(cell('srv-0003')).queryByTestId('job-note')).toBeNull();
  });

  it("names a template run by the template's name, with the parameters the hub gives (secrets masked)", async () => {
    const run = {
      ...execution(1, () => 'RUNNING'),
      actionTemplateId: 'tpl-disk',
      operation: null,
      parameterValues: [
        { name: 'path', value: '/var' },
        { name: 'token', value: '***' },
      ],
    };
    setup(run);
    expect(await screen.findByTestId('execution-action')).toHaveTextContent('Disk check');
    expect(screen.getByTestId('execution-action')).not.toHaveTextContent('tpl-disk');
    expect(screen.getByTestId('execution-parameters')).toHaveTextContent('path=/var, token=***');
  });

  it('appends live output in cursor order, each line once, and follows UPDATEs to the end', async () => {
    const running = execution(2, () => 'RUNNING');
    const { event, logCalls } = setup(running);
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('0 of 2 done');
    event(snapshot(running, [logLine(1, 'one', 'srv-0000'), logLine(2, 'two', 'srv-0001')]));
    await waitFor(() => expect(shownLines()).toHaveLength(2));
    // The tail and the first live lines overlap; another agent's batch arrives out of order.
    event(outputEvent([logLine(2, 'two', 'srv-0001'), logLine(3, 'three', 'srv-0000')]));
    event(outputEvent([logLine(5, 'five', 'srv-0000')]));
    event(outputEvent([logLine(4, 'four', 'srv-0001')]));
    await waitFor(() => expect(shownLines()).toEqual(['srv-0000 one', 'srv-0001 two', 'srv-0000 three', 'srv-0001 four', 'srv-0000 five']));
    expect(screen.getByText('5 of 5 lines')).toBeVisible();

    // The end: the rest of the output is read once after the highest cursor, and checked.
    stored = [1, 2, 3, 4, 5, 6].map((c) => logLine(c, ['one', 'two', 'three', 'four', 'five', 'six'][c - 1]!, c % 2 ? 'srv-0000' : 'srv-0001'));
    event({ kind: 'UPDATE', missed: 0, execution: execution(2, () => 'SUCCESS', 'COMPLETED'), output: [] });
    await waitFor(() => expect(screen.getByTestId('execution-state')).toHaveTextContent('Completed'));
    expect(screen.getByTestId('progress-text')).toHaveTextContent('2 of 2 done · 100%');
    expect(screen.queryByRole('button', { name: 'Cancel execution' })).toBeNull();
    await waitFor(() => expect(shownLines().at(-1)).toBe('srv-0001 six'));
    expect(logCalls()).toEqual([5]);
  });

  it('says how many events were missed and fills the gap by cursor after the new snapshot', async () => {
    const running = execution(1, () => 'RUNNING');
    const { event, logCalls } = setup(running);
    await screen.findByTestId('progress-text');
    event(snapshot(running, [logLine(1, 'first', 'srv-0000'), logLine(2, 'second', 'srv-0000')]));
    await waitFor(() => expect(shownLines()).toHaveLength(2));

    event({ kind: 'MISSED', missed: 3, execution: null, output: [] });
    expect(await screen.findByTestId('log-notice')).toHaveTextContent('3 events missed — resyncing…');
    // Lines 3..602 were stored meanwhile; the new snapshot holds only the latest 500.
    stored = Array.from({ length: 602 }, (_, i) => logLine(i + 1, `line ${i + 1}`, 'srv-0000'));
    event(snapshot(running, stored.slice(-SNAPSHOT_TAIL)));
    await waitFor(() => expect(screen.getByTestId('log-notice')).toHaveTextContent('3 events missed — resynced'));
    await waitFor(() => expect(screen.getByText('602 of 602 lines')).toBeVisible());
    expect(logCalls()).toEqual([2]);
  });

  it('reads the output of a finished execution by pages, and narrows it to a pressed server', async () => {
    const user = userEvent.setup();
    stored = [logLine(1, 'hello\n', 'srv-0000'), logLine(2, 'oops\n', 'srv-0001', 'stderr')];
    const { calls, logCalls, fetchMock } = setup(execution(2, () => 'SUCCESS', 'COMPLETED'));
    const log = await screen.findByTestId('log-view');
    await within(log).findByText('hello');
    expect(calls.some((c) => c.name === 'ExecutionUpdates')).toBe(false);
    expect(logCalls()).toEqual([0]);
    expect(fetchMock.mock.calls[0]![0]).toBe('/graphql');
    expect(variablesOf(fetchMock.mock.calls[0]![1])).toEqual({ executionId: 'exec-1', after: 0, limit: PAGE_LIMIT });
    expect(new Headers(fetchMock.mock.calls[0]![1]!.headers).get('Authorization')).toBe('Bearer tok');
    await user.click(screen.getAllByTestId('job-cell')[1]!);
    await waitFor(() => expect(within(log).queryByText('hello')).toBeNull());
    expect(within(log).getByText('oops')).toBeVisible();
  });

  it('falls back to asking every 2 seconds when the subscription fails', async () => {
    const running = execution(1, () => 'RUNNING');
    const { fail, event, calls, logCalls } = setup(running);
    await screen.findByTestId('progress-text');
    event(snapshot(running, [logLine(1, 'before', 'srv-0000'), logLine(4, 'the failure', 'srv-0000')]));
    act(() => fail('ExecutionUpdates', graphQLError('subscriptions are down', 'UNAVAILABLE')));
    expect(await screen.findByText('Live updates unavailable')).toBeVisible();
    expect(screen.getByText(/subscriptions are down/)).toBeVisible();
    stored = [logLine(1, 'before', 'srv-0000'), logLine(4, 'the failure', 'srv-0000'), logLine(6, 'polled', 'srv-0000')];
    const queried = calls.filter((c) => c.name === 'Execution').length;
    await waitFor(() => expect(shownLines().at(-1)).toBe('srv-0000 polled'), { timeout: 3_000 });
    expect(logCalls()[0]).toBe(4);
    expect(calls.filter((c) => c.name === 'Execution').length).toBeGreaterThan(queried);
  });

  it('tells the user who started it when it ends, once', async () => {
    const running = execution(1, () => 'RUNNING');
    notificationCenter.watch('exec-1');
    const { event } = setup(running);
    await screen.findByTestId('progress-text');
    event(snapshot(running, []));
    event({ kind: 'UPDATE', missed: 0, execution: execution(1, () => 'FAILED', 'FAILED'), output: [] });
    await waitFor(() => expect(notificationCenter.get().notices.map((n) => n.title)).toEqual(['Execution exec-1 failed']));
    expect(notificationCenter.get().watching).toEqual([]);
  });

  it('keeps a 1,000-server grid to a few dozen cells in the DOM', async () => {
    setup(execution(1000, (i) => (i % 3 === 0 ? 'SUCCESS' : 'RUNNING')));
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('334 of 1000 done');
    const cells = screen.getAllByTestId('job-cell').length;
    expect(cells).toBeGreaterThan(5);
    expect(cells).toBeLessThan(120);
  });

  it('keeps 5,000 live lines to a few dozen rows in the DOM', async () => {
    const running = execution(2, () => 'RUNNING');
    const { event } = setup(running);
    await screen.findByTestId('progress-text');
    event(snapshot(running, []));
    for (let batch = 0; batch < 50; batch++) {
      event(outputEvent(Array.from({ length: 100 }, (_, i) => logLine(batch * 100 + i + 1, `line ${batch * 100 + i + 1}`, `srv-000${i % 2}`))));
    }
    expect(await screen.findByText('5000 of 5000 lines')).toBeVisible();
    const rows = shownLines().length;
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(100);
  });

  it('cancels after confirming', async () => {
    const user = userEvent.setup();
    const { calls } = setup(execution(2, () => 'RUNNING'));
    await user.click(await screen.findByRole('button', { name: 'Cancel execution' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel execution' }));
    await waitFor(() => expect(calls.some((c) => c.name === 'CancelExecution' && c.variables.executionId === 'exec-1')).toBe(true));
  });
});
