// Application root: theme (follows the system until the user picks one), offline banner, session store,
// router and the route table. Everything behind the login (GraphQL client, app shell, pages) is
// lazy-loaded so the login page stays small, and each page is its own chunk.
import { MantineProvider } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import LoginPage from './auth/LoginPage';
import { RequireAuth } from './auth/RequireAuth';
import { createBrowserSessionStore, type SessionStore } from './auth/session';
import { SessionStoreContext } from './auth/sessionContext';
import { OfflineBanner } from './shell/OfflineBanner';
import { PageLoader } from './shell/PageLoader';
import { cssVariablesResolver, theme } from './theme';

const SignedInLayout = lazy(() => import('./shell/AppLayout'));
const OverviewPage = lazy(() => import('./overview/OverviewPage'));
const ServersPage = lazy(() => import('./servers/ServersPage'));
const ServerDetailPage = lazy(() => import('./servers/ServerDetailPage'));
const ExecutionMonitorPage = lazy(() => import('./executions/ExecutionMonitorPage'));
const HistoryPage = lazy(() => import('./executions/HistoryPage'));
const RunPage = lazy(() => import('./run/RunPage'));
const TemplatesPage = lazy(() => import('./templates/TemplatesPage'));
const TemplateDetail = lazy(() => import('./templates/TemplatesPage').then((m) => ({ default: m.TemplateDetail })));
const TemplateEditor = lazy(() => import('./templates/TemplateEditor'));
const AuditPage = lazy(() => import('./audit/AuditPage'));
const AgentsPage = lazy(() => import('./agents/AgentsPage'));
const LocksPage = lazy(() => import('./locks/LocksPage'));
const SchedulesPage = lazy(() => import('./schedules/SchedulesPage'));
const UsersPage = lazy(() => import('./users/UsersPage'));
const NotificationsPage = lazy(() => import('./notificationRules/NotificationsPage'));
const GraphiQLPage = lazy(() => import('./graphiql/GraphiQLPage'));

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
        <Route index element={<Navigate to="/overview" replace />} />
        <Route path="overview" element={<OverviewPage />} />
        <Route path="servers" element={<ServersPage />} />
        <Route path="servers/:serverId" element={<ServerDetailPage />} />
        <Route path="run" element={<RunPage />} />
        <Route path="executions" element={<HistoryPage />} />
        <Route path="executions/:executionId" element={<ExecutionMonitorPage />} />
        <Route path="templates" element={<TemplatesPage />} />
        <Route path="templates/new" element={<TemplateEditor />} />
        <Route path="templates/:templateId" element={<TemplateDetail />} />
        <Route path="templates/:templateId/edit" element={<TemplateEditor />} />
        <Route path="schedules" element={<SchedulesPage />} />
        <Route path="locks" element={<LocksPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="notifications" element={<NotificationsPage />} />
        <Route path="graphiql" element={<GraphiQLPage />} />
      </Route>
      <Route path="*" element={<Navigate to="/overview" replace />} />
    </Routes>
  );
}

export function App({ store: givenStore }: { store?: SessionStore }) {
  const [store] = useState(() => givenStore ?? createBrowserSessionStore());
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto">
      <OfflineBanner />
      <SessionStoreContext.Provider value={store}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </SessionStoreContext.Provider>
    </MantineProvider>
  );
}
