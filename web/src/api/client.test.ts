// The cache configuration: a mutation that changes which items a list holds makes the list be
// fetched again (here: deleting a schedule), through the real graphcache exchange. And every
// operation goes out with its persisted-document hash and its query.
import { describe, expect, it, vi } from 'vitest';
import { fromValue, mergeMap, pipe, subscribe } from 'wonka';
import { fetchExchange, type Exchange, type Operation, type OperationResult } from 'urql';
import { DeleteScheduleMutation, SchedulesQuery } from './admin';
import { createGreenroomClient } from './client';

const schedule = (scheduleId: string) => ({
  __typename: 'Schedule',
  scheduleId,
  name: scheduleId,
  cron: '0 3 * * *',
  runAt: null,
  run: { __typename: 'ScheduledExecution', actionTemplateId: 't', targetServers: ['web-01'], selector: null },
  enabled: true,
  createdBy: 'a',
  nextRunAt: null,
  lastRunAt: null,
});

describe('cacheConfig', () => {
  it('fetches the schedules again after one is deleted', async () => {
    let stored = [schedule('s1'), schedule('s2')];
    const seen: string[] = [];
    const transport: Exchange = () => (ops$) =>
      pipe(
        ops$,
        mergeMap((op: Operation) => {
          seen.push(op.kind);
          const data =
            op.kind === 'mutation'
              ? ((stored = stored.filter((s) => s.scheduleId !== (op.variables as { id: string }).id)),
                { deleteSchedule: { __typename: 'DeletePayload', deletedId: (op.variables as { id: string }).id, userErrors: [] } })
              : { schedules: { __typename: 'ScheduleConnection', totalCount: stored.length, nodes: stored } };
          return fromValue({ operation: op, data, stale: false, hasNext: false } as OperationResult);
        }),
      );
    const client = createGreenroomClient({ accessToken: 't', onUnauthenticated: vi.fn(), transport: [transport] });
    const results: string[][] = [];
    const { unsubscribe } = pipe(
      client.query(SchedulesQuery, {}),
      subscribe((r: OperationResult) => {
        const data = r.data as { schedules?: { nodes: { scheduleId: string }[] } } | undefined;
        if (data?.schedules) results.push(data.schedules.nodes.map((item) => item.scheduleId));
      }),
    );
    await vi.waitFor(() => expect(results.at(-1)).toEqual(['s1', 's2']));
    await client.mutation(DeleteScheduleMutation, { id: 's1' }).toPromise();
    await vi.waitFor(() => expect(results.at(-1)).toEqual(['s2']));
    expect(seen.filter((k) => k === 'query').length).toBe(2);
    unsubscribe();
  });
});

describe('persisted queries', () => {
  it('sends the document hash with the query', async () => {
    const fetchMock = vi.fn<typeof fetch>(() =>
      Promise.resolve(new Response(JSON.stringify({ data: { schedules: [] } }), { status: 200, headers: { 'Content-Type': 'application/json' } })),
    );
    vi.stubGlobal('fetch', fetchMock);
    const client = createGreenroomClient({ accessToken: 't', onUnauthenticated: vi.fn(), transport: [fetchExchange] });
    await client.query(SchedulesQuery, {}).toPromise();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const init = fetchMock.mock.calls[0]?.[1];
    const body = JSON.parse(init?.body as string) as { query?: string; extensions?: { persistedQuery?: { version: number; sha256Hash: string } } };
    const hash = (SchedulesQuery as unknown as { __meta__: { hash: string } }).__meta__.hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.extensions?.persistedQuery).toMatchObject({ version: 1, sha256Hash: hash });
    expect(body.query).toContain('query Schedules');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer t');
  });
});
