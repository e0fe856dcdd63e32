// Whether the screen is phone-narrow (under 48em, 768 px): the views then fold their filters
// behind a "Filters" button and show their tables as cards.
import { useMediaQuery } from '@mantine/hooks';

export const NARROW_QUERY = '(max-width: 47.99em)';

export function useNarrow(): boolean {
  return useMediaQuery(NARROW_QUERY, false, { getInitialValueInEffect: false }) ?? false;
}
