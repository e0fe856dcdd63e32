// A template as the specification's JSON document (without metadata), which the editor shows and
// edits — built from the hub's typed template (`TemplateFields`) — and reading the user's edited
// text back with every basic problem listed (input.ts turns the document into the typed input).

import type { TemplateFieldsFragment } from '../gql/graphql';

export const NEW_TEMPLATE = {
  name: 'Check disk',
  description: 'Shows usage of one mount point',
  category: 'system',
  action_type: 'validation',
  version: '1.0.0',
  parameters: {
    mount: { type: 'string', required: true, description: 'Mount point', validation: '^/.*$' },
  },
  execution_config: { timeout_seconds: 60, retry_count: 0, retry_delay_seconds: 10, requires_lock: false, parallel_execution: true },
  command_template: 'df -h {mount}',
  success_criteria: { exit_code: 0 },
  applicable_server_tags: [],
};

type Definition = TemplateFieldsFragment['parameterDefinitions'][number];

/** A default as the hub shows it (text) typed as its parameter: `"50"` → 50, `"true"` → true. */
function typedDefault(d: Definition): unknown {
  if (d.default === null) return null;
  if (d.type === 'INTEGER' && /^-?\d+$/.test(d.default)) return Number(d.default);
  if (d.type === 'BOOLEAN' && (d.default === 'true' || d.default === 'false')) return d.default === 'true';
  return d.default;
}

/** One parameter as the document's definition: min / max and values only when they are set. */
function definitionDocument(d: Definition): Record<string, unknown> {
  const out: Record<string, unknown> = { type: d.type.toLowerCase(), required: d.required, default: typedDefault(d), description: d.description, validation: d.validation };
  if (d.min !== null) out.min = d.min;
  if (d.max !== null) out.max = d.max;
  if (d.values.length > 0) out.values = [...d.values];
  return out;
}

export function templateDocument(t: TemplateFieldsFragment): Record<string, unknown> {
  const exec = t.executionSettings;
  const criteria = t.successConditions;
  return {
    name: t.name,
    description: t.description,
    category: t.category,
    action_type: t.actionType,
    version: t.version,
    parameters: Object.fromEntries(t.parameterDefinitions.map((d) => [d.name, definitionDocument(d)])),
    execution_config: {
      timeout_seconds: exec.timeoutSeconds,
      retry_count: exec.retryCount,
      retry_delay_seconds: exec.retryDelaySeconds,
      requires_lock: exec.requiresLock,
      parallel_execution: exec.parallelExecution,
    },
    command_template: t.commandTemplate,
    success_criteria: {
      exit_code: criteria.exitCode,
      output_contains: [...criteria.outputContains],
      output_not_contains: [...criteria.outputNotContains],
      execution_time_max: criteria.executionTimeMax,
    },
    applicable_server_tags: [...t.applicableServerTags],
  };
}

/** The edited text as a document, or the problems found (the hub checks the rest). */
export function parseTemplateDocument(text: string): { document: Record<string, unknown> } | { problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problems: [`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problems: ['The template must be a JSON object.'] };
  const doc = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['name', 'command_template']) {
    if (typeof doc[field] !== 'string' || (doc[field]).trim() === '') problems.push(`${field}: required text`);
  }
  if (doc.parameters !== undefined && (typeof doc.parameters !== 'object' || doc.parameters === null || Array.isArray(doc.parameters))) {
    problems.push('parameters: must be an object of name → definition');
  }
  if ('metadata' in doc) problems.push('metadata: set by the hub; remove it');
  return problems.length ? { problems } : { document: doc };
}
