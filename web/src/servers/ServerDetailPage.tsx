// One server's page (route /servers/:serverId): facts (identity, configuration, capabilities),
// current metrics with their history since the page opened (from `serverUpdates`), and the
// recent executions that targeted it (each with this server's own result: its job's state, not
// the execution's overall one), its locks (release / extend your own, force-release for
// admins) and its agent certificate (fingerprint, expiry, revoked). "Run here" opens the Run
// form with this server targeted; "Lock" acquires a lock on it (reason, type, duration).
import { Alert, Anchor, Badge, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { ServerExecutionsQuery } from '../api/executions';
import { LocksQuery } from '../api/admin';
import { MeQuery } from '../api/me';
import { ServerDetailQuery, ServerUpdatesSubscription } from '../api/servers';
import { CertificateBadge, Fingerprint } from '../agents/CertificateState';
import { AcquireLockDialog } from '../locks/AcquireLockDialog';
import { LocksTable } from '../locks/LocksTable';
import { JobStateBadge } from '../executions/ExecutionStateBadge';
import { actionLabel } from '../executions/describe';
import { formatDateTime, formatDuration, formatPercent, formatRelativeTime } from '../lib/format';
import { useNow } from '../lib/useNow';
import { PageLoader } from '../shell/PageLoader';
import { MetricsCharts } from './MetricsCharts';
import { Sparkline } from './Sparkline';
import { StatusBadge } from './StatusBadge';

/** Samples kept per metric for the history lines. */
const HISTORY = 120;

interface Sample {
  at: string | null;
  cpu: number;
  memory: number;
  disk: number;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group gap="xs" wrap="nowrap" align="baseline">
      <Text size="sm" c="dimmed" w={150} style={{ flexShrink: 0 }}>
        {label}
      </Text>
      <Text size="sm" component="div" style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </Group>
  );
}

function Metric({ label, value, history }: { label: string; value: number; history: number[] }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <Text size="sm">{formatPercent(value)}</Text>
      </Group>
      <Progress value={Math.min(100, value)} aria-label={`${label} ${formatPercent(value)}`} color={value > 90 ? 'red.8' : 'blue.8'} />
      <Sparkline values={history} label={`${label} history`} />
    </Stack>
  );
}

