// The execution monitor (route /executions/:executionId): the execution kept live by
// `executionUpdates` — its snapshot, status updates and output lines as agents send them (see
// live.ts) — with overall progress and ETA, metrics, the per-server progress grid, live output
// and the per-server results export. If the subscription fails it asks every 2 s instead.
// A template run is named by the template's name, with the parameters it ran with (secrets as
// the hub masks them). A server's tile says why its job was skipped (the hub's reason) or why it
// waits: a lock held by someone else (from `serverLocks`, asked for every 5 s while running).
// The progress bar is split by outcome (succeeded / failed / cancelled or skipped / running);
// the results table gives each server's exit code, duration and error; "Failed only" narrows
// grid and table to the jobs that did not succeed; "Re-run" and "Retry failed" (only the servers
// that did not succeed) start it again after a confirmation with the hub's preview.
import { Alert, Anchor, Badge, Button, Card, Group, Modal, Progress, SimpleGrid, Stack, Switch, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CancelExecutionMutation, ExecutionQuery } from '../api/executions';
import { TemplatesQuery } from '../api/templates';
import type { ExecutionMonitorFragment } from '../gql/graphql';
import type { Column } from '../lib/export';
import { mutationError, mutationProblems } from '../lib/errors';
import { formatCount, formatDateTime, formatDuration, formatPercent } from '../lib/format';
import { useNow } from '../lib/useNow';
import { blocks, describeLock, locksByServer, useActiveLocks } from '../locks/activeLocks';
import { announceFinished } from '../notifications/announce';
import { DangerButton } from '../shell/DangerButton';
import { ExportMenu } from '../shell/ExportMenu';
import { PageLoader } from '../shell/PageLoader';
import { actionLabel, formatParameters, isFinalExecution, JOB_STATE_LOOK, JOB_STATES } from './describe';
import { ExecutionStateBadge } from './ExecutionStateBadge';
import { LogViewer } from './LogViewer';
import { isNotSucceeded, jobSeconds, NOT_SUCCEEDED, notSucceededServers, OUTCOME_LOOK, outcomeSegments, rerunInput } from './outcome';
import { RerunDialog } from './RerunDialog';
import { ResultsTable, type ResultRow } from './ResultsTable';
import { executionMetrics } from './metrics';
import { ProgressGrid, type GridCell } from './ProgressGrid';
import { useLiveExecution, type LiveMode } from './useLiveExecution';

/** How often the fallback asks while the subscription is down. */
const FALLBACK_POLL_MS = 2_000;
/** How often locks are asked for while the execution runs (a waiting job's reason). */
const LOCKS_POLL_MS = 5_000;

type Detail = ExecutionMonitorFragment['results']['details'][number];

/** A yellow alert's title in the text colour: Mantine's yellow title is under 4.5:1 on its ground. */
const READABLE_TITLE = { title: { color: 'var(--mantine-color-text)' } };

const RESULT_COLUMNS: Column<Detail>[] = [
  { header: 'server_id', value: (d) => d.serverId },
  { header: 'status', value: (d) => d.status.toLowerCase() },
  { header: 'exit_code', value: (d) => d.exitCode },
  { header: 'execution_time', value: (d) => d.executionTime },
  { header: 'error', value: (d) => d.error ?? '' },
];

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg" data-testid={testId}>
        {value}
      </Text>
    </Card>
  );
}

/** The route: one monitor per execution id, so its state never leaks into the next one. */
export default function ExecutionMonitorPage() {
  const { executionId = '' } = useParams();
  return <ExecutionMonitor key={executionId} executionId={executionId} />;
}

