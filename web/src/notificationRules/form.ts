// The notification rule form without React: its values, a rule read back into them (the hub
// never returns a webhook's URL or secret, so those start empty), the checks made before
// sending, the mapping to `NotificationRuleInput`, and the hub's user errors sorted to the field
// their path names.
import type { Problem } from '../lib/errors';
import type { ChannelType, EventKind, NotificationRuleFieldsFragment, NotificationRuleInput } from '../gql/graphql';

export const CHANNEL_LABEL: Record<ChannelType, string> = {
  WEBHOOK: 'Webhook',
  SLACK: 'Slack',
  EMAIL: 'Email',
};
export const CHANNELS = Object.keys(CHANNEL_LABEL) as ChannelType[];

export const EVENT_LABEL: Record<EventKind, string> = {
  EXECUTION_COMPLETED: 'Execution completed',
  EXECUTION_FAILED: 'Execution failed',
  EXECUTION_CANCELLED: 'Execution cancelled',
  SERVER_UNREACHABLE: 'Server unreachable',
  LOCK_FORCED: 'Lock force-released',
  TEST: 'Test',
};
/** What a rule may subscribe to (TEST is only sent by "Send test"). */
export const SUBSCRIBABLE_EVENTS = (Object.keys(EVENT_LABEL) as EventKind[]).filter((e) => e !== 'TEST');

/** The hub's shortest webhook secret. */
export const MIN_SECRET_LENGTH = 16;

export interface RuleFormValues {
  name: string;
  channel: ChannelType;
  /** WEBHOOK and SLACK. Never read back from the hub: empty when editing. */
  url: string;
  /** WEBHOOK: a new secret; empty keeps the current one (or sets none). */
  secret: string;
  /** WEBHOOK, editing a rule that has a secret: send unsigned from now on. */
  removeSecret: boolean;
  /** EMAIL: addresses separated by commas, spaces or new lines. */
  to: string;
  events: EventKind[];
  enabled: boolean;
}

export type RuleField = 'name' | 'channel' | 'url' | 'secret' | 'to' | 'events';
export type FieldErrors = Partial<Record<RuleField, string>>;

export const emptyRuleForm = (): RuleFormValues => ({
  name: '',
  channel: 'WEBHOOK',
  url: '',
  secret: '',
  removeSecret: false,
  to: '',
  events: ['EXECUTION_FAILED'],
  enabled: true,
});

/** A rule as the form edits it: email recipients come back (they are the target), URLs do not. */
export function ruleToForm(rule: NotificationRuleFieldsFragment): RuleFormValues {
  return {
    ...emptyRuleForm(),
    name: rule.name,
    channel: rule.channel,
    to: rule.channel === 'EMAIL' ? rule.target : '',
    events: rule.events.filter((e) => e !== 'TEST'),
    enabled: rule.enabled,
  };
}

export function parseRecipients(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter(Boolean);
}

/** The checks made before anything is sent; the hub checks the rest (URL form, addresses, SMTP). */
export function validateRuleForm(values: RuleFormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (!values.name.trim()) errors.name = 'Give the rule a name';
  if (values.events.length === 0) errors.events = 'Pick at least one event';
  if (values.channel !== 'EMAIL' && !values.url.trim()) errors.url = 'Enter the URL to send to';
  if (values.channel === 'EMAIL' && parseRecipients(values.to).length === 0) errors.to = 'Enter at least one address';
  if (values.channel === 'WEBHOOK' && !values.removeSecret && values.secret !== '' && values.secret.length < MIN_SECRET_LENGTH) {
    errors.secret = `At least ${MIN_SECRET_LENGTH} characters (${values.secret.length} so far)`;
  }
  return errors;
}

/**
 * The mutation's input. A webhook's `secret` is left out to keep the current one (or to set
 * none), "" removes it, anything else replaces it; other channels never send one.
 */
export function toRuleInput(values: RuleFormValues): NotificationRuleInput {
  const input: NotificationRuleInput = {
    name: values.name.trim(),
    channel: values.channel,
    events: values.events.filter((e) => e !== 'TEST'),
    enabled: values.enabled,
  };
  if (values.channel === 'EMAIL') {
    input.to = parseRecipients(values.to);
  } else {
    input.url = values.url.trim();
  }
  if (values.channel === 'WEBHOOK') {
    if (values.removeSecret) input.secret = '';
    else if (values.secret !== '') input.secret = values.secret;
  }
  return input;
}

/** The hub's field paths (`channel.url`, `input.url`, …) and the form field each is about. */
const FIELD_OF: Record<string, RuleField> = {
  name: 'name',
  events: 'events',
  channel: 'channel',
  url: 'url',
  secret: 'secret',
  to: 'to',
};

/** `channel.url` → url, `input.to` → to, `channel` → channel. */
function fieldOf(path: string): RuleField | null {
  return FIELD_OF[path.split('.').at(-1) ?? ''] ?? null;
}

export interface HubProblems {
  /** Each field's problems, in the hub's words without the field path. */
  fields: FieldErrors;
  /** Every problem as the hub wrote it, for the summary. */
  all: string[];
}

/**
 * Sorts the hub's refusal (`mutationProblems`: user errors with the field they name, or
 * top-level errors) into the form's fields; every problem is listed as the hub wrote it.
 */
export function hubProblems(problems: readonly Problem[]): HubProblems {
  const fields: FieldErrors = {};
  for (const p of problems) {
    const field = p.path ? fieldOf(p.path) : null;
    if (field) fields[field] = fields[field] ? `${fields[field]}; ${p.text}` : p.text;
  }
  return { fields, all: problems.map((p) => p.message) };
}
