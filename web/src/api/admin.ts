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
    serverLocks(activeOnly: $activeOnly, first: 500) {
      totalCount
      nodes {
        ...LockFields
      }
    }
  }
`);

export const AcquireLockMutation = graphql(`
  mutation AcquireLock($input: AcquireLockInput!) {
    acquireLock(input: $input) {
      lock {
        ...LockFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ExtendLockMutation = graphql(`
  mutation ExtendLock($lockId: String!, $minutes: Int!) {
    extendLock(lockId: $lockId, minutes: $minutes) {
      lock {
        ...LockFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ReleaseLockMutation = graphql(`
  mutation ReleaseLock($lockId: String!) {
    releaseLock(lockId: $lockId) {
      lock {
        ...LockFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const LockServerOptionsQuery = graphql(`
  query LockServerOptions {
    servers(first: 500) {
      nodes {
        serverId
        hostname
      }
    }
  }
`);

export const ForceReleaseLockMutation = graphql(`
  mutation ForceReleaseLock($lockId: String!) {
    forceReleaseLock(lockId: $lockId) {
      lock {
        ...LockFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ScheduleFieldsFragment = graphql(`
  fragment ScheduleFields on Schedule {
    scheduleId
    name
    cron
    runAt
    run {
      actionTemplateId
      targetServers
      selector {
        environment
        serverGroup
        tags
        status
      }
    }
    enabled
    createdBy
    nextRunAt
    lastRunAt
  }
`);

export const SchedulesQuery = graphql(`
  query Schedules {
    schedules(first: 500) {
      totalCount
      nodes {
        ...ScheduleFields
      }
    }
  }
`);

export const CreateScheduleMutation = graphql(`
  mutation CreateSchedule($input: CreateScheduleInput!) {
    createSchedule(input: $input) {
      schedule {
        ...ScheduleFields
      }
      userErrors {
        ...UserErrorFields
      }
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
    deleteSchedule(id: $id) {
      deletedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($filter: AuditFilter, $first: Int, $after: String, $last: Int, $before: String) {
    auditLog(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        seq
        hash
        timestamp
        eventType
        actor {
          type
          id
          ipAddress
          userAgent
        }
        resource {
          type
          id
          name
        }
        result {
          success
          errorMessage
          affectedCount
        }
        details
      }
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
