// Servers page tests: rows, badges, counts and filters rendered from a fake urql client (wonka
// `fromValue`), lock badges from `serverLocks`, and live updates applied in place through the
// real graphcache configuration.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CombinedError, makeOperation, type Client, type Exchange, type Operation, type OperationResult } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { concat, filter, fromValue, makeSubject, merge, mergeMap, never, pipe, share, type Source } from 'wonka';
import { createGreenroomClient } from '../api/client';
import type { LockFieldsFragment, ServerRowFragment, ServersQueryVariables } from '../gql/graphql';
import { operationName } from '../test/client';
import { makeLock } from '../test/locks';
import { renderWithProviders } from '../test/render';
import { applyFilter, makeFleet, makeServers, serversPage, typedServer, withTypenames } from '../test/servers';
import { serverSelection } from './selection';
import ServersPage from './ServersPage';

/**
 * A fake urql client answering `servers` from the fixtures, filtered by the query variables.
 * Like a real client's, each result stream stays open after its value (urql clears an error
 * when a query's stream ends).
 */
type QueryRequest = Parameters<typeof operationName>[0] & { variables: ServersQueryVariables };

function fakeClient(respond = (variables: ServersQueryVariables) => ({ data: serversPage(applyFilter(makeServers(), variables.filter)) }), locks: () => LockFieldsFragment[] = () => []) {
  const executeQuery = vi.fn((request: QueryRequest, _context?: { requestPolicy?: string }) =>
    operationName(request) === 'ServerLocks' ? concat([fromValue({ data: { serverLocks: { totalCount: locks().length, nodes: locks() } } }), never]) : concat([fromValue(respond(request.variables)), never]),
  );
  const client = {
    executeQuery,
    executeSubscription: vi.fn(() => never),
    executeMutation: vi.fn(() => never),
  } as unknown as Client;
  return { client, executeQuery };
}

const rows = () => screen.getAllByTestId('server-row');
const rowFor = (serverId: string) => rows().find((row) => row.getAttribute('data-server-id') === serverId)!;
type Calls = ReturnType<typeof fakeClient>['executeQuery']['mock']['calls'];
const callsOf = (executeQuery: ReturnType<typeof fakeClient>['executeQuery'], name: string): Calls => executeQuery.mock.calls.filter(([request]) => operationName(request) === name);
const lastFilter = (executeQuery: ReturnType<typeof fakeClient>['executeQuery']) => callsOf(executeQuery, 'Servers').at(-1)![0].variables.filter;