export default function ServerDetailPage() {
  const { serverId = '' } = useParams();
  const now = useNow(5_000);
  const [{ data, error, fetching }] = useQuery({ query: ServerDetailQuery, variables: { serverId } });
  const [history] = useSubscription({ query: ServerUpdatesSubscription }, (samples: Sample[] = [], event) => {
    const s = event.serverUpdates;
    if (s.serverId !== serverId || samples.at(-1)?.at === s.status.lastHeartbeat) return samples;
    return [...samples, { at: s.status.lastHeartbeat ?? null, cpu: s.status.cpuPercent, memory: s.status.memoryUsagePercent, disk: s.status.diskUsagePercent }].slice(-HISTORY);
  });
  const [locks] = useQuery({ query: LocksQuery, variables: { activeOnly: true } });
  const [me] = useQuery({ query: MeQuery });
  const [executions] = useQuery({ query: ServerExecutionsQuery, variables: { serverId, pageSize: 20 } });
  const [locking, setLocking] = useState(false);

  if (!data) {
    if (error) {
      return (
        <Alert color="red" variant="light" role="alert" title="Could not load the server">
          {error.message}. Go back to the <Anchor component={Link} to="/servers">servers list</Anchor> and try again.
        </Alert>
      );
    }
    return <PageLoader label="Loading server" />;
  }
  const server = data.server;
  if (!server) {
    return (
      <Alert color="yellow" variant="light" role="alert" title="No such server">
        There is no server “{serverId}” in your tenant (it may have been deregistered). See the{' '}
        <Anchor component={Link} to="/servers">servers list</Anchor>.
      </Alert>
    );
  }

  const samples = history.data ?? [];
  const seed: Sample = { at: server.status.lastHeartbeat ?? null, cpu: server.status.cpuPercent, memory: server.status.memoryUsagePercent, disk: server.status.diskUsagePercent };
  const series = samples.length > 0 ? samples : [seed];
  const recent = executions.data?.executions.nodes ?? [];

  return (
    <Stack gap="md">
      <Group gap="md" align="center">
        <Anchor component={Link} to="/servers" size="sm">
          ← Servers
        </Anchor>
      </Group>
      <Group gap="md" align="center" justify="space-between" wrap="wrap">
        <Group gap="md" align="center">
          <Title order={1} size="h2" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
            {server.serverId}
          </Title>
          <StatusBadge state={server.status.current} />
          {fetching && <Text size="sm" c="dimmed">Refreshing…</Text>}
        </Group>
        <Group gap="sm">
          <Button component={Link} to={`/run?server=${encodeURIComponent(server.serverId)}`}>
            Run here
          </Button>
          <Button variant="default" onClick={() => setLocking(true)}>
            Lock
          </Button>
        </Group>
      </Group>
      {locking && <AcquireLockDialog opened onClose={() => setLocking(false)} serverId={server.serverId} />}

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Card withBorder component="section" aria-labelledby="facts-title">
          <Title order={2} size="h4" id="facts-title" mb="sm">
            Facts
          </Title>
          <Stack gap={6}>
            <Fact label="Hostname">{server.hostname}</Fact>
            <Fact label="IP address">{server.ipAddress || '–'}</Fact>
            <Fact label="Environment">{server.environment}</Fact>
            <Fact label="Group">{server.serverGroup || '–'}</Fact>
            <Fact label="Tags">
              <Group gap={4}>
                {server.tags.length === 0 ? '–' : server.tags.map((t) => <Badge key={t} variant="default" tt="none" fw={500}>{t}</Badge>)}
              </Group>
            </Fact>
            <Fact label="Capabilities">{server.capabilities.join(', ') || '–'}</Fact>
            <Fact label="Operating system">{server.configuration.osInfo || '–'}</Fact>
            <Fact label="Agent version">{server.configuration.agentVersion || '–'}</Fact>
            <Fact label="Concurrent jobs">{server.configuration.maxConcurrentJobs}</Fact>
            <Fact label="Default timeout">{formatDuration(server.configuration.timeoutDefault)}</Fact>
            <Fact label="Uptime">{formatDuration(server.status.uptimeSeconds)}</Fact>
            <Fact label="Load average">{server.status.loadAverage.map((l) => l.toFixed(2)).join(' / ') || '–'}</Fact>
            <Fact label="Last heartbeat">
              <time dateTime={server.status.lastHeartbeat ?? undefined} title={formatDateTime(server.status.lastHeartbeat)}>{formatRelativeTime(server.status.lastHeartbeat, now)}</time>
            </Fact>
            <Fact label="Registered">{formatDateTime(server.metadata.createdAt)} by {server.metadata.createdBy}</Fact>
            <Fact label="Last success">{formatDateTime(server.metadata.lastSuccessfulExecution)}</Fact>
          </Stack>
        </Card>
        <Card withBorder component="section" aria-labelledby="metrics-title">
          <Title order={2} size="h4" id="metrics-title" mb="sm">
            Metrics
          </Title>
          <Stack gap="md">
            <Metric label="CPU" value={server.status.cpuPercent} history={series.map((s) => s.cpu)} />
            <Metric label="Memory" value={server.status.memoryUsagePercent} history={series.map((s) => s.memory)} />
            <Metric label="Disk" value={server.status.diskUsagePercent} history={series.map((s) => s.disk)} />
            <Text size="xs" c="dimmed">
              History since this page opened, one sample per heartbeat.
            </Text>
          </Stack>
        </Card>
      </SimpleGrid>

      <MetricsCharts serverId={server.serverId} />

      <Card withBorder component="section" aria-labelledby="recent-title">
        <Title order={2} size="h4" id="recent-title" mb="sm">
          Recent executions
        </Title>
        {executions.error && !executions.data ? (
          <Alert color="red" variant="light" role="alert" title="Could not load executions">
            {executions.error.message}
          </Alert>
        ) : recent.length === 0 ? (
          <Text size="sm" c="dimmed">
            No recent executions targeted this server.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={600}>
            <Table aria-labelledby="recent-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Execution</Table.Th>
                  <Table.Th scope="col">Action</Table.Th>
                  <Table.Th scope="col">Result here</Table.Th>
                  <Table.Th scope="col">Started</Table.Th>
                  <Table.Th scope="col">By</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {recent.map((e) => {
                  const job = e.results.details.find((d) => d.serverId === server.serverId);
                  return (
                    <Table.Tr key={e.executionId} data-testid="recent-execution" data-execution-id={e.executionId}>
                      <Table.Td>
                        <Anchor component={Link} to={`/executions/${encodeURIComponent(e.executionId)}`} ff="monospace" size="sm">
                          {e.executionId}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{actionLabel(e)}</Table.Td>
                      <Table.Td title={job?.error ?? undefined}>
                        {/* A job not created yet (a queued execution) is pending here. */}
                        <JobStateBadge state={job?.status ?? 'PENDING'} />
                      </Table.Td>
                      <Table.Td>{formatDateTime(e.timing.startedAt ?? e.timing.createdAt)}</Table.Td>
                      <Table.Td>{e.initiatedBy}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Card withBorder component="section" aria-labelledby="locks-title">
          <Title order={2} size="h4" id="locks-title" mb="xs">
            Locks
          </Title>
          {(() => {
            const mine = (locks.data?.serverLocks.nodes ?? []).filter((l) => l.serverId === server.serverId);
            if (locks.error && !locks.data) return <Text size="sm" c="var(--mantine-color-error)">Could not load locks: {locks.error.message}</Text>;
            if (mine.length === 0) return <Text size="sm" c="dimmed">Not locked.</Text>;
            return <LocksTable locks={mine} me={me.data?.me} now={now} showServer={false} labelledBy="locks-title" />;
          })()}
        </Card>
        <Card withBorder component="section" aria-labelledby="cert-title">
          <Title order={2} size="h4" id="cert-title" mb="xs">
            Certificate
          </Title>
          <Stack gap={6} data-testid="server-certificate">
            <Fact label="State">
              <CertificateBadge credentials={server.credentials} now={now} />
            </Fact>
            <Fact label="Fingerprint">
              <Fingerprint value={server.credentials.certificateFingerprint} label={server.serverId} />
            </Fact>
            <Fact label="Valid until">{formatDateTime(server.credentials.certificateNotAfter)}</Fact>
            <Fact label="Last rotation">{formatDateTime(server.credentials.lastRotation)}</Fact>
          </Stack>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
