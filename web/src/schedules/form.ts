// The schedule form's logic: what the fields hold, the one problem per field, and the document
// createSchedule accepts (`{name, trigger, execution: <start-execution body>, enabled}`), the
// execution built from a template + its typed parameters, targets (servers or a selector) and the
// rate controls — as the Run view builds it. Also the cron field's human reading (cronstrue).
import cronstrue from 'cronstrue';
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
export function toScheduleInput(f: ScheduleFormState, specs: readonly ParamSpec[]): Record<string, unknown> {
  const execution: Record<string, unknown> = { action_template_id: f.templateId, parameters: toParameterPayload(specs, f.values) };
  if (f.targetMode === 'servers') execution.target_servers = f.servers;
  else {
    const selector: Record<string, unknown> = {};
    if (f.environment) selector.environment = f.environment;
    if (f.serverGroup) selector.server_group = f.serverGroup;
    if (f.tags.length) selector.tags = f.tags;
    execution.selector = selector;
  }
  if (f.maxConcurrency.trim()) execution.max_concurrency = f.maxConcurrency.trim();
  if (f.errorThreshold.trim()) execution.error_threshold = f.errorThreshold.trim();
  const trigger = f.kind === 'cron' ? { type: 'cron', expression: f.cron.trim().split(/\s+/).join(' ') } : { type: 'once', at: new Date(f.at).toISOString() };
  return { name: f.name.trim(), trigger, execution, enabled: f.enabled };
}

/**
 * The hub's INVALID_INPUT problems ("trigger.expression: …; execution: …") placed at the form's
 * fields; what names no field is returned under `form`.
 */
export function hubProblems(messages: readonly string[]): FieldErrors {
  const e: FieldErrors = {};
  const put = (key: string, text: string) => {
    e[key] = e[key] ? `${e[key]}; ${text}` : text;
  };
  for (const m of messages.flatMap((x) => x.split(/;\s*(?=[a-z_.]+:)/))) {
    const [, path = '', text = m] = /^([a-z_.]+):\s*(.*)$/s.exec(m) ?? [];
    if (path === 'name') put('name', text);
    else if (path.startsWith('trigger.expression')) put('cron', text);
    else if (path.startsWith('trigger.at')) put('at', text);
    else if (path.startsWith('execution') && /max_concurrency/.test(text)) put('maxConcurrency', text);
    else if (path.startsWith('execution') && /error_threshold/.test(text)) put('errorThreshold', text);
    else if (path.startsWith('execution') && /parameter/i.test(text)) put('templateId', text);
    else if (path.startsWith('execution') && /(server|target|selector)/i.test(text)) put('servers', text);
    else put('form', m);
  }
  return e;
}
