// The signed-in frame: the GraphQL client for the session around a Mantine AppShell with the
// header (product name, notifications, user, theme, logout), the navigation (a drawer on phones),
// keyboard shortcuts with the `?` overlay, the watcher of executions the user started (one
// `executionsFeed` subscription), toasts, and the
// routed page in <main>. Loaded lazily, so the login page does not carry urql and friends.
import { Anchor, AppShell, Burger, Button, Group, NavLink, Text, VisuallyHidden, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Notifications } from '@mantine/notifications';
import '@mantine/notifications/styles.css';
import { Suspense, useEffect, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useQuery } from 'urql';
import { GraphQLProvider } from '../api/GraphQLProvider';
import { MeQuery } from '../api/me';
import { useSessionStore } from '../auth/sessionContext';
import { ExecutionWatcher } from '../notifications/ExecutionWatcher';
import { NotificationBell } from '../notifications/NotificationBell';
import { serverSelection } from '../servers/selection';
import { ColorSchemeToggle } from './ColorSchemeToggle';
import { PageLoader } from './PageLoader';
import { createShortcutHandler } from './shortcuts';
import { ShortcutsHelp } from './ShortcutsHelp';

const NAV = [
  { to: '/overview', label: 'Overview', key: 'g o' },
  { to: '/servers', label: 'Servers', key: 'g s' },
  { to: '/run', label: 'Run', key: 'g r' },
  { to: '/executions', label: 'Executions', key: 'g e' },
  { to: '/templates', label: 'Templates', key: 'g t' },
  { to: '/schedules', label: 'Schedules', key: '' },
  { to: '/locks', label: 'Locks', key: 'g l' },
  { to: '/audit', label: 'Audit', key: 'g a', admin: true },
  { to: '/agents', label: 'Agents', key: '', admin: true },
  { to: '/users', label: 'Users', key: '', admin: true },
  { to: '/notifications', label: 'Notifications', key: '', admin: true },
  { to: '/graphiql', label: 'GraphQL API', key: '' },
];

function useMe() {
  const [{ data }] = useQuery({ query: MeQuery });
  return data?.me ?? null;
}

function AppLayout() {
  const store = useSessionStore();
  const navigate = useNavigate();
  const location = useLocation();
  const me = useMe();
  const [navOpen, nav] = useDisclosure(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: false });

  const logout = () => {
    store.end('logout');
    void navigate('/login', { replace: true });
  };

  useEffect(() => nav.close(), [location.pathname, nav]);

  useEffect(() => {
    const handler = createShortcutHandler({
      help: () => setHelpOpen(true),
      search: () => {
        const field = document.querySelector<HTMLInputElement>('[data-shortcut-search]');
        if (field) field.focus();
        else void navigate('/servers');
      },
      go: (path) => void navigate(path),
      runSelection: () => void navigate(serverSelection.get().size > 0 ? '/run?targets=selection' : '/run'),
      toggleTheme: () => setColorScheme(computed === 'dark' ? 'light' : 'dark'),
    });
    document.addEventListener('keydown', handler);
    return () => document.removeEventListener('keydown', handler);
  }, [navigate, setColorScheme, computed]);

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !navOpen } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpen} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label={navOpen ? 'Close navigation' : 'Open navigation'} />
            <Anchor component={Link} to="/overview" underline="never" c="inherit" fw={700} size="lg">
              Greenroom
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {me && (
              <Text size="sm" data-testid="user-email" visibleFrom="md">
                <VisuallyHidden>Signed in as </VisuallyHidden>
                {me.email}
              </Text>
            )}
            <Button variant="subtle" size="compact-sm" onClick={() => setHelpOpen(true)} aria-label="Keyboard shortcuts" visibleFrom="sm">
              ?
            </Button>
            <NotificationBell />
            <ColorSchemeToggle />
            <Button variant="default" onClick={logout}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {NAV.filter((item) => !item.admin || me?.role === 'ADMIN').map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            rightSection={<Text size="xs" c="dimmed" aria-hidden="true">{item.key}</Text>}
            active={location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)}
            aria-current={location.pathname.startsWith(item.to) ? 'page' : undefined}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<PageLoader label="Loading page" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
      <ShortcutsHelp opened={helpOpen} onClose={() => setHelpOpen(false)} />
      <ExecutionWatcher />
      <Notifications position="bottom-right" limit={4} />
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
