// The per-server progress grid of an execution: one cell per target showing its job state,
// virtualized by rows so a 1,000-server run keeps a few dozen cells in the DOM. A cell is a
// toggle button that narrows the log view to that server. A cell with a note (why the job was
// skipped, or why it waits: a lock held by someone else) shows it on a third line, whole in its
// title and accessible name.
import { Box, Text, UnstyledButton } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { JobState } from '../gql/graphql';
import { JOB_STATE_LOOK } from './describe';

export interface GridCell {
  serverId: string;
  status: JobState;
  /** Why it is in this state, when there is a reason to tell (a skip's reason, a lock it waits for). */
  note?: string | null;
}

const CELL_WIDTH = 190;
const CELL_HEIGHT = 44;
/** Cells are taller when any of them carries a note. */
const CELL_HEIGHT_NOTED = 62;
const GAP = 6;

export interface ProgressGridProps {
  cells: readonly GridCell[];
  focused: string | null;
  onFocus: (serverId: string | null) => void;
  height?: number;
}

export function ProgressGrid({ cells, focused, onFocus, height = 260 }: ProgressGridProps) {
  const { ref: sizeRef, width } = useElementSize();
  const scrollRef = useRef<HTMLDivElement>(null);
  const columns = Math.max(1, Math.floor((width + GAP) / (CELL_WIDTH + GAP)));
  const rowCount = Math.ceil(cells.length / columns);
  const cellHeight = cells.some((c) => c.note) ? CELL_HEIGHT_NOTED : CELL_HEIGHT;
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual's API is not memoizable; this component re-renders with it.
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => cellHeight + GAP,
    overscan: 4,
  });

  return (
    <Box ref={sizeRef}>
      <div
        ref={scrollRef}
        data-virtual-scroll
        role="region"
        aria-label="Progress per server"
        tabIndex={0}
        style={{ height: Math.min(height, rowCount * (cellHeight + GAP) + GAP), minHeight: cellHeight + 2 * GAP, overflow: 'auto', contain: 'strict' }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => (
            <div
              key={row.key}
              role="list"
              aria-label={`Servers ${row.index * columns + 1} to ${Math.min(cells.length, (row.index + 1) * columns)}`}
              style={{ position: 'absolute', top: row.start, left: 0, right: 0, display: 'flex', gap: GAP }}
            >
              {cells.slice(row.index * columns, (row.index + 1) * columns).map((cell) => {
                const look = JOB_STATE_LOOK[cell.status];
                const pressed = focused === cell.serverId;
                return (
                  <div role="listitem" key={cell.serverId} style={{ width: CELL_WIDTH, flexShrink: 0 }}>
                    <UnstyledButton
                      data-testid="job-cell"
                      data-server-id={cell.serverId}
                      data-state={cell.status}
                      aria-pressed={pressed}
                      onClick={() => onFocus(pressed ? null : cell.serverId)}
                      title={`${cell.serverId}: ${look.label}${cell.note ? ` (${cell.note})` : ''}${pressed ? ' (showing only its output)' : ''}`}
                      bg={look.color}
                      c={look.textColor}
                      w="100%"
                      h={cellHeight}
                      px={8}
                      style={{ borderRadius: 4, outline: pressed ? '3px solid var(--mantine-color-text)' : undefined, outlineOffset: 1 }}
                    >
                      <Text size="xs" fw={700} truncate ff="monospace" c="inherit">
                        {cell.serverId}
                      </Text>
                      <Text size="xs" c="inherit">
                        {look.label}
                      </Text>
                      {cell.note && (
                        <Text size="xs" c="inherit" truncate data-testid="job-note">
                          {cell.note}
                        </Text>
                      )}
                    </UnstyledButton>
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      </div>
    </Box>
  );
}
