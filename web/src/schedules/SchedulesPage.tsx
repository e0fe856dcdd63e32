// Schedules (route /schedules): recurring (cron, read out in words) or one-off executions — the
// list with next and last run, the form to add one (ScheduleForm) and delete.
import { Alert, Button, Group, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { DeleteScheduleMutation, SchedulesQuery } from '../api/admin';
import { formatDateTime } from '../lib/format';
import { PageLoader } from '../shell/PageLoader';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';
import { describeCron } from './form';
import { ScheduleForm } from './ScheduleForm';

function describeTrigger(trigger: unknown): string {
  const t = typeof trigger === 'object' && trigger !== null ? (trigger as Record<string, unknown>) : {};
  if (t.type === 'cron' && typeof t.expression === 'string') return `cron ${t.expression}`;
  if (t.type === 'once' && typeof t.at === 'string') return `once at ${formatDateTime(t.at)}`;
  return JSON.stringify(trigger);
}

/** A cron trigger in words (cronstrue), or nothing. */
function triggerReading(trigger: unknown): string | null {
  const t = typeof trigger === 'object' && trigger !== null ? (trigger as Record<string, unknown>) : {};
  return t.type === 'cron' && typeof t.expression === 'string' ? describeCron(t.expression) : null;
}

export default function SchedulesPage() {
  const [{ data, error }] = useQuery({ query: SchedulesQuery });
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [deleteState, remove] = useMutation(DeleteScheduleMutation);
  const doDelete = async () => {
    if (!deleting) return;
    const result = await remove({ id: deleting.id });
    if (!result.error) setDeleting(null);
  };
  const schedules = data?.schedules ?? [];
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2" id="schedules-title">
          Schedules
        </Title>
        {!adding && <Button onClick={() => setAdding(true)}>New schedule</Button>}
      </Group>
      {adding && <ScheduleForm onDone={() => setAdding(false)} />}
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load schedules">
          {error.message}
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading schedules" />}
      {data && schedules.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          Nothing is scheduled.
        </Text>
      )}
      {schedules.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped aria-labelledby="schedules-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Enabled</Table.Th>
                <Table.Th scope="col">Next run</Table.Th>
                <Table.Th scope="col">Last run</Table.Th>
                <Table.Th scope="col">Created by</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {schedules.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>{s.name}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {describeTrigger(s.trigger)}
                    </Text>
                    {triggerReading(s.trigger) && <Text size="sm">{triggerReading(s.trigger)}</Text>}
                  </Table.Td>
                  <Table.Td>{s.enabled ? 'yes' : 'no'}</Table.Td>
                  <Table.Td>{formatDateTime(s.nextRunAt)}</Table.Td>
                  <Table.Td>{formatDateTime(s.lastRunAt)}</Table.Td>
                  <Table.Td>{s.createdBy}</Table.Td>
                  <Table.Td>
                    <DangerButton size="xs" onClick={() => setDeleting({ id: s.id, name: s.name })} aria-label={`Delete schedule ${s.name}`}>
                      Delete
                    </DangerButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ConfirmDialog
        opened={deleting !== null}
        title={<>Delete schedule “{deleting?.name}”?</>}
        error={deleteState.error?.message ?? null}
        errorTitle="Could not delete"
        confirmLabel="Delete schedule"
        busy={deleteState.fetching}
        onConfirm={() => void doDelete()}
        onClose={() => setDeleting(null)}
      >
        It will not run again. Executions it started are kept.
      </ConfirmDialog>
    </Stack>
  );
}
