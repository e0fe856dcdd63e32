// The Overview (route /overview, the landing view after sign-in): fleet health counted by
// environment and state (each count links to the servers list filtered that way), executions
// running now with their progress (linking to their monitors), the success rate of executions per
// day over 7 days and per hour over 24 hours (saying how many executions it is computed from),
// servers needing attention (unreachable, disk ≥ 90 %, agent certificate expired or expiring
// within 14 days) and the active locks. Everything is asked for again every 10 s while the tab
// is visible. Empty states say what to do next.
import { Alert, Anchor, Badge, Card, Group, Loader, Progress, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { OverviewRunningQuery, OverviewServersQuery } from '../api/overview';
import { actionLabel } from '../executions/describe';
import { formatCount, formatDateTime, formatPercent, formatRelativeTime } from '../lib/format';
import { useNow } from '../lib/useNow';
import { locksByServer, lockOwner, lockTypeLabel, useActiveLocks } from '../locks/activeLocks';
import { PageLoader } from '../shell/PageLoader';
import { SERVER_STATE_LOOK, SERVER_STATES } from '../servers/status';
import { CRITICAL_PERCENT } from '../servers/thresholds';
import { dayBuckets, EXPIRY_WARNING_DAYS, finishedCount, fleetHealth, hourBuckets, needsAttention, serversLink, startOfDay, successRates, type Bucket } from './overview';
import { useOutcomes } from './useOutcomes';

/** How often the overview asks the hub again. */
export const OVERVIEW_REFRESH_MS = 10_000;

function Section({ id, title, children, testId }: { id: string; title: string; children: React.ReactNode; testId: string }) {
  return (
    <Card withBorder component="section" aria-labelledby={id} data-testid={testId}>
      <Title order={2} size="h4" id={id} mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}

function Problem({ what, error }: { what: string; error: string }) {
  return (
    <Alert color="red" variant="light" role="alert" title={`Could not load ${what}`}>
      {error}
    </Alert>
  );
}

const DAY_LABEL = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const HOUR_LABEL = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function RateTable({ buckets, label, by }: { buckets: Bucket[]; label: string; by: 'day' | 'hour' }) {
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table striped verticalSpacing={4} fz="sm" aria-label={label} data-testid="success-rate-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{by === 'day' ? 'Day' : 'Hour'}</Table.Th>
            <Table.Th scope="col" ta="right">Succeeded</Table.Th>
            <Table.Th scope="col" ta="right">Failed</Table.Th>
            <Table.Th scope="col" ta="right">Cancelled</Table.Th>
            <Table.Th scope="col" w="35%">Success rate</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {[...buckets].reverse().map((b) => {
            const name = by === 'day' ? DAY_LABEL.format(b.start) : `${HOUR_LABEL.format(b.start)}–${HOUR_LABEL.format(b.end)}`;
            return (
              <Table.Tr key={b.start} data-testid="success-rate-row">
                <Table.Th scope="row" fw={500}>
                  <time dateTime={new Date(b.start).toISOString()}>{name}</time>
                </Table.Th>
                <Table.Td ta="right">{b.succeeded}</Table.Td>
                <Table.Td ta="right">{b.failed}</Table.Td>
                <Table.Td ta="right">{b.cancelled}</Table.Td>
                <Table.Td>
                  {b.rate === null ? (
                    <Text size="sm" c="dimmed">
                      none finished
                    </Text>
                  ) : (
                    <Group gap="xs" wrap="nowrap">
                      <Progress value={b.rate * 100} color={b.rate >= 0.9 ? 'teal.9' : b.rate >= 0.5 ? 'yellow.6' : 'red.9'} w="60%" aria-label={`Success rate ${name}`} />
                      <Text size="sm">{formatPercent(b.rate * 100)}</Text>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function SuccessRate({ now }: { now: number }) {
  const [by, setBy] = useState<'day' | 'hour'>('day');
  // From local midnight six days ago: changes once a day, so the request stays the same in between.
  const from = useMemo(() => new Date(startOfDay(now, 6)).toISOString(), [now]);
  const outcomes = useOutcomes(from, OVERVIEW_REFRESH_MS);
  const items = outcomes.items;
  const buckets = useMemo(() => (items ? successRates(items, by === 'day' ? dayBuckets(now) : hourBuckets(now)) : []), [items, by, now]);
  const counted = finishedCount(buckets);
  return (
    <Section id="rate-title" title="Success rate" testId="overview-success-rate">
      <Stack gap="sm">
        <SegmentedControl
          aria-label="Success rate period"
          value={by}
          onChange={(v) => setBy(v === 'hour' ? 'hour' : 'day')}
          data={[
            { value: 'day', label: 'Last 7 days, by day' },
            { value: 'hour', label: 'Last 24 hours, by hour' },
          ]}
        />
        {outcomes.error && !items ? (
          <Problem what="executions" error={outcomes.error} />
        ) : !items ? (
          <Loader size="sm" role="status" aria-label="Loading executions" />
        ) : (
          <>
            <Text size="sm" data-testid="success-rate-basis">
              Computed from {formatCount(counted, 'finished execution')} {by === 'day' ? 'in the last 7 days' : 'in the last 24 hours'} (succeeded ÷ succeeded and
              failed; cancelled and unfinished ones are not counted)
              {outcomes.total > items.length ? `; only the latest ${items.length} of ${outcomes.total} executions were read` : ''}.
            </Text>
            {counted === 0 && buckets.every((b) => b.cancelled === 0) ? (
              <Text size="sm" c="dimmed">
                No execution finished in this period. <Anchor component={Link} to="/run">Run an action</Anchor> to see its outcome here.
              </Text>
            ) : (
              <RateTable buckets={buckets} by={by} label={by === 'day' ? 'Success rate per day, last 7 days' : 'Success rate per hour, last 24 hours'} />
            )}
          </>
        )}
      </Stack>
    </Section>
  );
}

export default function OverviewPage() {
  const now = useNow(OVERVIEW_REFRESH_MS);
  const [servers, refreshServers] = useQuery({ query: OverviewServersQuery });
  const [running, refreshRunning] = useQuery({ query: OverviewRunningQuery });
  const { locks, error: locksError } = useActiveLocks(OVERVIEW_REFRESH_MS);

  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'hidden') return;
      refreshServers({ requestPolicy: 'network-only' });
      refreshRunning({ requestPolicy: 'network-only' });
    }, OVERVIEW_REFRESH_MS);
    return () => clearInterval(id);
  }, [refreshServers, refreshRunning]);

  const fleet = useMemo(() => fleetHealth(servers.data?.servers.nodes ?? []), [servers.data]);
  const attention = useMemo(() => needsAttention(servers.data?.servers.nodes ?? [], now), [servers.data, now]);
  const activeLocks = useMemo(() => [...locksByServer(locks, now).values()].sort((a, b) => a.timing.expiresAt.localeCompare(b.timing.expiresAt)), [locks, now]);

  if (!servers.data && !servers.error) return <PageLoader label="Loading the overview" />;
  const runningItems = running.data?.executions.nodes ?? [];
  const noServers = servers.data?.servers.totalCount === 0;

  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Overview
      </Title>
      {noServers && (
        <Alert color="blue" variant="light" title="No servers yet" data-testid="overview-no-servers">
          Enroll a server to see it here: an admin creates an enrollment token on the <Anchor component={Link} to="/agents">Agents page</Anchor>, then runs the
          enroll command it shows on the server (the Greenroom agent installed).
        </Alert>
      )}

      <SimpleGrid cols={{ base: 1, xl: 2 }} spacing="md">
        <Section id="fleet-title" title="Fleet health" testId="overview-fleet">
          {servers.error && !servers.data ? (
            <Problem what="servers" error={servers.error.message} />
          ) : noServers ? (
            <Text size="sm" c="dimmed">
              No servers enrolled yet.
            </Text>
          ) : (
            <Stack gap="xs">
              <Table.ScrollContainer minWidth={520}>
                <Table striped fz="sm" verticalSpacing={4} aria-labelledby="fleet-title">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Environment</Table.Th>
                      {SERVER_STATES.map((s) => (
                        <Table.Th key={s} scope="col" ta="right">
                          {SERVER_STATE_LOOK[s].label}
                        </Table.Th>
                      ))}
                      <Table.Th scope="col" ta="right">
                        Total
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {[...fleet.rows.map((r) => ({ env: r.environment, counts: r.counts, total: r.total })), { env: null, counts: fleet.totals, total: fleet.total }].map((row) => (
                      <Table.Tr key={row.env ?? '*'} data-testid="fleet-row" data-environment={row.env ?? 'all'}>
                        <Table.Th scope="row" fw={row.env ? 500 : 700}>
                          {row.env ?? 'All environments'}
                        </Table.Th>
                        {SERVER_STATES.map((s) => (
                          <Table.Td key={s} ta="right">
                            {row.counts[s] > 0 ? (
                              <Anchor
                                component={Link}
                                to={serversLink(row.env, s)}
                                size="sm"
                                fw={700}
                                aria-label={`${formatCount(row.counts[s], 'server')} ${SERVER_STATE_LOOK[s].label.toLowerCase()} in ${row.env ?? 'all environments'}`}
                              >
                                {row.counts[s]}
                              </Anchor>
                            ) : (
                              <Text span size="sm" c="dimmed">
                                0
                              </Text>
                            )}
                          </Table.Td>
                        ))}
                        <Table.Td ta="right">
                          <Anchor component={Link} to={serversLink(row.env)} size="sm" fw={700} aria-label={`All ${formatCount(row.total, 'server')} in ${row.env ?? 'all environments'}`}>
                            {row.total}
                          </Anchor>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              {(servers.data?.servers.totalCount ?? 0) > (servers.data?.servers.nodes.length ?? 0) && (
                <Text size="xs" c="dimmed">
                  Counted over the first {servers.data?.servers.nodes.length} of {servers.data?.servers.totalCount} servers.
                </Text>
              )}
            </Stack>
          )}
        </Section>

        <Section id="running-title" title="Running now" testId="overview-running">
          {running.error && !running.data ? (
            <Problem what="running executions" error={running.error.message} />
          ) : !running.data ? (
            <Loader size="sm" role="status" aria-label="Loading running executions" />
          ) : runningItems.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing is running. <Anchor component={Link} to="/run">Run an action</Anchor> or see the <Anchor component={Link} to="/executions">history</Anchor>.
            </Text>
          ) : (
            <Stack gap="sm">
              {runningItems.map((e) => (
                <Stack key={e.executionId} gap={4} data-testid="running-execution" data-execution-id={e.executionId}>
                  <Group justify="space-between" wrap="nowrap" gap="xs">
                    <Anchor component={Link} to={`/executions/${encodeURIComponent(e.executionId)}`} size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {actionLabel(e)} <Text span ff="monospace" size="xs">({e.executionId})</Text>
                    </Anchor>
                    <Text size="sm">{formatPercent(e.progress)}</Text>
                  </Group>
                  <Progress value={e.progress} aria-label={`Progress of ${e.executionId}`} />
                  <Text size="xs" c="dimmed">
                    {formatCount(e.targetServers.length, 'server')} · started {formatRelativeTime(e.timing.startedAt ?? e.timing.createdAt, now)} by {e.initiatedBy}
                  </Text>
                </Stack>
              ))}
              {(running.data.executions.totalCount ?? 0) > runningItems.length && (
                <Anchor component={Link} to="/executions" size="sm">
                  All {running.data.executions.totalCount} running executions
                </Anchor>
              )}
            </Stack>
          )}
        </Section>
      </SimpleGrid>

      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Section id="attention-title" title="Needs attention" testId="overview-attention">
          {servers.error && !servers.data ? (
            <Problem what="servers" error={servers.error.message} />
          ) : noServers ? (
            <Text size="sm" c="dimmed">
              Nothing to watch yet: no servers are enrolled.
            </Text>
          ) : attention.length === 0 ? (
            <Text size="sm" c="dimmed">
              All clear: every server is reachable, no disk is {CRITICAL_PERCENT} % full or more and no agent certificate expires within {EXPIRY_WARNING_DAYS} days.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={360}>
              <Table fz="sm" verticalSpacing={4} aria-labelledby="attention-title">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Server</Table.Th>
                    <Table.Th scope="col">Environment</Table.Th>
                    <Table.Th scope="col">Why</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {attention.map((a) => (
                    <Table.Tr key={a.serverId} data-testid="attention-row" data-server-id={a.serverId}>
                      <Table.Td>
                        <Anchor component={Link} to={`/servers/${encodeURIComponent(a.serverId)}`} ff="monospace" size="sm">
                          {a.serverId}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{a.environment}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {a.reasons.map((r) => (
                            <Badge key={r} variant="outline" color="red.9" tt="none" fw={600}>
                              {r}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Section>

        <Section id="locks-title" title="Active locks" testId="overview-locks">
          {locksError && !locks ? (
            <Problem what="locks" error={locksError.message} />
          ) : !locks ? (
            <Loader size="sm" role="status" aria-label="Loading locks" />
          ) : activeLocks.length === 0 ? (
            <Text size="sm" c="dimmed">
              No server is locked. Lock one for maintenance on the <Anchor component={Link} to="/locks">Locks page</Anchor>.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={420}>
              <Table fz="sm" verticalSpacing={4} aria-labelledby="locks-title">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Server</Table.Th>
                    <Table.Th scope="col">Type</Table.Th>
                    <Table.Th scope="col">Owner</Table.Th>
                    <Table.Th scope="col">Until</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {activeLocks.map((lock) => (
                    <Table.Tr key={lock.lockId} data-testid="overview-lock-row" data-server-id={lock.serverId}>
                      <Table.Td>
                        <Anchor component={Link} to={`/servers/${encodeURIComponent(lock.serverId)}`} ff="monospace" size="sm">
                          {lock.serverId}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{lockTypeLabel(lock)}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>{lockOwner(lock)}</Table.Td>
                      <Table.Td>
                        <time dateTime={lock.timing.expiresAt} title={formatDateTime(lock.timing.expiresAt)}>
                          {formatDateTime(lock.timing.expiresAt)}
                        </time>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Section>
      </SimpleGrid>

      <SuccessRate now={now} />
    </Stack>
  );
}
