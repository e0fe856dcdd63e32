// Execution history (route /executions): newest first, paged and filtered by the hub (status,
// template, initiator, environment, dates), with several statuses and free text narrowed in the
// browser; filters kept in the URL. Live: `executionsFeed` updates rows in place (graphcache)
// and asks for the page again when executions start or finish, marking those that started
// while the page was open as new.
import { Alert, Anchor, Badge, Chip, Group, NativeSelect, Pagination, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useRef } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { ExecutionsFeedSubscription, ExecutionsQuery } from '../api/executions';
import { TemplatesQuery } from '../api/templates';
import type { ExecutionState, ExecutionSummaryFragment } from '../gql/graphql';
import type { Column } from '../lib/export';
import { formatCount, formatDateTime, formatDuration } from '../lib/format';
import { ExportMenu } from '../shell/ExportMenu';
import { PageLoader } from '../shell/PageLoader';
import { actionLabel, EXECUTION_STATE_LOOK, EXECUTION_STATES } from './describe';
import { ExecutionStateBadge } from './ExecutionStateBadge';
import { foldFeed, matchesHistory, toExecutionFilter, type HistoryFilters } from './history';

const PAGE_SIZE = 50;
/** The page is asked for again at most this often while executions start and finish. */
const FEED_REFRESH_MS = 2_000;

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

export default function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const filters: HistoryFilters = {
    statuses: params.getAll('status').filter((s): s is ExecutionState => (EXECUTION_STATES as string[]).includes(s)),
    initiatedBy: params.get('by') ?? '',
    q: params.get('q') ?? '',
    templateId: params.get('template') ?? '',
    environment: params.get('environment') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
  const [debounced] = useDebouncedValue(filters, 250);
  const filterKey = JSON.stringify(toExecutionFilter(debounced) ?? null);
  const variables = useMemo(() => ({ filter: JSON.parse(filterKey) as ReturnType<typeof toExecutionFilter>, page, pageSize: PAGE_SIZE }), [filterKey, page]);
  const [{ data, error }, reexecute] = useQuery({ query: ExecutionsQuery, variables });
  const [feed] = useSubscription({ query: ExecutionsFeedSubscription }, foldFeed);
  const refresh = useMemo(() => () => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useThrottledRefresh(feed.data?.events ?? 0, refresh, FEED_REFRESH_MS);
  const fresh = useMemo(() => new Set(feed.data?.started ?? []), [feed.data?.started]);
  const [templates] = useQuery({ query: TemplatesQuery });
  const names = useMemo(() => new Map((templates.data?.actionTemplates ?? []).map((t) => [t.id, t.name])), [templates.data]);

  const set = (patch: Partial<HistoryFilters> & { page?: number }) => {
    const next = { ...filters, ...patch };
    const p = new URLSearchParams();
    next.statuses.forEach((s) => p.append('status', s));
    if (next.initiatedBy) p.set('by', next.initiatedBy);
    if (next.q) p.set('q', next.q);
    if (next.templateId) p.set('template', next.templateId);
    if (next.environment) p.set('environment', next.environment);
    if (next.from) p.set('from', next.from);
    if (next.to) p.set('to', next.to);
    if (patch.page && patch.page > 1) p.set('page', String(patch.page));
    setParams(p, { replace: true });
  };

  const items = data?.executions.items;
  const shown = useMemo(
    () => (items ?? []).filter((e) => matchesHistory(e, debounced, actionLabel(e, names))),
    [items, debounced, names],
  );
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
  const pageCount = data ? Math.max(1, Math.ceil(data.executions.total / PAGE_SIZE)) : 1;

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="history-title">
            Executions
          </Title>
          {data && (
            <Text size="lg" fw={500} data-testid="execution-count">
              {formatCount(data.executions.total, 'execution')}
            </Text>
          )}
        </Group>
        <ExportMenu name="executions" title="Greenroom executions" rows={shown} columns={columns} />
      </Group>
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
        <TextInput label="Initiated by" value={filters.initiatedBy} onChange={(e) => set({ initiatedBy: e.currentTarget.value })} w={200} />
        <NativeSelect
          label="Template"
          value={filters.templateId}
          onChange={(e) => set({ templateId: e.currentTarget.value })}
          data={[{ value: '', label: 'Any' }, ...(templates.data?.actionTemplates ?? []).map((t) => ({ value: t.id, label: t.name }))]}
          w={200}
        />
        <TextInput label="Environment" value={filters.environment} onChange={(e) => set({ environment: e.currentTarget.value })} w={140} />
        <TextInput label="From" type="date" value={filters.from} onChange={(e) => set({ from: e.currentTarget.value })} w={160} />
        <TextInput label="To" type="date" value={filters.to} onChange={(e) => set({ to: e.currentTarget.value })} w={160} />
        <TextInput label="Search" type="search" placeholder="ID, action or server" value={filters.q} onChange={(e) => set({ q: e.currentTarget.value })} w={240} data-shortcut-search />
      </Group>
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load executions">
          {error.message}. The hub may be restarting; reload the page in a moment.
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading executions" />}
      {data && shown.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {items && items.length > 0 ? 'No executions on this page match these filters.' : 'Nothing has run yet. Start one from Run.'}
        </Text>
      )}
      {shown.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover aria-labelledby="history-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Execution</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">Servers</Table.Th>
                <Table.Th scope="col">OK / failed</Table.Th>
                <Table.Th scope="col">Initiated by</Table.Th>
                <Table.Th scope="col">Created</Table.Th>
                <Table.Th scope="col">Duration</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((e) => (
                <Table.Tr key={e.executionId} data-testid="execution-row" data-execution-id={e.executionId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/executions/${encodeURIComponent(e.executionId)}`} ff="monospace" size="sm">
                      {e.executionId}
                    </Anchor>
                    {fresh.has(e.executionId) && (
                      <Badge size="xs" ml="xs" variant="filled" color="blue.8" tt="none" data-testid="execution-new">
                        new
                      </Badge>
                    )}
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
                  <Table.Td>{formatDateTime(e.timing.createdAt)}</Table.Td>
                  <Table.Td>{formatDuration(e.timing.durationSeconds)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {pageCount > 1 && (
        <Group justify="center" component="nav" aria-label="Execution pages">
          <Pagination
            total={pageCount}
            value={Math.min(page, pageCount)}
            onChange={(p) => set({ page: p })}
            getItemProps={(p) => ({ 'aria-label': `Page ${p}` })}
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          />
        </Group>
      )}
    </Stack>
  );
}
