// The action builder (route /run): a template (with the form generated from its typed
// parameters) or an ad-hoc shell command; targets picked explicitly (pre-filled from the servers
// selection), by a selector, or every server of the tenant ("All servers"), with a live count; rate control and priority; a preview of the
// exact command (secrets masked); what to do about locks (take an execution lock per server; wait
// for or skip servers locked by someone else) with a warning naming the chosen targets that are
// locked by someone else; a confirmation dialog; then the execution monitor.
import { Alert, Button, Card, Checkbox, Group, List, Modal, MultiSelect, NativeSelect, NumberInput, Radio, SegmentedControl, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { PreviewExecutionQuery, StartExecutionMutation } from '../api/executions';
import { MeQuery } from '../api/me';
import { ServersQuery } from '../api/servers';
import { TemplatesQuery } from '../api/templates';
import { mutationError } from '../lib/errors';
import type { Priority, StartExecutionInput } from '../gql/graphql';
import { formatCount } from '../lib/format';
import { blockingLocks, locksByServer, useActiveLocks } from '../locks/activeLocks';
import { LockWarning } from '../locks/LockWarning';
import { notificationCenter } from '../notifications/center';
import { serverSelection } from '../servers/selection';
import { SERVER_STATE_LOOK, SERVER_STATES, isServerState } from '../servers/status';
import { ParameterForm } from './ParameterForm';
import { PreviewTable } from './PreviewTable';
import { initialValues, parseParameters, renderCommand, toParameterPayload, validateParameters, validateRate, type FormValues } from './parameters';
import { EMPTY_SELECTOR, isEmptySelector, matchSelector, type Selector } from './targets';

type Mode = 'template' | 'adhoc';
type TargetMode = 'explicit' | 'selector' | 'all';
const PRIORITIES: Priority[] = ['HIGH', 'NORMAL', 'LOW'];
const PREVIEW_ROWS = 12;
/** Locks are asked for again this often while the form is open. */
const LOCKS_REFRESH_MS = 10_000;
/** The tenant's server count is asked for again this often while "All servers" is chosen. */
const ALL_REFRESH_MS = 10_000;

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort();

export default function RunPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [{ data: templatesData, error: templatesError }] = useQuery({ query: TemplatesQuery });
  const [{ data: serversData, error: serversError }, refetchServers] = useQuery({ query: ServersQuery, variables: { first: 500 } });
  const [startState, start] = useMutation(StartExecutionMutation);

  const [mode, setMode] = useState<Mode>(params.get('mode') === 'adhoc' ? 'adhoc' : 'template');
  const [templateId, setTemplateId] = useState<string | null>(params.get('template'));
  const [values, setValues] = useState<FormValues>({});
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [attempted, setAttempted] = useState(false);
  const [command, setCommand] = useState('');
  const [timeout, setTimeoutSeconds] = useState<number | string>(60);
  const [targetMode, setTargetMode] = useState<TargetMode>(params.get('targets') === 'all' ? 'all' : 'explicit');
  const [explicit, setExplicit] = useState<string[]>(() => {
    if (params.get('targets') === 'selection') return [...serverSelection.get()];
    return params.getAll('server');
  });
  const [selector, setSelector] = useState<Selector>(EMPTY_SELECTOR);
  const [maxConcurrency, setMaxConcurrency] = useState('');
  const [errorThreshold, setErrorThreshold] = useState('');
  const [priority, setPriority] = useState<Priority>('NORMAL');
  const [confirming, setConfirming] = useState(false);
  const [requiresLock, setRequiresLock] = useState(false);
  const [failIfLocked, setFailIfLocked] = useState(false);
  const [meResult] = useQuery({ query: MeQuery });
  const { locks: activeLocks } = useActiveLocks(LOCKS_REFRESH_MS);

  const templates = templatesData?.actionTemplates.nodes ?? [];
  const template = templates.find((t) => t.templateId === templateId) ?? null;
  const specs = useMemo(() => parseParameters(template?.parameterDefinitions), [template]);
  const servers = useMemo(() => serversData?.servers.nodes ?? [], [serversData]);
  const options = useMemo(
    () => ({
      ids: sortedUnique([...servers.map((s) => s.serverId), ...explicit]),
      environments: sortedUnique(servers.map((s) => s.environment)),
      groups: sortedUnique(servers.map((s) => s.serverGroup)),
      tags: sortedUnique(servers.flatMap((s) => s.tags)),
    }),
    [servers, explicit],
  );

  const chooseTemplate = (id: string | null) => {
    setTemplateId(id);
    const next = templates.find((t) => t.templateId === id);
    setValues(initialValues(parseParameters(next?.parameterDefinitions)));
    setTouched(new Set());
    setAttempted(false);
  };

  // Selector: counted here over the known servers until the hub's preview answers.
  const localMatches = targetMode === 'explicit' ? explicit : targetMode === 'all' ? servers.map((s) => s.serverId) : isEmptySelector(selector) ? [] : matchSelector(servers, selector).map((s) => s.serverId);
  // "All servers": the hub's count of the tenant's servers, asked for again every 10 s.
  const fleetSize = serversData?.servers.totalCount;
  useEffect(() => {
    if (targetMode !== 'all') return;
    const id = setInterval(() => refetchServers({ requestPolicy: 'network-only' }), ALL_REFRESH_MS);
    return () => clearInterval(id);
  }, [targetMode, refetchServers]);
  const paramErrors = mode === 'template' ? validateParameters(specs, values) : {};
  const rateErrors = [validateRate(maxConcurrency, 'Max concurrency'), validateRate(errorThreshold, 'Error threshold')].filter((e): e is string => e !== null);
  const timeoutNumber = typeof timeout === 'number' ? timeout : Number(timeout);
  const problems: string[] = [];
  if (mode === 'template' && !template) problems.push('Choose a template.');
  if (mode === 'adhoc' && command.trim() === '') problems.push('Enter the command to run.');
  if (mode === 'adhoc' && (!Number.isInteger(timeoutNumber) || timeoutNumber < 1 || timeoutNumber > 86_400)) problems.push('Timeout must be 1–86400 seconds.');
  for (const [name, error] of Object.entries(paramErrors)) problems.push(`${name}: ${error}`);
  problems.push(...rateErrors);
  const targetsChosen = targetMode === 'explicit' ? explicit.length > 0 : targetMode === 'all' ? true : !isEmptySelector(selector);
  if (!targetsChosen) problems.push(targetMode === 'explicit' ? 'Pick at least one server.' : 'Set at least one selector field.');

  const localPreview = mode === 'adhoc' ? command.trim() : template ? renderCommand(template.commandTemplate, specs, values) : '';

  const input: StartExecutionInput | null = (() => {
    if (mode === 'template' && !template) return null;
    if (mode === 'adhoc' && command.trim() === '') return null;
    const base: StartExecutionInput = { priority };
    if (targetMode === 'explicit') base.targetServers = explicit;
    // An empty selector matches every server of the tenant.
    else if (targetMode === 'all') base.selector = { tags: [] };
    else
      base.selector = {
        environment: selector.environment,
        serverGroup: selector.serverGroup,
        tags: selector.tags,
        status: selector.status,
      };
    if (maxConcurrency.trim()) base.maxConcurrency = maxConcurrency.trim();
    if (errorThreshold.trim()) base.errorThreshold = errorThreshold.trim();
    if (requiresLock) base.requiresLock = true;
    if (failIfLocked) base.failIfLocked = true;
    if (mode === 'adhoc') return { ...base, action: { shellCommand: { command: command.trim(), timeout: Number.isFinite(timeoutNumber) ? timeoutNumber : 60, environmentVars: [] } } };
    return { ...base, actionTemplateId: template!.templateId, parameters: toParameterPayload(specs, values) };
  })();

  // The hub's preview: exact command per server, skipped targets and every problem with the input.
  const inputKey = input && targetsChosen ? JSON.stringify(input) : '';
  const [debouncedKey] = useDebouncedValue(inputKey, 400);
  const previewVariables = useMemo(() => (debouncedKey ? { input: JSON.parse(debouncedKey) as StartExecutionInput } : null), [debouncedKey]);
  const [previewResult] = useQuery({
    query: PreviewExecutionQuery,
    variables: previewVariables ?? { input: { targetServers: [] } },
    pause: previewVariables === null,
    requestPolicy: 'network-only',
  });
  const hubPreview = previewVariables && debouncedKey === inputKey ? previewResult.data?.previewExecution : undefined;
  const previewError = previewVariables && !previewResult.fetching ? previewResult.error : undefined;
  const previewProblems = previewError ? (previewError.graphQLErrors.length ? previewError.graphQLErrors.map((e) => e.message) : [previewError.message]) : [];
  const targetCount = hubPreview ? hubPreview.runCount : targetMode === 'all' && fleetSize !== undefined ? fleetSize : localMatches.length;
  if (targetsChosen && targetCount === 0 && !previewError) problems.push('No server matches these targets.');
  const previewRows = hubPreview
    ? hubPreview.servers
    : localMatches.map((serverId) => ({ serverId, command: localPreview, skipped: false, reason: null as string | null }));

  // Chosen targets locked by someone else (the hub's preview names them once it answers).
  const runIds = hubPreview ? hubPreview.servers.filter((s) => !s.skipped).map((s) => s.serverId) : localMatches;
  const locked = useMemo(() => locksByServer(activeLocks), [activeLocks]);
  const me = meResult.data?.me.email;
  const lockedTargets = me ? blockingLocks(runIds, locked, { user: me }) : [];

  const review = () => {
    setAttempted(true);
    if (problems.length === 0 && previewProblems.length === 0) setConfirming(true);
  };

  const run = async () => {
    if (!input) return;
    const result = await start({ input });
    const execution = result.data?.startExecution.execution;
    if (execution) {
      setConfirming(false);
      notificationCenter.watch(execution.executionId);
      void navigate(`/executions/${encodeURIComponent(execution.executionId)}`);
    }
  };

  const loadError = templatesError ?? serversError;
  const startProblem = mutationError(startState, startState.data?.startExecution);

  return (
    <Stack gap="md" maw={1100}>
      <Title order={1} size="h2">
        Run an action
      </Title>
      {loadError && (
        <Alert color="red" variant="light" role="alert" title="Could not load templates or servers">
          {loadError.message}. Reload the page; if it persists, check the hub.
        </Alert>
      )}

      <Card withBorder component="section" aria-labelledby="what-title">
        <Title order={2} size="h4" id="what-title" mb="sm">
          1. What to run
        </Title>
        <SegmentedControl
          aria-label="Action kind"
          value={mode}
          onChange={(v) => setMode(v)}
          data={[
            { value: 'template', label: 'Template' },
            { value: 'adhoc', label: 'Ad-hoc command' },
          ]}
          mb="md"
        />
        {mode === 'template' ? (
          <Stack gap="sm">
            <NativeSelect
              label="Template"
              value={templateId ?? ''}
              onChange={(e) => chooseTemplate(e.currentTarget.value || null)}
              data={[{ value: '', label: templates.length ? 'Choose a template…' : 'No templates yet' }, ...templates.map((t) => ({ value: t.templateId, label: `${t.name} (${t.category})` }))]}
              maw={480}
              error={attempted && !template ? 'Choose a template' : undefined}
            />
            {template && (
              <>
                <Text size="sm" c="dimmed">
                  {template.description}
                </Text>
                <ParameterForm
                  specs={specs}
                  values={values}
                  errors={paramErrors}
                  shown={(name) => attempted || touched.has(name)}
                  onChange={(name, value) => setValues((v) => ({ ...v, [name]: value }))}
                  onBlur={(name) => setTouched((t) => new Set(t).add(name))}
                />
              </>
            )}
          </Stack>
        ) : (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Textarea
              label="Shell command"
              description="Runs as shell_command on every target."
              value={command}
              onChange={(e) => setCommand(e.currentTarget.value)}
              autosize
              minRows={2}
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
              required
              error={attempted && command.trim() === '' ? 'Enter a command' : undefined}
            />
            <NumberInput label="Timeout (seconds)" value={timeout} onChange={setTimeoutSeconds} min={1} max={86_400} w={180} />
          </SimpleGrid>
        )}
      </Card>

      <Card withBorder component="section" aria-labelledby="where-title">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4" id="where-title">
            2. Where
          </Title>
          <Text fw={600} data-testid="target-count" aria-live="polite">
            {hubPreview && hubPreview.matchedCount !== hubPreview.runCount
              ? `${hubPreview.matchedCount} matched, ${formatCount(hubPreview.runCount, 'server')} will run`
              : `${formatCount(targetCount, 'server')} targeted`}
          </Text>
        </Group>
        <SegmentedControl
          aria-label="Target selection"
          value={targetMode}
          onChange={(v) => setTargetMode(v)}
          data={[
            { value: 'explicit', label: 'Pick servers' },
            { value: 'selector', label: 'Selector' },
            { value: 'all', label: 'All servers' },
          ]}
          mb="md"
        />
        {targetMode === 'all' ? (
          <Text size="sm" data-testid="all-servers">
            Every server of your tenant{fleetSize !== undefined ? `: ${formatCount(hubPreview?.matchedCount ?? fleetSize, 'server')} right now, by the hub’s count` : ''}. Servers that enrol before you confirm are included too.
          </Text>
        ) : targetMode === 'explicit' ? (
          <MultiSelect
            label="Servers"
            placeholder={explicit.length ? undefined : 'Search servers'}
            data={options.ids}
            value={explicit}
            onChange={setExplicit}
            searchable
            clearable
            limit={200}
            maxDropdownHeight={260}
            error={attempted && explicit.length === 0 ? 'Pick at least one server' : undefined}
          />
        ) : (
          <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
            <NativeSelect label="Environment" value={selector.environment ?? ''} onChange={(e) => setSelector({ ...selector, environment: e.currentTarget.value || null })} data={[{ value: '', label: 'Any' }, ...options.environments]} />
            <NativeSelect label="Group" value={selector.serverGroup ?? ''} onChange={(e) => setSelector({ ...selector, serverGroup: e.currentTarget.value || null })} data={[{ value: '', label: 'Any' }, ...options.groups]} />
            <MultiSelect label="Tags (all of)" data={options.tags} value={selector.tags} onChange={(tags) => setSelector({ ...selector, tags })} searchable clearable />
            <NativeSelect
              label="Status"
              value={selector.status ?? ''}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setSelector({ ...selector, status: isServerState(v) ? (v) : null });
              }}
              data={[{ value: '', label: 'Any' }, ...SERVER_STATES.map((s) => ({ value: s, label: SERVER_STATE_LOOK[s].label }))]}
            />
          </SimpleGrid>
        )}
      </Card>

      <Card withBorder component="section" aria-labelledby="how-title">
        <Title order={2} size="h4" id="how-title" mb="sm">
          3. How
        </Title>
        <Group align="flex-start" gap="md" wrap="wrap">
          <TextInput label="Max concurrency" description="e.g. 10 or 25%; empty for no limit" value={maxConcurrency} onChange={(e) => setMaxConcurrency(e.currentTarget.value)} error={validateRate(maxConcurrency, 'Max concurrency') ?? undefined} w={220} />
          <TextInput label="Stop after failures" description="e.g. 5 or 10%; empty to never stop" value={errorThreshold} onChange={(e) => setErrorThreshold(e.currentTarget.value)} error={validateRate(errorThreshold, 'Error threshold') ?? undefined} w={220} />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="priority-label">
              Priority
            </Text>
            <SegmentedControl aria-labelledby="priority-label" value={priority} onChange={(v) => setPriority(v)} data={PRIORITIES.map((p) => ({ value: p, label: p[0] + p.slice(1).toLowerCase() }))} />
          </Stack>
        </Group>
        <Stack gap="sm" mt="md">
          <Checkbox
            label="Take an execution lock on each server"
            description="While its job runs, nobody else's execution runs on that server."
            checked={requiresLock}
            onChange={(e) => setRequiresLock(e.currentTarget.checked)}
          />
          <Radio.Group
            label="If a server is locked by someone else"
            value={failIfLocked ? 'skip' : 'wait'}
            onChange={(v) => setFailIfLocked(v === 'skip')}
          >
            <Group gap="lg" mt={4}>
              <Radio value="wait" label="Wait until it is free" />
              <Radio value="skip" label="Skip it" />
            </Group>
          </Radio.Group>
        </Stack>
        {lockedTargets.length > 0 && (
          <div style={{ marginTop: 'var(--mantine-spacing-md)' }}>
            <LockWarning locks={lockedTargets} skip={failIfLocked} />
          </div>
        )}
      </Card>

      <Card withBorder component="section" aria-labelledby="preview-title">
        <Title order={2} size="h4" id="preview-title" mb="sm">
          4. Preview
        </Title>
        {previewProblems.length > 0 ? (
          <Alert color="red" variant="light" role="alert" title="The hub found problems" data-testid="preview-problems">
            <List size="sm">
              {previewProblems.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
          </Alert>
        ) : previewRows.length > 0 && (hubPreview || localPreview) ? (
          <Stack gap="xs">
            <Text size="sm">
              {hubPreview ? 'Exact command per server, from the hub' : 'Command on each target'} (secrets shown as ***):
            </Text>
            <PreviewTable rows={previewRows.slice(0, PREVIEW_ROWS)} />
            {previewRows.length > PREVIEW_ROWS && (
              <Text size="sm" c="dimmed">
                …and {previewRows.length - PREVIEW_ROWS} more servers.
              </Text>
            )}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            The exact command per server appears here as you fill the form.
          </Text>
        )}
      </Card>

      {attempted && problems.length > 0 && (
        <Alert color="red" variant="light" role="alert" title="Fix these before running">
          <List size="sm">
            {problems.map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Group>
        <Button onClick={review} size="md">
          Review and run
        </Button>
      </Group>

      <Modal opened={confirming} onClose={() => setConfirming(false)} title={<Text fw={700}>Run on {formatCount(targetCount, 'server')}?</Text>} size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack gap="sm">
          <Text size="sm">
            {mode === 'adhoc' ? 'Ad-hoc shell command' : `Template “${template?.name ?? ''}”`} on {targetMode === 'all' ? 'every server of your tenant' : targetMode === 'selector' ? 'the servers the selector matches' : 'the picked servers'}, priority {priority.toLowerCase()}
            {maxConcurrency ? `, at most ${maxConcurrency} at once` : ''}
            {errorThreshold ? `, stopping after ${errorThreshold} failures` : ''}.
          </Text>
          <Text size="sm" data-testid="confirm-locks">
            {requiresLock ? 'Takes an execution lock on each server while its job runs.' : 'Takes no lock of its own.'}{' '}
            {failIfLocked ? 'Servers locked by someone else are skipped.' : 'On servers locked by someone else it waits until they are free.'}
          </Text>
          <LockWarning locks={lockedTargets} skip={failIfLocked} testId="confirm-lock-warning" />
          <PreviewTable rows={previewRows.slice(0, PREVIEW_ROWS)} testId="confirm-preview" />
          {previewRows.length > PREVIEW_ROWS && (
            <Text size="sm" c="dimmed">
              …and {previewRows.length - PREVIEW_ROWS} more servers.
            </Text>
          )}
          {startProblem && (
            <Alert color="red" variant="light" role="alert" title="The hub refused to start it">
              {startProblem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button onClick={() => void run()} loading={startState.fetching} data-autofocus>
              Run on {formatCount(targetCount, 'server')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
