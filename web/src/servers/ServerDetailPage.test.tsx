// Server page tests: facts and metrics from the `server` query, heartbeat history from live
// updates, recent executions for this server (with this server's own result, not the
// execution's), locks, and a clear message for an unknown server.
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import { makeServers } from '../test/servers';
import ServerDetailPage from './ServerDetailPage';

const base = makeServers()[0]!;
const server = {
  ...base,
  capabilities: ['shell_execution'],
  configuration: { agentVersion: '0.1.0', osInfo: 'Debian 12', maxConcurrentJobs: 4, timeoutDefault: 300 },
  status: { ...base.status, uptimeSeconds: 7300, loadAverage: [0.5, 0.7, 0.8] },
  metadata: { createdAt: '2025-01-01T00:00:00Z', createdBy: 'admin@example.com', updatedAt: '2025-01-01T00:00:00Z', lastSuccessfulExecution: null },
  credentials: {
    certificateFingerprint: 'feedfacecafebeef00112233445566778899aabbccddeeff0011223344556677',
    certificateNotAfter: new Date(Date.now() + 10 * 86_400_000 + 3_600_000).toISOString(),
    lastRotation: '2025-01-01T00:00:00Z',
    revoked: false,
  },
};

function setup(found = true) {
  const fake = fakeClient({
    ServerDetail: () => ({ data: { server: found ? server : null } }),
    ServerLocks: () => ({
      data: {
        serverLocks: {
          totalCount: 1,
          nodes: [
          {
            lockId: 'l1',
            serverId: server.serverId,
            lockType: 'MAINTENANCE',
            status: 'ACTIVE',
            fencingToken: 7,
            releasedBy: null,
            lockedBy: { processId: 'p', executionId: null, userId: 'ops@example.com' },
            lockMetadata: { reason: 'kernel patch', priority: 'high', estimatedDurationMinutes: 30 },
            timing: { acquiredAt: '2025-01-01T00:00:00Z', expiresAt: new Date(Date.now() + 600_000).toISOString(), currentExtensions: 0, maxExtensionCount: 3, releasedAt: null },
          },
          ],
        },
      },
    }),
    Me: () => ({ data: { me: { email: 'admin@example.com', role: 'ADMIN' } } }),
    ServerMetricsHistory: () => ({ data: { server: { serverId: server.serverId, metricsHistory: [] } } }),
    LockServerOptions: () => ({ data: { servers: { nodes: [{ serverId: 'other-01', hostname: 'other' }, { serverId: server.serverId, hostname: server.hostname }] } } }),
    AcquireLock: (v) => ({ data: { acquireLock: { lock: { lockId: 'l2', serverId: (v.input as { serverId: string }).serverId }, userErrors: [] } } }),
    ServerExecutions: () => ({
      data: {
        executions: {
          totalCount: 2,
          nodes: [
            {
              executionId: 'exec-7',
              initiatedBy: 'ops@example.com',
              executionType: 'single',
              targetServers: [server.serverId],
              actionTemplateId: null,
              action: { type: 'shell_command', command: 'uptime' },
              parameters: {},
              overall: 'COMPLETED',
              priority: 'NORMAL',
              progress: 100,
              estimatedCompletion: null,
              skippedReason: null,
              cancelledBy: null,
              maxConcurrency: null,
              errorThreshold: null,
              timing: { createdAt: '2025-01-01T00:00:00Z', startedAt: null, completedAt: null, durationSeconds: 1 },
              results: { successCount: 1, failureCount: 0, totalCount: 1, details: [{ jobId: 'j-7', serverId: server.serverId, status: 'SUCCESS', error: null }] },
            },
            {
              // Failed overall, but this server's job succeeded; another server's failed.
              executionId: 'exec-8',
              initiatedBy: 'ops@example.com',
              executionType: 'bulk',
              targetServers: ['other-01', server.serverId],
              actionTemplateId: null,
              action: { type: 'shell_command', command: 'uptime' },
              parameters: {},
              overall: 'FAILED',
              priority: 'NORMAL',
              progress: 100,
              estimatedCompletion: null,
              skippedReason: null,
              cancelledBy: null,
              maxConcurrency: null,
              errorThreshold: null,
              timing: { createdAt: '2025-01-01T00:00:00Z', startedAt: null, completedAt: null, durationSeconds: 1 },
              results: {
                successCount: 1,
                failureCount: 1,
                totalCount: 2,
                details: [
                  { jobId: 'j-8a', serverId: 'other-01', status: 'FAILED', error: 'exit code 1' },
                  { jobId: 'j-8b', serverId: server.serverId, status: 'SUCCESS', error: null },
                ],
              },
            },
          ],
        },
      },
    }),
  });
  renderWithProviders(
    <Routes>
      <Route path="/servers/:serverId" element={<ServerDetailPage />} />
    </Routes>,
    { client: fake.client, route: `/servers/${server.serverId}` },
  );
  return fake;
}

