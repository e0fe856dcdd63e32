// REST calls the GraphQL API does not cover (execution log pages, report downloads): an
// authorised call of /api/v1 that turns the hub's error envelope into an Error whose message says what
// failed. A 401 renews the access token once and repeats the call; a second ends the session, like
// an UNAUTHENTICATED GraphQL answer.
import { useCallback } from 'react';
import type { SessionStore } from '../auth/session';
import { useSessionStore } from '../auth/sessionContext';

export class RestError extends Error {
  readonly status: number | null;
  readonly code: string;
  constructor(message: string, status: number | null, code: string) {
    super(message);
    this.name = 'RestError';
    this.status = status;
    this.code = code;
  }
}

export interface RestOptions {
  accessToken: string;
  onUnauthenticated: () => void;
  fetchImpl?: typeof fetch;
}

export async function restGet<T>(path: string, options: RestOptions): Promise<T> {
  return restCall<T>('GET', path, undefined, options);
}

export async function restCall<T>(method: 'GET' | 'POST', path: string, body: unknown, { accessToken, onUnauthenticated, fetchImpl = fetch }: RestOptions): Promise<T> {
  let response: Response;
  try {
    const headers: Record<string, string> = { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    response = await fetchImpl(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new RestError('Could not reach the hub. Check the connection; the view retries by itself.', null, 'network');
  }
  let answer: unknown = null;
  try {
    answer = await response.json();
  } catch {
    // Not JSON: reported below by status.
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthenticated();
    const envelope = typeof answer === 'object' && answer !== null && 'error' in answer ? (answer as { error: { code?: string; message?: string } }).error : null;
    const message =
      envelope?.message ??
      (response.status === 403 ? 'Your role does not allow this. Ask an admin.' : `The hub answered HTTP ${response.status}.`);
    throw new RestError(message, response.status, envelope?.code ?? 'http');
  }
  return answer as T;
}

/** A `restGet` bound to the signed-in session. */
export function useRestGet() {
  const call = useRestCall();
  return useCallback(<T,>(path: string) => call<T>('GET', path), [call]);
}

/**
 * Runs `call` with a usable access token: renewed first when it is about to expire, and once more
 * (then the call repeated) when the hub answers 401; a second 401 ends the session.
 */
async function withToken<T>(store: SessionStore, call: (accessToken: string, onUnauthenticated: () => void) => Promise<T>): Promise<T> {
  if (store.expiresSoon()) await store.refresh();
  const token = () => {
    const session = store.getState().session;
    if (!session) throw new RestError('Signed out.', 401, 'unauthenticated');
    return session.accessToken;
  };
  let refused = false;
  try {
    return await call(token(), () => {
      refused = true;
    });
  } catch (error) {
    if (!refused) throw error;
    if (!(await store.refresh())) throw error;
    return call(token(), () => store.end('expired'));
  }
}

/** A REST call (GET or POST with a JSON body) bound to the signed-in session. */
export function useRestCall() {
  const store = useSessionStore();
  return useCallback(
    <T,>(method: 'GET' | 'POST', path: string, body?: unknown) =>
      withToken(store, (accessToken, onUnauthenticated) => restCall<T>(method, path, body, { accessToken, onUnauthenticated })),
    [store],
  );
}

/** An authorised GET whose body is a file (e.g. a CSV report), as a Blob; errors as above. */
export function useRestBlob() {
  const store = useSessionStore();
  return useCallback(
    (path: string): Promise<Blob> =>
      withToken(store, async (accessToken, onUnauthenticated) => {
        let response: Response;
        try {
          response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${accessToken}` } });
        } catch {
          throw new RestError('Could not reach the hub. Check the connection and try again.', null, 'network');
        }
        if (!response.ok) {
          if (response.status === 401) onUnauthenticated();
          const text = await response.text();
          let message = `The hub answered HTTP ${response.status}.`;
          try {
            message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
          } catch {
            // keep the status message
          }
          throw new RestError(message, response.status, 'http');
        }
        return response.blob();
      }),
    [store],
  );
}
