// The "New schedule" form: a name; recurring (a cron field read out in words, with the next five
// runs from the hub's cronPreview and its problem at the field) or once; a template with its typed
// parameter form (the Run view's ParameterForm); targets as on Run — servers or a selector — and the
// rate controls (max concurrency, failure threshold). Sends createSchedule what it accepts; the
// hub's problems are shown at the field they name.
import { Alert, Button, Card, Group, List, MultiSelect, NativeSelect, SegmentedControl, Stack, Switch, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CreateScheduleMutation, CronPreviewQuery } from '../api/admin';
import { ServersQuery } from '../api/servers';
import { TemplatesQuery } from '../api/templates';
import { mutationProblems } from '../lib/errors';
import { formatDateTime } from '../lib/format';
import { ParameterForm } from '../run/ParameterForm';
import { initialValues, parseParameters } from '../run/parameters';
import { matchSelector } from '../run/targets';
import { describeCron, EMPTY_FORM, hubProblems, toScheduleInput, validateSchedule, type ScheduleFormState } from './form';

const mono = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

function CronField({ value, onChange, error }: { value: string; onChange: (v: string) => void; error?: string }) {
  const [expression] = useDebouncedValue(value.trim(), 300);
  const [{ data, fetching }] = useQuery({ query: CronPreviewQuery, variables: { expression, count: 5 }, pause: expression === '' });
  const preview = data?.cronPreview;
  const reading = describeCron(value);
  const hubError = expression === value.trim() && preview && !preview.valid ? (preview.error ?? 'Not a valid cron expression') : undefined;
  return (
    <Stack gap={4}>
      <TextInput
        label="Cron expression"
        description="minute hour day month weekday (UTC); seconds first optional"
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        error={error ?? hubError}
        styles={mono}
        w={320}
        required
        spellCheck={false}
      />
      <div aria-live="polite" data-testid="cron-reading">
        {reading && !hubError && !error && (
          <Text size="sm" fw={500}>
            {reading}
          </Text>
        )}
        {preview?.valid && preview.nextRuns.length > 0 && !error && (
          <>
            <Text size="sm" id="cron-next-title">
              Next runs{fetching ? ' (updating…)' : ''}:
            </Text>
            <List size="sm" aria-labelledby="cron-next-title" data-testid="cron-next-runs">
              {preview.nextRuns.map((t) => (
                <List.Item key={t}>{formatDateTime(t)}</List.Item>
              ))}
            </List>
          </>
        )}
      </div>
    </Stack>
  );
}

