// An execution's or a job's state as a coloured badge with its label. The label is never cut
// short: Mantine's badge clips its label with an ellipsis and, in an auto-sized table, lets the
// column shrink under it ("COMPLE…"); these badges keep their full width instead.
import { Badge, type BadgeProps } from '@mantine/core';
import type { ExecutionState, JobState } from '../gql/graphql';
import { EXECUTION_STATE_LOOK, JOB_STATE_LOOK } from './describe';

const WHOLE_LABEL: BadgeProps['styles'] = {
  root: { overflow: 'visible', minWidth: 'max-content', flexShrink: 0 },
  label: { overflow: 'visible', textOverflow: 'clip' },
};

export function ExecutionStateBadge({ state }: { state: ExecutionState }) {
  const look = EXECUTION_STATE_LOOK[state] ?? { label: state, color: 'gray.7', textColor: 'white' };
  return (
    <Badge variant="filled" color={look.color} c={look.textColor} styles={WHOLE_LABEL} data-testid="execution-state" data-state={state}>
      {look.label}
    </Badge>
  );
}

export function JobStateBadge({ state }: { state: JobState }) {
  const look = JOB_STATE_LOOK[state] ?? { label: state, color: 'gray.7', textColor: 'white' };
  return (
    <Badge variant="filled" color={look.color} c={look.textColor} styles={WHOLE_LABEL} size="sm" data-state={state}>
      {look.label}
    </Badge>
  );
}
