// The template editor's document (the specification's template JSON: snake_case keys,
// `parameters` as a map of name → definition) turned into the typed `ActionTemplateInput` that
// createActionTemplate / updateActionTemplate take — every problem named by its document path
// ("execution_config.timeout_seconds: must be a whole number, got \"soon\""), unknown keys
// included, so nothing the user wrote is silently dropped. `null` reads as "not set".
import type { ActionTemplateInput, ExecutionConfigInput, ParameterDefinitionInput, ParameterType, ParameterValueInput, SuccessCriteriaInput } from '../gql/graphql';

type Doc = Record<string, unknown>;

const TOP_KEYS = ['name', 'description', 'category', 'action_type', 'version', 'parameters', 'command_template', 'execution_config', 'success_criteria', 'applicable_server_tags'] as const;
const PARAMETER_KEYS = ['type', 'required', 'default', 'description', 'validation', 'min', 'max', 'values'] as const;
const EXECUTION_KEYS = ['timeout_seconds', 'retry_count', 'retry_delay_seconds', 'requires_lock', 'parallel_execution'] as const;
const CRITERIA_KEYS = ['exit_code', 'output_contains', 'output_not_contains', 'execution_time_max'] as const;
const PARAMETER_TYPES: Record<string, ParameterType> = { string: 'STRING', integer: 'INTEGER', boolean: 'BOOLEAN', enum: 'ENUM', secret: 'SECRET' };

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Reads one document's values, collecting every problem under its path. */
class Reader {
  readonly problems: string[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  /** Names each key of `obj` that is not in `known`. */
  unknownKeys(obj: Doc, known: readonly string[], path: string) {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.fail(path ? `${path}.${key}` : key, `unknown key (known: ${known.join(', ')})`);
    }
  }

  text(v: unknown, path: string): string | undefined {
    if (v === null || v === undefined) return undefined;
    return typeof v === 'string' ? v : this.fail(path, `must be text, got ${shown(v)}`);
  }

  int(v: unknown, path: string): number | undefined {
    if (v === null || v === undefined) return undefined;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : this.fail(path, `must be a whole number, got ${shown(v)}`);
  }

  number(v: unknown, path: string): number | undefined {
    if (v === null || v === undefined) return undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(path, `must be a number, got ${shown(v)}`);
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === null || v === undefined) return undefined;
    return typeof v === 'boolean' ? v : this.fail(path, `must be true or false, got ${shown(v)}`);
  }

  texts(v: unknown, path: string): string[] | undefined {
    if (v === null || v === undefined) return undefined;
    if (!Array.isArray(v)) return this.fail(path, `must be a list of text, got ${shown(v)}`);
    const bad = v.findIndex((x) => typeof x !== 'string');
    return bad === -1 ? (v as string[]) : this.fail(`${path}[${bad}]`, `must be text, got ${shown(v[bad])}`);
  }

  object(v: unknown, path: string): Doc | undefined {
    if (v === null || v === undefined) return undefined;
    return isObject(v) ? v : this.fail(path, `must be an object, got ${shown(v)}`);
  }
}

/** A parameter's default, typed as its parameter. */
function defaultValue(r: Reader, type: ParameterType, v: unknown, path: string): ParameterValueInput | undefined {
  if (v === null || v === undefined) return undefined;
  if (type === 'INTEGER') {
    const n = r.int(v, path);
    return n === undefined ? undefined : { int: n };
  }
  if (type === 'BOOLEAN') {
    const b = r.bool(v, path);
    return b === undefined ? undefined : { boolean: b };
  }
  const s = r.text(v, path);
  return s === undefined ? undefined : { string: s };
}

function parameter(r: Reader, name: string, raw: unknown): ParameterDefinitionInput | undefined {
  const path = `parameters.${name}`;
  const def = r.object(raw, path);
  if (!def) return raw === null || raw === undefined ? r.fail(path, 'must be an object with at least a type') : undefined;
  r.unknownKeys(def, PARAMETER_KEYS, path);
  const typeName = r.text(def.type, `${path}.type`);
  const type = typeName === undefined ? undefined : PARAMETER_TYPES[typeName];
  if (typeName === undefined && def.type == null) r.fail(`${path}.type`, `required: one of ${Object.keys(PARAMETER_TYPES).join(', ')}`);
  else if (typeName !== undefined && !type) r.fail(`${path}.type`, `must be one of ${Object.keys(PARAMETER_TYPES).join(', ')}, got ${shown(typeName)}`);
  const out: ParameterDefinitionInput = { name, type: type ?? 'STRING' };
  const required = r.bool(def.required, `${path}.required`);
  if (required !== undefined) out.required = required;
  if (type) {
    const d = defaultValue(r, type, def.default, `${path}.default`);
    if (d !== undefined) out.default = d;
  }
  const description = r.text(def.description, `${path}.description`);
  if (description !== undefined) out.description = description;
  const validation = r.text(def.validation, `${path}.validation`);
  if (validation !== undefined) out.validation = validation;
  const min = r.int(def.min, `${path}.min`);
  if (min !== undefined) out.min = min;
  const max = r.int(def.max, `${path}.max`);
  if (max !== undefined) out.max = max;
  const values = r.texts(def.values, `${path}.values`);
  if (values !== undefined) out.values = values;
  return out;
}

