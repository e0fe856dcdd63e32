// A table of server locks: who holds each, why, until when. Operators extend or release their
// own active locks; admins can also force-release anyone's (after confirming), which the hub
// audits as forced.
import { Alert, Anchor, Badge, Button, Group, Modal, NumberInput, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation } from 'urql';
import { ExtendLockMutation, ForceReleaseLockMutation, ReleaseLockMutation } from '../api/admin';
import type { LockFieldsFragment, Role } from '../gql/graphql';
import { mutationError, mutationProblems } from '../lib/errors';
import { formatDateTime, formatRelativeTime } from '../lib/format';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';

export interface LocksTableProps {
  locks: readonly LockFieldsFragment[];
  /** The signed-in user: what they may do with each lock. */
  me: { email: string; role: Role } | null | undefined;
  now: number;
  /** Hide the server column (on a server's own page). */
  showServer?: boolean;
  labelledBy?: string;
}

function ExtendDialog({ lock, onClose }: { lock: LockFieldsFragment | null; onClose: () => void }) {
  const [minutes, setMinutes] = useState<number | string>(30);
  const [state, extend] = useMutation(ExtendLockMutation);
  const confirm = async () => {
    if (!lock) return;
    const result = await extend({ lockId: lock.lockId, minutes: Number(minutes) });
    if (mutationProblems(result, result.data?.extendLock).length === 0) onClose();
  };
  return (
    <Modal opened={lock !== null} onClose={onClose} title={<Text fw={700}>Extend the lock on {lock?.serverId}</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm">
        <Text size="sm">
          Extended {lock?.timing.currentExtensions ?? 0} of {lock?.timing.maxExtensionCount ?? 0} times so far.
        </Text>
        <NumberInput label="Extend by (minutes)" value={minutes} onChange={setMinutes} min={1} max={1440} w={200} />
        {mutationError(state, state.data?.extendLock) && (
          <Alert color="red" variant="light" role="alert" title="Could not extend">
            {mutationError(state, state.data?.extendLock)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void confirm()} loading={state.fetching}>
            Extend lock
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function LocksTable({ locks, me, now, showServer = true, labelledBy }: LocksTableProps) {
  const [releasing, setReleasing] = useState<LockFieldsFragment | null>(null);
  const [extending, setExtending] = useState<LockFieldsFragment | null>(null);
  const [state, forceRelease] = useMutation(ForceReleaseLockMutation);
  const [ownRelease, releaseOwn] = useMutation(ReleaseLockMutation);
  const isAdmin = me?.role === 'ADMIN';
  const canOperate = me?.role === 'ADMIN' || me?.role === 'OPERATOR';
  const release = async () => {
    if (!releasing) return;
    const result = await forceRelease({ lockId: releasing.lockId });
    if (mutationProblems(result, result.data?.forceReleaseLock).length === 0) setReleasing(null);
  };
  return (
    <>
      {mutationError(ownRelease, ownRelease.data?.releaseLock) && (
        <Alert color="red" variant="light" role="alert" title="Could not release" mb="sm">
          {mutationError(ownRelease, ownRelease.data?.releaseLock)}
        </Alert>
      )}
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
              {canOperate && (
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
                <Table.Td title={formatDateTime(lock.timing.expiresAt)}>{formatRelativeTime(lock.timing.expiresAt, now)}</Table.Td>
                {canOperate && (
                  <Table.Td>
                    {lock.status === 'ACTIVE' && (
                      <Group gap="xs" wrap="nowrap">
                        {lock.lockedBy.userId === me?.email ? (
                          <>
                            <Button size="xs" variant="default" onClick={() => setExtending(lock)} aria-label={`Extend the lock on ${lock.serverId}`}>
                              Extend
                            </Button>
                            <Button
                              size="xs"
                              variant="default"
                              loading={ownRelease.fetching && ownRelease.operation?.variables.lockId === lock.lockId}
                              onClick={() => void releaseOwn({ lockId: lock.lockId })}
                              aria-label={`Release the lock on ${lock.serverId}`}
                            >
                              Release
                            </Button>
                          </>
                        ) : (
                          isAdmin && (
                            <DangerButton size="xs" onClick={() => setReleasing(lock)} aria-label={`Force-release the lock on ${lock.serverId}`}>
                              Force release
                            </DangerButton>
                          )
                        )}
                      </Group>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={releasing !== null}
        title={<>Force-release the lock on {releasing?.serverId}?</>}
        error={mutationError(state, state.data?.forceReleaseLock)}
        errorTitle="Could not release"
        confirmLabel="Force release"
        busy={state.fetching}
        onConfirm={() => void release()}
        onClose={() => setReleasing(null)}
      >
        {releasing?.lockedBy.userId} holds it for “{releasing?.lockMetadata.reason}”. Their work may still be running on the server. This is recorded in the audit log.
      </ConfirmDialog>
      {canOperate && <ExtendDialog key={extending?.lockId ?? ''} lock={extending} onClose={() => setExtending(null)} />}
    </>
  );
}
