// The template editor's form without React: a template document (the JSON that
// create / updateActionTemplate take) read into form values and written back, keeping every key
// the form does not show (at the top, in each parameter, in execution_config and
// success_criteria) so that switching between the Form and JSON tabs loses nothing; the checks
// the form makes before sending; and the hub's user errors (and the editor's own problems with a
// document) sorted to the field they name.
import { snakePath, type Problem } from '../lib/errors';

/** The hub's categories (hub/src/service/templates.rs CATEGORIES; the schema does not list them). */
export const CATEGORIES = ['system', 'database', 'application', 'network', 'security'] as const;
/** The hub's action types (ACTION_TYPES). */
export const ACTION_TYPES = ['validation', 'execution', 'maintenance'] as const;
/** The hub's parameter types (ParamKind). */
export const PARAMETER_TYPES = ['string', 'integer', 'boolean', 'enum', 'secret'] as const;

type Doc = Record<string, unknown>;

export interface ParameterRow {
  /** Stable React key; not part of the document. */
  key: string;
  name: string;
  type: string;
  required: boolean;
  /** The default as text ('' = none); a boolean's is 'true' / 'false'. */
  default: string;
  description: string;
  /** string, integer, secret: a regular expression the whole value must match. */
  validation: string;
  /** integer: bounds as text ('' = none). */
  min: string;
  max: string;
  /** enum: allowed values, one per line. */
  values: string;
  /** The parameter's definition as read: its other keys are written back as they were. */
  base: Doc;
}

export interface TemplateForm {
  name: string;
  description: string;
  category: string;
  actionType: string;
  version: string;
  commandTemplate: string;
  parameters: ParameterRow[];
  timeoutSeconds: string;
  retryCount: string;
  retryDelaySeconds: string;
  requiresLock: boolean;
  parallelExecution: boolean;
  /** '' = not set (the hub expects 0). */
  exitCode: string;
  /** One string per line. */
  outputContains: string;
  outputNotContains: string;
  /** Seconds; '' = no limit. */
  executionTimeMax: string;
  /** Separated by commas, spaces or new lines. */
  tags: string;
  /** The document as read: keys the form does not show are written back as they were. */
  base: Doc;
}

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
const lines = (v: unknown): string => (Array.isArray(v) ? v.map(text).join('\n') : text(v));

let nextKey = 0;
const rowKey = () => `p${++nextKey}`;

export function emptyParameter(): ParameterRow {
  return { key: rowKey(), name: '', type: 'string', required: false, default: '', description: '', validation: '', min: '', max: '', values: '', base: {} };
}

export function documentToForm(doc: Doc): TemplateForm {
  const exec = isObject(doc.execution_config) ? doc.execution_config : {};
  const criteria = isObject(doc.success_criteria) ? doc.success_criteria : {};
  const params = isObject(doc.parameters) ? doc.parameters : {};
  return {
    name: text(doc.name),
    description: text(doc.description),
    category: text(doc.category ?? 'system'),
    actionType: text(doc.action_type ?? 'execution'),
    version: text(doc.version),
    commandTemplate: text(doc.command_template),
    parameters: Object.entries(params).map(([name, raw]) => {
      const spec = isObject(raw) ? raw : {};
      return {
        key: rowKey(),
        name,
        type: text(spec.type ?? 'string'),
        required: spec.required === true,
        default: text(spec.default),
        description: text(spec.description),
        validation: text(spec.validation),
        min: text(spec.min),
        max: text(spec.max),
        values: lines(spec.values),
        base: spec,
      };
    }),
    timeoutSeconds: text(exec.timeout_seconds),
    retryCount: text(exec.retry_count),
    retryDelaySeconds: text(exec.retry_delay_seconds),
    requiresLock: exec.requires_lock === true,
    parallelExecution: exec.parallel_execution !== false,
    exitCode: text(criteria.exit_code),
    outputContains: lines(criteria.output_contains),
    outputNotContains: lines(criteria.output_not_contains),
    executionTimeMax: text(criteria.execution_time_max),
    tags: Array.isArray(doc.applicable_server_tags) ? doc.applicable_server_tags.map(text).join(', ') : text(doc.applicable_server_tags),
    base: doc,
  };
}

