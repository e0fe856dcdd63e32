// The confirmation of the monitor's "Re-run" and "Retry failed": what will run (the template
// with its parameters, or the inline action), with which options, and on which servers — the
// hub's own preview (`previewExecution`) of the exact command per server — before anything
// starts; then the hub's `rerunExecution` (which repeats the run from what it stored, options
// included) and the new execution's monitor. The hub's refusal is shown as it says it.
import { Alert, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import { useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { PreviewExecutionQuery, RerunExecutionMutation } from '../api/executions';
import type { StartExecutionInput } from '../gql/graphql';
import { mutationError } from '../lib/errors';
import { formatCount } from '../lib/format';
import { notificationCenter } from '../notifications/center';
import { PreviewTable } from '../run/PreviewTable';

export interface RerunDialogProps {
  opened: boolean;
  onClose: () => void;
  /** "Re-run" or "Retry failed". */
  title: string;
  /** What runs, e.g. "Template Disk check (path=/)". */
  what: string;
  /** What the preview is asked for: the same run, built from the execution as the hub shows it. */
  input: StartExecutionInput;
  /** The execution to run again, and whether only on the servers that did not succeed. */
  executionId: string;
  onlyFailed: boolean;
}

function optionsText(input: StartExecutionInput): string {
  const parts = [`priority ${(input.priority ?? 'NORMAL').toLowerCase()}`];
  if (input.maxConcurrency) parts.push(`at most ${input.maxConcurrency} at once`);
  if (input.errorThreshold) parts.push(`stops after ${input.errorThreshold} failures`);
  return parts.join(', ');
}

export function RerunDialog({ opened, onClose, title, what, input, executionId, onlyFailed }: RerunDialogProps) {
  const navigate = useNavigate();
  const [preview] = useQuery({ query: PreviewExecutionQuery, variables: { input }, pause: !opened, requestPolicy: 'network-only' });
  const [startState, start] = useMutation(RerunExecutionMutation);
  const plan = preview.data?.previewExecution;
  const problems = preview.error ? (preview.error.graphQLErrors.length ? preview.error.graphQLErrors.map((e) => e.message) : [preview.error.message]) : [];
  const runCount = plan?.runCount ?? 0;
  const startProblem = mutationError(startState, startState.data?.rerunExecution);

  const run = async () => {
    const result = await start({ executionId, onlyFailed });
    const execution = result.data?.rerunExecution.execution;
    if (execution) {
      notificationCenter.watch(execution.executionId);
      onClose();
      void navigate(`/executions/${encodeURIComponent(execution.executionId)}`);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={<Text fw={700}>{title}: run on {formatCount(input.targetServers?.length ?? 0, 'server')}?</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm" data-testid="rerun-dialog">
        <Text size="sm" data-testid="rerun-what">
          {what} on {input.targetServers?.join(', ')}; {optionsText(input)}.
        </Text>
        {preview.fetching && !plan && <Text size="sm">Asking the hub what will run…</Text>}
        {problems.length > 0 && (
          <Alert color="red" variant="light" role="alert" title="The hub found problems">
            <List size="sm">
              {problems.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {plan && (
          <>
            <Text size="sm">Exact command per server, from the hub (secrets shown as ***):</Text>
            <PreviewTable rows={plan.servers} testId="rerun-preview" />
          </>
        )}
        {startProblem && (
          <Alert color="red" variant="light" role="alert" title="The hub refused to start it">
            {startProblem}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void run()} loading={startState.fetching} disabled={!plan || runCount === 0} data-autofocus>
            {plan ? `Run on ${formatCount(runCount, 'server')}` : 'Run'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
