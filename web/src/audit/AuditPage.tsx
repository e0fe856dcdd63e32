// The audit log (route /audit, admins): the tenant's entries newest first (GraphQL auditLog),
// paged, with each entry's chain hash; chain verification on demand; CSV / JSON / PDF export of
// the page (PDF drawn in the browser), and the hub's compliance report (REST GET
// /api/v1/audit/report) as CSV, JSON or PDF — the PDF is the hub's own, downloaded as is.
import { Alert, Button, Code, Group, Menu, Pagination, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { AuditLogQuery, VerifyAuditChainQuery } from '../api/admin';
import { useRestBlob } from '../api/rest';
import { downloadFile, exportFileName } from '../lib/export';
import { formatCount, formatDateTime } from '../lib/format';
import { ExportMenu } from '../shell/ExportMenu';
import { PageLoader } from '../shell/PageLoader';
import { AUDIT_COLUMNS, str, toAuditEntry } from './columns';

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

export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [{ data, error }] = useQuery({ query: AuditLogQuery, variables: { page, pageSize: PAGE_SIZE } });
  const items = (data?.auditLog.items ?? []).map(toAuditEntry);
  const total = data?.auditLog.total ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="audit-title">
            Audit log
          </Title>
          {data && <Text size="lg" fw={500}>{formatCount(total, 'entry', 'entries')}</Text>}
        </Group>
        <Group gap="sm">
          <ComplianceReport />
          <ExportMenu name="audit" title="Greenroom audit log" rows={items} columns={AUDIT_COLUMNS} />
        </Group>
      </Group>
      <Verification />
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load the audit log">
          {error.message}. The audit log is for admins; ask one if you need it.
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading audit log" />}
      {data && (
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
                  <Table.Td>{e.event_type}</Table.Td>
                  <Table.Td>{str(e.actor.id) || str(e.actor.type)}</Table.Td>
                  <Table.Td>
                    {str(e.resource.type)} {str(e.resource.name) || str(e.resource.id)}
                  </Table.Td>
                  <Table.Td>{e.result.success === false ? `failed: ${str(e.result.error_message)}` : 'ok'}</Table.Td>
                  <Table.Td>
                    <Code title={e.hash}>{e.hash.slice(0, 12)}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {pageCount > 1 && (
        <Group justify="center" component="nav" aria-label="Audit pages">
          <Pagination total={pageCount} value={page} onChange={(p) => setParams(p > 1 ? { page: String(p) } : {}, { replace: true })} getItemProps={(p) => ({ 'aria-label': `Page ${p}` })} getControlProps={(c) => ({ 'aria-label': `${c} page` })} />
        </Group>
      )}
    </Stack>
  );
}
