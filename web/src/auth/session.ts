// The signed-in session, behind a small subscribable store so React (useSyncExternalStore) and the
// GraphQL client read the same truth. Nothing else reads or writes the tokens.
//
// - The access token lives in memory and this tab's sessionStorage (a reload keeps it).
// - The hub's rotating refresh token lives in localStorage, shared by every tab of the origin: a
//   reload or a new tab with no usable access token spends it (POST /api/v1/auth/refresh) for a
//   new pair, and so does a tab whose token is about to expire or was refused.
// - A refresh token is spent once: the hub ends the whole session when a spent one comes back. So
//   refreshing happens under a Web Lock (one tab at a time, across tabs), always spends the token
//   found in localStorage right then, and writes its successor before letting go; the new access
//   token is broadcast (BroadcastChannel) so tabs waiting for the lock take it instead of
//   refreshing again.
// - Signing out (or the hub refusing the refresh) clears both storages and tells every tab.

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
  /** Signed in elsewhere (a refresh token is kept) and a new access token is being fetched. */
  restoring: boolean;
}

export interface SessionStore {
  getState: () => SessionState;
  subscribe: (listener: () => void) => () => void;
  start: (session: Session) => void;
  /** Forgets the tokens (signing out of the hub too on 'logout'); a no-op when already signed out. */
  end: (reason: EndReason) => void;
  /** Spends the refresh token for a new access token (one tab at a time); true when signed in after it. */
  refresh: () => Promise<boolean>;
  /** Whether the access token expires within the refresh margin (or there is none). */
  expiresSoon: () => boolean;
  /** Stops timers and listeners (tests). */
  dispose: () => void;
}

/** sessionStorage: this tab's access token. */
export const SESSION_STORAGE_KEY = 'greenroom.session';
/** localStorage: the refresh token every tab shares. */
export const REFRESH_STORAGE_KEY = 'greenroom.refresh';
export const REFRESH_PATH = '/api/v1/auth/refresh';
export const LOGOUT_PATH = '/api/v1/auth/logout';
const LOCK_NAME = 'greenroom.refresh';
const CHANNEL_NAME = 'greenroom.session';
/** Refresh this long before the access token expires (at most a fifth of its life). */
const MARGIN_MS = 60_000;
const REFRESH_TIMEOUT_MS = 15_000;
/** How long a tab that finds the token rotated by another waits for that tab's broadcast. */
const BROADCAST_WAIT_MS = 1_000;

/** Messages between tabs. */
type TabMessage = { type: 'session'; session: Session } | { type: 'ended'; reason: EndReason };

