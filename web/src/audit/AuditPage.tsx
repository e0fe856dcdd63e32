// The audit log (route /audit, admins): the tenant's entries newest first (GraphQL auditLog),
// filtered by the hub (event, actor, resource, time range; sign-ins hidden unless asked for — all
// kept in the URL), paged by cursor (Previous / Next), each entry's execution / template / server linked, with its chain hash; chain verification on demand; CSV / JSON / PDF export of
// the page (PDF drawn in the browser), and the hub's compliance report (REST GET
// /api/v1/audit/report) as CSV, JSON or PDF — the PDF is the hub's own, downloaded as is.
import { Alert, Anchor, Autocomplete, Button, Code, Group, Menu, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { AuditLogQuery, VerifyAuditChainQuery } from '../api/admin';
import { useRestBlob } from '../api/rest';
import { downloadFile, exportFileName } from '../lib/export';
import { formatCount, formatDateTime } from '../lib/format';
import { FIRST_PAGE, pageWindow, readPosition } from '../lib/paging';
import { PositionPager } from '../shell/CursorPager';
import { ExportMenu } from '../shell/ExportMenu';
import { PageLoader } from '../shell/PageLoader';
import { AUDIT_COLUMNS, type AuditEntry } from './columns';
import { isFiltered, KNOWN_EVENTS, NO_FILTERS, RESOURCE_TYPES, rangeProblem, readFilters, resourceLink, toAuditFilter, writeFilters, type AuditFilters } from './filters';

const PAGE_SIZE = 100;
const REPORT_TYPES = { csv: 'text/csv', json: 'application/json', pdf: 'application/pdf' } as const;

function Verification() {
  const [{ data, error, fetching }, verify] = useQuery({ query: VerifyAuditChainQuery, pause: true, requestPolicy: 'network-only' });
  const result = data?.verifyAuditChain;
  return (
    <Group gap="sm" align="center">
      <Button variant="default" onClick={() => verify({ requestPolicy: 'network-only' })} loading={fetching}>
        Verify chain
      </Button>
      <div role="status" data-testid="audit-verification">
        {error && <Text c="var(--mantine-color-error)">Could not verify: {error.message}</Text>}
        {result && result.intact && <Text fw={600}>The chain is intact: no entry was changed or removed.</Text>}
        {result && !result.intact && (
          <Text fw={600} c="var(--mantine-color-error)">
            The chain is broken at entry {result.firstBrokenSeq ?? '?'}: entries from there on cannot be trusted.
          </Text>
        )}
      </div>
    </Group>
  );
}

function ComplianceReport() {
  const blob = useRestBlob();
  const get = async (format: keyof typeof REPORT_TYPES) => {
    try {
      downloadFile(exportFileName('compliance-report', format), await blob(`/audit/report?format=${format}`), REPORT_TYPES[format]);
    } catch (e) {
      notifications.show({ color: 'red', title: 'Compliance report failed', message: e instanceof Error ? e.message : String(e), closeButtonProps: { 'aria-label': 'Close notification' } });
    }
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="default">Compliance report</Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void get('csv')}>CSV</Menu.Item>
        <Menu.Item onClick={() => void get('json')}>JSON</Menu.Item>
        <Menu.Item onClick={() => void get('pdf')}>PDF</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

function AuditFiltersBar({ filters, onChange }: { filters: AuditFilters; onChange: (next: AuditFilters) => void }) {
  // Text fields are kept here while typed and sent to the URL (and the hub) after a pause.
  const [draft, setDraft] = useState(filters);
  const [shown, setShown] = useState(filters);
  if (shown !== filters) {
    // The URL changed (cleared, back, a link): what is typed follows it.
    setShown(filters);
    setDraft(filters);
  }
  const [debounced] = useDebouncedValue(draft, 400);
  const sent = useRef(filters);
  // The router's setter changes with every URL: only a new debounced value may send.
  const send = useRef(onChange);
  useEffect(() => {
    sent.current = filters;
    send.current = onChange;
  }, [filters, onChange]);
  useEffect(() => {
    if (JSON.stringify(debounced) !== JSON.stringify(sent.current)) {
      sent.current = debounced;
      send.current(debounced);
    }
  }, [debounced]);
  const set = (patch: Partial<AuditFilters>) => setDraft((d) => ({ ...d, ...patch }));
  const problem = rangeProblem(draft);
  return (
    <Stack gap="xs" component="section" aria-label="Audit filters">
      <Group gap="sm" align="flex-end" wrap="wrap">
        <Autocomplete label="Event" placeholder="any event" data={[...KNOWN_EVENTS]} value={draft.event} onChange={(v) => set({ event: v })} w={220} limit={40} maxDropdownHeight={280} />
        <TextInput label="Actor" placeholder="e-mail or server id" value={draft.actor} onChange={(e) => set({ actor: e.currentTarget.value })} w={220} />
        <Autocomplete label="Resource type" placeholder="any type" data={[...RESOURCE_TYPES]} value={draft.resourceType} onChange={(v) => set({ resourceType: v })} w={170} />
        <TextInput label="Resource id" placeholder="e.g. an execution id" value={draft.resourceId} onChange={(e) => set({ resourceId: e.currentTarget.value })} w={200} />
        <TextInput label="From" type="datetime-local" value={draft.from} onChange={(e) => set({ from: e.currentTarget.value })} w={210} error={problem?.startsWith('From') ? problem : undefined} />
        <TextInput label="To" type="datetime-local" value={draft.to} onChange={(e) => set({ to: e.currentTarget.value })} w={210} error={problem && !problem.startsWith('From') ? problem : undefined} />
        {(isFiltered(draft) || draft.showSignIns) && (
          <Button variant="default" onClick={() => onChange({ ...NO_FILTERS })}>
            Clear filters
          </Button>
        )}
      </Group>
      <Switch label="Hide sign-ins and sign-outs" checked={!draft.showSignIns} onChange={(e) => onChange({ ...draft, showSignIns: !e.currentTarget.checked })} />
    </Stack>
  );
}

function ResourceCell({ entry }: { entry: AuditEntry }) {
  const type = entry.resource.type;
  const label = entry.resource.name || entry.resource.id;
  const to = resourceLink(entry);
  return (
    <>
      {type}{' '}
      {to ? (
        <Anchor component={Link} to={to} aria-label={`${type.replace('_', ' ')} ${label}`}>
          {label}
        </Anchor>
      ) : (
        label
      )}
    </>
  );
}

export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const paramsKey = params.toString();
  // One object per URL, so the filter bar and the query see the same value until the URL changes.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const filters = useMemo(() => readFilters(params), [paramsKey]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const position = useMemo(() => readPosition(params), [paramsKey]);
  const problem = rangeProblem(filters);
  const filter = useMemo(() => toAuditFilter(filters), [filters]);
  const [{ data, error }] = useQuery({ query: AuditLogQuery, variables: { filter, ...pageWindow(position, PAGE_SIZE) }, pause: problem !== null });
  // New filters start again at the first page.
  const setFilters = useCallback((next: AuditFilters) => setParams(writeFilters(next, FIRST_PAGE), { replace: true }), [setParams]);
  const items: AuditEntry[] = data?.auditLog.nodes ?? [];
  const total = data?.auditLog.totalCount ?? 0;
  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="audit-title">
            Audit log
          </Title>
          {data && (
            <Text size="lg" fw={500} data-testid="audit-total">
              {formatCount(total, 'entry', 'entries')}
              {isFiltered(filters) ? ' match' : ''}
            </Text>
          )}
        </Group>
        <Group gap="sm">
          <ComplianceReport />
          <ExportMenu name="audit" title="Greenroom audit log" rows={items} columns={AUDIT_COLUMNS} />
        </Group>
      </Group>
      <Verification />
      <AuditFiltersBar filters={filters} onChange={setFilters} />
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load the audit log">
          {error.message}. The audit log is for admins; ask one if you need it.
        </Alert>
      )}
      {!data && !error && !problem && <PageLoader label="Loading audit log" />}
      {data && items.length === 0 && <Text>{isFiltered(filters) ? 'No entries match these filters.' : 'No entries yet.'}</Text>}
      {data && items.length > 0 && (
        // Long actors and resources (e-mail addresses) can make it wider than the page: the
        // scrolling region is then reachable by keyboard.
        <Table.ScrollContainer minWidth={900} scrollAreaProps={{ viewportProps: { tabIndex: 0, 'aria-label': 'Audit log entries' } }}>
          <Table striped aria-labelledby="audit-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">#</Table.Th>
                <Table.Th scope="col">Time</Table.Th>
                <Table.Th scope="col">Event</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Resource</Table.Th>
                <Table.Th scope="col">Result</Table.Th>
                <Table.Th scope="col">Hash</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((e) => (
                <Table.Tr key={`${e.seq}-${e.hash}`} data-testid="audit-row">
                  <Table.Td>{e.seq}</Table.Td>
                  <Table.Td>{formatDateTime(e.timestamp)}</Table.Td>
                  <Table.Td>{e.eventType}</Table.Td>
                  <Table.Td>{e.actor.id || e.actor.type}</Table.Td>
                  <Table.Td>
                    <ResourceCell entry={e} />
                  </Table.Td>
                  <Table.Td>{e.result.success ? 'ok' : `failed: ${e.result.errorMessage ?? ''}`}</Table.Td>
                  <Table.Td>
                    <Code title={e.hash}>{e.hash.slice(0, 12)}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {data && (
        <PositionPager label="Audit pages" position={position} pageInfo={data.auditLog.pageInfo} total={total} pageSize={PAGE_SIZE} onChange={(p) => setParams(writeFilters(filters, p), { replace: true })} />
      )}
    </Stack>
  );
}
