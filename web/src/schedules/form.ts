// The schedule form's logic: what the fields hold, the one problem per field, and the input
// createSchedule takes (`{name, trigger: {cron} | {once}, execution: StartExecutionInput, enabled}`), the
// execution built from a template + its typed parameters, targets (servers or a selector) and the
// rate controls — as the Run view builds it. Also the cron field's human reading (cronstrue).
import cronstrue from 'cronstrue';
import type { CreateScheduleInput, ServerSelectorInput, StartExecutionInput } from '../gql/graphql';
import type { Problem } from '../lib/errors';
import { toParameterPayload, validateParameters, validateRate, type FormValues, type ParamSpec } from '../run/parameters';

export type TargetMode = 'servers' | 'selector';

export interface ScheduleFormState {
  name: string;
  kind: 'cron' | 'once';
  cron: string;
  /** datetime-local value. */
  at: string;
  templateId: string;
  values: FormValues;
  targetMode: TargetMode;
  servers: string[];
  environment: string;
  serverGroup: string;
  tags: string[];
  maxConcurrency: string;
  errorThreshold: string;
  enabled: boolean;
}

export const DEFAULT_CRON = '0 3 * * *';

export const EMPTY_FORM: ScheduleFormState = {
  name: '',
  kind: 'cron',
  cron: DEFAULT_CRON,
  at: '',
  templateId: '',
  values: {},
  targetMode: 'servers',
  servers: [],
  environment: '',
  serverGroup: '',
  tags: [],
  maxConcurrency: '',
  errorThreshold: '',
  enabled: true,
};

/** Field name → its problem. `parameters.<name>` for a template parameter. */
export type FieldErrors = Record<string, string>;

/**
 * A cron expression in words, or null when cronstrue cannot read it. Five fields are standard cron
 * (weekdays 0–7, Sunday 0 or 7); six or seven have seconds first and count weekdays from 1 = Sunday,
 * as the hub's cron does.
 */
export function describeCron(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length < 5 || fields.length > 7) return null;
  try {
    return `${cronstrue.toString(fields.join(' '), { use24HourTimeFormat: true, verbose: false, dayOfWeekStartIndexZero: fields.length === 5, throwExceptionOnParseError: true })} (UTC)`;
  } catch {
    return null;
  }
}

export function validateSchedule(f: ScheduleFormState, specs: readonly ParamSpec[] | null, now = Date.now()): FieldErrors {
  const e: FieldErrors = {};
  if (!f.name.trim()) e.name = 'Name is required';
  if (f.kind === 'cron') {
    const n = f.cron.trim().split(/\s+/).filter(Boolean).length;
    if (n === 0) e.cron = 'Cron expression is required';
    else if (n < 5 || n > 7) e.cron = `Cron expression has ${n} fields; use 5 (minute hour day month weekday) or 6 with seconds first`;
  } else {
    const t = Date.parse(f.at);
    if (!f.at) e.at = 'Run at is required';
    else if (Number.isNaN(t)) e.at = 'Run at is not a date and time';
    else if (t <= now) e.at = 'Run at must be in the future';
  }
  if (!f.templateId) e.templateId = 'Choose a template';
  if (specs) for (const [name, problem] of Object.entries(validateParameters(specs, f.values))) e[`parameters.${name}`] = problem;
  if (f.targetMode === 'servers' && f.servers.length === 0) e.servers = 'Choose at least one server';
  if (f.targetMode === 'selector' && !f.environment && !f.serverGroup && f.tags.length === 0) e.selector = 'Narrow the selector by environment, group or tags';
  const mc = validateRate(f.maxConcurrency, 'Max concurrency');
  if (mc) e.maxConcurrency = mc;
  const et = validateRate(f.errorThreshold, 'Failure threshold');
  if (et) e.errorThreshold = et;
  return e;
}

/** The createSchedule input for a valid form. */
export function toScheduleInput(f: ScheduleFormState, specs: readonly ParamSpec[]): CreateScheduleInput {
  const execution: StartExecutionInput = { actionTemplateId: f.templateId, parameters: toParameterPayload(specs, f.values) };
  if (f.targetMode === 'servers') execution.targetServers = f.servers;
  else {
    const selector: ServerSelectorInput = { tags: f.tags };
    if (f.environment) selector.environment = f.environment;
    if (f.serverGroup) selector.serverGroup = f.serverGroup;
    execution.selector = selector;
  }
  if (f.maxConcurrency.trim()) execution.maxConcurrency = f.maxConcurrency.trim();
  if (f.errorThreshold.trim()) execution.errorThreshold = f.errorThreshold.trim();
  const trigger = f.kind === 'cron' ? { cron: f.cron.trim().split(/\s+/).join(' ') } : { once: new Date(f.at).toISOString() };
  return { name: f.name.trim(), trigger, execution, enabled: f.enabled };
}

/** The form field a problem is about: by the field path the hub gives, then by what it says. */
function fieldOf(path: string | null, text: string): string {
  if (path === null) return 'form';
  const [head, second, third] = path.split('.');
  if (head === 'name') return 'name';
  if (head === 'trigger') return second === 'at' || second === 'once' ? 'at' : 'cron';
  if (head !== 'execution') return 'form';
  if (second === 'maxConcurrency' || /max_concurrency/.test(text)) return 'maxConcurrency';
  if (second === 'errorThreshold' || /error_threshold/.test(text)) return 'errorThreshold';
  if (second === 'parameters' && third) return `parameters.${third}`;
  if (second === 'actionTemplateId' || second === 'parameters' || /parameter/i.test(text)) return 'templateId';
  if (second === 'selector') return 'selector';
  if (second === 'targetServers' || /(server|target|selector)/i.test(text)) return 'servers';
  return 'form';
}

/**
 * The hub's refusal (`mutationProblems`: user errors naming their field, e.g.
 * `["input", "trigger", "expression"]`, or top-level errors) placed at the form's fields; what
 * names no field is returned under `form`, as the hub wrote it.
 */
export function hubProblems(problems: readonly Problem[]): FieldErrors {
  const e: FieldErrors = {};
  for (const p of problems) {
    const key = fieldOf(p.path, p.text);
    const text = key === 'form' ? p.message : p.text;
    e[key] = e[key] ? `${e[key]}; ${text}` : text;
  }
  return e;
}
