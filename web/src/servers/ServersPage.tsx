// The servers page (route /servers): filters kept in the URL, the paged `servers` query, live
// updates from the `serverUpdates` subscription (applied in place by graphcache, re-querying
// only when the visible set may change) and a fallback refresh every 15 s.
import { Alert, Group, Pagination, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useEffectEvent, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { ServersQuery, ServerUpdatesSubscription } from '../api/servers';
import { formatCount } from '../lib/format';
import { useNow } from '../lib/useNow';
import { PageLoader } from '../shell/PageLoader';
import { filtersToParams, parseFilters, toServerFilter, type ServerListFilters } from './filters';
import { updateNeedsRefetch } from './live';
import { ServerFilters } from './ServerFilters';
import { ServerTable } from './ServerTable';

const PAGE_SIZE = 100;
const REFRESH_INTERVAL_MS = 15_000;
/** Live events that need a re-query are coalesced into one request per this delay. */
const LIVE_REFETCH_DELAY_MS = 1_000;
const SEARCH_DEBOUNCE_MS = 300;

export default function ServersPage() {
  const [params, setParams] = useSearchParams();
  const filters = parseFilters(params);
  const [debouncedQ] = useDebouncedValue(filters.q, SEARCH_DEBOUNCE_MS);
  const filter = toServerFilter({ environment: filters.environment, status: filters.status, q: debouncedQ });

  const [result, reexecuteQuery] = useQuery({
    query: ServersQuery,
    variables: { filter, page: filters.page, pageSize: PAGE_SIZE },
  });
  const [subscription] = useSubscription({ query: ServerUpdatesSubscription });
  const now = useNow(5_000);

  const setFilters = (patch: Partial<ServerListFilters>) =>
    setParams(filtersToParams({ ...filters, page: 1, ...patch }), { replace: true });

  // Fallback: re-query every 15 s while the tab is visible, whatever the subscription does.
  const refresh = useEffectEvent(() => {
    if (document.visibilityState !== 'hidden') reexecuteQuery({ requestPolicy: 'network-only' });
  });
  useEffect(() => {
    const id = setInterval(() => refresh(), REFRESH_INTERVAL_MS);
    return () => clearInterval(id);
  }, []);

  // Live updates: rows on screen change in place through the cache; re-query only when needed.
  const updatedServer = subscription.data?.serverUpdates;
  const pendingRefetch = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onServerUpdate = useEffectEvent((update: NonNullable<typeof updatedServer>) => {
    const page = result.data?.servers;
    if (!page) return;
    const view = {
      shown: page.items.some((server) => server.serverId === update.serverId),
      complete: page.total <= page.items.length,
      filter,
    };
    if (!updateNeedsRefetch(update, view) || pendingRefetch.current) return;
    pendingRefetch.current = setTimeout(() => {
      pendingRefetch.current = null;
      // Through the effect event, so it re-runs the query of the filters shown by then.
      refresh();
    }, LIVE_REFETCH_DELAY_MS);
  });
  useEffect(() => {
    if (updatedServer) onServerUpdate(updatedServer);
  }, [updatedServer]);
  useEffect(
    () => () => {
      if (pendingRefetch.current) clearTimeout(pendingRefetch.current);
    },
    [],
  );

  const data = result.data?.servers;
  const pageCount = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;

  let content;
  if (!data) {
    content = result.error ? (
      <Alert color="red" variant="light" role="alert" title="Could not load servers">
        {result.error.message}
      </Alert>
    ) : (
      <PageLoader label="Loading servers" />
    );
  } else if (data.items.length === 0) {
    content = (
      <Text c="dimmed" py="xl" ta="center">
        {filter ? 'No servers match these filters.' : 'No servers have enrolled yet.'}
      </Text>
    );
  } else {
    content = <ServerTable servers={data.items} now={now} labelledBy="servers-title" />;
  }

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline" wrap="wrap">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="servers-title">
            Servers
          </Title>
          {data && (
            <Text size="lg" fw={500} data-testid="server-count" aria-live="polite">
              {formatCount(data.total, 'server')}
            </Text>
          )}
        </Group>
        {subscription.error && (
          <Text size="sm" c="dimmed">
            Live updates unavailable; refreshing every {REFRESH_INTERVAL_MS / 1000} s.
          </Text>
        )}
      </Group>

      <ServerFilters
        environment={filters.environment}
        status={filters.status}
        q={filters.q}
        onEnvironmentChange={(environment) => setFilters({ environment })}
        onStatusChange={(status) => setFilters({ status })}
        onQueryChange={(q) => setFilters({ q })}
      />

      {data && result.error && (
        <Alert color="yellow" variant="light" role="status" title="Showing the last known list">
          {result.error.message}
        </Alert>
      )}

      {content}

      {data && pageCount > 1 && (
        <Group justify="center" component="nav" aria-label="Server list pages">
          <Pagination
            total={pageCount}
            value={Math.min(filters.page, pageCount)}
            onChange={(page) => setFilters({ page })}
            getItemProps={(page) => ({ 'aria-label': `Page ${page}` })}
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          />
        </Group>
      )}
    </Stack>
  );
}
