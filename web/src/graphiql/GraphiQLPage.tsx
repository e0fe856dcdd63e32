// GraphiQL at /graphiql: the hub's GraphQL API explored from inside the dashboard, so it works
// offline and under the dashboard's Content-Security-Policy (no CDN). A lazy route: GraphiQL's
// code and styles load only when this page opens. Queries go out as the signed-in user — the
// session's access token on each POST (renewed before it expires, and once more on a 401) and
// subscriptions over /graphql/ws with the same graphql-ws client the app uses. GraphiQL 4 is
// built on CodeMirror 5 (no web workers, no eval), which the dashboard's CSP allows as it is.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { useEffect, useMemo } from 'react';
import { type ClientAuth, createWebSocketClient, GRAPHQL_PATH } from '../api/client';
import { authorisedFetch } from './fetcher';
import { useSessionStore } from '../auth/sessionContext';

const DEFAULT_QUERY = `# Queries run as you, with your role's permissions. Ctrl-Enter runs; Ctrl-Space completes.
{
  me {
    email
    role
  }
}
`;

export default function GraphiQLPage() {
  const store = useSessionStore();
  const { fetcher, ws } = useMemo(() => {
    const auth: ClientAuth = {
      token: () => store.getState().session?.accessToken ?? null,
      expiresSoon: () => store.expiresSoon(),
      refresh: () => store.refresh(),
    };
    const end = () => store.end('expired');
    const ws = createWebSocketClient(auth, end);
    const fetcher = createGraphiQLFetcher({ url: GRAPHQL_PATH, fetch: authorisedFetch(auth, end), wsClient: ws });
    return { fetcher, ws };
  }, [store]);
  useEffect(() => () => void ws.dispose(), [ws]);

  return (
    <div style={{ height: 'calc(100dvh - 56px - 2 * var(--mantine-spacing-md))', minHeight: 420 }} data-testid="graphiql">
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
    </div>
  );
}
