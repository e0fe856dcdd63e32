// The dialog that creates or edits a notification rule: name, channel and its own fields (URL
// and optional signing secret for webhooks, URL for Slack, recipients for email), events,
// enabled. The stored secret is never shown — only that one is set, with the choice to keep,
// replace or remove it. Missing fields are caught before sending; the hub's refusals are shown
// at the field they name and listed above the buttons.
import { Alert, Button, Checkbox, Code, Group, List, Modal, NativeSelect, PasswordInput, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { CreateNotificationRuleMutation, UpdateNotificationRuleMutation } from '../api/notifications';
import type { ChannelType, NotificationRuleFieldsFragment } from '../gql/graphql';
import { mutationProblems } from '../lib/errors';
import {
  CHANNEL_LABEL,
  CHANNELS,
  emptyRuleForm,
  EVENT_LABEL,
  hubProblems,
  MIN_SECRET_LENGTH,
  ruleToForm,
  SUBSCRIBABLE_EVENTS,
  toRuleInput,
  validateRuleForm,
  type FieldErrors,
  type RuleFormValues,
} from './form';

/** The hub's words, with `quoted` config keys set as code. */
export function HubText({ text }: { text: string }): ReactNode {
  return text.split(/(`[^`]+`)/).map((part, i) => (part.startsWith('`') && part.endsWith('`') && part.length > 2 ? <Code key={i}>{part.slice(1, -1)}</Code> : part));
}

export interface RuleEditorProps {
  /** The rule to edit, or null for a new one. */
  rule: NotificationRuleFieldsFragment | null;
  onClose: () => void;
  onSaved: (rule: NotificationRuleFieldsFragment) => void;
}

function RuleForm({ rule, onClose, onSaved }: RuleEditorProps) {
  const [values, setValues] = useState<RuleFormValues>(() => (rule ? ruleToForm(rule) : emptyRuleForm()));
  const [attempted, setAttempted] = useState(false);
  const [hub, setHub] = useState<{ fields: FieldErrors; all: string[] } | null>(null);
  const [createState, create] = useMutation(CreateNotificationRuleMutation);
  const [updateState, update] = useMutation(UpdateNotificationRuleMutation);
  const saving = createState.fetching || updateState.fetching;

  const local = validateRuleForm(values);
  const errorOf = (field: keyof FieldErrors): ReactNode => {
    const mine = attempted ? local[field] : undefined;
    const theirs = hub?.fields[field];
    if (!mine && !theirs) return undefined;
    return mine ?? <HubText text={theirs!} />;
  };
  const set = (patch: Partial<RuleFormValues>) => {
    setValues((v) => ({ ...v, ...patch }));
    // A field the user changed no longer carries the hub's complaint about it.
    const changed: string[] = Object.keys(patch).map((k) => (k === 'removeSecret' ? 'secret' : k));
    setHub((h) => h && { ...h, fields: Object.fromEntries(Object.entries(h.fields).filter(([k]) => !changed.includes(k))) });
  };
  const hadSecret = rule?.channel === 'WEBHOOK' && rule.hasSecret;

  const save = async () => {
    setAttempted(true);
    if (Object.keys(validateRuleForm(values)).length > 0) return;
    setHub(null);
    const input = toRuleInput(values);
    const result = rule ? await update({ id: rule.ruleId, input }) : await create({ input });
    const payload = result.data && ('updateNotificationRule' in result.data ? result.data.updateNotificationRule : result.data.createNotificationRule);
    const problems = mutationProblems(result, payload);
    if (problems.length > 0) {
      setHub(hubProblems(problems));
      return;
    }
    if (payload?.rule) onSaved(payload.rule);
  };

  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Stack gap="sm">
        <TextInput label="Name" value={values.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errorOf('name')} required maxLength={100} data-autofocus />
        <NativeSelect
          label="Channel"
          value={values.channel}
          onChange={(e) => set({ channel: e.currentTarget.value as ChannelType })}
          data={CHANNELS.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))}
          error={errorOf('channel')}
          w={200}
        />
        {values.channel !== 'EMAIL' && (
          <TextInput
            label={values.channel === 'SLACK' ? 'Slack webhook URL' : 'URL'}
            type="url"
            value={values.url}
            onChange={(e) => set({ url: e.currentTarget.value })}
            error={errorOf('url')}
            description={
              rule && rule.channel !== 'EMAIL'
                ? `Now ${rule.target}. The hub never shows the full URL: enter it again to save.`
                : values.channel === 'SLACK'
                  ? 'An incoming webhook, e.g. https://hooks.slack.com/services/…'
                  : 'Gets a JSON POST for each event.'
            }
            placeholder="https://"
            required
            autoComplete="off"
            spellCheck={false}
          />
        )}
        {values.channel === 'WEBHOOK' && (
          <Stack gap={6}>
            {hadSecret && (
              <Text size="sm" data-testid="secret-state">
                A secret is set; it is never shown.
              </Text>
            )}
            <PasswordInput
              label={hadSecret ? 'New secret' : 'Secret (optional)'}
              description={
                hadSecret
                  ? 'Leave empty to keep the current secret.'
                  : `Signs each request (X-Greenroom-Signature); at least ${MIN_SECRET_LENGTH} characters.`
              }
              value={values.secret}
              onChange={(e) => set({ secret: e.currentTarget.value })}
              error={errorOf('secret')}
              disabled={values.removeSecret}
              autoComplete="new-password"
            />
            {hadSecret && (
              <Checkbox label="Remove the secret (send unsigned)" checked={values.removeSecret} onChange={(e) => set({ removeSecret: e.currentTarget.checked, secret: '' })} />
            )}
          </Stack>
        )}
        {values.channel === 'EMAIL' && (
          <TextInput
            label="Recipients"
            description="Mail addresses, separated by commas. Needs the hub's mail relay (notifications.smtp)."
            value={values.to}
            onChange={(e) => set({ to: e.currentTarget.value })}
            error={errorOf('to')}
            required
            autoComplete="off"
          />
        )}
        <Checkbox.Group label="Events" value={values.events} onChange={(events) => set({ events })} error={errorOf('events')} required>
          <Stack gap={6} mt={6}>
            {SUBSCRIBABLE_EVENTS.map((e) => (
              <Checkbox key={e} value={e} label={EVENT_LABEL[e]} />
            ))}
          </Stack>
        </Checkbox.Group>
        <Switch label="Enabled" checked={values.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
        {hub && hub.all.length > 0 && (
          <Alert color="red" variant="light" role="alert" title={rule ? 'The hub did not save the rule' : 'The hub did not create the rule'}>
            <List size="sm">
              {hub.all.map((p) => (
                <List.Item key={p}>
                  <HubText text={p} />
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={saving}>
            {rule ? 'Save rule' : 'Create rule'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function RuleEditor({ opened, ...props }: RuleEditorProps & { opened: boolean }) {
  return (
    <Modal
      opened={opened}
      onClose={props.onClose}
      size="lg"
      title={<Text fw={700}>{props.rule ? `Edit rule “${props.rule.name}”` : 'New notification rule'}</Text>}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {opened && <RuleForm key={props.rule?.ruleId ?? 'new'} {...props} />}
    </Modal>
  );
}
