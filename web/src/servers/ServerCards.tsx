// The servers list on a phone: one card per server (data-testid="server-row", like the table's
// rows) with its selection checkbox, id (a link to its page) and state badge on the first line,
// so the state is seen without scrolling sideways; then environment, group and hostname, and
// resource usage (amber / red from the thresholds, as in the table: UsageValue) with the last
// heartbeat. Virtualized like the table (cards of a fixed height),
// with a "Sort by" picker instead of sortable headers.
import { Anchor, Checkbox, Group, NativeSelect, Paper, Stack, Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { Link } from 'react-router-dom';
import { formatDateTime, formatRelativeTime } from '../lib/format';
import { LockBadge } from '../locks/LockBadge';
import { SORT_KEYS, type SortKey } from './filters';
import type { ServerTableProps } from './ServerTable';
import { StatusBadge } from './StatusBadge';
import { UsageValue } from './UsageValue';

const CARD_HEIGHT = 104;
const GAP = 8;

const SORT_LABELS: Record<SortKey, string> = {
  serverId: 'Server ID',
  hostname: 'Hostname',
  environment: 'Environment',
  serverGroup: 'Group',
  status: 'Status',
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  lastHeartbeat: 'Last heartbeat',
};

export function ServerCards(props: ServerTableProps) {
  const { servers, now, sort, selected } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns functions React cannot memoize; this component re-renders with it.
  const virtualizer = useVirtualizer({
    count: servers.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_HEIGHT + GAP,
    overscan: 6,
    getItemKey: (index) => servers[index]?.serverId ?? index,
  });
  const selectedShown = servers.reduce((n, s) => (selected.has(s.serverId) ? n + 1 : n), 0);
  const allShown = servers.length > 0 && selectedShown === servers.length;

  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-end" wrap="nowrap" gap="sm">
        <Checkbox
          label={`Select all ${servers.length}`}
          aria-label={`Select all ${servers.length} servers shown`}
          checked={allShown}
          indeterminate={selectedShown > 0 && !allShown}
          onChange={() => props.onToggleAll(!allShown)}
          disabled={servers.length === 0}
        />
        <Group gap={4} wrap="nowrap" align="flex-end">
          <NativeSelect
            label="Sort by"
            size="xs"
            value={sort.key}
            onChange={(e) => props.onSortChange({ key: e.currentTarget.value as SortKey, dir: sort.dir })}
            data={SORT_KEYS.map((k) => ({ value: k, label: SORT_LABELS[k] }))}
          />
          <NativeSelect
            aria-label="Sort order"
            size="xs"
            value={sort.dir}
            onChange={(e) => props.onSortChange({ key: sort.key, dir: e.currentTarget.value === 'desc' ? 'desc' : 'asc' })}
            data={[
              { value: 'asc', label: 'Ascending' },
              { value: 'desc', label: 'Descending' },
            ]}
          />
        </Group>
      </Group>
      <div
        ref={scrollRef}
        data-virtual-scroll
        role="region"
        aria-labelledby={props.labelledBy}
        tabIndex={0}
        style={{ height: props.height ?? 'calc(100vh - 260px)', minHeight: 240, overflow: 'auto', contain: 'strict' }}
      >
        <div role="list" aria-labelledby={props.labelledBy} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const server = servers[item.index]!;
            const isSelected = selected.has(server.serverId);
            const lock = props.locks?.get(server.serverId);
            return (
              <Paper
                key={server.serverId}
                role="listitem"
                withBorder
                p="xs"
                data-testid="server-row"
                data-server-id={server.serverId}
                bg={isSelected ? 'var(--mantine-primary-color-light)' : undefined}
                style={{ position: 'absolute', top: item.start, left: 0, right: 0, height: CARD_HEIGHT, overflow: 'hidden' }}
              >
                <Group justify="space-between" wrap="nowrap" gap="xs">
                  <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                    <Checkbox aria-label={`Select ${server.serverId}`} checked={isSelected} onChange={() => props.onToggle(server.serverId)} />
                    <Anchor component={Link} to={`/servers/${encodeURIComponent(server.serverId)}`} size="sm" ff="monospace" fw={700} truncate>
                      {server.serverId}
                    </Anchor>
                  </Group>
                  <Group gap={4} wrap="nowrap" style={{ flexShrink: 0 }}>
                    {lock && <LockBadge lock={lock} />}
                    <StatusBadge state={server.status.current} />
                  </Group>
                </Group>
                <Text size="sm" truncate mt={4}>
                  {server.environment} · {server.serverGroup || 'no group'} · {server.hostname}
                </Text>
                <Group gap={4} mt={2} wrap="nowrap" align="center" data-testid="server-usage">
                  <Text span size="xs">
                    CPU
                  </Text>
                  <UsageValue value={server.status.cpuPercent} size="xs" />
                  <Text span size="xs">
                    · memory
                  </Text>
                  <UsageValue value={server.status.memoryUsagePercent} size="xs" />
                  <Text span size="xs">
                    · disk
                  </Text>
                  <UsageValue value={server.status.diskUsagePercent} size="xs" />
                  <Text span size="xs" truncate>
                    ·{' '}
                    <time dateTime={server.status.lastHeartbeat ?? undefined} title={formatDateTime(server.status.lastHeartbeat)}>
                      {formatRelativeTime(server.status.lastHeartbeat, now)}
                    </time>
                  </Text>
                </Group>
              </Paper>
            );
          })}
        </div>
      </div>
    </Stack>
  );
}
