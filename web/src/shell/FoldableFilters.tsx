// A filter bar that folds away on a narrow screen: there it sits behind a "Filters" button
// (saying how many filters are set) that opens and closes it; on a wide screen it is always
// shown.
import { Box, Button, Collapse } from '@mantine/core';
import { useId, useState, type ReactNode } from 'react';
import { useNarrow } from './useNarrow';

export function FoldableFilters({ active, children }: { /** How many filters are set. */ active: number; children: ReactNode }) {
  const narrow = useNarrow();
  const [open, setOpen] = useState(false);
  const id = useId();
  if (!narrow) return <>{children}</>;
  return (
    <Box>
      <Button variant="default" size="sm" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)} data-testid="filters-toggle">
        {open ? 'Hide filters' : 'Filters'}
        {active > 0 ? ` (${active} set)` : ''}
      </Button>
      <Collapse expanded={open} id={id} mt={open ? 'sm' : 0}>
        {children}
      </Collapse>
    </Box>
  );
}
