// What each server state looks like: its label and badge colours (filled background with a text
// colour chosen for ≥ 4.5:1 contrast). A Record over the generated ServerState type, so a new
// state in the schema fails the build until it is given a look here.
import type { ServerState } from '../gql/graphql';

export interface StateLook {
  label: string;
  color: string;
  textColor: 'white' | 'black';
}

export const SERVER_STATE_LOOK: Record<ServerState, StateLook> = {
  IDLE: { label: 'Idle', color: 'teal.9', textColor: 'white' },
  BUSY: { label: 'Busy', color: 'blue.8', textColor: 'white' },
  MAINTENANCE: { label: 'Maintenance', color: 'yellow.5', textColor: 'black' },
  UNREACHABLE: { label: 'Unreachable', color: 'gray.7', textColor: 'white' },
  ERROR: { label: 'Error', color: 'red.9', textColor: 'white' },
};

export const SERVER_STATES = Object.keys(SERVER_STATE_LOOK) as ServerState[];

export function isServerState(value: string): value is ServerState {
  return Object.hasOwn(SERVER_STATE_LOOK, value);
}
