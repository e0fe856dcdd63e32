// The filter bar above the servers table: environment, status and free-text search.
import { Group, NativeSelect, TextInput } from '@mantine/core';
import type { ServerState } from '../gql/graphql';
import { ENVIRONMENTS } from './filters';
import { SERVER_STATE_LOOK, SERVER_STATES, isServerState } from './status';

export interface ServerFiltersProps {
  environment: string | null;
  status: ServerState | null;
  q: string;
  onEnvironmentChange: (environment: string | null) => void;
  onStatusChange: (status: ServerState | null) => void;
  onQueryChange: (q: string) => void;
}

export function ServerFilters(props: ServerFiltersProps) {
  const environments: string[] = [...ENVIRONMENTS];
  // Keep an environment from the URL selectable even if it is not one of the usual four.
  if (props.environment && !environments.includes(props.environment)) environments.push(props.environment);

  return (
    <Group align="flex-end" gap="md" wrap="wrap" role="search" aria-label="Filter servers">
      <NativeSelect
        label="Environment"
        value={props.environment ?? ''}
        onChange={(event) => props.onEnvironmentChange(event.currentTarget.value || null)}
        data={[{ value: '', label: 'All environments' }, ...environments.map((env) => ({ value: env, label: env }))]}
        w={180}
      />
      <NativeSelect
        label="Status"
        value={props.status ?? ''}
        onChange={(event) => {
          const value = event.currentTarget.value;
          props.onStatusChange(isServerState(value) ? value : null);
        }}
        data={[
          { value: '', label: 'All statuses' },
          ...SERVER_STATES.map((state) => ({ value: state, label: SERVER_STATE_LOOK[state].label })),
        ]}
        w={180}
      />
      <TextInput
        label="Search"
        type="search"
        placeholder="Server ID, hostname or tag"
        value={props.q}
        onChange={(event) => props.onQueryChange(event.currentTarget.value)}
        w={280}
      />
    </Group>
  );
}
