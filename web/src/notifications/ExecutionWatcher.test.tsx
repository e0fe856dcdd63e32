// Notification tests: one `executionsFeed` subscription; an execution you started that
// finishes shows a toast and lands in the notification center, once; STARTED events and
// executions you did not start are ignored.
import { Notifications } from '@mantine/notifications';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import { notificationCenter } from './center';
import { ExecutionWatcher } from './ExecutionWatcher';
import { NotificationBell } from './NotificationBell';

const feed = (kind: 'STARTED' | 'FINISHED', overall: string, success: number, total: number, executionId = 'exec-9') => ({
  executionsFeed: { kind, execution: { executionId, overall, results: { successCount: success, failureCount: total - success, totalCount: total } } },
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
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'ExecutionsFeed')).toHaveLength(1));
    act(() => notificationCenter.watch('exec-9'));
    // Watching more executions opens no more subscriptions.
    act(() => notificationCenter.watch('exec-10'));
    expect(fake.calls.filter((c) => c.name === 'ExecutionsFeed')).toHaveLength(1);

    act(() => fake.push('ExecutionsFeed', feed('STARTED', 'RUNNING', 0, 3)));
    act(() => fake.push('ExecutionsFeed', feed('FINISHED', 'COMPLETED', 1, 1, 'someone-elses')));
    expect(screen.queryByText(/^Execution /)).toBeNull();
    act(() => fake.push('ExecutionsFeed', feed('FINISHED', 'FAILED', 2, 3)));
    // Delivered again (a reconnect, or the monitor saw it first): still one notice.
    act(() => fake.push('ExecutionsFeed', feed('FINISHED', 'FAILED', 2, 3)));

    expect(await screen.findByText('Execution exec-9 failed')).toBeVisible();
    expect(screen.getByText('2 of 3 servers succeeded.')).toBeVisible();
    expect(screen.getByRole('button', { name: 'Notifications, 1 unread' })).toBeVisible();
    expect(notificationCenter.get().watching).toEqual(['exec-10']);
    expect(notificationCenter.get().notices).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Notifications, 1 unread' }));
    expect(await screen.findByRole('link', { name: 'Execution exec-9 failed' })).toHaveAttribute('href', '/executions/exec-9');
  });

  it('ignores executions nobody watches', () => {
    expect(notificationCenter.finish({ executionId: 'other', title: 't', message: 'm', ok: true })).toBe(false);
    expect(notificationCenter.get().notices).toEqual([]);
  });
});
