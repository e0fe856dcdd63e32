// The header's notification center: a bell with the unread count opening the list of how the
// executions you started ended, and a button to allow browser notifications.
import { ActionIcon, Anchor, Button, Indicator, Popover, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { notificationCenter, useNotificationCenter } from './center';

function BellIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}

export function NotificationBell() {
  const { notices } = useNotificationCenter();
  const unread = notices.filter((n) => !n.read).length;
  const [permission, setPermission] = useState(() => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission));
  return (
    <Popover position="bottom-end" width={340} withinPortal onClose={() => notificationCenter.markAllRead()} trapFocus>
      <Popover.Target>
        <ActionIcon variant="default" size="lg" aria-label={`Notifications${unread ? `, ${unread} unread` : ''}`} data-testid="notifications">
          <Indicator disabled={unread === 0} label={unread} size={16} color="red.9" aria-hidden="true">
            <BellIcon />
          </Indicator>
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs">
          <Text fw={700}>Notifications</Text>
          {notices.length === 0 ? (
            <Text size="sm" c="dimmed">
              When an execution you started ends, it is listed here.
            </Text>
          ) : (
            notices.map((n) => (
              <div key={n.id}>
                <Anchor component={Link} to={`/executions/${encodeURIComponent(n.executionId)}`} size="sm" fw={n.read ? 400 : 700} c={n.ok ? undefined : 'var(--mantine-color-error)'}>
                  {n.title}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {n.message} {new Date(n.at).toLocaleTimeString()}
                </Text>
              </div>
            ))
          )}
          {permission === 'default' && (
            <Button size="xs" variant="default" onClick={() => void Notification.requestPermission().then(setPermission)}>
              Also notify me in the browser
            </Button>
          )}
          {notices.length > 0 && (
            <Button size="xs" variant="subtle" onClick={() => notificationCenter.clear()}>
              Clear all
            </Button>
          )}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
