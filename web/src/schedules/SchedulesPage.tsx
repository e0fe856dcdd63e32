// Schedules (route /schedules): recurring (cron) or one-off executions — the list with next and
// last run, a form to add one (the execution as the start-execution document) and delete.
import { Alert, Button, Card, Group, List, NativeSelect, Stack, Table, Text, TextInput, Textarea, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CreateScheduleMutation, DeleteScheduleMutation, SchedulesQuery } from '../api/admin';
import { formatDateTime } from '../lib/format';
import { PageLoader } from '../shell/PageLoader';
import { ConfirmDialog } from '../shell/ConfirmDialog';

const SAMPLE_EXECUTION = JSON.stringify({ action: { type: 'shell_command', command: 'uptime' }, selector: { environment: 'dev' } }, null, 2);
/** The hub's cron has a seconds field: second minute hour day month weekday. */
const DAILY_3AM = '0 0 3 * * *';

function describeTrigger(trigger: unknown): string {
  const t = typeof trigger === 'object' && trigger !== null ? (trigger as Record<string, unknown>) : {};
  if (t.type === 'cron' && typeof t.expression === 'string') return `cron ${t.expression}`;
  if (t.type === 'once' && typeof t.at === 'string') return `once at ${formatDateTime(t.at)}`;
  return JSON.stringify(trigger);
}

function NewSchedule({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'cron' | 'once'>('cron');
  const [when, setWhen] = useState(DAILY_3AM);
  const [execution, setExecution] = useState(SAMPLE_EXECUTION);
  const [problems, setProblems] = useState<string[]>([]);
  const [state, create] = useMutation(CreateScheduleMutation);

  const save = async () => {
    const found: string[] = [];
    if (!name.trim()) found.push('Name: required');
    if (!when.trim()) found.push(kind === 'cron' ? 'Cron expression: required' : 'Run at: required');
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(execution);
    } catch (e) {
      found.push(`Execution: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    setProblems(found);
    if (found.length) return;
    const at = kind === 'once' ? new Date(when).toISOString() : null;
    const trigger = kind === 'cron' ? { type: 'cron', expression: when.trim() } : { type: 'once', at };
    const result = await create({ input: { name: name.trim(), trigger, execution: parsed, enabled: true } });
    if (result.error) setProblems(result.error.graphQLErrors.length ? result.error.graphQLErrors.flatMap((e) => e.message.split(/;\s*/)) : [result.error.message]);
    else onDone();
  };

  return (
    <Card withBorder component="section" aria-labelledby="new-schedule-title">
      <Title order={2} size="h4" id="new-schedule-title" mb="sm">
        New schedule
      </Title>
      <Stack gap="sm" maw={700}>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
        <Group align="flex-end">
          <NativeSelect label="Trigger" value={kind} onChange={(e) => { const k = e.currentTarget.value as 'cron' | 'once'; setKind(k); setWhen(k === 'cron' ? DAILY_3AM : ''); }} data={[{ value: 'cron', label: 'Recurring (cron)' }, { value: 'once', label: 'Once' }]} w={200} />
          {kind === 'cron' ? (
            <TextInput label="Cron expression" description="second minute hour day month weekday" value={when} onChange={(e) => setWhen(e.currentTarget.value)} styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }} w={260} />
          ) : (
            <TextInput label="Run at" type="datetime-local" value={when} onChange={(e) => setWhen(e.currentTarget.value)} w={260} />
          )}
        </Group>
        <Textarea label="Execution (JSON)" description="As for starting an execution: action or action_template_id + parameters, and target_servers or selector." value={execution} onChange={(e) => setExecution(e.currentTarget.value)} autosize minRows={5} styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }} spellCheck={false} />
        {problems.length > 0 && (
          <Alert color="red" variant="light" role="alert" title="Fix these and save again">
            <List size="sm">
              {problems.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        <Group>
          <Button onClick={() => void save()} loading={state.fetching}>
            Create schedule
          </Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </Card>
  );
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
      {adding && <NewSchedule onDone={() => setAdding(false)} />}
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
                  <Table.Td ff="monospace">{describeTrigger(s.trigger)}</Table.Td>
                  <Table.Td>{s.enabled ? 'yes' : 'no'}</Table.Td>
                  <Table.Td>{formatDateTime(s.nextRunAt)}</Table.Td>
                  <Table.Td>{formatDateTime(s.lastRunAt)}</Table.Td>
                  <Table.Td>{s.createdBy}</Table.Td>
                  <Table.Td>
                    <Button size="xs" color="red.9" onClick={() => setDeleting({ id: s.id, name: s.name })} aria-label={`Delete schedule ${s.name}`}>
                      Delete
                    </Button>
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
