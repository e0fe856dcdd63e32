// GraphQL documents for the operations views: server locks (acquire, extend and release for
// operators, force-release for admins),
// schedules, and the audit log with its chain verification.
import { graphql } from '../gql';

export const LockFieldsFragment = graphql(`
  fragment LockFields on ServerLock {
    lockId
    serverId
    lockType
    status
    fencingToken
    releasedBy
    lockedBy {
      processId
      executionId
      userId
    }
    lockMetadata {
      reason
      priority
      estimatedDurationMinutes
    }
    timing {
      acquiredAt
      expiresAt
      currentExtensions
      maxExtensionCount
      releasedAt
    }
  }
`);

export const LocksQuery = graphql(`
  query ServerLocks($activeOnly: Boolean!) {
    serverLocks(activeOnly: $activeOnly) {
      ...LockFields
    }
  }
`);

export const AcquireLockMutation = graphql(`
  mutation AcquireLock($input: JSON!) {
    acquireLock(input: $input) {
      ...LockFields
    }
  }
`);

export const ExtendLockMutation = graphql(`
  mutation ExtendLock($lockId: String!, $minutes: Int!) {
    extendLock(lockId: $lockId, minutes: $minutes) {
      ...LockFields
    }
  }
`);

export const ReleaseLockMutation = graphql(`
  mutation ReleaseLock($lockId: String!) {
    releaseLock(lockId: $lockId) {
      ...LockFields
    }
  }
`);

export const LockServerOptionsQuery = graphql(`
  query LockServerOptions {
    servers(page: 1, pageSize: 500) {
      items {
        serverId
        hostname
      }
    }
  }
`);

export const ForceReleaseLockMutation = graphql(`
  mutation ForceReleaseLock($lockId: String!) {
    forceReleaseLock(lockId: $lockId) {
      ...LockFields
    }
  }
`);

export const SchedulesQuery = graphql(`
  query Schedules {
    schedules {
      id
      name
      trigger
      execution
      enabled
      createdBy
      nextRunAt
      lastRunAt
    }
  }
`);

export const CreateScheduleMutation = graphql(`
  mutation CreateSchedule($input: JSON!) {
    createSchedule(input: $input) {
      id
      name
      trigger
      execution
      enabled
      createdBy
      nextRunAt
      lastRunAt
    }
  }
`);

export const CronPreviewQuery = graphql(`
  query CronPreview($expression: String!, $count: Int!) {
    cronPreview(expression: $expression, count: $count) {
      valid
      nextRuns
      error
    }
  }
`);

export const DeleteScheduleMutation = graphql(`
  mutation DeleteSchedule($id: String!) {
    deleteSchedule(id: $id)
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($filter: AuditFilter, $page: Int!, $pageSize: Int!) {
    auditLog(filter: $filter, page: $page, pageSize: $pageSize) {
      items
      total
      page
      pageSize
    }
  }
`);

export const VerifyAuditChainQuery = graphql(`
  query VerifyAuditChain {
    verifyAuditChain {
      intact
      firstBrokenSeq
    }
  }
`);