export function ExecutionMonitor({ executionId }: { executionId: string }) {
  const now = useNow(1_000);
  const [{ data, error }, reexecute] = useQuery({ query: ExecutionQuery, variables: { executionId } });
  const queried = data?.execution ?? null;
  // Subscribe unless the execution was already over when the page opened (then its output is
  // read once). Once subscribed, the hub ends the stream itself after the final state.
  const [openedFinal, setOpenedFinal] = useState<boolean | null>(null);
  if (openedFinal === null && queried) setOpenedFinal(isFinalExecution(queried.overall));
  const mode: LiveMode = openedFinal === null ? 'wait' : openedFinal ? 'static' : 'live';
  const live = useLiveExecution(executionId, mode);
  const subscriptionFailed = live.streamError !== null;
  // The stream's execution is the newest while it flows; the (polled) query's once it failed.
  const execution: ExecutionMonitorFragment | null = subscriptionFailed ? (queried ?? live.state.execution) : (live.state.execution ?? queried);
  const final = execution ? isFinalExecution(execution.overall) : false;
  const [focused, setFocused] = useState<string | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [failedOnly, setFailedOnly] = useState(false);
  const [rerun, setRerun] = useState<'all' | 'failed' | null>(null);
  const [cancelState, cancel] = useMutation(CancelExecutionMutation);

  // Fallback when live updates fail: ask every 2 s until the execution is final, then read the
  // rest of the output once.
  const { poll } = live;
  useEffect(() => {
    if (!subscriptionFailed) return;
    if (final) {
      poll(true);
      return;
    }
    const id = setInterval(() => {
      reexecute({ requestPolicy: 'network-only' });
      poll(false);
    }, FALLBACK_POLL_MS);
    return () => clearInterval(id);
  }, [subscriptionFailed, final, reexecute, poll]);

  // The monitor sees the end first when it is open: tell the user who started it (once).
  useEffect(() => {
    if (execution && final) announceFinished(execution);
  }, [execution, final]);

  const [templates] = useQuery({ query: TemplatesQuery, pause: !execution?.actionTemplateId });
  const templateNames = useMemo(() => new Map((templates.data?.actionTemplates.nodes ?? []).map((t) => [t.templateId, t.name])), [templates.data]);
  const { locks: activeLocks } = useActiveLocks(LOCKS_POLL_MS, !execution || final);

  const details = execution?.results.details;
  const targets = execution?.targetServers;
  const initiatedBy = execution?.initiatedBy;
  const cells: GridCell[] = useMemo(() => {
    const byServer = new Map((details ?? []).map((d) => [d.serverId, d] as const));
    const order = targets && targets.length > 0 ? targets : [...byServer.keys()];
    // Once final nothing waits any more: a lock is only a reason while the job is pending.
    const locks = locksByServer(final ? [] : activeLocks);
    return order.map((serverId) => {
      const detail = byServer.get(serverId);
      const status = detail?.status ?? 'PENDING';
      let note = detail?.error ?? null;
      const lock = locks.get(serverId);
      if (!note && status === 'PENDING' && lock && blocks(lock, { user: initiatedBy, executionId })) note = `Waiting: ${describeLock(lock)}`;
      return { serverId, status, note };
    });
  }, [details, targets, final, activeLocks, initiatedBy, executionId]);
  const shownCells = useMemo(() => (failedOnly ? cells.filter((c) => isNotSucceeded(c.status)) : cells), [cells, failedOnly]);

  if (!execution) {
    if (error) {
      return (
        <Alert color="red" variant="light" role="alert" title="Could not load the execution">
          {error.message}. Check the address or open it from <Anchor component={Link} to="/executions">the history</Anchor>.
        </Alert>
      );
    }
    if (data) {
      return (
        <Alert color="yellow" variant="light" styles={READABLE_TITLE} role="alert" title="No such execution">
          There is no execution “{executionId}” in your tenant. See <Anchor component={Link} to="/executions">the history</Anchor>.
        </Alert>
      );
    }
    return <PageLoader label="Loading execution" />;
  }

  const started = execution.timing.startedAt ?? execution.timing.createdAt;
  const elapsed = execution.timing.durationSeconds ?? (started ? Math.max(0, (now - Date.parse(started)) / 1000) : null);
  const metrics = executionMetrics(details ?? [], execution.results.totalCount || cells.length, elapsed);
  const progress = final ? 100 : Math.max(execution.progress, metrics.progress);
  const etaSeconds = execution.estimatedCompletion ? Math.max(0, (Date.parse(execution.estimatedCompletion) - now) / 1000) : metrics.etaSeconds;
  const byServer = new Map((details ?? []).map((d) => [d.serverId, d] as const));
  const resultRows: ResultRow[] = shownCells.map((c) => {
    const d = byServer.get(c.serverId);
    return { serverId: c.serverId, status: c.status, exitCode: d?.exitCode ?? null, seconds: d ? jobSeconds(d, now) : null, error: c.note ?? null };
  });
  const segments = outcomeSegments(cells.map((c) => c.status), cells.length);
  const failedServers = notSucceededServers(execution);
  const what = `${execution.actionTemplateId ? `Template “${actionLabel(execution, templateNames)}”` : actionLabel(execution, templateNames)}${execution.actionTemplateId && formatParameters(execution.parameterValues) ? ` (${formatParameters(execution.parameterValues)})` : ''}`;
  const cancelProblem = mutationError(cancelState, cancelState.data?.cancelExecution);
  const rerunPlan = rerunInput(execution, rerun === 'failed' ? failedServers : undefined);
  const doCancel = async () => {
    const result = await cancel({ executionId });
    if (mutationProblems(result, result.data?.cancelExecution).length === 0) setConfirmCancel(false);
  };

  return (
    <Stack gap="md">
      <Anchor component={Link} to="/executions" size="sm">
        ← Executions
      </Anchor>
      <Group justify="space-between" align="center" wrap="wrap">
        <Group gap="md" align="center">
          <Title order={1} size="h2" style={{ overflowWrap: 'anywhere' }}>
            Execution <span style={{ fontFamily: 'var(--mantine-font-family-monospace)' }}>{execution.executionId}</span>
          </Title>
          <ExecutionStateBadge state={execution.overall} />
          <Badge variant="default" tt="none">
            {execution.priority.toLowerCase()} priority
          </Badge>
        </Group>
        <Group gap="sm">
          {!final && (
            <DangerButton onClick={() => setConfirmCancel(true)}>
              Cancel execution
            </DangerButton>
          )}
          {final && (
            <Button variant="default" onClick={() => setRerun('all')}>
              Re-run
            </Button>
          )}
          {final && failedServers.length > 0 && (
            <Button variant="default" onClick={() => setRerun('failed')}>
              Retry failed ({failedServers.length})
            </Button>
          )}
          <ExportMenu name={`execution-${execution.executionId}`} title={`Execution ${execution.executionId} results`} rows={details ?? []} columns={RESULT_COLUMNS} json={() => execution} />
        </Group>
      </Group>
      <Text size="sm">
        <span data-testid="execution-action">{actionLabel(execution, templateNames)}</span>
        {execution.actionTemplateId && formatParameters(execution.parameterValues) && <span data-testid="execution-parameters"> ({formatParameters(execution.parameterValues)})</span>} · {formatCount(metrics.total, 'server')} · started by {execution.initiatedBy} at {formatDateTime(started)}
        {execution.maxConcurrency ? ` · at most ${execution.maxConcurrency} at once` : ''}
        {execution.errorThreshold ? ` · stops after ${execution.errorThreshold} failures` : ''}
      </Text>
      {execution.cancelledBy && (
        <Alert color="yellow" variant="light" styles={READABLE_TITLE} role="status" title="Cancelled">
          Cancelled by {execution.cancelledBy}. Pending servers did not start; running ones were stopped.
        </Alert>
      )}
      {execution.skippedReason && (
        <Alert color="yellow" variant="light" styles={READABLE_TITLE} role="status" title="Stopped early">
          {execution.skippedReason}
        </Alert>
      )}
      {subscriptionFailed && !final && (
        <Alert color="yellow" variant="light" styles={READABLE_TITLE} role="status" title="Live updates unavailable">
          {live.streamError?.message}. Checking every 2 seconds instead.
        </Alert>
      )}

      <Stack gap={4}>
        <Group justify="space-between">
          <Text size="sm" fw={600} id="progress-label">
            Progress
          </Text>
          <Text size="sm" data-testid="progress-text">
            {metrics.finished} of {metrics.total} done · {formatPercent(progress)}
            {!final && etaSeconds !== null ? ` · about ${formatDuration(etaSeconds)} left` : ''}
          </Text>
        </Group>
        <div role="group" aria-label={`Overall progress ${formatPercent(progress)}`}>
          <Progress.Root size="lg" data-testid="outcome-bar">
            {segments.map((seg) => (
              <Progress.Section
                key={seg.outcome}
                value={seg.percent}
                color={OUTCOME_LOOK[seg.outcome].color}
                animated={seg.outcome === 'running'}
                striped={seg.outcome === 'other'}
                data-outcome={seg.outcome}
                aria-label={`${OUTCOME_LOOK[seg.outcome].label}: ${seg.count} of ${cells.length}`}
              />
            ))}
          </Progress.Root>
        </div>
        <Group gap="md" wrap="wrap" aria-hidden>
          {segments.map((seg) => (
            <Group key={seg.outcome} gap={4} wrap="nowrap">
              <span style={{ width: 10, height: 10, borderRadius: 2, background: `var(--mantine-color-${OUTCOME_LOOK[seg.outcome].color.replace('.', '-')})`, display: 'inline-block' }} />
              <Text size="xs">
                {OUTCOME_LOOK[seg.outcome].label} {seg.count}
              </Text>
            </Group>
          ))}
        </Group>
      </Stack>

      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="sm">
        <Stat label="Succeeded" value={String(metrics.counts.SUCCESS ?? 0)} testId="stat-success" />
        <Stat label="Failed" value={String((metrics.counts.FAILED ?? 0) + (metrics.counts.TIMEOUT ?? 0) + (metrics.counts.UNREACHABLE ?? 0))} testId="stat-failed" />
        <Stat label="Success rate" value={metrics.successRate === null ? '–' : formatPercent(metrics.successRate)} />
        <Stat label="Mean duration" value={formatDuration(metrics.meanSeconds)} />
        <Stat label="p95 duration" value={formatDuration(metrics.p95Seconds)} />
        <Stat label={final ? 'Took' : 'Elapsed'} value={formatDuration(elapsed)} />
      </SimpleGrid>

      <section aria-labelledby="grid-title">
        <Group justify="space-between" mb="xs" wrap="wrap">
          <Text component="h2" fw={700} size="lg" id="grid-title">
            Servers
          </Text>
          <Group gap="md" wrap="wrap">
            <Text size="xs" c="dimmed">
              {JOB_STATES.filter((s) => metrics.counts[s]).map((s) => `${JOB_STATE_LOOK[s].label} ${metrics.counts[s]}`).join(' · ')}
            </Text>
            <Switch
              label={`Failed only (not succeeded: ${[...NOT_SUCCEEDED].map((s) => JOB_STATE_LOOK[s].label.toLowerCase()).join(', ')})`}
              checked={failedOnly}
              onChange={(e) => setFailedOnly(e.currentTarget.checked)}
              size="sm"
            />
          </Group>
        </Group>
        {failedOnly && shownCells.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="failed-only-empty">
            {final ? 'Every job succeeded.' : 'No job has failed so far.'}
          </Text>
        ) : (
          <ProgressGrid cells={shownCells} focused={focused} onFocus={setFocused} />
        )}
      </section>

      <section aria-labelledby="results-title">
        <Text component="h2" fw={700} size="lg" id="results-title" mb="xs">
          Results per server{failedOnly ? ' (not succeeded)' : ''}
        </Text>
        {resultRows.length > 0 && <ResultsTable rows={resultRows} labelledBy="results-title" />}
      </section>

      {rerun && rerunPlan.input && (
        <RerunDialog opened onClose={() => setRerun(null)} title={rerun === 'failed' ? 'Retry failed' : 'Re-run'} what={what} input={rerunPlan.input} executionId={execution.executionId} onlyFailed={rerun === 'failed'} />
      )}
      <Modal opened={rerun !== null && !rerunPlan.input} onClose={() => setRerun(null)} title={<Text fw={700}>Cannot run it again from here</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
        <Text size="sm" role="alert">
          {rerunPlan.problem}
        </Text>
      </Modal>

      <Modal opened={confirmCancel} onClose={() => setConfirmCancel(false)} title={<Text fw={700}>Cancel execution {execution.executionId}?</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack gap="sm">
          <Text size="sm">
            Servers that have not started will not run it; running ones are stopped by their agents. Finished results are kept.
          </Text>
          {cancelProblem && (
            <Alert color="red" variant="light" role="alert" title="Could not cancel">
              {cancelProblem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmCancel(false)}>
              Keep running
            </Button>
            <Button color="red.9" onClick={() => void doCancel()} loading={cancelState.fetching}>
              Cancel execution
            </Button>
          </Group>
        </Stack>
      </Modal>

      <LogViewer
        lines={live.lines}
        version={live.version}
        servers={cells.map((c) => c.serverId)}
        server={focused}
        onServerChange={setFocused}
        error={live.logError}
        notice={live.notice}
      />
    </Stack>
  );
}
