// Provides the urql client for the signed-in session. A new token gets a new client (and an
// empty cache); an unauthenticated answer ends the session, which sends the user to /login.
import { useMemo, type ReactNode } from 'react';
import { Provider } from 'urql';
import { useSession, useSessionStore } from '../auth/sessionContext';
import { createGreenroomClient } from './client';

export function GraphQLProvider({ children }: { children: ReactNode }) {
  const store = useSessionStore();
  const { session } = useSession();
  const accessToken = session?.accessToken ?? null;

  const client = useMemo(
    () =>
      accessToken === null
        ? null
        : createGreenroomClient({ accessToken, onUnauthenticated: () => store.end('expired') }),
    [accessToken, store],
  );

  if (!client) return null;
  return <Provider value={client}>{children}</Provider>;
}