/** The cross-tab pieces, injectable for tests; all optional (a store without them is one tab's). */
export interface SessionSharing {
  /** Where the refresh token is shared (localStorage). */
  shared?: Storage | null;
  /** A channel to the other tabs. */
  channel?: Pick<BroadcastChannel, 'postMessage' | 'addEventListener' | 'removeEventListener' | 'close'> | null;
  /** Runs `fn` while holding the cross-tab lock (navigator.locks). */
  withLock?: (<T>(fn: () => Promise<T>) => Promise<T>) | null;
  fetchImpl?: typeof fetch;
  now?: () => number;
  /** Listens for `storage` events of other tabs (window). */
  storageEvents?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function safeGet(storage: Storage | null | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function safeSet(storage: Storage | null | undefined, key: string, value: string | null) {
  try {
    if (value === null) storage?.removeItem(key);
    else storage?.setItem(key, value);
  } catch {
    // Quota or privacy mode: memory only.
  }
}

function readAccess(storage: Storage | null): { accessToken: string; expiresAt: number; refreshToken?: string } | null {
  try {
    const raw = safeGet(storage, SESSION_STORAGE_KEY);
    const v: unknown = raw ? JSON.parse(raw) : null;
    if (isRecord(v) && typeof v.accessToken === 'string' && typeof v.expiresAt === 'number') {
      return { accessToken: v.accessToken, expiresAt: v.expiresAt, refreshToken: typeof v.refreshToken === 'string' ? v.refreshToken : undefined };
    }
  } catch {
    // Corrupt entry: signed out.
  }
  return null;
}

function readRefresh(shared: Storage | null | undefined): string | null {
  try {
    const raw = safeGet(shared, REFRESH_STORAGE_KEY);
    const v: unknown = raw ? JSON.parse(raw) : null;
    return isRecord(v) && typeof v.refreshToken === 'string' ? v.refreshToken : null;
  } catch {
    return null;
  }
}

function isSession(v: unknown): v is Session {
  return isRecord(v) && typeof v.accessToken === 'string' && typeof v.refreshToken === 'string' && typeof v.expiresAt === 'number';
}

/** A Web Storage, or null where reading it throws (privacy modes). */
function storageOf(get: () => Storage | null | undefined): Storage | null {
  try {
    return get() ?? null;
  } catch {
    return null;
  }
}

/** The browser's cross-tab pieces (localStorage, BroadcastChannel, Web Locks), where they exist. */
export function browserSharing(): SessionSharing {
  const w = typeof window === 'undefined' ? null : window;
  const shared = storageOf(() => w?.localStorage);
  const locks = typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
  return {
    shared,
    channel: typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL_NAME),
    withLock: locks ? (fn) => locks.request(LOCK_NAME, fn) : null,
    storageEvents: w,
  };
}

/** The store of the running app: this tab's sessionStorage, shared with the other tabs. */
export function createBrowserSessionStore(): SessionStore {
  const storage = storageOf(() => (typeof window === 'undefined' ? null : window.sessionStorage));
  return createSessionStore(storage, browserSharing());
}

export function createSessionStore(storage: Storage | null = null, sharing: SessionSharing = {}): SessionStore {
  const { shared = null, channel = null, withLock = null, fetchImpl, now = Date.now, storageEvents = null } = sharing;
  const doFetch: typeof fetch = (...args) => (fetchImpl ?? fetch)(...args);
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: Promise<boolean> | null = null;
  const waiting = new Set<() => void>();
  /** Grows with every change of the access token: a tab that waited for the lock sees it moved. */
  let version = 0;

  const initial = (): SessionState => {
    const access = readAccess(storage);
    // Sessions from before the refresh token was shared carried it here.
    const refreshToken = readRefresh(shared) ?? (shared ? null : (access?.refreshToken ?? null));
    if (!refreshToken) {
      if (access) safeSet(storage, SESSION_STORAGE_KEY, null);
      return { session: null, endReason: null, restoring: false };
    }
    if (access && access.expiresAt - now() > margin(access.expiresAt)) {
      return { session: { accessToken: access.accessToken, refreshToken, expiresAt: access.expiresAt }, endReason: null, restoring: false };
    }
    // Signed in (another tab, or before a long pause): a new access token is fetched below.
    return { session: null, endReason: null, restoring: true };
  };

  function margin(expiresAt: number): number {
    return Math.min(MARGIN_MS, Math.max(0, (expiresAt - now()) / 5));
  }

  let state: SessionState = initial();

  const set = (next: SessionState) => {
    state = next;
    schedule();
    listeners.forEach((listener) => listener());
  };

  /** A refresh shortly before the access token expires. */
  function schedule() {
    clearTimeout(timer);
    const s = state.session;
    if (!s) return;
    const wait = Math.max(1_000, s.expiresAt - now() - margin(s.expiresAt));
    timer = setTimeout(() => void refresh(), Math.min(wait, 2 ** 31 - 1));
  }

  /** Takes a session as this tab's (from a sign-in, a refresh here or in another tab). */
  function adopt(session: Session) {
    version += 1;
    waiting.forEach((done) => done());
    // Without shared storage this tab keeps the refresh token itself.
    const kept = shared ? { accessToken: session.accessToken, expiresAt: session.expiresAt } : session;
    safeSet(storage, SESSION_STORAGE_KEY, JSON.stringify(kept));
    set({ session, endReason: null, restoring: false });
  }

  /** Ends this tab's session; `tell` also clears the shared token and tells the other tabs. */
  function endHere(reason: EndReason, tell: boolean) {
    if (!state.session && !state.restoring) return;
    const accessToken = state.session?.accessToken;
    version += 1;
    safeSet(storage, SESSION_STORAGE_KEY, null);
    if (tell) {
      safeSet(shared, REFRESH_STORAGE_KEY, null);
      channel?.postMessage({ type: 'ended', reason } satisfies TabMessage);
      if (reason === 'logout' && accessToken) {
        // End the session at the hub too, so its refresh token is worthless; best effort.
        doFetch(LOGOUT_PATH, { method: 'POST', headers: { Authorization: `Bearer ${accessToken}` }, keepalive: true }).catch(() => undefined);
      }
    }
    set({ session: null, endReason: reason, restoring: false });
  }

  /** Resolves at the next change of the access token, or after `ms`. */
  function nextVersion(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        waiting.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      waiting.add(done);
    });
  }

  async function spend(): Promise<boolean> {
    const seen = version;
    const tokenSeen = readRefresh(shared);
    const fresh = () => version !== seen && state.session !== null && state.session.expiresAt - now() > margin(state.session.expiresAt);
    const run = async (): Promise<boolean> => {
      // Another tab refreshed while this one waited for the lock: its new token is on the way
      // (broadcast); take it rather than spend the successor too.
      if (!fresh() && shared && readRefresh(shared) !== tokenSeen) await nextVersion(BROADCAST_WAIT_MS);
      if (fresh()) return true;
      const token = readRefresh(shared) ?? state.session?.refreshToken ?? null;
      if (!token) {
        endHere('expired', false);
        return false;
      }
      const abort = new AbortController();
      const timeout = setTimeout(() => abort.abort(), REFRESH_TIMEOUT_MS);
      let response: Response;
      try {
        response = await doFetch(REFRESH_PATH, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
          signal: abort.signal,
        });
      } catch {
        // The hub is unreachable: keep what we have and try again later.
        if (state.restoring) set({ session: null, endReason: null, restoring: false });
        return state.session !== null;
      } finally {
        clearTimeout(timeout);
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.ok && isRecord(body) && typeof body.access_token === 'string' && typeof body.refresh_token === 'string' && typeof body.expires_in === 'number') {
        const session: Session = { accessToken: body.access_token, refreshToken: body.refresh_token, expiresAt: now() + body.expires_in * 1000 };
        safeSet(shared, REFRESH_STORAGE_KEY, JSON.stringify({ refreshToken: session.refreshToken }));
        adopt(session);
        channel?.postMessage({ type: 'session', session } satisfies TabMessage);
        return true;
      }
      if (response.status >= 500) {
        if (state.restoring) set({ session: null, endReason: null, restoring: false });
        return state.session !== null;
      }
      // Refused (expired, signed out elsewhere, or replayed: the hub ended the session).
      endHere('expired', true);
      return false;
    };
    return withLock ? withLock(run) : run();
  }

  function refresh(): Promise<boolean> {
    pending ??= spend().finally(() => {
      pending = null;
    });
    return pending;
  }

  const onMessage = (event: MessageEvent) => {
    const m: unknown = event.data;
    if (!isRecord(m)) return;
    if (m.type === 'session' && isSession(m.session)) adopt(m.session);
    else if (m.type === 'ended' && (m.reason === 'logout' || m.reason === 'expired')) endHere(m.reason, false);
  };
  channel?.addEventListener('message', onMessage as EventListener);
  // Without a channel (or a message lost), the shared token disappearing still signs this tab out.
  const onStorage = (event: StorageEvent) => {
    if (event.key === REFRESH_STORAGE_KEY && event.newValue === null && state.session) endHere('logout', false);
  };
  storageEvents?.addEventListener('storage', onStorage as EventListener);

  if (state.restoring) void refresh();
  else schedule();

  return {
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start: (session) => {
      safeSet(shared, REFRESH_STORAGE_KEY, JSON.stringify({ refreshToken: session.refreshToken }));
      adopt(session);
      channel?.postMessage({ type: 'session', session } satisfies TabMessage);
    },
    end: (reason) => endHere(reason, true),
    refresh,
    expiresSoon: () => !state.session || state.session.expiresAt - now() <= margin(state.session.expiresAt),
    dispose: () => {
      clearTimeout(timer);
      channel?.removeEventListener('message', onMessage as EventListener);
      storageEvents?.removeEventListener('storage', onStorage as EventListener);
    },
  };
}
