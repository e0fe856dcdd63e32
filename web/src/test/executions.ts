// Test fixtures for executions: a monitor-shaped execution with per-server job states, and
// output lines with cursors.
import type { ExecutionMonitorFragment, JobState } from '../gql/graphql';
import type { LogLine } from '../executions/logs';

export function logLine(cursor: number, data: string, serverId = 'a', stream = 'stdout', attempt = 1): LogLine {
  return { cursor, serverId, jobId: `job-${serverId}`, attempt, seq: cursor, stream, data, timestamp: '2025-01-01T00:00:00Z' };
}

export function monitorExecution(servers: number, state: (i: number) => JobState, overall: ExecutionMonitorFragment['overall'] = 'RUNNING', executionId = 'exec-1'): ExecutionMonitorFragment {
  const ids = Array.from({ length: servers }, (_, i) => `srv-${String(i).padStart(4, '0')}`);
  const details = ids.map((serverId, i) => ({
    serverId,
    jobId: `job-${i}`,
    attempt: 1,
    startedAt: null,
    finishedAt: null,
    status: state(i),
    exitCode: state(i) === 'SUCCESS' ? 0 : null,
    executionTime: state(i) === 'SUCCESS' ? 2 : 0,
    error: null,
  }));
  return {
    executionId,
    initiatedBy: 'ops@example.com',
    executionType: 'bulk',
    targetServers: ids,
    actionTemplateId: null,
    operation: { __typename: 'ShellCommandAction', command: 'echo hello', timeout: null, workingDirectory: null, shell: null, environmentVars: [] },
    parameterValues: [],
    template: null,
    overall,
    priority: 'NORMAL',
    progress: 0,
    estimatedCompletion: null,
    skippedReason: null,
    cancelledBy: null,
    maxConcurrency: null,
    errorThreshold: null,
    requiresLock: false,
    failIfLocked: false,
    retryCount: 0,
    retryDelaySeconds: 0,
    timing: { createdAt: new Date(Date.now() - 10_000).toISOString(), startedAt: new Date(Date.now() - 10_000).toISOString(), completedAt: null, durationSeconds: null },
    results: {
      successCount: details.filter((d) => d.status === 'SUCCESS').length,
      failureCount: details.filter((d) => d.status === 'FAILED').length,
      totalCount: servers,
      details,
    },
  };
}
