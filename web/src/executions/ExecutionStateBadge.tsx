// An execution's or a job's state as a coloured badge with its label.
import { Badge } from '@mantine/core';
import type { ExecutionState, JobState } from '../gql/graphql';
import { EXECUTION_STATE_LOOK, JOB_STATE_LOOK } from './describe';

export function ExecutionStateBadge({ state }: { state: ExecutionState }) {
  const look = EXECUTION_STATE_LOOK[state] ?? { label: state, color: 'gray.7', textColor: 'white' };
  return (
    <Badge variant="filled" color={look.color} c={look.textColor} data-testid="execution-state" data-state={state}>
      {look.label}
    </Badge>
  );
}

export function JobStateBadge({ state }: { state: JobState }) {
  const look = JOB_STATE_LOOK[state] ?? { label: state, color: 'gray.7', textColor: 'white' };
  return (
    <Badge variant="filled" color={look.color} c={look.textColor} size="sm" data-state={state}>
      {look.label}
    </Badge>
  );
}
