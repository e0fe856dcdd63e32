// Live output of an execution, virtualized (only the lines in view are in the DOM, so long runs
// of many thousands of lines stay fast): follow the tail or read back, pause the flow, filter by
// server and by stream. stderr lines are marked in text as well as colour. Lines are in the
// order the hub stored them (by cursor); pausing holds the view at the cursor it had.
import { Alert, Button, Group, SegmentedControl, Select, Switch, Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { countUpTo, filterLines, type LogLine, type StreamFilter } from './logs';

const LINE_HEIGHT = 20;

export interface LogViewerProps {
  /** Ascending by cursor. */
  lines: readonly LogLine[];
  /** Changes whenever `lines` grew (it is appended in place). */
  version: number;
  servers: readonly string[];
  server: string | null;
  onServerChange: (serverId: string | null) => void;
  error?: string | null;
  /** A quiet remark on the stream, e.g. "3 events missed — resynced". */
  notice?: string | null;
  height?: number;
}

export function LogViewer({ lines, version, servers, server, onServerChange, error, notice, height = 360 }: LogViewerProps) {
  const [stream, setStream] = useState<StreamFilter>('all');
  const [follow, setFollow] = useState(true);
  /** The cursor of the last line shown when paused (-1: paused before any line). */
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  const shown = pausedAt === null ? lines.length : countUpTo(lines, pausedAt);
  const visible = useMemo(
    // No filter and not paused: the rows themselves, without a copy.
    () => (server === null && stream === 'all' && shown === lines.length ? lines : filterLines(lines, server, stream, shown)),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `lines` grows in place; `version` says when.
    [lines, version, server, stream, shown],
  );
  const waiting = lines.length - shown;

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual's API is not memoizable; this component re-renders with it.
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && visible.length > 0) virtualizer.scrollToIndex(visible.length - 1, { align: 'end' });
  }, [follow, visible.length, virtualizer]);

  return (
    <section aria-labelledby="logs-title">
      <Group justify="space-between" align="flex-end" wrap="wrap" mb="xs">
        <Text component="h2" fw={700} size="lg" id="logs-title">
          Output
        </Text>
        <Group gap="sm" align="flex-end" wrap="wrap">
          <Select
            label="Server"
            placeholder="All servers"
            data={servers as string[]}
            value={server}
            onChange={onServerChange}
            searchable
            clearable
            w={220}
            size="xs"
          />
          <SegmentedControl
            aria-label="Stream"
            size="xs"
            value={stream}
            onChange={(v) => setStream(v)}
            data={[
              { value: 'all', label: 'All' },
              { value: 'stdout', label: 'stdout' },
              { value: 'stderr', label: 'stderr' },
            ]}
          />
          <Switch label="Follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          <Button size="xs" variant="default" onClick={() => setPausedAt(pausedAt === null ? (lines.at(-1)?.cursor ?? -1) : null)} aria-pressed={pausedAt !== null}>
            {pausedAt === null ? 'Pause' : `Resume${waiting > 0 ? ` (${waiting} new)` : ''}`}
          </Button>
        </Group>
      </Group>
      {notice && (
        <Text size="xs" c="dimmed" role="status" mb={4} data-testid="log-notice">
          {notice}
        </Text>
      )}
      {error && (
        <Alert color="yellow" variant="light" role="status" mb="xs" title="Output delayed">
          {error}
        </Alert>
      )}
      <div
        ref={scrollRef}
        data-virtual-scroll
        data-testid="log-view"
        role="log"
        aria-live="off"
        aria-label="Execution output"
        tabIndex={0}
        style={{
          height,
          overflow: 'auto',
          contain: 'strict',
          fontFamily: 'var(--mantine-font-family-monospace)',
          fontSize: 13,
          background: 'var(--mantine-color-default)',
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 4,
        }}
      >
        {visible.length === 0 ? (
          <Text size="sm" c="dimmed" p="sm">
            {lines.length === 0 ? 'No output yet.' : 'No output matches these filters.'}
          </Text>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: 'max-content' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const line = visible[item.index]!;
              const isErr = line.stream === 'stderr';
              return (
                <div
                  key={item.key}
                  data-testid="log-line"
                  style={{ position: 'absolute', top: item.start, height: LINE_HEIGHT, lineHeight: `${LINE_HEIGHT}px`, whiteSpace: 'pre', paddingInline: 8 }}
                >
                  <span style={{ color: 'var(--mantine-color-dimmed)' }}>{line.serverId}</span>
                  {isErr ? <span style={{ color: 'var(--mantine-color-error)' }}> [stderr]</span> : null}{' '}
                  <span style={isErr ? { color: 'var(--mantine-color-error)' } : undefined}>{line.data.replace(/\n$/, '')}</span>
                </div>
              );
            })}
          </div>
        )}
      </div>
      <Text size="xs" c="dimmed" mt={4}>
        {visible.length} of {lines.length} lines
      </Text>
    </section>
  );
}
