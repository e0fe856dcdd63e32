// The template editor's Form tab: general fields, the command, typed parameters (a row each, with
// the constraints of its type; add / remove), execution settings, success criteria and the
// servers it applies to. Each field shows its problem (the form's own or the hub's, by the path
// the hub names).
import { Button, Checkbox, Fieldset, Group, NativeSelect, Paper, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { ACTION_TYPES, CATEGORIES, PARAMETER_TYPES, emptyParameter, parameterPath, type FieldErrors, type ParameterRow, type TemplateForm } from './form';

const mono = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

/** The choices of a select, with the current value kept even if the hub's list lacks it. */
const options = (list: readonly string[], value: string) => (value === '' || list.includes(value) ? [...list] : [...list, value]);

function ParameterFields({
  row,
  index,
  errors,
  onChange,
  onRemove,
}: {
  row: ParameterRow;
  index: number;
  errors: FieldErrors;
  onChange: (row: ParameterRow) => void;
  onRemove: () => void;
}) {
  const set = (patch: Partial<ParameterRow>) => onChange({ ...row, ...patch });
  const name = row.name.trim();
  const err = (field?: string) => (name ? errors[parameterPath(name, field)] : undefined);
  const title = name ? `Parameter ${name}` : `Parameter ${index + 1}`;
  return (
    <Paper withBorder p="sm" component="fieldset" aria-label={title} data-testid="parameter-row" style={{ margin: 0 }}>
      <Group justify="space-between" mb="xs">
        <Text fw={700} size="sm">
          {title}
        </Text>
        <Button size="xs" variant="default" onClick={onRemove} aria-label={`Remove ${title.toLowerCase()}`}>
          Remove
        </Button>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
        <TextInput label="Name" value={row.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors[`parameter#${index}`] ?? err()} styles={mono} required />
        <NativeSelect label="Type" value={row.type} data={options(PARAMETER_TYPES, row.type)} onChange={(e) => set({ type: e.currentTarget.value, default: '' })} />
        {row.type === 'boolean' ? (
          <NativeSelect
            label="Default"
            value={row.default}
            data={[
              { value: '', label: 'None' },
              { value: 'true', label: 'true' },
              { value: 'false', label: 'false' },
            ]}
            onChange={(e) => set({ default: e.currentTarget.value })}
            error={err('default')}
          />
        ) : (
          <TextInput
            label="Default"
            value={row.default}
            onChange={(e) => set({ default: e.currentTarget.value })}
            error={err('default')}
            inputMode={row.type === 'integer' ? 'numeric' : undefined}
            description={row.type === 'secret' ? '*** keeps the stored value' : undefined}
          />
        )}
      </SimpleGrid>
      <TextInput label="Description" mt="xs" value={row.description} onChange={(e) => set({ description: e.currentTarget.value })} />
      <Group gap="sm" mt="xs" align="flex-start" grow>
        {row.type !== 'boolean' && row.type !== 'enum' && (
          <TextInput
            label="Pattern (regular expression)"
            description="The whole value must match"
            value={row.validation}
            onChange={(e) => set({ validation: e.currentTarget.value })}
            error={err('validation')}
            styles={mono}
          />
        )}
        {row.type === 'integer' && (
          <>
            <TextInput label="Minimum" inputMode="numeric" value={row.min} onChange={(e) => set({ min: e.currentTarget.value })} error={err('min')} />
            <TextInput label="Maximum" inputMode="numeric" value={row.max} onChange={(e) => set({ max: e.currentTarget.value })} error={err('max')} />
          </>
        )}
        {row.type === 'enum' && (
          <Textarea
            label="Allowed values"
            description="One per line"
            autosize
            minRows={2}
            value={row.values}
            onChange={(e) => set({ values: e.currentTarget.value })}
            error={err('values')}
          />
        )}
      </Group>
      <Checkbox mt="sm" label="Required" checked={row.required} onChange={(e) => set({ required: e.currentTarget.checked })} />
    </Paper>
  );
}

export function TemplateFormFields({ form, errors, onChange }: { form: TemplateForm; errors: FieldErrors; onChange: (form: TemplateForm) => void }) {
  const set = (patch: Partial<TemplateForm>) => onChange({ ...form, ...patch });
  const setRow = (i: number, row: ParameterRow) => set({ parameters: form.parameters.map((r, j) => (j === i ? row : r)) });
  return (
    <Stack gap="lg">
      <Fieldset legend="General">
        <Stack gap="sm">
          <TextInput label="Name" value={form.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors.name} required />
          <Textarea label="Description" autosize minRows={2} value={form.description} onChange={(e) => set({ description: e.currentTarget.value })} error={errors.description} />
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <NativeSelect label="Category" value={form.category} data={options(CATEGORIES, form.category)} onChange={(e) => set({ category: e.currentTarget.value })} error={errors.category} />
            <NativeSelect label="Action type" value={form.actionType} data={options(ACTION_TYPES, form.actionType)} onChange={(e) => set({ actionType: e.currentTarget.value })} error={errors.action_type} />
            <TextInput label="Version" description="Unchanged on save: the hub bumps it" value={form.version} onChange={(e) => set({ version: e.currentTarget.value })} error={errors.version} />
          </SimpleGrid>
          <Textarea
            label="Command template"
            description="Run with /bin/sh -c; {name} is a parameter, {{ and }} are literal braces"
            autosize
            minRows={2}
            value={form.commandTemplate}
            onChange={(e) => set({ commandTemplate: e.currentTarget.value })}
            error={errors.command_template}
            styles={mono}
            spellCheck={false}
            required
          />
        </Stack>
      </Fieldset>

      <section aria-labelledby="tpl-params-title">
        <Group justify="space-between" mb="xs">
          <Title order={2} size="h4" id="tpl-params-title">
            Parameters
          </Title>
          <Button size="xs" variant="default" onClick={() => set({ parameters: [...form.parameters, emptyParameter()] })}>
            Add parameter
          </Button>
        </Group>
        {errors.parameters && (
          <Text c="red.9" size="sm" role="alert">
            {errors.parameters}
          </Text>
        )}
        <Stack gap="sm">
          {form.parameters.length === 0 && (
            <Text size="sm" c="dimmed">
              None. Add one for each {'{name}'} in the command.
            </Text>
          )}
          {form.parameters.map((row, i) => (
            <ParameterFields
              key={row.key}
              row={row}
              index={i}
              errors={errors}
              onChange={(r) => setRow(i, r)}
              onRemove={() => set({ parameters: form.parameters.filter((_, j) => j !== i) })}
            />
          ))}
        </Stack>
      </section>

      <Fieldset legend="Execution settings">
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <TextInput
            label="Timeout (seconds)"
            description="1–86400; empty: 300"
            inputMode="numeric"
            value={form.timeoutSeconds}
            onChange={(e) => set({ timeoutSeconds: e.currentTarget.value })}
            error={errors['execution_config.timeout_seconds']}
          />
          <TextInput
            label="Retries"
            description="Attempts after the first, at most 10"
            inputMode="numeric"
            value={form.retryCount}
            onChange={(e) => set({ retryCount: e.currentTarget.value })}
            error={errors['execution_config.retry_count']}
          />
          <TextInput
            label="Retry delay (seconds)"
            description="Wait before each retry"
            inputMode="numeric"
            value={form.retryDelaySeconds}
            onChange={(e) => set({ retryDelaySeconds: e.currentTarget.value })}
            error={errors['execution_config.retry_delay_seconds']}
          />
        </SimpleGrid>
        <Stack gap="xs" mt="sm">
          <Checkbox
            label="Requires lock"
            description="Each job takes its server's lock while it runs"
            checked={form.requiresLock}
            onChange={(e) => set({ requiresLock: e.currentTarget.checked })}
          />
          <Checkbox
            label="Parallel execution"
            description="Off: one server at a time when the run sets no concurrency"
            checked={form.parallelExecution}
            onChange={(e) => set({ parallelExecution: e.currentTarget.checked })}
          />
        </Stack>
      </Fieldset>

      <Fieldset legend="Success criteria">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput
            label="Exit code"
            description="Expected exit status; empty: 0"
            inputMode="numeric"
            value={form.exitCode}
            onChange={(e) => set({ exitCode: e.currentTarget.value })}
            error={errors['success_criteria.exit_code']}
          />
          <TextInput
            label="Maximum run time (seconds)"
            description="Empty: no limit"
            inputMode="decimal"
            value={form.executionTimeMax}
            onChange={(e) => set({ executionTimeMax: e.currentTarget.value })}
            error={errors['success_criteria.execution_time_max']}
          />
          <Textarea
            label="Output contains"
            description="Every line must occur in stdout; one per line"
            autosize
            minRows={2}
            value={form.outputContains}
            onChange={(e) => set({ outputContains: e.currentTarget.value })}
            error={errors['success_criteria.output_contains'] ?? errors.success_criteria}
            styles={mono}
          />
          <Textarea
            label="Output does not contain"
            description="None may occur in stdout; one per line"
            autosize
            minRows={2}
            value={form.outputNotContains}
            onChange={(e) => set({ outputNotContains: e.currentTarget.value })}
            error={errors['success_criteria.output_not_contains'] ?? errors.success_criteria}
            styles={mono}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend="Servers">
        <TextInput
          label="Applicable server tags"
          description="Separated by commas; servers with none of them are skipped. Empty: every server"
          value={form.tags}
          onChange={(e) => set({ tags: e.currentTarget.value })}
          error={errors.applicable_server_tags}
        />
      </Fieldset>
    </Stack>
  );
}
