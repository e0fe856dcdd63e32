// How executions and jobs read on screen: labels and colours per state (label carries meaning,
// colour only helps), what an execution ran, and whether a state is final. Records over the
// generated enums, so a new state in the schema fails the build until it is described here.
// Also the parameters an execution ran with, as the hub gives them (secrets already `***`).
import type { ExecutionState, ExecutionSummaryFragment, JobState } from '../gql/graphql';
import { operationLabel } from './action';

export interface Look {
  label: string;
  color: string;
  textColor: 'white' | 'black';
}

export const EXECUTION_STATE_LOOK: Record<ExecutionState, Look> = {
  PENDING: { label: 'Pending', color: 'gray.7', textColor: 'white' },
  RUNNING: { label: 'Running', color: 'blue.8', textColor: 'white' },
  COMPLETED: { label: 'Completed', color: 'teal.9', textColor: 'white' },
  FAILED: { label: 'Failed', color: 'red.9', textColor: 'white' },
  CANCELLED: { label: 'Cancelled', color: 'yellow.5', textColor: 'black' },
};
export const EXECUTION_STATES = Object.keys(EXECUTION_STATE_LOOK) as ExecutionState[];

export const JOB_STATE_LOOK: Record<JobState, Look> = {
  PENDING: { label: 'Pending', color: 'gray.3', textColor: 'black' },
  LEASED: { label: 'Leased', color: 'indigo.2', textColor: 'black' },
  RUNNING: { label: 'Running', color: 'blue.8', textColor: 'white' },
  SUCCESS: { label: 'Success', color: 'teal.9', textColor: 'white' },
  FAILED: { label: 'Failed', color: 'red.9', textColor: 'white' },
  TIMEOUT: { label: 'Timed out', color: 'orange.5', textColor: 'black' },
  CANCELLED: { label: 'Cancelled', color: 'yellow.5', textColor: 'black' },
  SKIPPED: { label: 'Skipped', color: 'gray.6', textColor: 'black' },
  UNREACHABLE: { label: 'Unreachable', color: 'grape.9', textColor: 'white' },
};
export const JOB_STATES = Object.keys(JOB_STATE_LOOK) as JobState[];

const FINAL_JOB: ReadonlySet<JobState> = new Set(['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED', 'SKIPPED', 'UNREACHABLE']);
export const isFinalJob = (state: JobState) => FINAL_JOB.has(state);
export const isFinalExecution = (state: ExecutionState) => state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED';

/** "Template check-disk" or "shell_command: echo hello". */
export function actionLabel(execution: Pick<ExecutionSummaryFragment, 'actionTemplateId' | 'operation'>, templateNames?: ReadonlyMap<string, string>): string {
  if (execution.actionTemplateId) {
    return templateNames?.get(execution.actionTemplateId) ?? `Template ${execution.actionTemplateId}`;
  }
  return operationLabel(execution.operation);
}

/** "db=staging_db, password=***": the parameter values as the hub returns them, in its order. */
export function formatParameters(parameters: readonly { name: string; value: string }[]): string {
  return parameters.map(({ name, value }) => `${name}=${value}`).join(', ');
}
