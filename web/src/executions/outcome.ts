// What an execution's per-server results add up to for the monitor's actions: which jobs did
// not succeed (failed, timed out, unreachable, cancelled, skipped), the progress bar's segments
// by outcome, a job's duration, and the `startExecution` input that runs it again ("Re-run":
// the same targets, action and options) or only on the servers that did not succeed ("Retry
// failed"). Pure functions, so tests pin them.
import type { ExecutionMonitorFragment, JobState, StartExecutionInput } from '../gql/graphql';
import { parameterValueInput } from '../run/parameters';
import { actionInput } from './action';

type Detail = ExecutionMonitorFragment['results']['details'][number];

/** Final states other than success: what "Failed only" shows and "Retry failed" runs again. */
export const NOT_SUCCEEDED: ReadonlySet<JobState> = new Set(['FAILED', 'TIMEOUT', 'UNREACHABLE', 'CANCELLED', 'SKIPPED']);
export const isNotSucceeded = (state: JobState) => NOT_SUCCEEDED.has(state);

/** The outcome groups of the progress bar, in the order they are drawn. */
export type Outcome = 'succeeded' | 'failed' | 'other' | 'running';
export const OUTCOME_OF: Record<JobState, Outcome | null> = {
  SUCCESS: 'succeeded',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  UNREACHABLE: 'failed',
  CANCELLED: 'other',
  SKIPPED: 'other',
  LEASED: 'running',
  RUNNING: 'running',
  PENDING: null,
};
export const OUTCOME_LOOK: Record<Outcome, { label: string; color: string }> = {
  succeeded: { label: 'Succeeded', color: 'teal.9' },
  failed: { label: 'Failed (failed, timed out, unreachable)', color: 'red.9' },
  other: { label: 'Cancelled or skipped', color: 'yellow.6' },
  running: { label: 'Running', color: 'blue.8' },
};

export interface Segment {
  outcome: Outcome;
  count: number;
  /** Share of all targets, 0–100. */
  percent: number;
}

/** The bar's segments (empty ones left out); pending jobs are the bar's empty rest. */
export function outcomeSegments(statuses: readonly JobState[], total: number): Segment[] {
  const of = Math.max(total, statuses.length);
  if (of === 0) return [];
  const counts: Record<Outcome, number> = { succeeded: 0, failed: 0, other: 0, running: 0 };
  for (const s of statuses) {
    const o = OUTCOME_OF[s];
    if (o) counts[o] += 1;
  }
  return (Object.keys(counts) as Outcome[]).filter((o) => counts[o] > 0).map((outcome) => ({ outcome, count: counts[outcome], percent: (counts[outcome] / of) * 100 }));
}

/** Seconds a job took (final) or has been running; null before it starts or when unknown. */
export function jobSeconds(d: Pick<Detail, 'status' | 'startedAt' | 'finishedAt' | 'executionTime'>, now: number): number | null {
  const outcome = OUTCOME_OF[d.status];
  if (outcome === null) return null;
  if (outcome === 'running') return d.startedAt ? Math.max(0, (now - Date.parse(d.startedAt)) / 1000) : null;
  if (d.executionTime > 0) return d.executionTime;
  if (d.startedAt && d.finishedAt) return Math.max(0, (Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000);
  return null;
}

/** The servers whose job ended without success, in target order. */
export function notSucceededServers(execution: Pick<ExecutionMonitorFragment, 'targetServers' | 'results'>): string[] {
  const failed = new Set(execution.results.details.filter((d) => isNotSucceeded(d.status)).map((d) => d.serverId));
  const order = execution.targetServers.length > 0 ? execution.targetServers : execution.results.details.map((d) => d.serverId);
  return order.filter((id) => failed.has(id));
}

/** The hub's mask for a secret parameter's value. */
export const MASKED = '***';

export interface RerunPlan {
  /** What to send to `previewExecution` / `startExecution`; null when it cannot run again. */
  input: StartExecutionInput | null;
  /** Why it cannot run again as it was (one clear sentence), if so. */
  problem: string | null;
}

/**
 * The input that runs `execution` again: its template with its parameters, or its inline action;
 * its priority, concurrency and failure threshold; on `servers` (default: all its targets).
 * Secret parameters come back masked from the hub, so a run that had one cannot be repeated
 * from here (it would send "***").
 */
export function rerunInput(
  execution: Pick<
    ExecutionMonitorFragment,
    'targetServers' | 'actionTemplateId' | 'operation' | 'parameterValues' | 'template' | 'priority' | 'maxConcurrency' | 'errorThreshold' | 'results' | 'requiresLock' | 'failIfLocked' | 'retryCount' | 'retryDelaySeconds'
  >,
  servers?: readonly string[],
): RerunPlan {
  const targets = [...(servers ?? (execution.targetServers.length > 0 ? execution.targetServers : execution.results.details.map((d) => d.serverId)))];
  if (targets.length === 0) return { input: null, problem: 'There is no server to run it on: every job succeeded.' };
  // The servers ran it before: the template's applicable tags are not asked again.
  const input: StartExecutionInput = {
    targetServers: targets,
    priority: execution.priority,
    requiresLock: execution.requiresLock,
    failIfLocked: execution.failIfLocked,
    retryCount: execution.retryCount,
    retryDelaySeconds: execution.retryDelaySeconds,
    ignoreApplicableTags: true,
  };
  if (execution.maxConcurrency != null) input.maxConcurrency = String(execution.maxConcurrency);
  if (execution.errorThreshold != null) input.errorThreshold = String(execution.errorThreshold);
  if (execution.actionTemplateId) {
    const masked = execution.parameterValues.filter((p) => p.value === MASKED).map((p) => p.name);
    if (masked.length > 0) {
      return {
        input: null,
        problem: `Secret parameter${masked.length > 1 ? 's' : ''} ${masked.join(', ')} ${masked.length > 1 ? 'are' : 'is'} masked by the hub, so this run cannot be repeated as it was: start it from Run and enter ${masked.length > 1 ? 'them' : 'it'} again.`,
      };
    }
    input.actionTemplateId = execution.actionTemplateId;
    // The hub shows values as text: typed again by the template's declarations.
    const types = new Map((execution.template?.parameterDefinitions ?? []).map((d) => [d.name, d.type]));
    input.parameters = execution.parameterValues.map(({ name, value }) => ({ name, value: parameterValueInput(types.get(name), value) }));
  } else if (execution.operation) {
    input.action = actionInput(execution.operation);
  } else {
    return { input: null, problem: 'The hub does not say what this execution ran, so it cannot be previewed.' };
  }
  return { input, problem: null };
}
