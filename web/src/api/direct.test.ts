// The GraphQL call made outside urql (an execution's log pages): it posts the typed document and
// its variables, gives back the data, and turns the hub's refusals into Errors — telling the
// session when the token is no good.
import { describe, expect, it, vi } from 'vitest';
import { directQuery } from './direct';
import { ExecutionLogsQuery } from './executions';

const answer = (status: number, body: unknown) => vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })));

const page = { executionLogs: { total: 1, lastCursor: 7, entries: [{ cursor: 7, serverId: 'web-01', jobId: 'j1', attempt: 1, seq: 0, stream: 'stderr', data: 'x\n', timestamp: 't' }] } };

describe('directQuery', () => {
  it('posts the document and variables with the token and returns the data', async () => {
    const fetchImpl = answer(200, { data: page });
    const data = await directQuery(ExecutionLogsQuery, { executionId: 'e-1', after: 6, limit: 100 }, 'tok', vi.fn(), fetchImpl);
    expect(data).toEqual(page);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    const body = JSON.parse(init.body as string) as { query: string; variables: unknown };
    expect(body.query).toMatch(/query ExecutionLogs\(/);
    expect(body.query).toMatch(/fragment LogLineFields on LogLine/);
    expect(body.variables).toEqual({ executionId: 'e-1', after: 6, limit: 100 });
  });

  it('throws the hub’s message for a top-level error', async () => {
    const fetchImpl = answer(200, { data: null, errors: [{ message: 'no execution e-1', extensions: { code: 'NOT_FOUND' } }] });
    await expect(directQuery(ExecutionLogsQuery, { executionId: 'e-1', after: 0, limit: 1 }, 'tok', vi.fn(), fetchImpl)).rejects.toThrow('no execution e-1');
  });

  it('tells the session when the hub says the token is no good', async () => {
    const onUnauthenticated = vi.fn();
    const fetchImpl = answer(401, { errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] });
    await expect(directQuery(ExecutionLogsQuery, { executionId: 'e-1', after: 0, limit: 1 }, 'tok', onUnauthenticated, fetchImpl)).rejects.toThrow('token expired');
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('says when the hub cannot be reached', async () => {
    const fetchImpl = vi.fn(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(directQuery(ExecutionLogsQuery, { executionId: 'e-1', after: 0, limit: 1 }, 'tok', vi.fn(), fetchImpl)).rejects.toThrow(/Could not reach the hub/);
  });
});
