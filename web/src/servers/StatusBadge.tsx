// A server's current state as a coloured badge; the label, not the colour, carries the meaning.
import { Badge } from '@mantine/core';
import type { ServerState } from '../gql/graphql';
import { SERVER_STATE_LOOK } from './status';

export function StatusBadge({ state }: { state: ServerState }) {
  const look = SERVER_STATE_LOOK[state] ?? { label: state, color: 'gray.7', textColor: 'white' };
  return (
    <Badge variant="filled" color={look.color} c={look.textColor} data-testid="status-badge" data-state={state}>
      {look.label}
    </Badge>
  );
}