/** A number typed as text: a number when it reads as one, else the text (the hub names it). */
function numberOrText(t: string): unknown {
  const s = t.trim();
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/**
 * Sets `key` on `out` to `value`, or — when the form's field is empty — leaves out the key,
 * unless the base held it as null / an empty list / "" (written back as it was).
 */
function put(out: Doc, base: Doc, key: string, value: unknown, empty: boolean) {
  if (!empty) out[key] = value;
  else if (key in base && (base[key] === null || base[key] === '' || (Array.isArray(base[key]) && base[key].length === 0))) out[key] = base[key];
  else delete out[key];
}

const splitLines = (t: string): string[] => t.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');

function parameterToSpec(row: ParameterRow): Doc {
  const out: Doc = { ...row.base };
  out.type = row.type;
  put(out, row.base, 'required', row.required, !row.required && !('required' in row.base));
  const d = row.default;
  const defaultValue = d === '' ? null : row.type === 'integer' ? numberOrText(d) : row.type === 'boolean' ? (d === 'true' ? true : d === 'false' ? false : d) : d;
  put(out, row.base, 'default', defaultValue, d === '');
  put(out, row.base, 'description', row.description, row.description === '');
  const usesPattern = row.type !== 'boolean' && row.type !== 'enum';
  put(out, row.base, 'validation', row.validation, !usesPattern || row.validation === '');
  put(out, row.base, 'min', numberOrText(row.min), row.type !== 'integer' || row.min.trim() === '');
  put(out, row.base, 'max', numberOrText(row.max), row.type !== 'integer' || row.max.trim() === '');
  put(out, row.base, 'values', splitLines(row.values), row.type !== 'enum' || splitLines(row.values).length === 0);
  return out;
}

export function parseTags(t: string): string[] {
  return t
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The form as the template document, every key it does not show kept from `form.base`. */
export function formToDocument(form: TemplateForm): Doc {
  const base = form.base;
  const out: Doc = { ...base };
  out.name = form.name;
  put(out, base, 'description', form.description, form.description === '');
  out.category = form.category;
  out.action_type = form.actionType;
  put(out, base, 'version', form.version, form.version.trim() === '');
  out.command_template = form.commandTemplate;
  const params: Doc = {};
  for (const row of form.parameters) params[row.name] = parameterToSpec(row);
  put(out, base, 'parameters', params, form.parameters.length === 0);

  const execBase = isObject(base.execution_config) ? base.execution_config : {};
  const exec: Doc = { ...execBase };
  put(exec, execBase, 'timeout_seconds', numberOrText(form.timeoutSeconds), form.timeoutSeconds.trim() === '');
  put(exec, execBase, 'retry_count', numberOrText(form.retryCount), form.retryCount.trim() === '');
  put(exec, execBase, 'retry_delay_seconds', numberOrText(form.retryDelaySeconds), form.retryDelaySeconds.trim() === '');
  exec.requires_lock = form.requiresLock;
  exec.parallel_execution = form.parallelExecution;
  out.execution_config = exec;

  const critBase = isObject(base.success_criteria) ? base.success_criteria : {};
  const crit: Doc = { ...critBase };
  put(crit, critBase, 'exit_code', numberOrText(form.exitCode), form.exitCode.trim() === '');
  put(crit, critBase, 'output_contains', splitLines(form.outputContains), splitLines(form.outputContains).length === 0);
  put(crit, critBase, 'output_not_contains', splitLines(form.outputNotContains), splitLines(form.outputNotContains).length === 0);
  put(crit, critBase, 'execution_time_max', numberOrText(form.executionTimeMax), form.executionTimeMax.trim() === '');
  out.success_criteria = crit;

  const tags = parseTags(form.tags);
  put(out, base, 'applicable_server_tags', tags, tags.length === 0);
  return out;
}

/** Field path (as the hub names it) → its problem. */
export type FieldErrors = Record<string, string>;

/** What the form checks before sending: parameter names (the document keys them by name). */
export function validateForm(form: TemplateForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.name.trim()) errors.name = 'Give the template a name';
  if (!form.commandTemplate.trim()) errors.command_template = 'Enter the command to run';
  const seen = new Set<string>();
  form.parameters.forEach((row, i) => {
    const name = row.name.trim();
    if (!name) errors[`parameter#${i}`] = 'Give the parameter a name';
    else if (seen.has(name)) errors[`parameter#${i}`] = `Another parameter is already named “${name}”`;
    seen.add(name);
  });
  return errors;
}

/** The field a form row's problem is keyed under: by its name once it has one the hub knows. */
export const parameterPath = (name: string, field?: string) => `parameters.${name}${field ? `.${field}` : ''}`;

export interface HubProblems {
  /** Each field path's problems, in the hub's words without the path. */
  fields: FieldErrors;
  /** Every problem as the hub wrote it, for the summary. */
  all: string[];
}

/**
 * Sorts the hub's refusal (`mutationProblems`) by the field each user error names
 * (`["input", "parameters", "count", "default"]` → `parameters.count.default`,
 * `executionConfig.timeoutSeconds` → `execution_config.timeout_seconds`: the document's keys).
 * Problems about the request as a whole are only listed.
 */
export function hubProblems(problems: readonly Problem[]): HubProblems {
  const fields: FieldErrors = {};
  for (const p of problems) {
    if (!p.path) continue;
    const path = snakePath(p.path);
    fields[path] = fields[path] ? `${fields[path]}; ${p.text}` : p.text;
  }
  return { fields, all: problems.map((p) => p.message) };
}

/** The editor's own problems with a document (input.ts: `path: what is wrong`) in the same shape. */
export function documentProblems(messages: readonly string[]): HubProblems {
  const fields: FieldErrors = {};
  for (const m of messages) {
    const match = /^([A-Za-z0-9_.]+):\s+(.*)$/s.exec(m);
    if (!match) continue;
    const [, path, text] = match as unknown as [string, string, string];
    fields[path] = fields[path] ? `${fields[path]}; ${text}` : text;
  }
  return { fields, all: [...messages] };
}
