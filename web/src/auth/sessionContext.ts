// React access to the session store: the context carrying it and the hooks that read it.
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SessionState, SessionStore } from './session';

export const SessionStoreContext = createContext<SessionStore | null>(null);

export function useSessionStore(): SessionStore {
  const store = useContext(SessionStoreContext);
  if (!store) throw new Error('useSessionStore must be used inside <SessionStoreContext.Provider>');
  return store;
}

export function useSession(): SessionState {
  const store = useSessionStore();
  return useSyncExternalStore(store.subscribe, store.getState);
}
