// Execution history (route /executions): paged by cursor (Previous / Next) and filtered by the hub (status, template,
// initiator, environment, dates or a quick range: last hour / 24 hours / 7 days), with several
// statuses and free text narrowed in the browser; filters and sort kept in the URL. Columns sort
// the page's rows; a whole row (or, on a phone, a card) opens the execution, by mouse or keyboard.
// Initiators to pick come from the users (admins see them) and the executions on the page;
// environments from the known ones and the servers. Live: `executionsFeed` updates rows in place
// (graphcache) and asks for the page again when executions start or finish, marking those that
// started while the page was open as new. On a narrow screen the filters fold behind "Filters".
import { Alert, Anchor, Badge, Button, Card, Chip, Group, NativeSelect, Stack, Table, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { ExecutionsFeedSubscription, ExecutionsQuery } from '../api/executions';
import { ServersQuery } from '../api/servers';
import { TemplatesQuery } from '../api/templates';
import { UsersQuery } from '../api/users';
import type { ExecutionState, ExecutionSummaryFragment } from '../gql/graphql';
import type { Column } from '../lib/export';
import { formatCount, formatDateTime, formatDuration } from '../lib/format';
import { FIRST_PAGE, pageWindow, readPosition, writePosition, type PagePosition } from '../lib/paging';
import { PositionPager } from '../shell/CursorPager';
import { useNow } from '../lib/useNow';
import { ENVIRONMENTS } from '../servers/filters';
import { ExportMenu } from '../shell/ExportMenu';
import { FoldableFilters } from '../shell/FoldableFilters';
import { PageLoader } from '../shell/PageLoader';
import { useNarrow } from '../shell/useNarrow';
import { actionLabel, EXECUTION_STATE_LOOK, EXECUTION_STATES } from './describe';
import { ExecutionStateBadge } from './ExecutionStateBadge';
import {
  foldFeed,
  formatSort,
  isQuickRange,
  matchesHistory,
  hubOrder,
  parseSort,
  QUICK_RANGES,
  sortExecutions,
  toExecutionFilter,
  type HistoryFilters,
  type HistorySort,
  type QuickRange,
  type SortKey,
} from './history';

const PAGE_SIZE = 50;
/** The page is asked for again at most this often while executions start and finish. */
const FEED_REFRESH_MS = 2_000;

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort((a, b) => a.localeCompare(b));

/** Calls `refresh` after each change of `events`, at most once per `interval` ms. */
function useThrottledRefresh(events: number, refresh: () => void, interval: number) {
  const last = useRef(0);
  useEffect(() => {
    if (events === 0) return;
    const wait = Math.max(0, last.current + interval - Date.now());
    const id = setTimeout(() => {
      last.current = Date.now();
      refresh();
    }, wait);
    return () => clearTimeout(id);
  }, [events, refresh, interval]);
}

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'execution', label: 'Execution' },
  { key: 'action', label: 'Action' },
  { key: 'state', label: 'State' },
  { key: 'servers', label: 'Servers' },
  { key: 'initiator', label: 'Initiated by' },
  { key: 'created', label: 'Created' },
  { key: 'duration', label: 'Duration' },
];

function SortHeader({ column, sort, onSort }: { column: { key: SortKey; label: string }; sort: HistorySort; onSort: (s: HistorySort) => void }) {
  const active = sort.key === column.key;
  return (
    <Table.Th scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'} style={{ whiteSpace: 'nowrap' }}>
      <UnstyledButton
        onClick={() => onSort({ key: column.key, desc: active ? !sort.desc : column.key === 'created' || column.key === 'duration' })}
        fw={700}
        fz="sm"
        aria-label={`Sort ${hubOrder({ key: column.key, desc: false }) ? 'all executions' : 'this page'} by ${column.label.toLowerCase()}${active ? (sort.desc ? ', now descending' : ', now ascending') : ''}`}
        title={hubOrder({ key: column.key, desc: false }) ? undefined : 'Sorts the executions on this page'}
      >
        {column.label} <span aria-hidden>{active ? (sort.desc ? '▼' : '▲') : '↕'}</span>
      </UnstyledButton>
    </Table.Th>
  );
}

