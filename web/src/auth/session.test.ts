// Session store across reloads and tabs: the access token per tab (sessionStorage), the hub's
// rotating refresh token shared (localStorage) and spent one tab at a time under a lock, the new
// token broadcast to the others; sign-out and a refused refresh end every tab. The "hub" here
// refuses a spent refresh token, as the real one does (ending the session).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSessionStore, REFRESH_STORAGE_KEY, SESSION_STORAGE_KEY, type SessionSharing, type SessionStore } from './session';

/** Web Storage in memory (each tab its own sessionStorage; one localStorage for all). */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

/** A BroadcastChannel between the tabs of one test: messages arrive later, never to the sender. */
function channels() {
  const members = new Set<{ listeners: Set<(e: MessageEvent) => void> }>();
  return () => {
    const me = { listeners: new Set<(e: MessageEvent) => void>() };
    members.add(me);
    return {
      postMessage: (data: unknown) => {
        for (const other of members) if (other !== me) setTimeout(() => other.listeners.forEach((l) => l({ data } as MessageEvent)), 5);
      },
      addEventListener: (_type: string, l: EventListener) => void me.listeners.add(l as (e: MessageEvent) => void),
      removeEventListener: (_type: string, l: EventListener) => void me.listeners.delete(l as (e: MessageEvent) => void),
      close: () => void members.delete(me),
    };
  };
}

/** One lock for all tabs, like navigator.locks.request(name, fn). */
function lock() {
  let chain: Promise<unknown> = Promise.resolve();
  return <T,>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };
}

