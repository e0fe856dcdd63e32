// Provides the urql client for the signed-in session. The client lives as long as the session (a
// refreshed access token is read by the client at each request, so the cache survives it); an
// answer still unauthenticated after a refresh ends the session, which sends the user to /login.
import { useMemo, type ReactNode } from 'react';
import { Provider } from 'urql';
import { useSession, useSessionStore } from '../auth/sessionContext';
import { createGreenroomClient } from './client';

export function GraphQLProvider({ children }: { children: ReactNode }) {
  const store = useSessionStore();
  const { session } = useSession();
  const signedIn = session !== null;

  const client = useMemo(
    () =>
      signedIn
        ? createGreenroomClient({
            auth: {
              token: () => store.getState().session?.accessToken ?? null,
              expiresSoon: () => store.expiresSoon(),
              refresh: () => store.refresh(),
            },
            onUnauthenticated: () => store.end('expired'),
          })
        : null,
    [signedIn, store],
  );

  if (!client) return null;
  return <Provider value={client}>{children}</Provider>;
}
