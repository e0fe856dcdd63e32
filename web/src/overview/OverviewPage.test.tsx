// The Overview page: fleet counts linking to the filtered servers list, running executions
// linking to their monitors, servers needing attention, active locks, the success rate with
// the number of executions behind it, and the empty state for a hub without servers.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import { makeServers } from '../test/servers';
import OverviewPage from './OverviewPage';

const credentials = (days: number) => ({ certificateFingerprint: 'ab', certificateNotAfter: new Date(Date.now() + days * 86_400_000).toISOString(), lastRotation: null, revoked: false });
const servers = makeServers().map((s, i) => ({ ...s, credentials: credentials(i === 2 ? 3.5 : 60) }));
const lock = {
  lockId: 'l1',
  serverId: 'nonprod-web-01',
  lockType: 'MAINTENANCE',
  status: 'ACTIVE',
  fencingToken: 1,
  releasedBy: null,
  lockedBy: { processId: 'p', executionId: null, userId: 'ops@example.com' },
  lockMetadata: { reason: 'patch', priority: 'high', estimatedDurationMinutes: 30 },
  timing: { acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 600_000).toISOString(), currentExtensions: 0, maxExtensionCount: 3, releasedAt: null },
};
const running = {
  executionId: 'exec-9',
  initiatedBy: 'ops@example.com',
  executionType: 'batch',
  targetServers: ['nonprod-web-01', 'nonprod-db-01'],
  actionTemplateId: null,
  operation: { __typename: 'ShellCommandAction', command: 'uptime', timeout: null, workingDirectory: null, shell: null, environmentVars: [] },
  parameterValues: [],
  overall: 'RUNNING',
  priority: 'NORMAL',
  progress: 50,
  estimatedCompletion: null,
  skippedReason: null,
  cancelledBy: null,
  maxConcurrency: null,
  errorThreshold: null,
  timing: { createdAt: new Date().toISOString(), startedAt: new Date().toISOString(), completedAt: null, durationSeconds: null },
  results: { successCount: 1, failureCount: 0, totalCount: 2 },
};
const outcome = (id: string, overall: string, hoursAgo = 0) => ({ executionId: id, overall, timing: { createdAt: new Date(Date.now() - hoursAgo * 3_600_000).toISOString() } });

const pageInfo = (hasNextPage: boolean, endCursor: string | null) => ({ hasNextPage, hasPreviousPage: false, startCursor: null, endCursor });

function setup(empty = false) {
  const fake = fakeClient({
    OverviewServers: () => ({ data: { servers: { totalCount: empty ? 0 : servers.length, nodes: empty ? [] : servers } } }),
    OverviewRunning: () => ({ data: { executions: { totalCount: empty ? 0 : 1, nodes: empty ? [] : [running] } } }),
    // Two pages, read by cursor: the rate counts both.
    OverviewOutcomes: (v) => {
      if (empty) return { data: { executions: { totalCount: 0, pageInfo: pageInfo(false, null), nodes: [] } } };
      if (v.after === 'c-b') return { data: { executions: { totalCount: 3, pageInfo: pageInfo(false, 'c-c'), nodes: [outcome('c', 'COMPLETED', 0.1)] } } };
      return { data: { executions: { totalCount: 3, pageInfo: pageInfo(true, 'c-b'), nodes: [outcome('a', 'COMPLETED'), outcome('b', 'FAILED')] } } };
    },
    ServerLocks: () => ({ data: { serverLocks: { totalCount: empty ? 0 : 1, nodes: empty ? [] : [lock] } } }),
  });
  renderWithProviders(<OverviewPage />, { client: fake.client, route: '/overview' });
  return fake;
}

describe('OverviewPage', () => {
  it('counts the fleet by environment and state, each count linking to the filtered servers list', async () => {
    setup();
    const fleet = await screen.findByTestId('overview-fleet');
    expect(within(fleet).getByRole('link', { name: '1 server error in uat' })).toHaveAttribute('href', '/servers?environment=uat&status=ERROR');
    expect(within(fleet).getByRole('link', { name: '1 server idle in all environments' })).toHaveAttribute('href', '/servers?status=IDLE');
    expect(within(fleet).getByRole('link', { name: 'All 3 servers in all environments' })).toHaveAttribute('href', '/servers');
  });

  it('shows running executions with progress and a link to their monitor', async () => {
    setup();
    const run = await screen.findByTestId('running-execution');
    expect(within(run).getByRole('link')).toHaveAttribute('href', '/executions/exec-9');
    expect(within(run).getByRole('progressbar', { name: 'Progress of exec-9' })).toHaveAttribute('aria-valuenow', '50');
    expect(run).toHaveTextContent('2 servers');
  });

  it('lists servers needing attention and the active locks, each linking to the server', async () => {
    setup();
    const attention = await screen.findByTestId('overview-attention');
    const rows = within(attention).getAllByTestId('attention-row');
    expect(rows.map((r) => r.getAttribute('data-server-id'))).toEqual(['nonprod-db-01', 'nonprod-app-01']);
    expect(rows[0]).toHaveTextContent('Disk 97.3% full');
    expect(rows[1]).toHaveTextContent('Certificate expires in 3 days');
    expect(within(rows[0]!).getByRole('link', { name: 'nonprod-db-01' })).toHaveAttribute('href', '/servers/nonprod-db-01');
    const lockRow = within(await screen.findByTestId('overview-locks')).getByTestId('overview-lock-row');
    expect(lockRow).toHaveTextContent('Maintenance');
    expect(lockRow).toHaveTextContent('ops@example.com');
  });

  it('computes the success rate and says from how many executions, by day or by hour', async () => {
    const user = userEvent.setup();
    setup();
    const rate = await screen.findByTestId('overview-success-rate');
    expect(await within(rate).findByTestId('success-rate-basis')).toHaveTextContent('Computed from 3 finished executions in the last 7 days');
    expect(within(rate).getAllByTestId('success-rate-row')).toHaveLength(7);
    expect(within(rate).getAllByTestId('success-rate-row')[0]).toHaveTextContent('66.7%');
    await user.click(within(rate).getByRole('radio', { name: 'Last 24 hours, by hour' }));
    expect(within(rate).getAllByTestId('success-rate-row')).toHaveLength(24);
  });

  it('tells how to enroll a server when there is none, with a link to Agents', async () => {
    setup(true);
    const empty = await screen.findByTestId('overview-no-servers');
    expect(within(empty).getByRole('link', { name: 'Agents page' })).toHaveAttribute('href', '/agents');
    expect(await screen.findByText(/Nothing is running/)).toBeInTheDocument();
    expect(await screen.findByText(/No server is locked/)).toBeInTheDocument();
    expect(await screen.findByText(/No execution finished in this period/)).toBeInTheDocument();
  });
});
