// Test fixture for server locks: an active lock as `serverLocks` returns it, with overrides.
import type { LockFieldsFragment } from '../gql/graphql';

export function makeLock(serverId: string, overrides: { userId?: string; executionId?: string | null; lockType?: LockFieldsFragment['lockType']; reason?: string; expiresInMs?: number; status?: LockFieldsFragment['status'] } = {}): LockFieldsFragment {
  const now = Date.now();
  return {
    lockId: `lock-${serverId}`,
    serverId,
    lockType: overrides.lockType ?? 'MAINTENANCE',
    status: overrides.status ?? 'ACTIVE',
    fencingToken: 7,
    releasedBy: null,
    lockedBy: { processId: 'p-1', executionId: overrides.executionId ?? null, userId: overrides.userId ?? 'admin@example.com' },
    lockMetadata: { reason: overrides.reason ?? 'kernel patch', priority: 'normal', estimatedDurationMinutes: 30 },
    timing: {
      acquiredAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + (overrides.expiresInMs ?? 30 * 60_000)).toISOString(),
      currentExtensions: 0,
      maxExtensionCount: 3,
      releasedAt: null,
    },
  };
}
