// A table of server locks: who holds each, why, until when; admins can force-release an active
// lock (after confirming), which the hub audits as forced.
import { Alert, Anchor, Badge, Button, Group, Modal, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation } from 'urql';
import { ForceReleaseLockMutation } from '../api/admin';
import type { LockFieldsFragment } from '../gql/graphql';
import { formatDateTime, formatRelativeTime } from '../lib/format';

export interface LocksTableProps {
  locks: readonly LockFieldsFragment[];
  isAdmin: boolean;
  now: number;
  /** Hide the server column (on a server's own page). */
  showServer?: boolean;
  labelledBy?: string;
}

export function LocksTable({ locks, isAdmin, now, showServer = true, labelledBy }: LocksTableProps) {
  const [releasing, setReleasing] = useState<LockFieldsFragment | null>(null);
  const [state, forceRelease] = useMutation(ForceReleaseLockMutation);
  const release = async () => {
    if (!releasing) return;
    const result = await forceRelease({ lockId: releasing.lockId });
    if (!result.error) setReleasing(null);
  };
  return (
    <>
      <Table.ScrollContainer minWidth={800}>
        <Table striped aria-labelledby={labelledBy}>
          <Table.Thead>
            <Table.Tr>
              {showServer && <Table.Th scope="col">Server</Table.Th>}
              <Table.Th scope="col">Type</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Held by</Table.Th>
              <Table.Th scope="col">Reason</Table.Th>
              <Table.Th scope="col">Acquired</Table.Th>
              <Table.Th scope="col">Expires</Table.Th>
              {isAdmin && (
                <Table.Th scope="col">
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {locks.map((lock) => (
              <Table.Tr key={lock.lockId} data-testid="lock-row">
                {showServer && (
                  <Table.Td>
                    <Anchor component={Link} to={`/servers/${encodeURIComponent(lock.serverId)}`} ff="monospace" size="sm">
                      {lock.serverId}
                    </Anchor>
                  </Table.Td>
                )}
                <Table.Td>{lock.lockType.toLowerCase()}</Table.Td>
                <Table.Td>
                  <Badge variant="default" tt="none">
                    {lock.status.toLowerCase().replace('_', ' ')}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {lock.lockedBy.userId}
                  {lock.lockedBy.executionId && (
                    <>
                      {' '}
                      (<Anchor component={Link} to={`/executions/${encodeURIComponent(lock.lockedBy.executionId)}`} size="sm">
                        {lock.lockedBy.executionId}
                      </Anchor>
                      )
                    </>
                  )}
                </Table.Td>
                <Table.Td>{lock.lockMetadata.reason}</Table.Td>
                <Table.Td>{formatDateTime(lock.timing.acquiredAt)}</Table.Td>
                <Table.Td title={lock.timing.expiresAt}>{formatRelativeTime(lock.timing.expiresAt, now)}</Table.Td>
                {isAdmin && (
                  <Table.Td>
                    {lock.status === 'ACTIVE' && (
                      <Button size="xs" color="red.9" onClick={() => setReleasing(lock)} aria-label={`Force-release the lock on ${lock.serverId}`}>
                        Force release
                      </Button>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal opened={releasing !== null} onClose={() => setReleasing(null)} title={<Text fw={700}>Force-release the lock on {releasing?.serverId}?</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack gap="sm">
          <Text size="sm">
            {releasing?.lockedBy.userId} holds it for “{releasing?.lockMetadata.reason}”. Their work may still be running on the server. This is recorded in the audit log.
          </Text>
          {state.error && (
            <Alert color="red" variant="light" role="alert" title="Could not release">
              {state.error.graphQLErrors.map((e) => e.message).join('; ') || state.error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setReleasing(null)}>
              Keep it
            </Button>
            <Button color="red.9" onClick={() => void release()} loading={state.fetching}>
              Force release
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
