// GraphQL documents for executions: the monitor's fragment (per-server job states, no output:
// output comes from the logs endpoint), the history list, starting one and live updates.
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

export const ExecutionUpdatesSubscription = graphql(`
  subscription ExecutionUpdates($executionId: String!) {
    executionUpdates(executionId: $executionId) {
      ...ExecutionMonitor
    }
  }
`);

export const ExecutionsQuery = graphql(`
  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!) {
    executions(filter: $filter, page: $page, pageSize: $pageSize) {
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

/** What the notification watcher needs to tell the user how a run ended. */
export const ExecutionOutcomeSubscription = graphql(`
  subscription ExecutionOutcome($executionId: String!) {
    executionUpdates(executionId: $executionId) {
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
