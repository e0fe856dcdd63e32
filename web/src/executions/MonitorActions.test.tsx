// Tests of the monitor's results and actions: each server's exit code, duration and error;
// "Failed only"; the progress bar split by outcome; "Retry failed" and "Re-run" confirmed with
// the hub's preview, started with the same action and options, then the new monitor.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSessionStore } from '../auth/session';
import type { ExecutionMonitorFragment, StartExecutionInput } from '../gql/graphql';
import { notificationCenter } from '../notifications/center';
import { fakeClient } from '../test/client';
import { monitorExecution } from '../test/executions';
import { jsonResponse, renderWithProviders } from '../test/render';
import ExecutionMonitorPage from './ExecutionMonitorPage';

/** A finished run on 4 servers: success, failed (exit 2), timed out, skipped. */
function finished(): ExecutionMonitorFragment {
  const e = monitorExecution(4, (i) => (['SUCCESS', 'FAILED', 'TIMEOUT', 'SKIPPED'] as const)[i]!, 'FAILED');
  e.priority = 'HIGH';
  e.maxConcurrency = 2;
  e.results.details[1] = { ...e.results.details[1]!, exitCode: 2, executionTime: 1.5, error: 'exit status 2' };
  e.results.details[2] = { ...e.results.details[2]!, executionTime: 60, error: 'timed out after 60 s' };
  e.results.details[3] = { ...e.results.details[3]!, error: 'has none of the template’s applicable tags (web)' };
  e.timing.completedAt = new Date().toISOString();
  e.timing.durationSeconds = 61;
  return e;
}

function setup(initial: ExecutionMonitorFragment) {
  vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => Promise.resolve(jsonResponse(200, { entries_count: 0, last_cursor: null, entries: [] }))));
  const fake = fakeClient({
    Execution: (v) => ({ data: { execution: v.executionId === 'exec-2' ? { ...initial, executionId: 'exec-2', overall: 'RUNNING' } : initial } }),
    ServerLocks: () => ({ data: { serverLocks: { totalCount: 0, nodes: [] } } }),
    ActionTemplates: () => ({ data: { actionTemplates: { totalCount: 0, nodes: [] } } }),
    PreviewExecution: (v) => {
      const input = v.input as StartExecutionInput;
      return { data: { previewExecution: { matchedCount: input.targetServers!.length, runCount: input.targetServers!.length, servers: input.targetServers!.map((serverId) => ({ serverId, command: 'echo hello', skipped: false, reason: null })) } } };
    },
    RerunExecution: () => ({ data: { rerunExecution: { execution: { ...initial, executionId: 'exec-2', overall: 'PENDING' }, userErrors: [] } } }),
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

const rows = () => screen.getAllByTestId('result-row');

describe('monitor results and actions', () => {
  beforeEach(() => notificationCenter.reset());

  it('shows each server’s state, exit code, duration and error', async () => {
    setup(finished());
    await screen.findByTestId('progress-text');
    expect(rows().map((r) => r.getAttribute('data-state'))).toEqual(['SUCCESS', 'FAILED', 'TIMEOUT', 'SKIPPED']);
    const failed = rows()[1]!;
    expect(within(failed).getByTestId('result-exit')).toHaveTextContent('2');
    expect(within(failed).getByText('1.5 s')).toBeInTheDocument();
    expect(within(failed).getByTestId('result-error')).toHaveTextContent('exit status 2');
    expect(within(rows()[0]!).getByTestId('result-exit')).toHaveTextContent('0');
    expect(within(rows()[2]!).getByText('1 min')).toBeInTheDocument();
  });

  it('splits the progress bar by outcome', async () => {
    setup(finished());
    await screen.findByTestId('progress-text');
    const bar = screen.getByTestId('outcome-bar');
    const sections = [...bar.querySelectorAll('[data-outcome]')].map((s) => [s.getAttribute('data-outcome'), s.getAttribute('aria-label')]);
    expect(sections).toEqual([
      ['succeeded', 'Succeeded: 1 of 4'],
      ['failed', 'Failed (failed, timed out, unreachable): 2 of 4'],
      ['other', 'Cancelled or skipped: 1 of 4'],
    ]);
  });

  it('narrows grid and table to the jobs that did not succeed', async () => {
    const user = userEvent.setup();
    setup(finished());
    await screen.findByTestId('progress-text');
    await user.click(screen.getByRole('switch', { name: /Failed only/ }));
    expect(rows().map((r) => r.getAttribute('data-server-id'))).toEqual(['srv-0001', 'srv-0002', 'srv-0003']);
    expect(screen.getAllByTestId('job-cell').map((c) => c.getAttribute('data-state'))).toEqual(['FAILED', 'TIMEOUT', 'SKIPPED']);
  });

  it('retries only the failed servers after a confirmation with the hub’s preview, then opens the new run', async () => {
    const user = userEvent.setup();
    const { calls } = setup(finished());
    await user.click(await screen.findByRole('button', { name: 'Retry failed (3)' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('rerun-what')).toHaveTextContent('shell_command: echo hello on srv-0001, srv-0002, srv-0003; priority high, at most 2 at once.');
    const preview = await within(dialog).findByTestId('rerun-preview');
    expect(within(preview).getAllByTestId('preview-row').map((r) => r.getAttribute('data-server-id'))).toEqual(['srv-0001', 'srv-0002', 'srv-0003']);
    // The preview asks for the same run, options included.
    expect(calls.find((c) => c.name === 'PreviewExecution')?.variables.input).toEqual({
      targetServers: ['srv-0001', 'srv-0002', 'srv-0003'],
      priority: 'HIGH',
      maxConcurrency: '2',
      requiresLock: false,
      failIfLocked: false,
      retryCount: 0,
      retryDelaySeconds: 0,
      ignoreApplicableTags: true,
      action: { shellCommand: { command: 'echo hello', environmentVars: [] } },
    });
    expect(calls.some((c) => c.name === 'RerunExecution')).toBe(false);
    await user.click(within(dialog).getByRole('button', { name: 'Run on 3 servers' }));
    // The hub repeats the run from what it stored, on the servers that did not succeed.
    await waitFor(() => expect(calls.find((c) => c.name === 'RerunExecution')?.variables).toEqual({ executionId: 'exec-1', onlyFailed: true }));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('exec-2'));
  });

  it('re-runs on every target and can be called off', async () => {
    const user = userEvent.setup();
    const { calls } = setup(finished());
    await user.click(await screen.findByRole('button', { name: 'Re-run' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByTestId('rerun-preview');
    expect(within(dialog).getByRole('button', { name: 'Run on 4 servers' })).toBeEnabled();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.some((c) => c.name === 'RerunExecution')).toBe(false);
  });

  it('offers no retry when every job succeeded', async () => {
    setup(monitorExecution(2, () => 'SUCCESS', 'COMPLETED'));
    await screen.findByRole('button', { name: 'Re-run' });
    expect(screen.queryByRole('button', { name: /Retry failed/ })).toBeNull();
  });
});
