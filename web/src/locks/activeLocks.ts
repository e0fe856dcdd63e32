// Which servers are locked, and for whom a lock is in the way: the hub's rule, mirrored so every
// view that chooses or watches targets can say it. A maintenance or emergency lock lets only its
// owner's executions through; an execution lock lets only that execution through. Everyone
// else's jobs wait (the default lock policy) or are skipped (`failIfLocked: true`). Also the
// shared `serverLocks(activeOnly: true)` query, re-asked on an interval while a view is open.
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { LocksQuery } from '../api/admin';
import type { LockFieldsFragment } from '../gql/graphql';
import { formatDateTime } from '../lib/format';

/** Active locks by server id (a lapsed one — past `expiresAt` — counts as none, as on the hub). */
export function locksByServer(locks: readonly LockFieldsFragment[] | undefined, now: number = Date.now()): Map<string, LockFieldsFragment> {
  const map = new Map<string, LockFieldsFragment>();
  for (const lock of locks ?? []) {
    if (lock.status !== 'ACTIVE' || Date.parse(lock.timing.expiresAt) <= now) continue;
    map.set(lock.serverId, lock);
  }
  return map;
}

/** Who an execution runs as: its initiator and (once started) its id. */
export interface Runner {
  user: string | null | undefined;
  executionId?: string | null;
}

/** Whether `lock` keeps `runner`'s executions off its server (the hub's lease rule). */
export function blocks(lock: LockFieldsFragment, runner: Runner): boolean {
  if (lock.lockedBy.executionId) return lock.lockedBy.executionId !== runner.executionId;
  return lock.lockedBy.userId !== runner.user;
}

/** The locks among `serverIds` that keep `runner` off, in `serverIds` order. */
export function blockingLocks(serverIds: Iterable<string>, locks: ReadonlyMap<string, LockFieldsFragment>, runner: Runner): LockFieldsFragment[] {
  const found: LockFieldsFragment[] = [];
  for (const id of new Set(serverIds)) {
    const lock = locks.get(id);
    if (lock && blocks(lock, runner)) found.push(lock);
  }
  return found;
}

/** "Maintenance", "Emergency" or "Execution". */
export const lockTypeLabel = (lock: Pick<LockFieldsFragment, 'lockType'>) => lock.lockType[0] + lock.lockType.slice(1).toLowerCase();

/** Who holds it: "ops@example.com" or "execution exec-1 of ops@example.com". */
export function lockOwner(lock: LockFieldsFragment): string {
  return lock.lockedBy.executionId ? `execution ${lock.lockedBy.executionId} of ${lock.lockedBy.userId}` : lock.lockedBy.userId;
}

/** "Maintenance lock by ops@example.com: kernel patch (until 6 Dec 2026, 01:30)". */
export function describeLock(lock: LockFieldsFragment): string {
  return `${lockTypeLabel(lock)} lock by ${lockOwner(lock)}: ${lock.lockMetadata.reason} (until ${formatDateTime(lock.timing.expiresAt)})`;
}

/** Active locks, asked for again every `refreshMs` (0: never) while the view is open. */
export function useActiveLocks(refreshMs: number, pause = false) {
  const [result, reexecute] = useQuery({ query: LocksQuery, variables: { activeOnly: true }, pause });
  useEffect(() => {
    if (pause || refreshMs <= 0) return;
    const id = setInterval(() => {
      if (document.visibilityState !== 'hidden') reexecute({ requestPolicy: 'network-only' });
    }, refreshMs);
    return () => clearInterval(id);
  }, [pause, refreshMs, reexecute]);
  return { locks: result.data?.serverLocks.nodes, error: result.error, refresh: reexecute };
}
