// A centred, labelled spinner shown while a page or its data loads.
import { Group, Loader } from '@mantine/core';

export function PageLoader({ label }: { label: string }) {
  return (
    <Group justify="center" p="xl">
      <Loader role="status" aria-label={label} />
    </Group>
  );
}
