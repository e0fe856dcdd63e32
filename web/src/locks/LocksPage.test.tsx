// Locks page tests: operators acquire a lock (reason required, type and duration sent as the hub
// expects), extend and release their own locks; admins force-release others'; viewers only read.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Role } from '../gql/graphql';
import { fakeClient, userError } from '../test/client';
import { renderWithProviders } from '../test/render';
import LocksPage from './LocksPage';

const lock = (lockId: string, serverId: string, userId: string) => ({
  lockId,
  serverId,
  lockType: 'MAINTENANCE',
  status: 'ACTIVE',
  fencingToken: 1,
  releasedBy: null,
  lockedBy: { processId: 'p', executionId: null, userId },
  lockMetadata: { reason: `work on ${serverId}`, priority: null, estimatedDurationMinutes: null },
  timing: { acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString(), currentExtensions: 1, maxExtensionCount: 3, releasedAt: null },
});

const locks = [lock('l-mine', 'web-01', 'ops@example.com'), lock('l-theirs', 'db-01', 'someone@example.com')];

function setup(role: Role, acquireError?: string) {
  const fake = fakeClient({
    Me: () => ({ data: { me: { email: role === 'ADMIN' ? 'admin@example.com' : 'ops@example.com', role } } }),
    ServerLocks: () => ({ data: { serverLocks: { totalCount: locks.length, nodes: locks } } }),
    LockServerOptions: () => ({ data: { servers: { nodes: [{ serverId: 'web-01', hostname: 'web-01.example.net' }, { serverId: 'db-01', hostname: 'db-01.example.net' }] } } }),
    AcquireLock: (v) =>
      acquireError
        ? { data: { acquireLock: { lock: null, userErrors: [userError(['input', 'serverId'], acquireError, 'CONFLICT')] } } }
        : { data: { acquireLock: { lock: lock('l-new', String((v.input as { serverId: string }).serverId), 'ops@example.com'), userErrors: [] } } },
    ExtendLock: (v) => ({ data: { extendLock: { lock: locks.find((l) => l.lockId === v.lockId), userErrors: [] } } }),
    ReleaseLock: (v) => ({ data: { releaseLock: { lock: { ...locks.find((l) => l.lockId === v.lockId)!, status: 'RELEASED' }, userErrors: [] } } }),
    ForceReleaseLock: (v) => ({ data: { forceReleaseLock: { lock: { ...locks.find((l) => l.lockId === v.lockId)!, status: 'FORCE_RELEASED' }, userErrors: [] } } }),
  });
  renderWithProviders(<LocksPage />, { client: fake.client });
  return fake;
}

const row = (serverId: string) => screen.getAllByTestId('lock-row').find((r) => within(r).queryByRole('link', { name: serverId }))!;

describe('LocksPage', () => {
  it('acquires a lock: the reason is required, then type and duration go to the hub', async () => {
    const { calls } = setup('OPERATOR');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Acquire lock' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('option', { name: 'db-01 (db-01.example.net)' });
    await user.click(within(dialog).getByRole('button', { name: 'Acquire lock' }));
    expect(within(dialog).getByText('Say why the server is locked')).toBeVisible();
    expect(calls.some((c) => c.name === 'AcquireLock')).toBe(false);

    await user.selectOptions(within(dialog).getByLabelText('Server'), 'db-01');
    await user.type(within(dialog).getByLabelText(/^Reason/), 'disk swap');
    await user.click(within(dialog).getByText('Emergency'));
    await user.clear(within(dialog).getByLabelText('Lasts (minutes)'));
    await user.type(within(dialog).getByLabelText('Lasts (minutes)'), '45');
    await user.click(within(dialog).getByRole('button', { name: 'Acquire lock' }));
    expect(calls.find((c) => c.name === 'AcquireLock')!.variables).toEqual({ input: { serverId: 'db-01', reason: 'disk swap', lockType: 'EMERGENCY', ttlMinutes: 45 } });
  });

  it("shows the hub's refusal to acquire", async () => {
    setup('OPERATOR', 'server db-01 is already locked');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Acquire lock' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('option', { name: 'web-01 (web-01.example.net)' });
    await user.type(within(dialog).getByLabelText(/^Reason/), 'patch');
    await user.click(within(dialog).getByRole('button', { name: 'Acquire lock' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('server db-01 is already locked');
  });

  it('lets an operator extend and release their own lock, not force-release others', async () => {
    const { calls } = setup('OPERATOR');
    const user = userEvent.setup();
    await screen.findAllByTestId('lock-row');
    expect(within(row('db-01')).queryByRole('button')).not.toBeInTheDocument();

    await user.click(within(row('web-01')).getByRole('button', { name: 'Extend the lock on web-01' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Extended 1 of 3 times so far.');
    await user.clear(within(dialog).getByLabelText('Extend by (minutes)'));
    await user.type(within(dialog).getByLabelText('Extend by (minutes)'), '20');
    await user.click(within(dialog).getByRole('button', { name: 'Extend lock' }));
    expect(calls.find((c) => c.name === 'ExtendLock')!.variables).toEqual({ lockId: 'l-mine', minutes: 20 });

    await user.click(within(row('web-01')).getByRole('button', { name: 'Release the lock on web-01' }));
    expect(calls.find((c) => c.name === 'ReleaseLock')!.variables).toEqual({ lockId: 'l-mine' });
    expect(calls.some((c) => c.name === 'ForceReleaseLock')).toBe(false);
  });

  it("lets an admin force-release someone else's lock", async () => {
    setup('ADMIN');
    await screen.findAllByTestId('lock-row');
    expect(within(row('db-01')).getByRole('button', { name: 'Force-release the lock on db-01' })).toBeVisible();
  });

  it('offers a viewer no lock actions', async () => {
    setup('VIEWER');
    await screen.findAllByTestId('lock-row');
    expect(screen.queryByRole('button', { name: 'Acquire lock' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Release|Extend/ })).not.toBeInTheDocument();
  });
});