/** The hub's refresh and logout: each refresh token works once; a reused one ends the session. */
function fakeHub() {
  let n = 1;
  const live = new Set(['r1']);
  const spent: string[] = [];
  let ended = false;
  const calls: string[] = [];
  const fetchImpl = vi.fn<typeof fetch>((url, init) => {
    calls.push(typeof url === 'string' ? url : '');
    if (url === '/api/v1/auth/logout') {
      ended = true;
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    const token = (JSON.parse(init!.body as string) as { refresh_token: string }).refresh_token;
    if (spent.includes(token)) ended = true;
    if (ended || !live.has(token)) return Promise.resolve(new Response(JSON.stringify({ error: { code: 'unauthenticated', message: 'refresh token not valid' } }), { status: 401 }));
    live.delete(token);
    spent.push(token);
    n += 1;
    live.add(`r${n}`);
    return new Promise<Response>((resolve) =>
      setTimeout(() => resolve(new Response(JSON.stringify({ access_token: `a${n}`, refresh_token: `r${n}`, token_type: 'Bearer', expires_in: 900 }), { status: 200 })), 20),
    );
  });
  return { fetchImpl, calls, spent, ended: () => ended };
}

function tabs() {
  const shared = memoryStorage();
  const channel = channels();
  const withLock = lock();
  const hub = fakeHub();
  const opened: SessionStore[] = [];
  const open = (storage = memoryStorage()) => {
    const sharing: SessionSharing = { shared, channel: channel(), withLock, fetchImpl: hub.fetchImpl };
    const store = createSessionStore(storage, sharing);
    opened.push(store);
    return { store, storage };
  };
  return { shared, hub, open, opened };
}

const signedIn = (s: SessionStore) => s.getState().session !== null;

describe('session store', () => {
  let all: SessionStore[] = [];
  afterEach(() => {
    all.forEach((s) => s.dispose());
    all = [];
  });

  it('keeps the access token in the tab and the refresh token shared; a reload is signed in without asking', () => {
    const t = tabs();
    all = t.opened;
    const { store, storage } = t.open();
    store.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
    expect(JSON.parse(storage.getItem(SESSION_STORAGE_KEY)!)).toEqual({ accessToken: 'a1', expiresAt: expect.any(Number) as number });
    expect(JSON.parse(t.shared.getItem(REFRESH_STORAGE_KEY)!)).toEqual({ refreshToken: 'r1' });

    const reloaded = t.open(storage).store;
    expect(reloaded.getState().session?.accessToken).toBe('a1');
    expect(t.hub.fetchImpl).not.toHaveBeenCalled();
  });

  it('a new tab restores the session with the shared refresh token and stores its successor', async () => {
    const t = tabs();
    all = t.opened;
    t.open().store.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
    const second = t.open().store;
    expect(second.getState()).toMatchObject({ session: null, restoring: true });
    await vi.waitFor(() => expect(signedIn(second)).toBe(true));
    expect(second.getState().session?.accessToken).toBe('a2');
    expect(JSON.parse(t.shared.getItem(REFRESH_STORAGE_KEY)!)).toEqual({ refreshToken: 'r2' });
  });

  it('two tabs refreshing at once spend the token once; the other takes the result', async () => {
    const t = tabs();
    all = t.opened;
    const first = t.open();
    first.store.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
    const second = t.open(memoryStorage());
    second.storage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ accessToken: 'a1', expiresAt: Date.now() + 900_000 }));
    const again = t.open(second.storage).store;

    const results = await Promise.all([first.store.refresh(), again.refresh()]);
    expect(results).toEqual([true, true]);
    expect(t.hub.ended()).toBe(false);
    expect(t.hub.calls.filter((c) => c.endsWith('/refresh'))).toHaveLength(1);
    expect(again.getState().session?.accessToken).toBe(first.store.getState().session?.accessToken);
    expect(signedIn(first.store) && signedIn(again)).toBe(true);
  });

  it('many tabs opening at once never replay a refresh token', async () => {
    const t = tabs();
    all = t.opened;
    t.open().store.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
    const stores = [t.open().store, t.open().store, t.open().store];
    await vi.waitFor(() => expect(stores.every(signedIn)).toBe(true));
    expect(t.hub.ended()).toBe(false);
    expect(new Set(t.hub.spent).size).toBe(t.hub.spent.length);
  });

  it('signing out tells the hub and signs every tab out', async () => {
    const t = tabs();
    all = t.opened;
    const first = t.open().store;
    first.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
    const second = t.open().store;
    await vi.waitFor(() => expect(signedIn(second)).toBe(true));

    first.end('logout');
    expect(t.hub.calls).toContain('/api/v1/auth/logout');
    expect(t.shared.getItem(REFRESH_STORAGE_KEY)).toBeNull();
    await vi.waitFor(() => expect(second.getState()).toMatchObject({ session: null, endReason: 'logout' }));
    // A tab opened now is signed out, not restoring.
    expect(t.open().store.getState()).toMatchObject({ session: null, restoring: false });
  });

  it('a refused refresh ends the session in every tab as expired', async () => {
    const t = tabs();
    all = t.opened;
    const first = t.open().store;
    first.start({ accessToken: 'a1', refreshToken: 'revoked', expiresAt: Date.now() + 900_000 });
    const second = t.open().store;
    await vi.waitFor(() => expect(second.getState()).toMatchObject({ session: null, restoring: false }));
    await vi.waitFor(() => expect(first.getState()).toMatchObject({ session: null, endReason: 'expired' }));
    expect(t.shared.getItem(REFRESH_STORAGE_KEY)).toBeNull();
  });

  it('refreshes by itself shortly before the access token expires', async () => {
    vi.useFakeTimers();
    try {
      const t = tabs();
      all = t.opened;
      const store = t.open().store;
      store.start({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 900_000 });
      expect(store.expiresSoon()).toBe(false);
      // A minute before the end of a 15-minute token.
      await vi.advanceTimersByTimeAsync(835_000);
      expect(t.hub.fetchImpl).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(10_000);
      await vi.advanceTimersByTimeAsync(100);
      expect(store.getState().session?.accessToken).toBe('a2');
    } finally {
      vi.useRealTimers();
    }
  });
});
