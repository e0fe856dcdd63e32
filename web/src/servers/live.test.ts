// Table tests for when a live server update needs the list fetched again.
import { describe, expect, it } from 'vitest';
import type { ServerFilter } from '../gql/graphql';
import { updateNeedsRefetch, type ServerUpdate } from './live';

const update: ServerUpdate = { serverId: 's1', environment: 'staging', status: { current: 'BUSY' } };

describe('updateNeedsRefetch', () => {
  it.each<[string, boolean, boolean, ServerFilter | undefined, boolean]>([
    ['row on screen, no filter: updated in place', true, true, undefined, false],
    ['row on screen, still matches the filter', true, true, { environment: 'staging', status: 'BUSY' }, false],
    ['row on screen, left the status filter', true, true, { status: 'IDLE' }, true],
    ['row on screen, left the environment filter', true, false, { environment: 'uat' }, true],
    ['unknown server, whole list on screen: new server', false, true, undefined, true],
    ['unknown server now matching the filter', false, true, { status: 'BUSY' }, true],
    ['unknown server not matching the filter', false, true, { status: 'IDLE' }, false],
    ['unknown server, other pages exist: left to the periodic refresh', false, false, undefined, false],
  ])('%s', (_name, shown, complete, filter, expected) => {
    expect(updateNeedsRefetch(update, { shown, complete, filter })).toBe(expected);
  });
});