describe('ServerDetailPage', () => {
  it('shows facts, metrics, recent executions and locks', async () => {
    const { calls } = setup();
    expect(await screen.findByRole('heading', { name: server.serverId })).toBeVisible();
    const facts = screen.getByRole('region', { name: 'Facts' });
    expect(within(facts).getByText('Debian 12')).toBeVisible();
    expect(within(facts).getByText('10.0.1.10')).toBeVisible();
    expect(within(facts).getByText('2 h 1 min')).toBeVisible();
    expect(within(facts).getByText('0.50 / 0.70 / 0.80')).toBeVisible();
    expect(screen.getByRole('progressbar', { name: 'CPU 42.5%' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'exec-7' })).toHaveAttribute('href', '/executions/exec-7');
    expect(calls.find((c) => c.name === 'ServerExecutions')!.variables).toMatchObject({ serverId: server.serverId });
    const recent = screen.getByRole('table', { name: 'Recent executions' });
    const row = (id: string) => within(recent).getAllByTestId('recent-execution').find((r) => r.getAttribute('data-execution-id') === id)!;
    expect(within(row('exec-7')).getByText('Success').closest('[data-state]')).toHaveAttribute('data-state', 'SUCCESS');
    // This server's result, not the execution's overall FAILED.
    expect(within(row('exec-8')).getByText('Success').closest('[data-state]')).toHaveAttribute('data-state', 'SUCCESS');
    expect(within(row('exec-8')).queryByText(/failed/i)).toBeNull();
    const locks = screen.getByRole('region', { name: 'Locks' });
    expect(within(locks).getByText('kernel patch')).toBeVisible();
    expect(within(locks).getByRole('button', { name: `Force-release the lock on ${server.serverId}` })).toBeVisible();
  });

  it("shows the agent certificate's fingerprint and a warning when it expires within 14 days", async () => {
    setup();
    const cert = await screen.findByRole('region', { name: 'Certificate' });
    expect(within(cert).getByText('feedface…6677')).toBeVisible();
    expect(within(cert).getByRole('button', { name: `Copy the fingerprint of ${server.serverId}` })).toBeVisible();
    expect(within(cert).getByTestId('certificate-state')).toHaveTextContent('10 days left — renew soon');
  });

  it('draws each heartbeat into the metric history', async () => {
    const { push } = setup();
    await screen.findByRole('heading', { name: server.serverId });
    for (const [i, cpu] of [10, 20, 30].entries()) {
      act(() => push('ServerUpdates', { serverUpdates: { ...base, status: { ...base.status, cpuPercent: cpu, lastHeartbeat: new Date(Date.now() + i * 1000).toISOString() } } }));
    }
    expect(await screen.findByRole('img', { name: 'CPU history: 3 samples, from 10.0% to 30.0%' })).toBeInTheDocument();
  });

  it('says when the server does not exist', async () => {
    setup(false);
    expect(await screen.findByRole('alert')).toHaveTextContent(`There is no server “${server.serverId}”`);
  });

  it('opens Run with this server targeted, and locks it with a reason, type and duration', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    expect(await screen.findByRole('link', { name: 'Run here' })).toHaveAttribute('href', `/run?server=${server.serverId}`);
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('combobox', { name: 'Server' })).toHaveValue(server.serverId);
    await user.click(within(dialog).getByRole('button', { name: 'Acquire lock' }));
    expect(within(dialog).getByText('Say why the server is locked')).toBeVisible();
    expect(calls.some((c) => c.name === 'AcquireLock')).toBe(false);
    await user.type(within(dialog).getByRole('textbox', { name: /Reason/ }), 'disk swap');
    await user.click(within(dialog).getByText('Emergency'));
    const minutes = within(dialog).getByRole('textbox', { name: 'Lasts (minutes)' });
    await user.clear(minutes);
    await user.type(minutes, '30');
    await user.click(within(dialog).getByRole('button', { name: 'Acquire lock' }));
    await waitFor(() => expect(calls.find((c) => c.name === 'AcquireLock')?.variables.input).toEqual({ serverId: server.serverId, reason: 'disk swap', lockType: 'EMERGENCY', ttlMinutes: 30 }));
  });
});
