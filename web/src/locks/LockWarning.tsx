// The run form's and its confirmation's warning: which chosen targets are locked by someone
// else (owner, reason, until when) and what the hub will do with their jobs under the chosen
// lock policy (wait until the lock ends, or skip them with the reason).
import { Alert, List, Text } from '@mantine/core';
import type { LockFieldsFragment } from '../gql/graphql';
import { formatCount } from '../lib/format';
import { describeLock } from './activeLocks';

export interface LockWarningProps {
  locks: readonly LockFieldsFragment[];
  /** `failIfLocked`: skip the locked servers instead of waiting. */
  skip: boolean;
  testId?: string;
}

function lockOutcome(count: number, skip: boolean): string {
  const them = count === 1 ? 'its job' : 'their jobs';
  return skip
    ? `${formatCount(count, 'server')}: ${them} will be skipped with the lock as the reason; the other servers run.`
    : `${formatCount(count, 'server')}: ${them} will wait until the lock ends (the execution stays running until then).`;
}

export function LockWarning({ locks, skip, testId = 'lock-warning' }: LockWarningProps) {
  if (locks.length === 0) return null;
  return (
    <Alert color="yellow" variant="light" role="status" title="Locked by someone else" data-testid={testId}>
      <List size="sm" mb="xs">
        {locks.map((lock) => (
          <List.Item key={lock.lockId} data-server-id={lock.serverId}>
            <Text span ff="monospace" size="sm" fw={600}>
              {lock.serverId}
            </Text>
            : {describeLock(lock)}
          </List.Item>
        ))}
      </List>
      <Text size="sm" fw={600}>
        {lockOutcome(locks.length, skip)}
      </Text>
    </Alert>
  );
}