function executionConfig(r: Reader, raw: unknown): ExecutionConfigInput | undefined {
  const doc = r.object(raw, 'execution_config');
  if (!doc) return undefined;
  r.unknownKeys(doc, EXECUTION_KEYS, 'execution_config');
  const out: ExecutionConfigInput = {};
  const timeout = r.int(doc.timeout_seconds, 'execution_config.timeout_seconds');
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  const retries = r.int(doc.retry_count, 'execution_config.retry_count');
  if (retries !== undefined) out.retryCount = retries;
  const delay = r.int(doc.retry_delay_seconds, 'execution_config.retry_delay_seconds');
  if (delay !== undefined) out.retryDelaySeconds = delay;
  const lock = r.bool(doc.requires_lock, 'execution_config.requires_lock');
  if (lock !== undefined) out.requiresLock = lock;
  const parallel = r.bool(doc.parallel_execution, 'execution_config.parallel_execution');
  if (parallel !== undefined) out.parallelExecution = parallel;
  return out;
}

function successCriteria(r: Reader, raw: unknown): SuccessCriteriaInput | undefined {
  const doc = r.object(raw, 'success_criteria');
  if (!doc) return undefined;
  r.unknownKeys(doc, CRITERIA_KEYS, 'success_criteria');
  const out: SuccessCriteriaInput = {};
  const exit = r.int(doc.exit_code, 'success_criteria.exit_code');
  if (exit !== undefined) out.exitCode = exit;
  const contains = r.texts(doc.output_contains, 'success_criteria.output_contains');
  if (contains !== undefined) out.outputContains = contains;
  const notContains = r.texts(doc.output_not_contains, 'success_criteria.output_not_contains');
  if (notContains !== undefined) out.outputNotContains = notContains;
  const max = r.number(doc.execution_time_max, 'success_criteria.execution_time_max');
  if (max !== undefined) out.executionTimeMax = max;
  return out;
}

/** The document as `ActionTemplateInput`, or every problem with it (each `path: what is wrong`). */
export function documentToInput(doc: Doc): { input: ActionTemplateInput } | { problems: string[] } {
  const r = new Reader();
  for (const key of Object.keys(doc)) {
    if (key === 'metadata') r.fail('metadata', 'set by the hub; remove it');
    else if (!(TOP_KEYS as readonly string[]).includes(key)) r.fail(key, `unknown key (known: ${TOP_KEYS.join(', ')})`);
  }
  const name = r.text(doc.name, 'name');
  if (doc.name === undefined || doc.name === null || name?.trim() === '') r.fail('name', 'required text');
  const commandTemplate = r.text(doc.command_template, 'command_template');
  if (doc.command_template === undefined || doc.command_template === null || commandTemplate?.trim() === '') r.fail('command_template', 'required text');
  const input: ActionTemplateInput = { name: name ?? '', commandTemplate: commandTemplate ?? '' };
  const description = r.text(doc.description, 'description');
  if (description !== undefined) input.description = description;
  const category = r.text(doc.category, 'category');
  if (category !== undefined) input.category = category;
  const actionType = r.text(doc.action_type, 'action_type');
  if (actionType !== undefined) input.actionType = actionType;
  const version = r.text(doc.version, 'version');
  if (version !== undefined) input.version = version;
  const params = r.object(doc.parameters, 'parameters');
  if (params) input.parameters = Object.entries(params).flatMap(([n, raw]) => parameter(r, n, raw) ?? []);
  const exec = executionConfig(r, doc.execution_config);
  if (exec) input.executionConfig = exec;
  const criteria = successCriteria(r, doc.success_criteria);
  if (criteria) input.successCriteria = criteria;
  const tags = r.texts(doc.applicable_server_tags, 'applicable_server_tags');
  if (tags !== undefined) input.applicableServerTags = tags;
  return r.problems.length > 0 ? { problems: r.problems } : { input };
}
