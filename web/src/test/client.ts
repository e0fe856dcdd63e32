// A fake urql client for component tests: answers each operation by its name from a table of
// handlers (data or an error), records the calls, and keeps each result stream open like a real
// client's. Subscriptions get a subject the test pushes events into.
import { CombinedError, type Client, type OperationResult } from 'urql';
import { vi } from 'vitest';
import { concat, fromValue, makeSubject, never, pipe, map, type Subject } from 'wonka';

type Handler = (variables: Record<string, unknown>) => { data?: unknown; error?: CombinedError };

interface Request {
  query: { definitions: readonly { kind: string; name?: { value: string } }[] };
  variables: Record<string, unknown>;
}

export function operationName(request: Request): string {
  const op = request.query.definitions.find((d) => d.kind === 'OperationDefinition');
  return op?.name?.value ?? '';
}

export function fakeClient(handlers: Record<string, Handler>) {
  const calls: { name: string; variables: Record<string, unknown> }[] = [];
  const subjects = new Map<string, Subject<{ data?: unknown; error?: CombinedError }>>();
  const answer = (request: Request) => {
    const name = operationName(request);
    calls.push({ name, variables: request.variables });
    const handler = handlers[name];
    if (!handler) throw new Error(`fakeClient: no handler for ${name}`);
    return handler(request.variables ?? {});
  };
  const subject = (name: string) => {
    let s = subjects.get(name);
    if (!s) {
      s = makeSubject<{ data?: unknown; error?: CombinedError }>();
      subjects.set(name, s);
    }
    return s;
  };
  const client = {
    executeQuery: vi.fn((request: Request) => concat([fromValue(answer(request)), never])),
    executeMutation: vi.fn((request: Request) => fromValue(answer(request))),
    executeSubscription: vi.fn((request: Request) => {
      calls.push({ name: operationName(request), variables: request.variables });
      return pipe(
        subject(operationName(request)).source,
        map((result) => ({ ...result, stale: false, hasNext: true }) as unknown as OperationResult),
      );
    }),
  } as unknown as Client;
  return {
    client,
    calls,
    /** Pushes a subscription event to the component. */
    push: (name: string, data: unknown) => subject(name).next({ data }),
    /** Makes a subscription fail (as a refused or broken stream does). */
    fail: (name: string, error: CombinedError) => subject(name).next({ error }),
  };
}

export const graphQLError = (message: string, code = 'INVALID_INPUT') =>
  new CombinedError({ graphQLErrors: [{ message, extensions: { code } }] });

/** A payload's user error, as the hub sends it: its field path (e.g. `['input', 'name']`) and message. */
export const userError = (field: string[] | null, message: string, code = 'INVALID_INPUT') => ({ __typename: 'UserError', field, code, message });