export function ScheduleForm({ onDone }: { onDone: () => void }) {
  const [form, setForm] = useState<ScheduleFormState>(EMPTY_FORM);
  const [tried, setTried] = useState(false);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [hub, setHub] = useState<Record<string, string>>({});
  const [templatesResult] = useQuery({ query: TemplatesQuery });
  const [serversResult] = useQuery({ query: ServersQuery, variables: { first: 500 } });
  const [state, create] = useMutation(CreateScheduleMutation);

  const templates = useMemo(() => templatesResult.data?.actionTemplates.nodes ?? [], [templatesResult.data]);
  const template = templates.find((t) => t.templateId === form.templateId) ?? null;
  const specs = useMemo(() => (template ? parseParameters(template.parameterDefinitions) : []), [template]);
  const servers = useMemo(() => serversResult.data?.servers.nodes ?? [], [serversResult.data]);
  const environments = useMemo(() => [...new Set(servers.map((s) => s.environment))].sort(), [servers]);
  const groups = useMemo(() => [...new Set(servers.map((s) => s.serverGroup))].sort(), [servers]);
  const matched = form.targetMode === 'selector' ? matchSelector(servers, { environment: form.environment || null, serverGroup: form.serverGroup || null, tags: form.tags, status: null }) : [];

  const errors = validateSchedule(form, template ? specs : null);
  const shown = (field: string) => tried || touched.has(field);
  const fieldError = (field: string) => (shown(field) ? errors[field] : undefined) ?? hub[field];
  const set = (patch: Partial<ScheduleFormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setHub({});
  };
  const touch = (field: string) => setTouched((t) => new Set(t).add(field));

  const save = async () => {
    setTried(true);
    if (Object.keys(errors).length > 0 || !template) return;
    const result = await create({ input: toScheduleInput(form, specs) });
    const problems = mutationProblems(result, result.data?.createSchedule);
    if (problems.length > 0) setHub(hubProblems(problems));
    else onDone();
  };

  const listed = Object.entries(tried ? { ...errors, ...hub } : hub);

  return (
    <Card withBorder component="section" aria-labelledby="new-schedule-title">
      <Title order={2} size="h4" id="new-schedule-title" mb="sm">
        New schedule
      </Title>
      <Stack gap="md" maw={760}>
        <TextInput label="Name" value={form.name} onChange={(e) => set({ name: e.currentTarget.value })} onBlur={() => touch('name')} error={fieldError('name')} required maw={480} />

        <Group align="flex-start" gap="md">
          <NativeSelect
            label="Trigger"
            value={form.kind}
            onChange={(e) => set({ kind: e.currentTarget.value as 'cron' | 'once' })}
            data={[
              { value: 'cron', label: 'Recurring (cron)' },
              { value: 'once', label: 'Once' },
            ]}
            w={200}
          />
          {form.kind === 'cron' ? (
            <CronField value={form.cron} onChange={(cron) => set({ cron })} error={fieldError('cron')} />
          ) : (
            <TextInput label="Run at" type="datetime-local" value={form.at} onChange={(e) => set({ at: e.currentTarget.value })} onBlur={() => touch('at')} error={fieldError('at')} w={260} required />
          )}
        </Group>

        <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
          <Text component="legend" fw={600}>
            What to run
          </Text>
          <NativeSelect
            label="Template"
            value={form.templateId}
            onChange={(e) => {
              const next = templates.find((t) => t.templateId === e.currentTarget.value);
              set({ templateId: e.currentTarget.value, values: next ? initialValues(parseParameters(next.parameterDefinitions)) : {} });
            }}
            onBlur={() => touch('templateId')}
            data={[{ value: '', label: templatesResult.fetching ? 'Loading templates…' : 'Choose a template' }, ...templates.map((t) => ({ value: t.templateId, label: `${t.name} (${t.actionType})` }))]}
            error={fieldError('templateId')}
            required
            maw={480}
          />
          {template && (
            <ParameterForm
              specs={specs}
              values={form.values}
              errors={Object.fromEntries(Object.entries({ ...errors, ...hub }).filter(([k]) => k.startsWith('parameters.')).map(([k, v]) => [k.slice('parameters.'.length), v]))}
              shown={(name) => shown(`parameters.${name}`) || Boolean(hub[`parameters.${name}`])}
              onChange={(name, value) => set({ values: { ...form.values, [name]: value } })}
              onBlur={(name) => touch(`parameters.${name}`)}
            />
          )}
        </Stack>

        <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
          <Text component="legend" fw={600} id="schedule-targets-label">
            Targets
          </Text>
          <SegmentedControl
            value={form.targetMode}
            onChange={(v) => set({ targetMode: v })}
            data={[
              { value: 'servers', label: 'Servers' },
              { value: 'selector', label: 'Selector' },
            ]}
            aria-labelledby="schedule-targets-label"
            w={260}
          />
          {form.targetMode === 'servers' ? (
            <MultiSelect
              label="Servers"
              placeholder={form.servers.length ? undefined : 'Choose servers'}
              data={servers.map((s) => ({ value: s.serverId, label: `${s.serverId} (${s.environment})` }))}
              value={form.servers}
              onChange={(v) => set({ servers: v })}
              onBlur={() => touch('servers')}
              error={fieldError('servers')}
              searchable
              maw={560}
            />
          ) : (
            <>
              <Group gap="sm" align="flex-start">
                <NativeSelect label="Environment" value={form.environment} onChange={(e) => set({ environment: e.currentTarget.value })} data={[{ value: '', label: 'any' }, ...environments]} w={180} />
                <NativeSelect label="Group" value={form.serverGroup} onChange={(e) => set({ serverGroup: e.currentTarget.value })} data={[{ value: '', label: 'any' }, ...groups]} w={180} />
                <TagsInput label="Tags (all of)" value={form.tags} onChange={(tags) => set({ tags })} w={260} />
              </Group>
              {fieldError('selector') ? (
                <Text size="sm" c="var(--mantine-color-error)" role="alert">
                  {fieldError('selector')}
                </Text>
              ) : (
                <Text size="sm" data-testid="selector-matches">
                  Matches {matched.length} {matched.length === 1 ? 'server' : 'servers'} now; the hub resolves the selector each time it runs.
                </Text>
              )}
            </>
          )}
        </Stack>

        <Group gap="sm" align="flex-start">
          <TextInput label="Max concurrency" description="e.g. 10 or 25%" value={form.maxConcurrency} onChange={(e) => set({ maxConcurrency: e.currentTarget.value })} onBlur={() => touch('maxConcurrency')} error={fieldError('maxConcurrency')} w={200} />
          <TextInput label="Failure threshold" description="stop after e.g. 3 or 10%" value={form.errorThreshold} onChange={(e) => set({ errorThreshold: e.currentTarget.value })} onBlur={() => touch('errorThreshold')} error={fieldError('errorThreshold')} w={200} />
        </Group>
        <Switch label="Enabled" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />

        {listed.length > 0 && (
          <Alert color="red" variant="light" role="alert" title="Fix these and save again">
            <List size="sm">
              {listed.map(([k, v]) => (
                <List.Item key={k}>{v}</List.Item>
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
