// Previous / Next for a cursor-paged list, with where the view is: "Page 2 of 7". `PositionPager`
// moves a URL-kept position (lib/paging.ts: servers, executions, the audit log); `CursorPager`
// takes the moves themselves (null when there is no page that way). Nothing is shown for a list
// of one page.
import { Button, Group, Text } from '@mantine/core';
import { nextPosition, pageCount, previousPosition, type PageInfoLike, type PagePosition } from '../lib/paging';

export interface CursorPagerProps {
  /** e.g. "Execution pages". */
  label: string;
  /** 1-based. */
  page: number;
  pages: number;
  onPrevious: (() => void) | null;
  onNext: (() => void) | null;
}

export function CursorPager({ label, page, pages, onPrevious, onNext }: CursorPagerProps) {
  if (pages <= 1 && !onPrevious && !onNext) return null;
  return (
    <Group justify="center" component="nav" aria-label={label} gap="md">
      <Button variant="default" disabled={!onPrevious} onClick={() => onPrevious?.()} aria-label="Previous page">
        ‹ Previous
      </Button>
      <Text size="sm" aria-live="polite" data-testid="page-position">
        Page {Math.min(page, pages)} of {pages}
      </Text>
      <Button variant="default" disabled={!onNext} onClick={() => onNext?.()} aria-label="Next page">
        Next ›
      </Button>
    </Group>
  );
}

export interface PositionPagerProps {
  label: string;
  position: PagePosition;
  pageInfo: PageInfoLike;
  total: number;
  pageSize: number;
  onChange: (position: PagePosition) => void;
}

export function PositionPager({ label, position, pageInfo, total, pageSize, onChange }: PositionPagerProps) {
  const previous = previousPosition(position, pageInfo);
  const next = nextPosition(position, pageInfo);
  return <CursorPager label={label} page={position.page} pages={pageCount(total, pageSize)} onPrevious={previous && (() => onChange(previous))} onNext={next && (() => onChange(next))} />;
}
