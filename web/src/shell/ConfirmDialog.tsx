// The one confirmation dialog for destructive actions (delete, revoke, force-release): a
// title, what will happen, the hub's refusal if the action failed, "Keep it" and the action.
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export function ConfirmDialog({
  opened,
  title,
  children,
  error,
  errorTitle,
  confirmLabel,
  busy,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: ReactNode;
  /** What happens if the user goes ahead. */
  children: ReactNode;
  /** Why the last attempt failed, if it did. */
  error: string | null;
  errorTitle: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{title}</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm">
        <Text size="sm">{children}</Text>
        {error && (
          <Alert color="red" variant="light" role="alert" title={errorTitle}>
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep it
          </Button>
          <Button color="red.9" onClick={onConfirm} loading={busy}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