describe('ServersPage', () => {
  it('shows one row per server with its state, tags, usage and heartbeat', async () => {
    const { client } = fakeClient();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });

    expect(await screen.findByTestId('server-count')).toHaveTextContent('3 servers');
    expect(rows()).toHaveLength(3);

    const web = within(rowFor('nonprod-web-01'));
    expect(web.getByText('web-01.staging.example.net')).toBeVisible();
    expect(web.getByText('staging')).toBeVisible();
    expect(web.getByTestId('status-badge')).toHaveTextContent('Idle');
    expect(web.getByText('nginx')).toBeVisible();
    expect(web.getByText('php')).toBeVisible();
    expect(web.getByText('42.5%')).toBeVisible();
    expect(web.getByText('65.2%')).toBeVisible();
    expect(web.getByText('78.1%')).toBeVisible();
    expect(web.getByText('2 minutes ago')).toBeVisible();

    expect(within(rowFor('nonprod-db-01')).getByTestId('status-badge')).toHaveTextContent('Error');
    const app = within(rowFor('nonprod-app-01'));
    expect(app.getByTestId('status-badge')).toHaveTextContent('Maintenance');
    expect(app.getByText('never')).toBeVisible();

    // Column headers a screen reader announces.
    for (const name of ['Server ID', 'Hostname', 'Environment', 'Status', 'Tags', 'CPU', 'Memory', 'Disk', 'Last heartbeat']) {
      expect(screen.getByRole('columnheader', { name: new RegExp(`^${name}`) })).toBeInTheDocument();
    }
  });

  it('asks the hub for one environment and shows only its servers', async () => {
    const { client, executeQuery } = fakeClient();
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');

    await user.click(screen.getByRole('checkbox', { name: 'uat' }));

    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId('server-count')).toHaveTextContent('1 server');
    expect(rowFor('nonprod-db-01')).toBeVisible();
    expect(lastFilter(executeQuery)).toEqual({ environment: 'uat' });
  });

  it('filters by two statuses in the browser, and by search text on the hub', async () => {
    const { client, executeQuery } = fakeClient();
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');

    await user.click(screen.getByRole('checkbox', { name: 'Maintenance' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(lastFilter(executeQuery)).toEqual({ status: 'MAINTENANCE' });

    await user.click(screen.getByRole('checkbox', { name: 'Error' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    // Two statuses: the hub is asked for everything and the browser narrows.
    expect(lastFilter(executeQuery)).toBeUndefined();
    expect(screen.getByTestId('server-count')).toHaveTextContent('2 servers');
    expect(rows().map((r) => r.getAttribute('data-server-id'))).toEqual(['nonprod-app-01', 'nonprod-db-01']);

    await user.click(screen.getByRole('checkbox', { name: 'Maintenance' }));
    await user.click(screen.getByRole('checkbox', { name: 'Error' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'db-01');
    await waitFor(() => expect(lastFilter(executeQuery)).toEqual({ q: 'db-01' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rowFor('nonprod-db-01')).toBeVisible();
  });

  it('reads filters from the URL and says when nothing matches', async () => {
    const { client, executeQuery } = fakeClient();
    renderWithProviders(<ServersPage />, { client, route: '/servers?environment=preprod&status=BUSY&status=bogus' });

    expect(await screen.findByText('No servers match these filters.')).toBeVisible();
    expect(screen.getByTestId('server-count')).toHaveTextContent('0 servers');
    expect(screen.queryAllByTestId('server-row')).toHaveLength(0);
    expect(screen.getByRole('checkbox', { name: 'preprod' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Busy' })).toBeChecked();
    expect(lastFilter(executeQuery)).toEqual({ environment: 'preprod', status: 'BUSY' });
  });

  it('filters by group and last-seen range in the browser', async () => {
    const { client } = fakeClient();
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');

    await user.selectOptions(screen.getByLabelText('Last seen'), 'Never');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rowFor('nonprod-app-01')).toBeVisible();

    await user.selectOptions(screen.getByLabelText('Last seen'), 'Any time');
    await user.selectOptions(screen.getByLabelText('Group'), 'web-tier');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rowFor('nonprod-web-01')).toBeVisible();
  });

  it('sorts by a column header, both ways', async () => {
    const { client } = fakeClient();
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');
    const order = () => rows().map((r) => r.getAttribute('data-server-id'));
    expect(order()).toEqual(['nonprod-app-01', 'nonprod-db-01', 'nonprod-web-01']);

    await user.click(screen.getByRole('button', { name: /^CPU, sort ascending/ }));
    expect(order()).toEqual(['nonprod-app-01', 'nonprod-web-01', 'nonprod-db-01']);
    expect(screen.getByRole('columnheader', { name: /CPU/ })).toHaveAttribute('aria-sort', 'ascending');

    await user.click(screen.getByRole('button', { name: /^CPU, sort descending/ }));
    expect(order()).toEqual(['nonprod-db-01', 'nonprod-web-01', 'nonprod-app-01']);
    expect(screen.getByRole('columnheader', { name: /CPU/ })).toHaveAttribute('aria-sort', 'descending');
  });

  it('selects servers one by one or all shown, and offers to run on them', async () => {
    serverSelection.clear();
    const { client } = fakeClient();
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');

    await user.click(screen.getByRole('checkbox', { name: 'Select nonprod-db-01' }));
    expect(screen.getByTestId('selection-bar')).toHaveTextContent('1 server selected');
    expect(serverSelection.get()).toEqual(new Set(['nonprod-db-01']));

    await user.click(screen.getByRole('checkbox', { name: 'Select all 3 servers shown' }));
    expect(screen.getByTestId('selection-bar')).toHaveTextContent('3 servers selected');
    expect(screen.getByRole('button', { name: 'Run on selection (r)' })).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Clear selection' }));
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    expect(serverSelection.get().size).toBe(0);
  });

  it('keeps the DOM small with 5,000 servers and still filters and selects all of them', async () => {
    serverSelection.clear();
    const fleet = makeFleet(5000);
    const { client } = fakeClient((variables) => ({ data: serversPage(applyFilter(fleet, variables.filter), { hasNextPage: true }, 5000) }));
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });

    expect(await screen.findByTestId('server-count')).toHaveTextContent('5000 servers');
    // A 600 px viewport of 41 px rows plus overscan: a few dozen rows, not 5,000.
    const rendered = rows().length;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    expect(screen.getByRole('table')).toHaveAttribute('aria-rowcount', '5001');

    await user.click(screen.getByRole('checkbox', { name: 'dev' }));
    await user.click(screen.getByRole('checkbox', { name: 'uat' }));
    await waitFor(() => expect(screen.getByTestId('server-count')).toHaveTextContent('2500 servers'));
    expect(rows().length).toBeLessThan(60);

    await user.click(screen.getByRole('checkbox', { name: 'Select all 2500 servers shown' }));
    expect(serverSelection.get().size).toBe(2500);
    serverSelection.clear();
  });

  it('shows an error the user can read when the list cannot be loaded', async () => {
    const { client } = fakeClient(() => ({
      data: undefined as never,
      error: new CombinedError({ networkError: new Error('connection refused') }),
    }));
    renderWithProviders(<ServersPage />, { client, route: '/servers' });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load servers');
    expect(alert).toHaveTextContent('connection refused');
  });

  it('shows a lock badge on a locked server, with owner, reason and expiry in its name and tooltip', async () => {
    const { client } = fakeClient(undefined, () => [
      makeLock('nonprod-db-01', { userId: 'ops@example.com', reason: 'kernel patch' }),
      makeLock('nonprod-web-01', { status: 'RELEASED' }),
      makeLock('nonprod-app-01', { expiresInMs: -1_000 }),
    ]);
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    await screen.findByTestId('server-count');

    const badge = await within(rowFor('nonprod-db-01')).findByTestId('lock-badge');
    expect(badge).toHaveTextContent('Maintenance');
    const name = badge.getAttribute('aria-label')!;
    expect(name).toContain('Maintenance lock by ops@example.com: kernel patch (until ');
    expect(screen.getByRole('img', { name })).toBe(badge);
    // Released and lapsed locks are not shown.
    expect(within(rowFor('nonprod-web-01')).queryByTestId('lock-badge')).toBeNull();
    expect(within(rowFor('nonprod-app-01')).queryByTestId('lock-badge')).toBeNull();

    await user.hover(badge);
    expect(await screen.findByRole('tooltip')).toHaveTextContent('kernel patch');
  });

  it('asks the hub again every 15 seconds as a fallback to live updates', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { client, executeQuery } = fakeClient();
      renderWithProviders(<ServersPage />, { client, route: '/servers' });
      await screen.findByTestId('server-count');
      const before = callsOf(executeQuery, 'Servers').length;
      const locksBefore = callsOf(executeQuery, 'ServerLocks').length;

      vi.advanceTimersByTime(14_000);
      expect(callsOf(executeQuery, 'Servers').length).toBe(before);
      vi.advanceTimersByTime(1_000);
      await waitFor(() => expect(callsOf(executeQuery, 'Servers').length).toBe(before + 1));
      expect(callsOf(executeQuery, 'Servers').at(-1)![1]).toMatchObject({ requestPolicy: 'network-only' });
      // The locks (badges) refresh with the list.
      await waitFor(() => expect(callsOf(executeQuery, 'ServerLocks').length).toBe(locksBefore + 1));
      expect(callsOf(executeQuery, 'ServerLocks').at(-1)![1]).toMatchObject({ requestPolicy: 'network-only' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('applies a live update to the row on screen without asking again', async () => {
    const updates = makeSubject<OperationResult>();
    const queries: Operation[] = [];

    // Stands in for fetch + WebSocket behind the real cache configuration.
    const transport: Exchange = () => (ops$) => {
      const shared = share(ops$);
      const queryResults: Source<OperationResult> = pipe(
        shared,
        filter((op) => op.kind === 'query'),
        mergeMap((op) => {
          queries.push(op);
          const variables = op.variables as ServersQueryVariables;
          const data = withTypenames(serversPage(applyFilter(makeServers(), variables.filter)));
          return fromValue({ operation: op, data, stale: false, hasNext: false } as OperationResult);
        }),
      );
      const subscriptionResults: Source<OperationResult> = pipe(
        shared,
        filter((op) => op.kind === 'subscription'),
        mergeMap((op) =>
          pipe(
            updates.source,
            mergeMap((result) => fromValue({ ...result, operation: makeOperation('subscription', op) })),
          ),
        ),
      );
      return merge([queryResults, subscriptionResults]);
    };

    const client = createGreenroomClient({ accessToken: 't', onUnauthenticated: vi.fn(), transport: [transport] });
    renderWithProviders(<ServersPage />, { client, route: '/servers' });
    expect(await screen.findByTestId('server-count')).toHaveTextContent('3 servers');
    expect(within(rowFor('nonprod-web-01')).getByTestId('status-badge')).toHaveTextContent('Idle');
    const queriesBefore = queries.length;

    const web = makeServers()[0]!;
    const changed: ServerRowFragment = {
      ...web,
      status: { ...web.status, current: 'BUSY', cpuPercent: 97.04, lastHeartbeat: new Date().toISOString() },
    };
    updates.next({ data: { serverUpdates: typedServer(changed) }, stale: false, hasNext: true } as unknown as OperationResult);

    await waitFor(() => expect(within(rowFor('nonprod-web-01')).getByTestId('status-badge')).toHaveTextContent('Busy'));
    const row = within(rowFor('nonprod-web-01'));
    expect(row.getByText('97%')).toBeVisible();
    expect(row.getByText('just now')).toBeVisible();
    expect(rows()).toHaveLength(3);
    expect(screen.getByTestId('server-count')).toHaveTextContent('3 servers');
    // In place: no new `servers` request was needed.
    expect(queries.length).toBe(queriesBefore);
  });

  it('on a phone: filters folded behind "Filters", servers as cards with their state badge', async () => {
    const matchMedia = vi.spyOn(window, 'matchMedia').mockImplementation((query: string) => ({ matches: query.includes('max-width'), media: query, onchange: null, addListener: () => undefined, removeListener: () => undefined, addEventListener: () => undefined, removeEventListener: () => undefined, dispatchEvent: () => false }) as MediaQueryList);
    try {
      const user = userEvent.setup();
      const { client } = fakeClient();
      renderWithProviders(<ServersPage />, { client, route: '/servers?environment=staging' });
      const toggle = await screen.findByRole('button', { name: 'Filters (1 set)' });
      expect(toggle).toHaveAttribute('aria-expanded', 'false');
      expect(screen.queryByRole('table')).toBeNull();
      await waitFor(() => expect(rows().length).toBeGreaterThan(0));
      const card = rows()[0]!;
      expect(card).toHaveAttribute('role', 'listitem');
      expect(within(card).getByTestId('status-badge')).toBeVisible();
      await user.selectOptions(screen.getByRole('combobox', { name: 'Sort by' }), 'cpu');
      await user.click(toggle);
      expect(screen.getByRole('button', { name: 'Hide filters (1 set)' })).toHaveAttribute('aria-expanded', 'true');
      expect(await screen.findByRole('search', { name: 'Filter servers' })).toBeVisible();
    } finally {
      matchMedia.mockRestore();
    }
  });

  it('on a phone: cards colour CPU, memory and disk by the thresholds, as the table does', async () => {
    const matchMedia = vi.spyOn(window, 'matchMedia').mockImplementation((query: string) => ({ matches: query.includes('max-width'), media: query, onchange: null, addListener: () => undefined, removeListener: () => undefined, addEventListener: () => undefined, removeEventListener: () => undefined, dispatchEvent: () => false }) as MediaQueryList);
    try {
      const { client } = fakeClient();
      renderWithProviders(<ServersPage />, { client, route: '/servers' });
      await waitFor(() => expect(rows()).toHaveLength(3));
      const levels = (serverId: string) => [...within(rowFor(serverId)).getByTestId('server-usage').querySelectorAll('[data-usage-level]')].map((e) => e.getAttribute('data-usage-level'));
      // nonprod-db-01: CPU 91 %, memory 88.8 %, disk 97.25 %; nonprod-web-01: 42.46 / 65.2 / 78.1 %.
      expect(levels('nonprod-db-01')).toEqual(['critical', 'warning', 'critical']);
      expect(within(rowFor('nonprod-db-01')).getByTestId('server-usage')).toHaveTextContent('88.8%, high (80 % or more)');
      expect(levels('nonprod-web-01')).toEqual(['normal', 'normal', 'normal']);
    } finally {
      matchMedia.mockRestore();
    }
  });
});
