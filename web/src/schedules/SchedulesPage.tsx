// Schedules (route /schedules): recurring (cron, read out in words) or one-off executions — the
// list with next and last run, the form to add one (ScheduleForm) and delete.
import { Alert, Button, Group, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { DeleteScheduleMutation, SchedulesQuery } from '../api/admin';
import type { ScheduleFieldsFragment } from '../gql/graphql';
import { mutationError, mutationProblems } from '../lib/errors';
import { formatDateTime } from '../lib/format';
import { PageLoader } from '../shell/PageLoader';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';
import { describeCron } from './form';
import { ScheduleForm } from './ScheduleForm';

type ScheduleTrigger = Pick<ScheduleFieldsFragment, 'cron' | 'runAt'>;

function describeTrigger(s: ScheduleTrigger): string {
  if (s.cron) return `cron ${s.cron}`;
  if (s.runAt) return `once at ${formatDateTime(s.runAt)}`;
  return '–';
}

/** A cron trigger in words (cronstrue), or nothing. */
function triggerReading(s: ScheduleTrigger): string | null {
  return s.cron ? describeCron(s.cron) : null;
}

export default function SchedulesPage() {
  const [{ data, error }] = useQuery({ query: SchedulesQuery });
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [deleteState, remove] = useMutation(DeleteScheduleMutation);
  const doDelete = async () => {
    if (!deleting) return;
    const result = await remove({ id: deleting.id });
    if (mutationProblems(result, result.data?.deleteSchedule).length === 0) setDeleting(null);
  };
  const schedules = data?.schedules.nodes ?? [];
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
                <Table.Tr key={s.scheduleId}>
                  <Table.Td>{s.name}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {describeTrigger(s)}
                    </Text>
                    {triggerReading(s) && <Text size="sm">{triggerReading(s)}</Text>}
                  </Table.Td>
                  <Table.Td>{s.enabled ? 'yes' : 'no'}</Table.Td>
                  <Table.Td>{formatDateTime(s.nextRunAt)}</Table.Td>
                  <Table.Td>{formatDateTime(s.lastRunAt)}</Table.Td>
                  <Table.Td>{s.createdBy}</Table.Td>
                  <Table.Td>
                    <DangerButton size="xs" onClick={() => setDeleting({ id: s.scheduleId, name: s.name })} aria-label={`Delete schedule ${s.name}`}>
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
        error={mutationError(deleteState, deleteState.data?.deleteSchedule)}
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
