// GraphQL documents for executions: the monitor's fragment (per-server job states), output lines
// live in `executionUpdates` (older ones are paged by cursor over REST: see useLiveExecution),
// the history list, the tenant's feed of started / finished executions, starting and
// cancelling one.
import { graphql } from '../gql';

export const ExecutionSummaryFragment = graphql(`
  fragment ExecutionSummary on Execution {
    executionId
    initiatedBy
    executionType
    targetServers
    actionTemplateId
    action
    parameters
    overall
    priority
    progress
    estimatedCompletion
    skippedReason
    cancelledBy
    maxConcurrency
    errorThreshold
    timing {
      createdAt
      startedAt
      completedAt
      durationSeconds
    }
    results {
      successCount
      failureCount
      totalCount
    }
  }
`);

export const ExecutionMonitorFragment = graphql(`
  fragment ExecutionMonitor on Execution {
    ...ExecutionSummary
    requiresLock
    failIfLocked
    retryCount
    retryDelaySeconds
    results {
      details {
        serverId
        jobId
        attempt
        startedAt
        finishedAt
        status
        exitCode
        executionTime
        error
      }
    }
  }
`);

export const ExecutionQuery = graphql(`
  query Execution($executionId: String!) {
    execution(executionId: $executionId) {
      ...ExecutionMonitor
    }
  }
`);

export const LogLineFieldsFragment = graphql(`
  fragment LogLineFields on LogLine {
    cursor
    serverId
    jobId
    attempt
    seq
    stream
    data
    timestamp
  }
`);

/**
 * The monitor's live stream: SNAPSHOT (the execution and its latest output lines) first and
 * after MISSED, then OUTPUT lines and UPDATEs of the execution in the order they happened.
 */
export const ExecutionUpdatesSubscription = graphql(`
  subscription ExecutionUpdates($executionId: String!) {
    executionUpdates(executionId: $executionId) {
      kind
      missed
      execution {
        ...ExecutionMonitor
      }
      output {
        ...LogLineFields
      }
    }
  }
`);

/** The tenant's executions as they start and finish (history refresh, notifications). */
export const ExecutionsFeedSubscription = graphql(`
  subscription ExecutionsFeed {
    executionsFeed {
      kind
      execution {
        ...ExecutionSummary
      }
    }
  }
`);

export const ExecutionsQuery = graphql(`
  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!, $orderBy: ExecutionOrder) {
    executions(filter: $filter, page: $page, pageSize: $pageSize, orderBy: $orderBy) {
      total
      page
      pageSize
      items {
        ...ExecutionSummary
      }
    }
  }
`);

export const StartExecutionMutation = graphql(`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      ...ExecutionSummary
    }
  }
`);

/** The hub runs an execution again exactly as it ran (all servers, or those that did not succeed). */
export const RerunExecutionMutation = graphql(`
  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {
    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {
      ...ExecutionSummary
    }
  }
`);

export const CancelExecutionMutation = graphql(`
  mutation CancelExecution($executionId: String!) {
    cancelExecution(executionId: $executionId) {
      ...ExecutionMonitor
    }
  }
`);

export const PreviewExecutionQuery = graphql(`
  query PreviewExecution($input: StartExecutionInput!) {
    previewExecution(input: $input) {
      matchedCount
      runCount
      servers {
        serverId
        command
        skipped
        reason
      }
    }
  }
`);

/** A server's recent executions, each with that server's job (its result here). */
export const ServerExecutionsQuery = graphql(`
  query ServerExecutions($serverId: String!, $pageSize: Int!) {
    executions(filter: { serverId: $serverId }, page: 1, pageSize: $pageSize) {
      total
      items {
        ...ExecutionSummary
        results {
          details {
            jobId
            serverId
            status
            error
          }
        }
      }
    }
  }
`);
