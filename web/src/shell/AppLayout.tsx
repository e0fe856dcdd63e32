// The signed-in frame: the GraphQL client for the session around a Mantine AppShell with the
// header (product name, user, theme toggle, logout) and the routed page in <main>. Loaded lazily,
// so the login page does not carry urql, graphcache and graphql-ws.
import { Anchor, AppShell, Button, Group, Text, VisuallyHidden } from '@mantine/core';
import { Suspense } from 'react';
import { Link, Outlet, useNavigate } from 'react-router-dom';
import { useQuery } from 'urql';
import { GraphQLProvider } from '../api/GraphQLProvider';
import { MeQuery } from '../api/me';
import { useSessionStore } from '../auth/sessionContext';
import { ColorSchemeToggle } from './ColorSchemeToggle';
import { PageLoader } from './PageLoader';

function CurrentUser() {
  const [{ data }] = useQuery({ query: MeQuery });
  if (!data) return null;
  return (
    <Text size="sm" data-testid="user-email" visibleFrom="xs">
      <VisuallyHidden>Signed in as </VisuallyHidden>
      {data.me.email}
    </Text>
  );
}

function AppLayout() {
  const store = useSessionStore();
  const navigate = useNavigate();

  const logout = () => {
    store.end('logout');
    void navigate('/login', { replace: true });
  };

  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Anchor component={Link} to="/servers" underline="never" c="inherit" fw={700} size="lg">
            Greenroom
          </Anchor>
          <Group gap="sm" wrap="nowrap">
            <CurrentUser />
            <ColorSchemeToggle />
            <Button variant="default" onClick={logout}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Suspense fallback={<PageLoader label="Loading page" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

export default function SignedInLayout() {
  return (
    <GraphQLProvider>
      <AppLayout />
    </GraphQLProvider>
  );
}
