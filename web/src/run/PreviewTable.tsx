// The hub's per-server preview of what will run: one row per server with the exact command
// (secrets masked by the hub) or why it is skipped. Used by the Run form, its confirmation and
// the monitor's "Re-run" / "Retry failed" confirmation.
import { Code, Table, Text } from '@mantine/core';

export interface PreviewRow {
  serverId: string;
  command?: string | null;
  skipped: boolean;
  reason?: string | null;
}

export function PreviewTable({ rows, testId = 'command-preview' }: { rows: readonly PreviewRow[]; testId?: string }) {
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table data-testid={testId} aria-label="Command per server" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col" w={220}>
              Server
            </Table.Th>
            <Table.Th scope="col">Command</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.serverId} data-testid="preview-row" data-server-id={row.serverId}>
              <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere' }}>{row.serverId}</Table.Td>
              <Table.Td>{row.skipped ? <Text size="sm" c="dimmed">Skipped: {row.reason ?? 'not applicable'}</Text> : <Code style={{ overflowWrap: 'anywhere' }}>{row.command}</Code>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