export default function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const narrow = useNarrow();
  const now = useNow(60_000);
  const positionKey = `${params.get('page')}|${params.get('after')}|${params.get('before')}`;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const position = useMemo(() => readPosition(params), [positionKey]);
  const range = params.get('range');
  const filters: HistoryFilters = {
    statuses: params.getAll('status').filter((s): s is ExecutionState => (EXECUTION_STATES as string[]).includes(s)),
    initiatedBy: params.get('by') ?? '',
    q: params.get('q') ?? '',
    templateId: params.get('template') ?? '',
    environment: params.get('environment') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    range: isQuickRange(range) ? range : '',
  };
  const sort = parseSort(params.get('sort'));
  const [debounced] = useDebouncedValue(filters, 250);
  const filterKey = JSON.stringify(toExecutionFilter(debounced, now) ?? null);
  const sortKey = formatSort(sort);
  // The hub orders the whole history by the columns it can; the others sort this page.
  const orderKey = JSON.stringify(hubOrder(parseSort(sortKey)));
  const variables = useMemo(
    () => ({ filter: JSON.parse(filterKey) as ReturnType<typeof toExecutionFilter>, ...pageWindow(position, PAGE_SIZE), orderBy: JSON.parse(orderKey) as ReturnType<typeof hubOrder> }),
    [filterKey, position, orderKey],
  );
  const [{ data, error }, reexecute] = useQuery({ query: ExecutionsQuery, variables });
  const [feed] = useSubscription({ query: ExecutionsFeedSubscription }, foldFeed);
  const refresh = useMemo(() => () => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useThrottledRefresh(feed.data?.events ?? 0, refresh, FEED_REFRESH_MS);
  const fresh = useMemo(() => new Set(feed.data?.started ?? []), [feed.data?.started]);
  const [templates] = useQuery({ query: TemplatesQuery });
  // Pickers: users (the hub answers admins only; others pick from the executions seen) and
  // the servers' environments.
  const [users] = useQuery({ query: UsersQuery });
  const [servers] = useQuery({ query: ServersQuery, variables: { first: 500 } });
  const names = useMemo(() => new Map((templates.data?.actionTemplates.nodes ?? []).map((t) => [t.templateId, t.name])), [templates.data]);

  /** New filters or sort start again at the first page; `position` moves within these. */
  const set = (patch: Partial<HistoryFilters> & { position?: PagePosition; sort?: HistorySort }) => {
    const next = { ...filters, ...patch };
    const nextSort = patch.sort ?? sort;
    const p = new URLSearchParams();
    next.statuses.forEach((s) => p.append('status', s));
    if (next.initiatedBy) p.set('by', next.initiatedBy);
    if (next.q) p.set('q', next.q);
    if (next.templateId) p.set('template', next.templateId);
    if (next.environment) p.set('environment', next.environment);
    if (next.range) p.set('range', next.range);
    else {
      if (next.from) p.set('from', next.from);
      if (next.to) p.set('to', next.to);
    }
    if (formatSort(nextSort) !== 'created:desc') p.set('sort', formatSort(nextSort));
    writePosition(p, patch.position ?? FIRST_PAGE);
    setParams(p, { replace: true });
  };

  const items = data?.executions.nodes;
  const shown = useMemo(() => {
    const rows = (items ?? []).filter((e) => matchesHistory(e, debounced, actionLabel(e, names)));
    const s = parseSort(sortKey);
    return hubOrder(s) ? rows : sortExecutions(rows, s, (e) => actionLabel(e, names));
  }, [items, debounced, names, sortKey]);
  const initiators = sortedUnique([...(users.data?.users.nodes ?? []).map((u) => u.email), ...(items ?? []).map((e) => e.initiatedBy), filters.initiatedBy]);
  const environments = sortedUnique([...ENVIRONMENTS, ...(servers.data?.servers.nodes ?? []).map((s) => s.environment), filters.environment]);
  const columns: Column<ExecutionSummaryFragment>[] = [
    { header: 'execution_id', value: (e) => e.executionId },
    { header: 'action', value: (e) => actionLabel(e, names) },
    { header: 'status', value: (e) => e.overall.toLowerCase() },
    { header: 'initiated_by', value: (e) => e.initiatedBy },
    { header: 'targets', value: (e) => e.targetServers.length },
    { header: 'success_count', value: (e) => e.results.successCount },
    { header: 'failure_count', value: (e) => e.results.failureCount },
    { header: 'created_at', value: (e) => e.timing.createdAt },
    { header: 'duration_seconds', value: (e) => e.timing.durationSeconds ?? '' },
  ];
  const activeFilters = [filters.statuses.length > 0, filters.initiatedBy, filters.templateId, filters.environment, filters.range || filters.from || filters.to, filters.q].filter(Boolean).length;
  const href = (e: ExecutionSummaryFragment) => `/executions/${encodeURIComponent(e.executionId)}`;
  const openOnKey = (event: KeyboardEvent, e: ExecutionSummaryFragment) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void navigate(href(e));
    }
  };
  const newBadge = (e: ExecutionSummaryFragment) =>
    fresh.has(e.executionId) && (
      <Badge size="xs" ml="xs" variant="filled" color="blue.8" tt="none" data-testid="execution-new">
        new
      </Badge>
    );

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="history-title">
            Executions
          </Title>
          {data && (
            <Text size="lg" fw={500} data-testid="execution-count">
              {formatCount(data.executions.totalCount, 'execution')}
            </Text>
          )}
        </Group>
        <ExportMenu name="executions" title="Greenroom executions" rows={shown} columns={columns} />
      </Group>
      <FoldableFilters active={activeFilters}>
        <Group align="flex-end" gap="md" wrap="wrap" role="search" aria-label="Filter executions">
          <Stack gap={4}>
            <Text size="sm" fw={500} id="history-status">
              Status
            </Text>
            <Group gap={6} role="group" aria-labelledby="history-status">
              <Chip.Group multiple value={filters.statuses} onChange={(v) => set({ statuses: v })}>
                {EXECUTION_STATES.map((s) => (
                  <Chip key={s} value={s} size="sm" variant="outline">
                    {EXECUTION_STATE_LOOK[s].label}
                  </Chip>
                ))}
              </Chip.Group>
            </Group>
          </Stack>
          <NativeSelect label="Initiated by" value={filters.initiatedBy} onChange={(e) => set({ initiatedBy: e.currentTarget.value })} data={[{ value: '', label: 'Anyone' }, ...initiators]} w={narrow ? '100%' : 220} />
          <NativeSelect
            label="Template"
            value={filters.templateId}
            onChange={(e) => set({ templateId: e.currentTarget.value })}
            data={[{ value: '', label: 'Any' }, ...(templates.data?.actionTemplates.nodes ?? []).map((t) => ({ value: t.templateId, label: t.name }))]}
            w={narrow ? '100%' : 200}
          />
          <NativeSelect label="Environment" value={filters.environment} onChange={(e) => set({ environment: e.currentTarget.value })} data={[{ value: '', label: 'Any' }, ...environments]} w={narrow ? '100%' : 150} />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="history-range">
              Quick range
            </Text>
            <Group gap={4} role="group" aria-labelledby="history-range">
              {(Object.keys(QUICK_RANGES) as QuickRange[]).map((r) => (
                <Button
                  key={r}
                  size="sm"
                  variant={filters.range === r ? 'filled' : 'default'}
                  aria-pressed={filters.range === r}
                  aria-label={QUICK_RANGES[r].name}
                  onClick={() => set({ range: filters.range === r ? '' : r, from: '', to: '' })}
                >
                  {QUICK_RANGES[r].label}
                </Button>
              ))}
            </Group>
          </Stack>
          <TextInput label="From" type="date" value={filters.range ? '' : filters.from} onChange={(e) => set({ from: e.currentTarget.value, range: '' })} w={160} />
          <TextInput label="To" type="date" value={filters.range ? '' : filters.to} onChange={(e) => set({ to: e.currentTarget.value, range: '' })} w={160} />
          <TextInput label="Search" type="search" placeholder="ID, action or server" value={filters.q} onChange={(e) => set({ q: e.currentTarget.value })} w={narrow ? '100%' : 240} data-shortcut-search />
        </Group>
      </FoldableFilters>
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load executions">
          {error.message}. The hub may be restarting; reload the page in a moment.
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading executions" />}
      {data && shown.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {items && items.length > 0 ? 'No executions on this page match these filters.' : activeFilters > 0 ? 'No executions match these filters.' : 'Nothing has run yet. Start one from Run.'}
        </Text>
      )}
      {shown.length > 0 && narrow && (
        <Stack gap="xs" role="list" aria-labelledby="history-title">
          {shown.map((e) => (
            <Card
              key={e.executionId}
              withBorder
              padding="sm"
              role="listitem"
              data-testid="execution-row"
              data-execution-id={e.executionId}
              onClick={() => void navigate(href(e))}
              style={{ cursor: 'pointer' }}
            >
              <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
                <Anchor component={Link} to={href(e)} ff="monospace" size="sm" style={{ overflowWrap: 'anywhere', minWidth: 0 }}>
                  {e.executionId}
                </Anchor>
                <ExecutionStateBadge state={e.overall} />
              </Group>
              <Text size="sm" truncate>
                {actionLabel(e, names)}
                {newBadge(e)}
              </Text>
              <Text size="xs">
                {formatCount(e.targetServers.length, 'server')} · {e.results.successCount} ok / {e.results.failureCount} failed · {formatDuration(e.timing.durationSeconds)}
              </Text>
              <Text size="xs">
                {e.initiatedBy} · {formatDateTime(e.timing.createdAt)}
              </Text>
            </Card>
          ))}
        </Stack>
      )}
      {shown.length > 0 && !narrow && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover aria-labelledby="history-title">
            <Table.Thead>
              <Table.Tr>
                {COLUMNS.slice(0, 4).map((c) => (
                  <SortHeader key={c.key} column={c} sort={sort} onSort={(s) => set({ sort: s })} />
                ))}
                <Table.Th scope="col">OK / failed</Table.Th>
                {COLUMNS.slice(4).map((c) => (
                  <SortHeader key={c.key} column={c} sort={sort} onSort={(s) => set({ sort: s })} />
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((e) => (
                <Table.Tr
                  key={e.executionId}
                  data-testid="execution-row"
                  data-execution-id={e.executionId}
                  tabIndex={0}
                  onClick={() => void navigate(href(e))}
                  onKeyDown={(event) => openOnKey(event, e)}
                  style={{ cursor: 'pointer' }}
                >
                  <Table.Td>
                    <Anchor component={Link} to={href(e)} ff="monospace" size="sm" tabIndex={-1} onClick={(event) => event.stopPropagation()}>
                      {e.executionId}
                    </Anchor>
                    {newBadge(e)}
                  </Table.Td>
                  <Table.Td style={{ maxWidth: 280, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{actionLabel(e, names)}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <ExecutionStateBadge state={e.overall} />
                  </Table.Td>
                  <Table.Td>{e.targetServers.length}</Table.Td>
                  <Table.Td>
                    {e.results.successCount} / {e.results.failureCount}
                  </Table.Td>
                  <Table.Td>{e.initiatedBy}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.timing.createdAt)}</Table.Td>
                  <Table.Td>{formatDuration(e.timing.durationSeconds)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {data && (
        <PositionPager label="Execution pages" position={position} pageInfo={data.executions.pageInfo} total={data.executions.totalCount} pageSize={PAGE_SIZE} onChange={(p) => set({ position: p })} />
      )}
    </Stack>
  );
}
