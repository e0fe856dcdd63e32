// Notification tests: an execution you started that ends shows a toast and lands in the
// notification center, once; executions you did not start are ignored.
import { Notifications } from '@mantine/notifications';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import { notificationCenter } from './center';
import { ExecutionWatcher } from './ExecutionWatcher';
import { NotificationBell } from './NotificationBell';

const outcome = (overall: string, success: number, total: number) => ({
  executionUpdates: { executionId: 'exec-9', overall, results: { successCount: success, failureCount: total - success, totalCount: total } },
});

describe('ExecutionWatcher + NotificationBell', () => {
  beforeEach(() => notificationCenter.reset());

  it('toasts and lists an execution you started when it ends', async () => {
    const fake = fakeClient({});
    const user = userEvent.setup();
    renderWithProviders(
      <>
        <Notifications />
        <ExecutionWatcher />
        <NotificationBell />
      </>,
      { client: fake.client },
    );
    expect(screen.getByRole('button', { name: 'Notifications' })).toBeVisible();
    act(() => notificationCenter.watch('exec-9'));
    await waitFor(() => expect(fake.calls.some((c) => c.name === 'ExecutionOutcome')).toBe(true));

    act(() => fake.push('ExecutionOutcome', outcome('RUNNING', 0, 3)));
    expect(screen.queryByText('Execution exec-9 failed')).toBeNull();
    act(() => fake.push('ExecutionOutcome', outcome('FAILED', 2, 3)));

    expect(await screen.findByText('Execution exec-9 failed')).toBeVisible();
    expect(screen.getByText('2 of 3 servers succeeded.')).toBeVisible();
    expect(screen.getByRole('button', { name: 'Notifications, 1 unread' })).toBeVisible();
    expect(notificationCenter.get().watching).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Notifications, 1 unread' }));
    expect(await screen.findByRole('link', { name: 'Execution exec-9 failed' })).toHaveAttribute('href', '/executions/exec-9');
  });

  it('ignores executions nobody watches', () => {
    expect(notificationCenter.finish({ executionId: 'other', title: 't', message: 'm', ok: true })).toBe(false);
    expect(notificationCenter.get().notices).toEqual([]);
  });
});
