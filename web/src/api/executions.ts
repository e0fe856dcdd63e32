// GraphQL documents for executions: the monitor's fragment (per-server job states), output lines
// live in `executionUpdates` (older ones are paged by cursor with `executionLogs`: see
// useLiveExecution), what an execution runs (the `Action` union, typed by kind),
// the history list, the tenant's feed of started / finished executions, starting and
// cancelling one.
import { graphql } from '../gql';

/** What an execution runs on each server, typed by kind (secrets masked `***`). */
export const ActionFieldsFragment = graphql(`
  fragment ActionFields on Action {
    __typename
    ... on ShellCommandAction {
      command
      timeout
      workingDirectory
      shell
      environmentVars {
        name
        value
      }
    }
    ... on FileValidationAction {
      path
      checks
    }
    ... on ServiceHealthAction {
      serviceName
      healthEndpoint
      expectedResponse
      expectedStatus
      timeout
    }
    ... on DatabaseQueryAction {
      connectionString
      query
      expectedResultType
      expectedRange {
        min
        max
      }
      timeout
      allowWrites
    }
    ... on HttpCheckAction {
      url
      method
      expectedStatus
      bodyContains
      json
      timeout
      headers {
        name
        value
      }
    }
    ... on TcpPortAction {
      host
      port
      timeout
    }
    ... on ProcessRunningAction {
      name
      pattern
      minCount
    }
    ... on DiskFreeAction {
      path
      minFreePercent
      minFreeMb
    }
    ... on TlsCertificateExpiryAction {
      host
      tlsPort: port
      serverName
      minDaysRemaining
      timeout
    }
  }
`);

export const ExecutionSummaryFragment = graphql(`
  fragment ExecutionSummary on Execution {
    executionId
    initiatedBy
    executionType
    targetServers
    actionTemplateId
    operation {
      ...ActionFields
    }
    parameterValues {
      name
      value
    }
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
    template {
      templateId
      parameterDefinitions {
        name
        type
      }
    }
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
 * A page of an execution's output lines stored after a line's cursor: run outside the urql client
 * (see api/direct.ts), so graphcache does not keep every page of a long run a second time.
 */
export const ExecutionLogsQuery = graphql(`
  query ExecutionLogs($executionId: String!, $after: Int!, $limit: Int!) {
    executionLogs(executionId: $executionId, after: $after, limit: $limit) {
      total
      lastCursor
      entries {
        ...LogLineFields
      }
    }
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
  query Executions($filter: ExecutionFilter, $first: Int, $after: String, $last: Int, $before: String, $orderBy: ExecutionOrder) {
    executions(filter: $filter, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        ...ExecutionSummary
      }
    }
  }
`);

export const StartExecutionMutation = graphql(`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      execution {
        ...ExecutionSummary
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

/** The hub runs an execution again exactly as it ran (all servers, or those that did not succeed). */
export const RerunExecutionMutation = graphql(`
  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {
    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {
      execution {
        ...ExecutionSummary
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CancelExecutionMutation = graphql(`
  mutation CancelExecution($executionId: String!) {
    cancelExecution(executionId: $executionId) {
      execution {
        ...ExecutionMonitor
      }
      userErrors {
        ...UserErrorFields
      }
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
    executions(filter: { serverId: $serverId }, first: $pageSize) {
      totalCount
      nodes {
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
