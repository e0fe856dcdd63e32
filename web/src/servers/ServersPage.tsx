// The servers page (route /servers): filters and sort kept in the URL, the `servers` query (the
// hub narrows what it can, the browser applies the rest), a virtualized sortable table with
// multi-select, live updates from `serverUpdates` (applied in place by graphcache, re-querying
// only when the visible set may change), a fallback refresh every 15 s, and export. Locked
// servers show a lock badge from `serverLocks(activeOnly: true)`, asked for again with the list.
// On a phone the filters fold behind a "Filters" button and the servers are cards.
import { Alert, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useEffectEvent, useMemo, useRef } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { ServersQuery, ServerUpdatesSubscription } from '../api/servers';
import { formatCount } from '../lib/format';
import { FIRST_PAGE, pageWindow } from '../lib/paging';
import { PositionPager } from '../shell/CursorPager';
import { useNow } from '../lib/useNow';
import { locksByServer, useActiveLocks } from '../locks/activeLocks';
import { ExportMenu } from '../shell/ExportMenu';
import { PageLoader } from '../shell/PageLoader';
import { SERVER_EXPORT_COLUMNS, serversToJson } from './export';
import { ENVIRONMENTS, filtersToParams, hasFilters, matchesFilters, parseFilters, sortServers, toServerFilter, type ServerListFilters } from './filters';
import { updateNeedsRefetch } from './live';
import { serverSelection, useServerSelection } from './selection';
import { ServerFilters } from './ServerFilters';
import { ServerCards } from './ServerCards';
import { ServerTable } from './ServerTable';
import { FoldableFilters } from '../shell/FoldableFilters';
import { useNarrow } from '../shell/useNarrow';

/** The hub's largest page: the browser filters and sorts within it. */
export const PAGE_SIZE = 500;
const REFRESH_INTERVAL_MS = 15_000;
/** Live events that need a re-query are coalesced into one request per this delay. */
const LIVE_REFETCH_DELAY_MS = 1_000;
const SEARCH_DEBOUNCE_MS = 300;

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort();

