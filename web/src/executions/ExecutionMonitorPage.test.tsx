// Execution monitor tests: progress and metrics from the execution, live updates from the
// subscription, a 1,000-server grid that keeps the DOM small, and cancelling.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionMonitorFragment, JobState } from '../gql/graphql';
import { fakeClient } from '../test/client';
import { jsonResponse, renderWithProviders } from '../test/render';
import { createSessionStore } from '../auth/session';
import ExecutionMonitorPage from './ExecutionMonitorPage';

function execution(servers: number, state: (i: number) => JobState, overall: ExecutionMonitorFragment['overall'] = 'RUNNING'): ExecutionMonitorFragment {
  const ids = Array.from({ length: servers }, (_, i) => `srv-${String(i).padStart(4, '0')}`);
  const details = ids.map((serverId, i) => ({
    serverId,
    jobId: `job-${i}`,
    attempt: 1,
    startedAt: null,
    finishedAt: null,
    status: state(i),
    exitCode: state(i) === 'SUCCESS' ? 0 : null,
    executionTime: state(i) === 'SUCCESS' ? 2 : 0,
    error: null,
  }));
  return {
    executionId: 'exec-1',
    initiatedBy: 'ops@example.com',
    executionType: 'bulk',
    targetServers: ids,
    actionTemplateId: null,
    action: { type: 'shell_command', command: 'echo hello' },
    parameters: {},
    overall,
    priority: 'NORMAL',
    progress: 0,
    estimatedCompletion: null,
    skippedReason: null,
    cancelledBy: null,
    maxConcurrency: null,
    errorThreshold: null,
    timing: { createdAt: new Date(Date.now() - 10_000).toISOString(), startedAt: new Date(Date.now() - 10_000).toISOString(), completedAt: null, durationSeconds: null },
    results: {
      successCount: details.filter((d) => d.status === 'SUCCESS').length,
      failureCount: details.filter((d) => d.status === 'FAILED').length,
      totalCount: servers,
      details,
    },
  };
}

function setup(initial: ExecutionMonitorFragment) {
  const fake = fakeClient({
    Execution: () => ({ data: { execution: initial } }),
    CancelExecution: () => ({ data: { cancelExecution: { ...initial, overall: 'CANCELLED' } } }),
  });
  const store = createSessionStore(window.sessionStorage);
  store.start({ accessToken: 'tok', refreshToken: 'r', expiresAt: Date.now() + 60_000 });
  renderWithProviders(
    <Routes>
      <Route path="/executions/:executionId" element={<ExecutionMonitorPage />} />
    </Routes>,
    { client: fake.client, route: '/executions/exec-1', store },
  );
  return fake;
}

describe('ExecutionMonitorPage', () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;
  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>(() =>
      Promise.resolve(
        jsonResponse(200, {
          entries: [
            { server_id: 'srv-0000', job_id: 'job-0', attempt: 1, seq: 0, stream: 'stdout', data: 'hello\n', timestamp: '2025-01-01T00:00:00Z' },
            { server_id: 'srv-0001', job_id: 'job-1', attempt: 1, seq: 0, stream: 'stderr', data: 'oops\n', timestamp: '2025-01-01T00:00:00Z' },
          ],
          next_offset: null,
        }),
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('shows progress, metrics, the grid and the output', async () => {
    setup(execution(4, (i) => (i < 2 ? 'SUCCESS' : i === 2 ? 'FAILED' : 'RUNNING')));
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('3 of 4 done · 75%');
    expect(screen.getByTestId('execution-state')).toHaveTextContent('Running');
    expect(screen.getByTestId('stat-success')).toHaveTextContent('2');
    expect(screen.getByTestId('stat-failed')).toHaveTextContent('1');
    expect(screen.getAllByTestId('job-cell').map((c) => c.getAttribute('data-state'))).toEqual(['SUCCESS', 'SUCCESS', 'FAILED', 'RUNNING']);

    const log = screen.getByTestId('log-view');
    expect(await within(log).findByText('hello')).toBeVisible();
    expect(within(log).getByText('[stderr]', { exact: false })).toBeVisible();
    expect(fetchMock.mock.calls[0]![0]).toBe('/api/v1/executions/exec-1/logs?offset=0&limit=5000');
    expect(new Headers(fetchMock.mock.calls[0]![1]!.headers).get('Authorization')).toBe('Bearer tok');
  });

  it('narrows the output to a server when its cell is pressed', async () => {
    const user = userEvent.setup();
    setup(execution(2, () => 'SUCCESS', 'COMPLETED'));
    const log = await screen.findByTestId('log-view');
    await within(log).findByText('hello');
    await user.click(screen.getAllByTestId('job-cell')[1]!);
    await waitFor(() => expect(within(log).queryByText('hello')).toBeNull());
    expect(within(log).getByText('oops')).toBeVisible();
  });

  it('follows live updates from the subscription', async () => {
    const { push } = setup(execution(3, () => 'RUNNING'));
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('0 of 3 done');
    push('ExecutionUpdates', { executionUpdates: execution(3, () => 'SUCCESS', 'COMPLETED') });
    await waitFor(() => expect(screen.getByTestId('execution-state')).toHaveTextContent('Completed'));
    expect(screen.getByTestId('progress-text')).toHaveTextContent('3 of 3 done · 100%');
    expect(screen.queryByRole('button', { name: 'Cancel execution' })).toBeNull();
  });

  it('keeps a 1,000-server grid to a few dozen cells in the DOM', async () => {
    setup(execution(1000, (i) => (i % 3 === 0 ? 'SUCCESS' : 'RUNNING')));
    expect(await screen.findByTestId('progress-text')).toHaveTextContent('334 of 1000 done');
    const cells = screen.getAllByTestId('job-cell').length;
    expect(cells).toBeGreaterThan(5);
    expect(cells).toBeLessThan(120);
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
