// A server's lock as a small badge (its type), with the owner, reason and expiry in a tooltip
// and in its accessible name; used on the servers list.
import { Badge, Tooltip } from '@mantine/core';
import type { LockFieldsFragment } from '../gql/graphql';
import { describeLock, lockTypeLabel } from './activeLocks';

const COLOR: Record<LockFieldsFragment['lockType'], { bg: string; c: 'white' | 'black' }> = {
  MAINTENANCE: { bg: 'yellow.5', c: 'black' },
  EMERGENCY: { bg: 'red.9', c: 'white' },
  EXECUTION: { bg: 'indigo.2', c: 'black' },
};

export function LockBadge({ lock }: { lock: LockFieldsFragment }) {
  const description = describeLock(lock);
  const look = COLOR[lock.lockType];
  return (
    <Tooltip label={description} withArrow multiline maw={360}>
      <Badge
        variant="filled"
        color={look.bg}
        c={look.c}
        size="sm"
        tt="none"
        role="img"
        tabIndex={0}
        aria-label={description}
        data-testid="lock-badge"
        data-lock-type={lock.lockType}
        style={{ flexShrink: 0 }}
      >
        {lockTypeLabel(lock)}
      </Badge>
    </Tooltip>
  );
}
