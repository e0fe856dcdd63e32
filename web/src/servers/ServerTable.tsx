// The servers table, virtualized: only the rows in view (plus a few) are in the DOM, so 5,000
// servers scroll as smoothly as 5. One row per server (data-testid="server-row") with a selection
// checkbox, state badge, tags, resource usage and time since the last heartbeat; sortable headers
// (aria-sort), and a lock badge on a locked server. Rows have a fixed height so the virtualizer
// never measures.
import { Anchor, Badge, Checkbox, Group, Table, Text, UnstyledButton } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { Link } from 'react-router-dom';
import type { LockFieldsFragment, ServerRowFragment } from '../gql/graphql';
import { formatDateTime, formatRelativeTime } from '../lib/format';
import { LockBadge } from '../locks/LockBadge';
import type { Sort, SortKey } from './filters';
import { StatusBadge } from './StatusBadge';
import { UsageValue } from './UsageValue';

export const ROW_HEIGHT = 41;
const OVERSCAN = 10;

interface ColumnDef {
  key: SortKey | 'tags' | 'lock';
  label: string;
  width: number;
  align?: 'right';
}

const COLUMNS: ColumnDef[] = [
  { key: 'serverId', label: 'Server ID', width: 150 },
  { key: 'hostname', label: 'Hostname', width: 115 },
  { key: 'environment', label: 'Environment', width: 118 },
  { key: 'serverGroup', label: 'Group', width: 90 },
  { key: 'status', label: 'Status', width: 115 },
  { key: 'lock', label: 'Lock', width: 110 },
  { key: 'tags', label: 'Tags', width: 120 },
  { key: 'cpu', label: 'CPU', width: 62, align: 'right' },
  { key: 'memory', label: 'Memory', width: 82, align: 'right' },
  { key: 'disk', label: 'Disk', width: 62, align: 'right' },
  { key: 'lastHeartbeat', label: 'Last heartbeat', width: 125 },
];
const CHECK_WIDTH = 40;
const TABLE_WIDTH = CHECK_WIDTH + COLUMNS.reduce((sum, c) => sum + c.width, 0);

export interface ServerTableProps {
  servers: readonly ServerRowFragment[];
  /** Epoch ms used for relative times; ticks so "12 seconds ago" stays true. */
  now: number;
  sort: Sort;
  onSortChange: (sort: Sort) => void;
  selected: ReadonlySet<string>;
  onToggle: (serverId: string) => void;
  /** Selects (true) or clears (false) every server in `servers`. */
  onToggleAll: (on: boolean) => void;
  labelledBy?: string;
  /** Active locks by server id: a locked server's row shows a badge. */
  locks?: ReadonlyMap<string, LockFieldsFragment>;
  /** Height of the scrolling viewport. */
  height?: number | string;
}

function SortArrow({ dir }: { dir: 'asc' | 'desc' | null }) {
  return (
    <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" style={{ opacity: dir ? 1 : 0.35 }}>
      {dir !== 'desc' && <path d="M5 1 L9 5 H1 Z" fill="currentColor" />}
      {dir !== 'asc' && <path d="M5 9 L9 5 H1 Z" fill="currentColor" />}
    </svg>
  );
}

