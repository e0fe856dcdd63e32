// Notifications (route /notifications, admins): the tenant's notification rules — channel,
// masked target, events, whether a webhook secret is set, enabled — with create / edit (a
// dialog), delete (confirmed) and "Send test"; below, the delivery history, filtered by rule and
// asked for again every 2 s while a delivery is pending or a test has not shown up yet. Anyone
// else who opens the page is told it is for admins.
import { Alert, Badge, Button, Group, NativeSelect, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { MeQuery } from '../api/me';
import { DeleteNotificationRuleMutation, NotificationDeliveriesQuery, NotificationRulesQuery, TestNotificationRuleMutation } from '../api/notifications';
import type { DeliveryStatus, NotificationRuleFieldsFragment } from '../gql/graphql';
import { errorMessage, mutationError, mutationProblems } from '../lib/errors';
import { CursorPager } from '../shell/CursorPager';
import { formatCount, formatDateTime } from '../lib/format';
import { PageLoader } from '../shell/PageLoader';
import { CHANNEL_LABEL, EVENT_LABEL } from './form';
import { HubText, RuleEditor } from './RuleEditor';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';

const DELIVERY_PAGE_SIZE = 50;
/** While a delivery is pending (or an expected test has not appeared), ask this often. */
const DELIVERY_POLL_MS = 2_000;
/** Stop waiting for a test's delivery to appear after this long. */
const TEST_WAIT_MS = 30_000;

const STATUS_LOOK: Record<DeliveryStatus, { label: string; color: string; textColor: string }> = {
  PENDING: { label: 'Pending', color: 'yellow.5', textColor: 'black' },
  DELIVERED: { label: 'Delivered', color: 'teal.9', textColor: 'white' },
  FAILED: { label: 'Failed', color: 'red.9', textColor: 'white' },
};

interface ExpectedTest {
  eventSeq: number;
  ruleName: string;
  until: number;
}

function RulesTable({
  rules,
  onEdit,
  onDelete,
  onTest,
  testing,
}: {
  rules: readonly NotificationRuleFieldsFragment[];
  onEdit: (rule: NotificationRuleFieldsFragment) => void;
  onDelete: (rule: NotificationRuleFieldsFragment) => void;
  onTest: (rule: NotificationRuleFieldsFragment) => void;
  testing: string | null;
}) {
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table striped aria-labelledby="rules-title">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Name</Table.Th>
            <Table.Th scope="col">Channel</Table.Th>
            <Table.Th scope="col">Target</Table.Th>
            <Table.Th scope="col">Events</Table.Th>
            <Table.Th scope="col">State</Table.Th>
            <Table.Th scope="col">Updated</Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rules.map((r) => (
            <Table.Tr key={r.ruleId} data-testid="rule-row" data-rule-id={r.ruleId} data-rule-name={r.name}>
              <Table.Td>{r.name}</Table.Td>
              <Table.Td>
                {CHANNEL_LABEL[r.channel]}
                {r.channel === 'WEBHOOK' && (
                  <Text size="xs" c="dimmed">
                    {r.hasSecret ? 'signed (a secret is set)' : 'unsigned'}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere', maxWidth: 260 }}>
                {r.target}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {r.events.map((e) => (
                    <Badge key={e} variant="default" tt="none" size="sm" miw="max-content">
                      {EVENT_LABEL[e]}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Badge color={r.enabled ? 'teal.9' : 'gray.7'} c="white" variant="filled" tt="none" miw="max-content">
                  {r.enabled ? 'Enabled' : 'Disabled'}
                </Badge>
              </Table.Td>
              <Table.Td>
                {formatDateTime(r.updatedAt)}
                <Text size="xs" c="dimmed">
                  by {r.createdBy}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => onTest(r)}
                    loading={testing === r.ruleId}
                    disabled={!r.enabled}
                    title={r.enabled ? undefined : 'The hub sends nothing through a disabled rule, tests included: enable it first.'}
                    aria-label={r.enabled ? `Send a test through ${r.name}` : `Send a test through ${r.name} (enable the rule first)`}
                  >
                    Send test
                  </Button>
                  <Button size="xs" variant="default" onClick={() => onEdit(r)} aria-label={`Edit ${r.name}`}>
                    Edit
                  </Button>
                  <DangerButton size="xs" onClick={() => onDelete(r)} aria-label={`Delete ${r.name}`}>
                    Delete
                  </DangerButton>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function DeleteDialog({ rule, onClose }: { rule: NotificationRuleFieldsFragment | null; onClose: () => void }) {
  const [state, remove] = useMutation(DeleteNotificationRuleMutation);
  const confirm = async () => {
    if (!rule) return;
    const result = await remove({ id: rule.ruleId });
    if (mutationProblems(result, result.data?.deleteNotificationRule).length === 0) onClose();
  };
  return (
    <ConfirmDialog
      opened={rule !== null}
      title={<>Delete rule “{rule?.name}”?</>}
      error={mutationError(state, state.data?.deleteNotificationRule)}
      errorTitle="Could not delete"
      confirmLabel="Delete rule"
      busy={state.fetching}
      onConfirm={() => void confirm()}
      onClose={onClose}
    >
      Nothing more is sent through it; pending deliveries fail. Its delivery history is kept.
    </ConfirmDialog>
  );
}

function Deliveries({ rules, expected, onSeen }: { rules: readonly NotificationRuleFieldsFragment[]; expected: ExpectedTest | null; onSeen: () => void }) {
  const [ruleId, setRuleId] = useState('');
  // The history is read forwards only: the cursor each page was read after, page 1's none.
  const [afters, setAfters] = useState<(string | null)[]>([null]);
  const page = afters.length;
  const variables = useMemo(() => ({ ruleId: ruleId || null, first: DELIVERY_PAGE_SIZE, after: afters.at(-1) ?? null }), [ruleId, afters]);
  const [{ data, error, fetching }, reexecute] = useQuery({ query: NotificationDeliveriesQuery, variables, requestPolicy: 'cache-and-network' });
  const items = useMemo(() => data?.notificationDeliveries.nodes ?? [], [data]);
  const total = data?.notificationDeliveries.totalCount ?? 0;
  const endCursor = data?.notificationDeliveries.pageInfo.hasNextPage ? data.notificationDeliveries.pageInfo.endCursor : null;
  const names = useMemo(() => new Map(rules.map((r) => [r.ruleId, r.name])), [rules]);

  const pending = items.some((d) => d.status === 'PENDING');
  const testShown = expected !== null && items.some((d) => d.eventSeq === expected.eventSeq);
  const waiting = expected !== null && !testShown;
  useEffect(() => {
    if (testShown) onSeen();
  }, [testShown, onSeen]);
  useEffect(() => {
    if (!pending && !waiting) return;
    const id = setInterval(() => {
      if (expected && Date.now() > expected.until) onSeen();
      reexecute({ requestPolicy: 'network-only' });
    }, DELIVERY_POLL_MS);
    return () => clearInterval(id);
  }, [pending, waiting, expected, onSeen, reexecute]);

  const pageCount = Math.max(1, Math.ceil(total / DELIVERY_PAGE_SIZE));
  return (
    <Stack gap="sm" component="section" aria-labelledby="deliveries-title">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Group align="baseline" gap="md">
          <Title order={2} size="h3" id="deliveries-title">
            Delivery history
          </Title>
          {data && <Text fw={500}>{formatCount(total, 'delivery', 'deliveries')}</Text>}
        </Group>
        <Group align="flex-end" gap="sm">
          <NativeSelect
            label="Rule"
            value={ruleId}
            onChange={(e) => {
              setRuleId(e.currentTarget.value);
              setAfters([null]);
            }}
            data={[{ value: '', label: 'All rules' }, ...rules.map((r) => ({ value: r.ruleId, label: r.name }))]}
            w={220}
          />
          <Button variant="default" onClick={() => reexecute({ requestPolicy: 'network-only' })} loading={fetching && !pending && !waiting}>
            Refresh
          </Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed" role="status" data-testid="delivery-polling">
        {pending || waiting ? 'Checking every 2 seconds while deliveries are pending…' : ''}
      </Text>
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load the delivery history">
          {errorMessage(error)}
        </Alert>
      )}
      {data && items.length === 0 && (
        <Text c="dimmed" ta="center" py="md">
          {ruleId ? 'Nothing was sent through this rule yet.' : 'Nothing was sent yet. Send a test to see a delivery here.'}
        </Text>
      )}
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped aria-labelledby="deliveries-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Created</Table.Th>
                <Table.Th scope="col">Rule</Table.Th>
                <Table.Th scope="col">Event</Table.Th>
                <Table.Th scope="col">Subject</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Attempts</Table.Th>
                <Table.Th scope="col">Last error</Table.Th>
                <Table.Th scope="col">Next attempt</Table.Th>
                <Table.Th scope="col">Delivered</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((d) => {
                const look = STATUS_LOOK[d.status];
                return (
                  <Table.Tr key={d.id} data-testid="delivery-row" data-status={d.status} data-rule-id={d.ruleId} data-event-seq={d.eventSeq}>
                    <Table.Td>{formatDateTime(d.createdAt)}</Table.Td>
                    <Table.Td>{names.get(d.ruleId) ?? <Text span ff="monospace" size="sm">{d.ruleId} (deleted)</Text>}</Table.Td>
                    <Table.Td>
                      {EVENT_LABEL[d.event]}
                      <Text size="xs" c="dimmed">
                        #{d.eventSeq} · {d.channel}
                      </Text>
                    </Table.Td>
                    <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere', maxWidth: 200 }}>
                      {d.subject}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={look.color} c={look.textColor} variant="filled" tt="none" miw="max-content">
                        {look.label}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{d.attempts}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere', maxWidth: 260 }}>{d.lastError ?? '–'}</Table.Td>
                    <Table.Td>{d.nextAttemptAt ? formatDateTime(d.nextAttemptAt) : '–'}</Table.Td>
                    <Table.Td>{d.deliveredAt ? formatDateTime(d.deliveredAt) : '–'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <CursorPager
        label="Delivery pages"
        page={page}
        pages={pageCount}
        onPrevious={page > 1 ? () => setAfters((a) => a.slice(0, -1)) : null}
        onNext={endCursor ? () => setAfters((a) => [...a, endCursor]) : null}
      />
    </Stack>
  );
}

export default function NotificationsPage() {
  const [me] = useQuery({ query: MeQuery });
  const isAdmin = me.data?.me.role === 'ADMIN';
  const [{ data, error }] = useQuery({ query: NotificationRulesQuery, pause: !isAdmin });
  const [editing, setEditing] = useState<NotificationRuleFieldsFragment | 'new' | null>(null);
  const [deleting, setDeleting] = useState<NotificationRuleFieldsFragment | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [testState, sendTest] = useMutation(TestNotificationRuleMutation);
  const [tested, setTested] = useState<{ ok: boolean; message: string } | null>(null);
  const [expected, setExpected] = useState<ExpectedTest | null>(null);
  const stopWaiting = useMemo(() => () => setExpected(null), []);

  if (!me.data) {
    if (me.error) {
      return (
        <Alert color="red" variant="light" role="alert" title="Could not load your account">
          {errorMessage(me.error)}
        </Alert>
      );
    }
    return <PageLoader label="Loading notifications" />;
  }
  if (!isAdmin) {
    return (
      <Stack gap="md" maw={900}>
        <Title order={1} size="h2">
          Notifications
        </Title>
        <Alert color="yellow" variant="light" role="alert" title="Admins only">
          Notification rules hold webhook URLs and secrets, so they are for admins. You are signed in as {me.data.me.email} ({me.data.me.role.toLowerCase()}).
        </Alert>
      </Stack>
    );
  }

  const rules = data?.notificationRules.nodes ?? [];
  const test = async (rule: NotificationRuleFieldsFragment) => {
    setTested(null);
    const result = await sendTest({ id: rule.ruleId });
    const eventSeq = result.data?.testNotificationRule.eventId;
    const problem = mutationError(result, result.data?.testNotificationRule);
    if (problem || eventSeq == null) {
      setTested({ ok: false, message: `Could not send a test through “${rule.name}”: ${problem ?? 'no answer'}` });
      return;
    }
    setTested({ ok: true, message: `Test event #${eventSeq} sent through “${rule.name}”; its delivery appears in the history below.` });
    setExpected({ eventSeq, ruleName: rule.name, until: Date.now() + TEST_WAIT_MS });
  };

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="rules-title">
        <Group justify="space-between" align="baseline">
          <Group align="baseline" gap="md">
            <Title order={1} size="h2" id="rules-title">
              Notifications
            </Title>
            {data && <Text size="lg" fw={500}>{formatCount(rules.length, 'rule')}</Text>}
          </Group>
          <Button
            onClick={() => {
              setSaved(null);
              setEditing('new');
            }}
          >
            New rule
          </Button>
        </Group>
        <Text size="sm">Rules send the events they name to a webhook, a Slack channel or by email; every attempt is listed in the delivery history.</Text>
        <div role="status">
          {saved && <Text size="sm">{saved}</Text>}
          {tested?.ok && <Text size="sm">{tested.message}</Text>}
        </div>
        {tested && !tested.ok && (
          <Alert color="red" variant="light" role="alert" title="Test not sent">
            <HubText text={tested.message} />
          </Alert>
        )}
        {error && !data && (
          <Alert color="red" variant="light" role="alert" title="Could not load the rules">
            {errorMessage(error)}
          </Alert>
        )}
        {!data && !error && <PageLoader label="Loading rules" />}
        {data && rules.length === 0 && (
          <Text c="dimmed" ta="center" py="md">
            No rules yet. Create one to be told when executions fail, servers become unreachable or locks are forced.
          </Text>
        )}
        {rules.length > 0 && (
          <RulesTable
            rules={rules}
            onEdit={(r) => {
              setSaved(null);
              setEditing(r);
            }}
            onDelete={setDeleting}
            onTest={(r) => void test(r)}
            testing={testState.fetching ? (testState.operation?.variables.id ?? null) : null}
          />
        )}
      </Stack>
      <Deliveries rules={rules} expected={expected} onSeen={stopWaiting} />
      <RuleEditor
        opened={editing !== null}
        rule={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={(rule) => {
          setSaved(`${editing === 'new' ? 'Created' : 'Saved'} rule “${rule.name}”.`);
          setEditing(null);
        }}
      />
      <DeleteDialog rule={deleting} onClose={() => setDeleting(null)} />
    </Stack>
  );
}
