// What the GraphQL API does not cover — file downloads (the audit report) — as an authorised GET
// of /api/v1 that turns the hub's error envelope into an Error whose message says what failed; and
// `withToken`, shared with api/direct.ts: a 401 renews the access token once and repeats the call;
// a second ends the session, like an UNAUTHENTICATED GraphQL answer.
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

/**
 * Runs `call` with a usable access token: renewed first when it is about to expire, and once more
 * (then the call repeated) when the hub answers 401; a second 401 ends the session.
 */
export async function withToken<T>(store: SessionStore, call: (accessToken: string, onUnauthenticated: () => void) => Promise<T>): Promise<T> {
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