export default function ServersPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters = parseFilters(params);
  const [debouncedQ] = useDebouncedValue(filters.q, SEARCH_DEBOUNCE_MS);
  const filter = toServerFilter({ ...filters, q: debouncedQ });
  const selected = useServerSelection();
  const narrow = useNarrow();

  const [result, reexecuteQuery] = useQuery({
    query: ServersQuery,
    variables: { filter, ...pageWindow(filters.position, PAGE_SIZE) },
  });
  const [subscription] = useSubscription({ query: ServerUpdatesSubscription });
  const now = useNow(5_000);
  // Locks refresh with the list (never on their own timer); acquiring or releasing one here
  // re-asks at once (graphcache invalidates `serverLocks`).
  const { locks: activeLocks, refresh: refreshLocks } = useActiveLocks(0);
  const locks = useMemo(() => locksByServer(activeLocks, now), [activeLocks, now]);

  const setFilters = (patch: Partial<ServerListFilters>) =>
    setParams(filtersToParams({ ...filters, position: FIRST_PAGE, ...patch }), { replace: true });

  // Fallback: re-query every 15 s while the tab is visible, whatever the subscription does.
  const refresh = useEffectEvent(() => {
    if (document.visibilityState === 'hidden') return;
    reexecuteQuery({ requestPolicy: 'network-only' });
    refreshLocks({ requestPolicy: 'network-only' });
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
      shown: page.nodes.some((server) => server.serverId === update.serverId),
      complete: page.totalCount <= page.nodes.length,
      filter,
    };
    if (!updateNeedsRefetch(update, view) || pendingRefetch.current) return;
    pendingRefetch.current = setTimeout(() => {
      pendingRefetch.current = null;
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
  const fetched = data?.nodes;
  const effective = { ...filters, q: debouncedQ };
  const filterKey = filtersToParams(effective).toString();
  // Re-filter on a new page of data or new filters; the clock matters only to the last-seen filter.
  const clock = filters.lastSeen === 'any' ? 0 : now;
  const shown = useMemo(
    () => (fetched ? sortServers(fetched.filter((s) => matchesFilters(s, effective, clock)), filters.sort) : []),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `effective` is captured by filterKey.
    [fetched, filterKey, clock],
  );
  const options = useMemo(
    () => ({
      environments: sortedUnique([...ENVIRONMENTS, ...filters.environments, ...(fetched ?? []).map((s) => s.environment)]),
      groups: sortedUnique([...(fetched ?? []).map((s) => s.serverGroup), ...(filters.group ? [filters.group] : [])]),
      tags: sortedUnique([...(fetched ?? []).flatMap((s) => s.tags), ...filters.tags]),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- recomputed per fetched page.
    [fetched, filterKey],
  );

  const narrowedHere = data !== undefined && shown.length !== data.nodes.length;

  let content;
  if (!data) {
    content = result.error ? (
      <Alert color="red" variant="light" role="alert" title="Could not load servers">
        {result.error.message}. Check that the hub is running; the list retries every {REFRESH_INTERVAL_MS / 1000} s.
      </Alert>
    ) : (
      <PageLoader label="Loading servers" />
    );
  } else if (shown.length === 0) {
    content = (
      <Text c="dimmed" py="xl" ta="center">
        {hasFilters(filters) ? 'No servers match these filters.' : 'No servers have enrolled yet.'}
      </Text>
    );
  } else {
    const List = narrow ? ServerCards : ServerTable;
    content = (
      <List
        servers={shown}
        now={now}
        sort={filters.sort}
        onSortChange={(sort) => setFilters({ sort, position: filters.position })}
        selected={selected}
        locks={locks}
        onToggle={(id) => serverSelection.toggle(id)}
        onToggleAll={(on) => serverSelection.setMany(shown.map((s) => s.serverId), on)}
        labelledBy="servers-title"
      />
    );
  }

  const count = data ? (narrowedHere ? shown.length : data.totalCount) : 0;

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline" wrap="wrap">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="servers-title">
            Servers
          </Title>
          {data && (
            <Text size="lg" fw={500} data-testid="server-count" aria-live="polite">
              {formatCount(count, 'server')}
            </Text>
          )}
        </Group>
        <Group gap="sm">
          {subscription.error && (
            <Text size="sm" c="dimmed">
              Live updates unavailable; refreshing every {REFRESH_INTERVAL_MS / 1000} s.
            </Text>
          )}
          <ExportMenu name="servers" title="Greenroom servers" rows={shown} columns={SERVER_EXPORT_COLUMNS} json={() => serversToJson(shown)} />
        </Group>
      </Group>

      <FoldableFilters active={[filters.environments.length > 0, filters.statuses.length > 0, filters.lastSeen !== 'any', filters.group, filters.tags.length > 0, filters.q].filter(Boolean).length}>
        <ServerFilters filters={filters} environments={options.environments} groups={options.groups} tags={options.tags} onChange={setFilters} />
      </FoldableFilters>

      {selected.size > 0 && (
        <Group gap="sm" data-testid="selection-bar" aria-live="polite">
          <Text size="sm" fw={600}>
            {formatCount(selected.size, 'server')} selected
          </Text>
          <Button size="xs" onClick={() => void navigate('/run?targets=selection')}>
            Run on selection (r)
          </Button>
          <Button size="xs" variant="default" onClick={() => serverSelection.clear()}>
            Clear selection
          </Button>
        </Group>
      )}

      {data && result.error && (
        <Alert color="yellow" variant="light" role="status" title="Showing the last known list">
          {result.error.message}
        </Alert>
      )}
      {data && data.totalCount > data.nodes.length && (
        <Text size="sm" c="dimmed">
          The hub holds {data.totalCount} matching servers; this page has {data.nodes.length}. Several environments or statuses
          and the last-seen range apply within the page.
        </Text>
      )}

      {content}

      {data && <PositionPager label="Server list pages" position={filters.position} pageInfo={data.pageInfo} total={data.totalCount} pageSize={PAGE_SIZE} onChange={(position) => setFilters({ position })} />}
    </Stack>
  );
}
