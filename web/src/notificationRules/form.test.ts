// Tests for the notification rule form's logic: values → NotificationRuleInput per channel (the
// webhook secret kept, replaced or removed), a rule read back for editing, the checks before
// sending, and the hub's INVALID_INPUT messages sorted to their fields.
import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import type { NotificationRuleFieldsFragment } from '../gql/graphql';
import { mutationProblems } from '../lib/errors';
import { graphQLError, userError } from '../test/client';
import { emptyRuleForm, hubProblems, parseRecipients, ruleToForm, toRuleInput, validateRuleForm, type RuleFormValues } from './form';

const form = (patch: Partial<RuleFormValues>): RuleFormValues => ({ ...emptyRuleForm(), name: 'On-call', url: 'https://hooks.example.com/x', ...patch });

const rule: NotificationRuleFieldsFragment = {
  ruleId: 'rule_1',
  name: 'Pager',
  channel: 'WEBHOOK',
  target: 'https://hooks.example.com/***',
  hasSecret: true,
  events: ['EXECUTION_FAILED', 'LOCK_FORCED'],
  enabled: false,
  createdBy: 'admin@example.com',
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
};

describe('toRuleInput', () => {
  it('sends a new webhook without a secret when none is typed', () => {
    expect(toRuleInput(form({ name: '  On-call  ', events: ['EXECUTION_FAILED', 'SERVER_UNREACHABLE'] }))).toEqual({
      name: 'On-call',
      channel: 'WEBHOOK',
      url: 'https://hooks.example.com/x',
      events: ['EXECUTION_FAILED', 'SERVER_UNREACHABLE'],
      enabled: true,
    });
  });

  it.each([
    ['keeps the stored secret (left out)', { secret: '' }, undefined],
    ['replaces it', { secret: 'a-brand-new-secret-1' }, 'a-brand-new-secret-1'],
    ['removes it ("")', { removeSecret: true, secret: '' }, ''],
  ] as const)('on a webhook edit %s', (_name, patch, expected) => {
    const input = toRuleInput(form(patch));
    expect('secret' in input).toBe(expected !== undefined);
    expect(input.secret).toBe(expected);
  });

  it('sends Slack rules a URL and never a secret', () => {
    const input = toRuleInput(form({ channel: 'SLACK', url: ' https://hooks.slack.com/services/T/B/X ', secret: 'left-over-from-webhook' }));
    expect(input).toEqual({ name: 'On-call', channel: 'SLACK', url: 'https://hooks.slack.com/services/T/B/X', events: ['EXECUTION_FAILED'], enabled: true });
  });

  it('sends email rules their recipients and no URL', () => {
    const input = toRuleInput(form({ channel: 'EMAIL', to: 'a@example.com, b@example.com\nc@example.com', enabled: false }));
    expect(input).toEqual({ name: 'On-call', channel: 'EMAIL', to: ['a@example.com', 'b@example.com', 'c@example.com'], events: ['EXECUTION_FAILED'], enabled: false });
  });
});

describe('ruleToForm', () => {
  it('reads a rule back without its URL or secret, which the hub never returns', () => {
    expect(ruleToForm(rule)).toEqual({ ...emptyRuleForm(), name: 'Pager', channel: 'WEBHOOK', url: '', secret: '', events: ['EXECUTION_FAILED', 'LOCK_FORCED'], enabled: false });
  });

  it('reads back email recipients: they are the target', () => {
    expect(ruleToForm({ ...rule, channel: 'EMAIL', target: 'a@example.com, b@example.com', hasSecret: false }).to).toBe('a@example.com, b@example.com');
  });
});

describe('validateRuleForm', () => {
  it('asks for a name, an event and the channel’s target before sending', () => {
    expect(validateRuleForm(form({ name: ' ', url: '', events: [] }))).toEqual({ name: 'Give the rule a name', url: 'Enter the URL to send to', events: 'Pick at least one event' });
    expect(validateRuleForm(form({ channel: 'EMAIL', to: ' , ' }))).toEqual({ to: 'Enter at least one address' });
  });

  it('checks a new secret’s length, and nothing when it is kept or removed', () => {
    expect(validateRuleForm(form({ secret: 'short' }))).toEqual({ secret: 'At least 16 characters (5 so far)' });
    expect(validateRuleForm(form({ secret: '' }))).toEqual({});
    expect(validateRuleForm(form({ secret: 'short', removeSecret: true }))).toEqual({});
  });

  it('leaves the URL’s form to the hub', () => {
    expect(validateRuleForm(form({ url: 'not a url' }))).toEqual({});
  });
});

describe('parseRecipients', () => {
  it('splits on commas, semicolons, spaces and new lines', () => {
    expect(parseRecipients(' a@x.io;b@x.io ,\n c@x.io ')).toEqual(['a@x.io', 'b@x.io', 'c@x.io']);
  });
});

describe('hubProblems', () => {
  const refused = (...errors: ReturnType<typeof userError>[]) => hubProblems(mutationProblems({}, { userErrors: errors }));

  it('puts each user error at the field its path names', () => {
    const problems = refused(
      userError(['input', 'name'], 'name: 1 to 100 characters'),
      userError(['input', 'channel', 'url'], 'channel.url: not a URL (relative URL without a base)'),
      userError(['input', 'channel', 'secret'], 'channel.secret: at least 16 characters'),
    );
    expect(problems).toEqual({
      fields: { name: '1 to 100 characters', url: 'not a URL (relative URL without a base)', secret: 'at least 16 characters' },
      all: ['name: 1 to 100 characters', 'channel.url: not a URL (relative URL without a base)', 'channel.secret: at least 16 characters'],
    });
  });

  it('shows that email needs the hub’s mail relay at the channel', () => {
    const { fields } = refused(
      userError(['input', 'channel', 'to'], 'channel.to: "x" is not a mail address'),
      userError(['input', 'channel'], "channel: email needs a mail relay, and `notifications.smtp` is not set in the hub's config"),
    );
    expect(fields.channel).toBe("email needs a mail relay, and `notifications.smtp` is not set in the hub's config");
    expect(fields.to).toBe('"x" is not a mail address');
  });

  it('understands the input.* paths of a missing field', () => {
    expect(refused(userError(['input', 'url'], 'input.url: required for this channel')).fields).toEqual({ url: 'required for this channel' });
  });

  it('keeps problems without a field, and top-level refusals, whole and out of the fields', () => {
    expect(refused(userError(null, 'no such rule', 'NOT_FOUND'))).toEqual({ fields: {}, all: ['no such rule'] });
    expect(hubProblems(mutationProblems({ error: graphQLError('admin role required; ask an admin', 'FORBIDDEN') }, undefined))).toEqual({ fields: {}, all: ['admin role required; ask an admin'] });
    expect(hubProblems(mutationProblems({ error: new CombinedError({ networkError: new Error('Failed to fetch') }) }, undefined)).all).toEqual(['[Network] Failed to fetch']);
  });
});
