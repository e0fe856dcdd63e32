// Application root: theme, session store, router and the route table. Everything behind the
// login (GraphQL client, app shell, servers page) is lazy-loaded so the login page stays small.
import { MantineProvider } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import LoginPage from './auth/LoginPage';
import { RequireAuth } from './auth/RequireAuth';
import { createSessionStore, type SessionStore } from './auth/session';
import { SessionStoreContext } from './auth/sessionContext';
import { PageLoader } from './shell/PageLoader';
import { cssVariablesResolver, theme } from './theme';

const SignedInLayout = lazy(() => import('./shell/AppLayout'));
const ServersPage = lazy(() => import('./servers/ServersPage'));

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Suspense fallback={<PageLoader label="Loading Greenroom" />}>
              <SignedInLayout />
            </Suspense>
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/servers" replace />} />
        <Route path="servers" element={<ServersPage />} />
      </Route>
      <Route path="*" element={<Navigate to="/servers" replace />} />
    </Routes>
  );
}

export function App({ store: givenStore }: { store?: SessionStore }) {
  const [store] = useState(() => givenStore ?? createSessionStore());
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto">
      <SessionStoreContext.Provider value={store}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </SessionStoreContext.Provider>
    </MantineProvider>
  );
}
