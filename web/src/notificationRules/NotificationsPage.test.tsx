// Notifications page tests: admins see the rules (targets masked, only whether a secret is set),
// create a webhook rule, read the hub's INVALID_INPUT refusals at the field they name (a bad URL;
// email without the hub's mail relay), edit a rule keeping or removing its secret, delete after
// confirming, send a test and watch its delivery go from pending to delivered; anyone else
// reads that the page is for admins.
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { CombinedError } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryFieldsFragment, NotificationRuleFieldsFragment, Role } from '../gql/graphql';
import { fakeClient, userError } from '../test/client';
import { renderWithProviders } from '../test/render';
import NotificationsPage from './NotificationsPage';

const rules: NotificationRuleFieldsFragment[] = [
  {
    ruleId: 'rule_1',
    name: 'Pager',
    channel: 'WEBHOOK',
    target: 'https://hooks.example.com/***',
    hasSecret: true,
    events: ['EXECUTION_FAILED', 'LOCK_FORCED'],
    enabled: true,
    createdBy: 'admin@example.com',
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-02T00:00:00Z',
  },
  {
    ruleId: 'rule_2',
    name: 'Team chat',
    channel: 'SLACK',
    target: 'https://hooks.slack.com/***',
    hasSecret: false,
    events: ['SERVER_UNREACHABLE'],
    enabled: false,
    createdBy: 'admin@example.com',
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
  },
];

const delivery = (status: DeliveryFieldsFragment['status'], patch: Partial<DeliveryFieldsFragment> = {}): DeliveryFieldsFragment => ({
  id: 'dlv_1',
  ruleId: 'rule_1',
  eventSeq: 42,
  event: 'TEST',
  subject: 'rule_1',
  channel: 'webhook',
  status,
  attempts: status === 'PENDING' ? 0 : 1,
  lastError: null,
  nextAttemptAt: status === 'PENDING' ? '2025-01-03T00:00:00Z' : null,
  createdAt: '2025-01-03T00:00:00Z',
  deliveredAt: status === 'DELIVERED' ? '2025-01-03T00:00:01Z' : null,
  ...patch,
});

interface Setup {
  role?: Role;
  deliveries?: () => DeliveryFieldsFragment[];
  create?: () => { data?: unknown; error?: CombinedError };
}

function setup({ role = 'ADMIN', deliveries = () => [], create = () => ({}) }: Setup = {}) {
  const fake = fakeClient({
    Me: () => ({ data: { me: { email: role === 'ADMIN' ? 'admin@example.com' : 'ops@example.com', role } } }),
    NotificationRules: () => ({ data: { notificationRules: { totalCount: rules.length, nodes: rules } } }),
    NotificationDeliveries: () => {
      const nodes = deliveries();
      return { data: { notificationDeliveries: { totalCount: nodes.length, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, nodes } } };
    },
    CreateNotificationRule: create,
    UpdateNotificationRule: (v) => ({ data: { updateNotificationRule: { rule: { ...rules[0]!, name: (v.input as { name: string }).name }, userErrors: [] } } }),
    DeleteNotificationRule: (v) => ({ data: { deleteNotificationRule: { deletedId: v.id, userErrors: [] } } }),
    TestNotificationRule: () => ({ data: { testNotificationRule: { eventId: 42, userErrors: [] } } }),
  });
  renderWithProviders(<NotificationsPage />, { client: fake.client });
  return fake;
}

/** The hub's answer refusing a new rule: its user errors and no rule. */
const refused = (...userErrors: ReturnType<typeof userError>[]) => ({ data: { createNotificationRule: { rule: null, userErrors } } });

const row = (name: string) => screen.getAllByTestId('rule-row').find((r) => r.getAttribute('data-rule-name') === name)!;
const dialog = () => screen.getByRole('dialog');
/** Types a whole value at once (a paste), which is what matters here and much faster. */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}
const lastVariables = (calls: { name: string; variables: Record<string, unknown> }[], name: string) => calls.filter((c) => c.name === name).at(-1)!.variables;

