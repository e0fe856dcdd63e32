// The signed-in session: access/refresh tokens kept in sessionStorage, behind a small
// subscribable store so React (useSyncExternalStore) and the GraphQL client read the same truth.
// Nothing else reads or writes the tokens.

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires (from `expires_in`). */
  expiresAt: number;
}

/** Why the last session ended: shown on the login page. */
export type EndReason = 'logout' | 'expired';

export interface SessionState {
  session: Session | null;
  endReason: EndReason | null;
}

export interface SessionStore {
  getState: () => SessionState;
  subscribe: (listener: () => void) => () => void;
  start: (session: Session) => void;
  /** Forgets the tokens; a no-op when already signed out. */
  end: (reason: EndReason) => void;
}

export const SESSION_STORAGE_KEY = 'greenroom.session';

function readSession(storage: Storage | null): Session | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(SESSION_STORAGE_KEY);
    if (!raw) return null;
    const value: unknown = JSON.parse(raw);
    if (
      typeof value === 'object' &&
      value !== null &&
      'accessToken' in value &&
      typeof value.accessToken === 'string' &&
      'refreshToken' in value &&
      typeof value.refreshToken === 'string' &&
      'expiresAt' in value &&
      typeof value.expiresAt === 'number'
    ) {
      return { accessToken: value.accessToken, refreshToken: value.refreshToken, expiresAt: value.expiresAt };
    }
  } catch {
    // Corrupt entry or storage denied: treat as signed out.
  }
  return null;
}

/** sessionStorage may be unavailable (privacy modes); the store then lives in memory only. */
function defaultStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}

export function createSessionStore(storage: Storage | null = defaultStorage()): SessionStore {
  let state: SessionState = { session: readSession(storage), endReason: null };
  const listeners = new Set<() => void>();

  const set = (next: SessionState) => {
    state = next;
    listeners.forEach((listener) => listener());
  };

  return {
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start: (session) => {
      try {
        storage?.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
      } catch {
        // Quota or privacy mode: keep the session in memory for this tab.
      }
      set({ session, endReason: null });
    },
    end: (reason) => {
      if (!state.session) return;
      try {
        storage?.removeItem(SESSION_STORAGE_KEY);
      } catch {
        // ignore
      }
      set({ session: null, endReason: reason });
    },
  };
}
