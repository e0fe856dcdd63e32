// The monitor's results per server: job state, exit code, duration and the error the hub or the
// agent reported, 50 rows a page (a 1,000-server run stays light). On narrow screens each server
// is a card with the same facts, its state first.
import { Card, Group, Pagination, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { JobState } from '../gql/graphql';
import { formatDuration } from '../lib/format';
import { useNarrow } from '../shell/useNarrow';
import { JobStateBadge } from './ExecutionStateBadge';

export interface ResultRow {
  serverId: string;
  status: JobState;
  exitCode: number | null;
  seconds: number | null;
  /** The job's error, a skip's reason or what it waits for. */
  error: string | null;
}

const PAGE = 50;

export function ResultsTable({ rows, labelledBy }: { rows: readonly ResultRow[]; labelledBy: string }) {
  const [page, setPage] = useState(1);
  const narrow = useNarrow();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const current = Math.min(page, pages);
  const shown = rows.slice((current - 1) * PAGE, current * PAGE);
  const exit = (r: ResultRow) => (r.exitCode == null ? '–' : String(r.exitCode));

  return (
    <Stack gap="xs">
      {narrow ? (
        <Stack gap="xs" role="list" aria-labelledby={labelledBy}>
          {shown.map((r) => (
            <Card key={r.serverId} withBorder padding="xs" role="listitem" data-testid="result-row" data-server-id={r.serverId} data-state={r.status}>
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <Text size="sm" ff="monospace" fw={700} style={{ overflowWrap: 'anywhere' }}>
                  {r.serverId}
                </Text>
                <JobStateBadge state={r.status} />
              </Group>
              <Text size="sm">
                Exit code <span data-testid="result-exit">{exit(r)}</span> · {formatDuration(r.seconds)}
              </Text>
              {r.error && (
                <Text size="sm" data-testid="result-error" style={{ overflowWrap: 'anywhere' }}>
                  {r.error}
                </Text>
              )}
            </Card>
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-labelledby={labelledBy} verticalSpacing={4} striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Server</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">Exit code</Table.Th>
                <Table.Th scope="col">Duration</Table.Th>
                <Table.Th scope="col">Error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((r) => (
                <Table.Tr key={r.serverId} data-testid="result-row" data-server-id={r.serverId} data-state={r.status}>
                  <Table.Td ff="monospace">{r.serverId}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <JobStateBadge state={r.status} />
                  </Table.Td>
                  <Table.Td data-testid="result-exit">{exit(r)}</Table.Td>
                  <Table.Td>{formatDuration(r.seconds)}</Table.Td>
                  <Table.Td data-testid="result-error" style={{ overflowWrap: 'anywhere' }}>
                    {r.error ?? ''}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {pages > 1 && (
        <Group justify="center" component="nav" aria-label="Result pages">
          <Pagination total={pages} value={current} onChange={setPage} getItemProps={(p) => ({ 'aria-label': `Page ${p}` })} getControlProps={(c) => ({ 'aria-label': `${c} page` })} />
        </Group>
      )}
    </Stack>
  );
}
