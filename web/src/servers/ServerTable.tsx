// The servers table: one row per server (data-testid="server-row") with state badge, tags,
// resource usage and time since the last heartbeat.
import { Badge, Group, Table, Text } from '@mantine/core';
import type { ServerRowFragment } from '../gql/graphql';
import { formatPercent, formatRelativeTime } from '../lib/format';
import { StatusBadge } from './StatusBadge';

export interface ServerTableProps {
  servers: readonly ServerRowFragment[];
  /** Epoch ms used for relative times; ticks so "12 seconds ago" stays true. */
  now: number;
  labelledBy?: string;
}

export function ServerTable({ servers, now, labelledBy }: ServerTableProps) {
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table striped highlightOnHover verticalSpacing="xs" aria-labelledby={labelledBy}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Server ID</Table.Th>
            <Table.Th scope="col">Hostname</Table.Th>
            <Table.Th scope="col">Environment</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Tags</Table.Th>
            <Table.Th scope="col" ta="right">
              CPU
            </Table.Th>
            <Table.Th scope="col" ta="right">
              Memory
            </Table.Th>
            <Table.Th scope="col" ta="right">
              Disk
            </Table.Th>
            <Table.Th scope="col">Last heartbeat</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {servers.map((server) => (
            <Table.Tr key={server.serverId} data-testid="server-row" data-server-id={server.serverId}>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {server.serverId}
                </Text>
              </Table.Td>
              <Table.Td>{server.hostname}</Table.Td>
              <Table.Td>{server.environment}</Table.Td>
              <Table.Td>
                <StatusBadge state={server.status.current} />
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {server.tags.map((tag) => (
                    <Badge key={tag} variant="default" size="sm" tt="none" fw={500}>
                      {tag}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td ta="right">{formatPercent(server.status.cpuPercent)}</Table.Td>
              <Table.Td ta="right">{formatPercent(server.status.memoryUsagePercent)}</Table.Td>
              <Table.Td ta="right">{formatPercent(server.status.diskUsagePercent)}</Table.Td>
              <Table.Td>
                <time dateTime={server.status.lastHeartbeat ?? undefined} title={server.status.lastHeartbeat ?? 'never'}>
                  {formatRelativeTime(server.status.lastHeartbeat, now)}
                </time>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