export function ServerTable(props: ServerTableProps) {
  const { servers, now, sort, selected } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns functions React cannot memoize; this component re-renders with it.
  const virtualizer = useVirtualizer({
    count: servers.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    getItemKey: (index) => servers[index]?.serverId ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = items.length > 0 ? virtualizer.getTotalSize() - items[items.length - 1]!.end : 0;

  const selectedShown = servers.reduce((n, s) => (selected.has(s.serverId) ? n + 1 : n), 0);
  const allShown = servers.length > 0 && selectedShown === servers.length;

  const headerFor = (column: ColumnDef) => {
    if (column.key === 'tags' || column.key === 'lock') return column.label;
    const key = column.key;
    const active = sort.key === key ? sort.dir : null;
    return (
      <UnstyledButton
        onClick={() => props.onSortChange({ key, dir: active === 'asc' ? 'desc' : 'asc' })}
        fw={700}
        fz="sm"
        aria-label={`${column.label}, sort ${active === 'asc' ? 'descending' : 'ascending'}`}
      >
        <Group gap={4} wrap="nowrap" justify={column.align === 'right' ? 'flex-end' : 'flex-start'}>
          <span>{column.label}</span>
          <SortArrow dir={active} />
        </Group>
      </UnstyledButton>
    );
  };

  return (
    <div
      ref={scrollRef}
      data-virtual-scroll
      role="region"
      aria-labelledby={props.labelledBy}
      tabIndex={0}
      style={{ height: props.height ?? 'calc(100vh - 330px)', minHeight: 240, overflow: 'auto', contain: 'strict' }}
    >
      <Table
        layout="fixed"
        w="100%"
        miw={TABLE_WIDTH}
        striped
        highlightOnHover
        stickyHeader
        verticalSpacing={0}
        aria-labelledby={props.labelledBy}
        aria-rowcount={servers.length + 1}
      >
        <colgroup>
          <col style={{ width: CHECK_WIDTH }} />
          {COLUMNS.map((c) => (
            <col key={c.key} style={{ width: c.width }} />
          ))}
        </colgroup>
        <Table.Thead style={{ zIndex: 2 }}>
          <Table.Tr aria-rowindex={1} style={{ height: ROW_HEIGHT }}>
            <Table.Th scope="col">
              <Checkbox
                aria-label={`Select all ${servers.length} servers shown`}
                checked={allShown}
                indeterminate={selectedShown > 0 && !allShown}
                onChange={() => props.onToggleAll(!allShown)}
                disabled={servers.length === 0}
              />
            </Table.Th>
            {COLUMNS.map((column) => (
              <Table.Th
                key={column.key}
                scope="col"
                ta={column.align}
                aria-sort={column.key === sort.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {headerFor(column)}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {paddingTop > 0 && (
            <tr aria-hidden="true">
              <td colSpan={COLUMNS.length + 1} style={{ height: paddingTop, padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((item) => {
            const server = servers[item.index]!;
            const isSelected = selected.has(server.serverId);
            const lock = props.locks?.get(server.serverId);
            return (
              <Table.Tr
                key={server.serverId}
                data-testid="server-row"
                data-server-id={server.serverId}
                aria-rowindex={item.index + 2}
                bg={isSelected ? 'var(--mantine-primary-color-light)' : undefined}
                style={{ height: ROW_HEIGHT }}
              >
                <Table.Td>
                  <Checkbox aria-label={`Select ${server.serverId}`} checked={isSelected} onChange={() => props.onToggle(server.serverId)} />
                </Table.Td>
                <Table.Td style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                  <Anchor component={Link} to={`/servers/${encodeURIComponent(server.serverId)}`} size="sm" ff="monospace">
                    {server.serverId}
                  </Anchor>
                </Table.Td>
                <Table.Td style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={server.hostname}>
                  {server.hostname}
                </Table.Td>
                <Table.Td>{server.environment}</Table.Td>
                <Table.Td style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{server.serverGroup || '–'}</Table.Td>
                <Table.Td>
                  <StatusBadge state={server.status.current} />
                </Table.Td>
                <Table.Td>{lock && <LockBadge lock={lock} />}</Table.Td>
                <Table.Td style={{ overflow: 'hidden' }} title={server.tags.join(', ')}>
                  <Group gap={4} wrap="nowrap">
                    {server.tags.map((tag) => (
                      <Badge key={tag} variant="default" size="sm" tt="none" fw={500} style={{ flexShrink: 0 }}>
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td ta="right"><UsageValue value={server.status.cpuPercent} /></Table.Td>
                <Table.Td ta="right"><UsageValue value={server.status.memoryUsagePercent} /></Table.Td>
                <Table.Td ta="right"><UsageValue value={server.status.diskUsagePercent} /></Table.Td>
                <Table.Td>
                  <Text component="time" size="sm" dateTime={server.status.lastHeartbeat ?? undefined} title={server.status.lastHeartbeat ? formatDateTime(server.status.lastHeartbeat) : 'never'}>
                    {formatRelativeTime(server.status.lastHeartbeat, now)}
                  </Text>
                </Table.Td>
              </Table.Tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr aria-hidden="true">
              <td colSpan={COLUMNS.length + 1} style={{ height: paddingBottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </Table.Tbody>
      </Table>
    </div>
  );
}
