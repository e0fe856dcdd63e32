// A template as the JSON document create / update take (the specification's template without
// metadata), and reading the user's edited text back with every problem listed.
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

export function templateDocument(t: TemplateFieldsFragment): Record<string, unknown> {
  return {
    name: t.name,
    description: t.description,
    category: t.category,
    action_type: t.actionType,
    version: t.version,
    parameters: t.parameters,
    execution_config: t.executionConfig,
    command_template: t.commandTemplate,
    success_criteria: t.successCriteria,
    applicable_server_tags: t.applicableServerTags,
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