describe('NotificationsPage', () => {
  afterEach(() => vi.useRealTimers());

  it('lists the rules with masked targets, events and whether a secret is set', async () => {
    setup();
    expect(await screen.findByText('2 rules')).toBeVisible();
    expect(within(row('Pager')).getByText('https://hooks.example.com/***')).toBeVisible();
    expect(within(row('Pager')).getByText('signed (a secret is set)')).toBeVisible();
    expect(within(row('Pager')).getByText('Lock force-released')).toBeVisible();
    expect(within(row('Team chat')).getByText('Disabled')).toBeVisible();
    // The hub delivers nothing through a disabled rule, not even a test.
    expect(within(row('Team chat')).getByRole('button', { name: 'Send a test through Team chat (enable the rule first)' })).toBeDisabled();
    expect(screen.getByText('Nothing was sent yet. Send a test to see a delivery here.')).toBeVisible();
  });

  it('creates a webhook rule from the form', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup({ create: () => ({ data: { createNotificationRule: { rule: { ...rules[0]!, ruleId: 'rule_3', name: 'Ops hook', hasSecret: false }, userErrors: [] } } }) });
    await screen.findByText('2 rules');
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    await fill(user, within(dialog()).getByLabelText(/^Name/), 'Ops hook');
    await fill(user, within(dialog()).getByLabelText(/^URL/), 'http://127.0.0.1:9/hook');
    await user.click(within(dialog()).getByRole('checkbox', { name: 'Execution completed' }));
    await user.click(within(dialog()).getByRole('button', { name: 'Create rule' }));

    expect(await screen.findByText('Created rule “Ops hook”.')).toBeVisible();
    expect(lastVariables(calls, 'CreateNotificationRule')).toEqual({
      input: { name: 'Ops hook', channel: 'WEBHOOK', url: 'http://127.0.0.1:9/hook', events: ['EXECUTION_FAILED', 'EXECUTION_COMPLETED'], enabled: true },
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('checks missing fields before sending anything', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup();
    await screen.findByText('2 rules');
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    await user.click(within(dialog()).getByRole('checkbox', { name: 'Execution failed' }));
    await user.click(within(dialog()).getByRole('button', { name: 'Create rule' }));
    expect(within(dialog()).getByText('Give the rule a name')).toBeVisible();
    expect(within(dialog()).getByText('Enter the URL to send to')).toBeVisible();
    expect(within(dialog()).getByText('Pick at least one event')).toBeVisible();
    expect(within(dialog()).getByLabelText(/^Name/)).toHaveAttribute('aria-invalid', 'true');
    expect(calls.some((c) => c.name === 'CreateNotificationRule')).toBe(false);
  });

  it('shows the hub’s refusal of a bad URL at the URL field', async () => {
    const user = userEvent.setup({ delay: null });
    setup({ create: () => refused(userError(['input', 'channel', 'url'], 'channel.url: not a URL (relative URL without a base)')) });
    await screen.findByText('2 rules');
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    await fill(user, within(dialog()).getByLabelText(/^Name/), 'Broken');
    await fill(user, within(dialog()).getByLabelText(/^URL/), 'not a url');
    await user.click(within(dialog()).getByRole('button', { name: 'Create rule' }));

    const alert = await within(dialog()).findByRole('alert');
    expect(alert).toHaveTextContent('The hub did not create the rule');
    expect(alert).toHaveTextContent('channel.url: not a URL (relative URL without a base)');
    const url = within(dialog()).getByLabelText(/^URL/);
    expect(url).toHaveAttribute('aria-invalid', 'true');
    expect(url).toHaveAccessibleDescription(/not a URL \(relative URL without a base\)/);
    // Typing a new URL clears the field's complaint; the summary stays until the next try.
    await user.type(url, 'x');
    expect(url).not.toHaveAttribute('aria-invalid', 'true');
  });

  it('says clearly that email needs the hub’s mail relay', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup({ create: () => refused(userError(['input', 'channel'], "channel: email needs a mail relay, and `notifications.smtp` is not set in the hub's config")) });
    await screen.findByText('2 rules');
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    await fill(user, within(dialog()).getByLabelText(/^Name/), 'Mail');
    await user.selectOptions(within(dialog()).getByLabelText('Channel'), 'EMAIL');
    expect(within(dialog()).queryByLabelText(/^URL/)).toBeNull();
    await fill(user, within(dialog()).getByLabelText(/^Recipients/), 'a@example.com, b@example.com');
    await user.click(within(dialog()).getByRole('button', { name: 'Create rule' }));

    const channel = within(dialog()).getByLabelText('Channel');
    await waitFor(() => expect(channel).toHaveAccessibleDescription(/email needs a mail relay, and notifications.smtp is not set/));
    expect(within(dialog()).getByRole('alert')).toHaveTextContent('notifications.smtp');
    expect(lastVariables(calls, 'CreateNotificationRule')).toEqual({ input: { name: 'Mail', channel: 'EMAIL', to: ['a@example.com', 'b@example.com'], events: ['EXECUTION_FAILED'], enabled: true } });
  });

  it('edits a rule: the secret is never shown, kept unless replaced or removed', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup();
    await screen.findByText('2 rules');
    await user.click(screen.getByRole('button', { name: 'Edit Pager' }));
    expect(within(dialog()).getByTestId('secret-state')).toHaveTextContent('A secret is set; it is never shown.');
    expect(within(dialog()).getByLabelText('New secret')).toHaveValue('');
    expect(within(dialog()).getByLabelText(/^URL/)).toHaveAccessibleDescription(/Now https:\/\/hooks.example.com\/\*\*\*/);
    await fill(user, within(dialog()).getByLabelText(/^URL/), 'https://hooks.example.com/new');
    await user.click(within(dialog()).getByRole('button', { name: 'Save rule' }));
    await screen.findByText('Saved rule “Pager”.');
    expect(lastVariables(calls, 'UpdateNotificationRule')).toEqual({
      id: 'rule_1',
      input: { name: 'Pager', channel: 'WEBHOOK', url: 'https://hooks.example.com/new', events: ['EXECUTION_FAILED', 'LOCK_FORCED'], enabled: true },
    });

    await user.click(screen.getByRole('button', { name: 'Edit Pager' }));
    await fill(user, within(dialog()).getByLabelText(/^URL/), 'https://hooks.example.com/new');
    await user.click(within(dialog()).getByRole('checkbox', { name: 'Remove the secret (send unsigned)' }));
    expect(within(dialog()).getByLabelText('New secret')).toBeDisabled();
    await user.click(within(dialog()).getByRole('button', { name: 'Save rule' }));
    await waitFor(() => expect((lastVariables(calls, 'UpdateNotificationRule').input as { secret?: string }).secret).toBe(''));
  });

  it('deletes a rule after confirming', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup();
    await screen.findByText('2 rules');
    expect(screen.getByRole('button', { name: 'Delete Team chat' })).toHaveAttribute('data-danger', 'true'); // quiet until hovered (DangerButton)
    await user.click(screen.getByRole('button', { name: 'Delete Team chat' }));
    expect(dialog()).toHaveTextContent('Delete rule “Team chat”?');
    await user.click(within(dialog()).getByRole('button', { name: 'Delete rule' }));
    await waitFor(() => expect(calls.some((c) => c.name === 'DeleteNotificationRule' && c.variables.id === 'rule_2')).toBe(true));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('sends a test and follows its delivery until it is delivered', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: (ms) => vi.advanceTimersByTime(ms) });
    let answers: DeliveryFieldsFragment[][] = [[]];
    const { calls } = setup({ deliveries: () => (answers.length > 1 ? answers.shift()! : answers[0]!) });
    await screen.findByText('2 rules');
    answers = [[], [delivery('PENDING')], [delivery('FAILED', { attempts: 1, lastError: 'cannot connect to http://127.0.0.1:9/***', status: 'PENDING' })], [delivery('DELIVERED', { attempts: 2, lastError: 'cannot connect to http://127.0.0.1:9/***' })]];
    await user.click(screen.getByRole('button', { name: 'Send a test through Pager' }));
    expect(await screen.findByText('Test event #42 sent through “Pager”; its delivery appears in the history below.')).toBeVisible();
    expect(screen.getByTestId('delivery-polling')).toHaveTextContent('Checking every 2 seconds');

    for (let i = 0; i < 4; i++) await act(() => vi.advanceTimersByTimeAsync(2_000));
    await waitFor(() => expect(screen.getAllByTestId('delivery-row').map((r) => r.getAttribute('data-status'))).toEqual(['DELIVERED']));
    const deliveredRow = screen.getByTestId('delivery-row');
    expect(within(deliveredRow).getByText('Delivered')).toBeVisible();
    expect(within(deliveredRow).getByText('Pager')).toBeVisible();
    expect(within(deliveredRow).getByText('cannot connect to http://127.0.0.1:9/***')).toBeVisible();
    expect(within(deliveredRow).getByText('2')).toBeVisible();
    expect(screen.getByTestId('delivery-polling')).toHaveTextContent('');

    const asked = calls.filter((c) => c.name === 'NotificationDeliveries').length;
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    expect(calls.filter((c) => c.name === 'NotificationDeliveries').length).toBe(asked);
  });

  it('filters the delivery history by rule', async () => {
    const user = userEvent.setup({ delay: null });
    const { calls } = setup({ deliveries: () => [delivery('FAILED', { attempts: 5, lastError: 'https://hooks.example.com/*** answered HTTP 500' })] });
    await screen.findByText('2 rules');
    expect(await screen.findByText('https://hooks.example.com/*** answered HTTP 500')).toBeVisible();
    await user.selectOptions(screen.getByLabelText('Rule'), 'rule_2');
    await waitFor(() => expect(lastVariables(calls, 'NotificationDeliveries')).toEqual({ ruleId: 'rule_2', first: 50, after: null }));
  });

  it('tells a non-admin the page is for admins, without asking for rules', async () => {
    const { calls } = setup({ role: 'OPERATOR' });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Admins only');
    expect(calls.some((c) => c.name === 'NotificationRules' || c.name === 'NotificationDeliveries')).toBe(false);
  });
});
