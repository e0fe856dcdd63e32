// Agents (route /agents): every server's agent certificate (fingerprint with copy, days until it
// expires, warning under 14 days, revoked), revoking a certificate after confirming (admins), and
// issuing an enrollment token (admins) with its lifetime, number of uses and the environment / tags
// its servers get; the token is shown once with the hub's CA certificate and the enroll command.
import { Alert, Anchor, Badge, Button, Card, Code, CopyButton, Group, List, NativeSelect, NumberInput, Stack, Table, TagsInput, Text, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { AgentServersQuery, CreateEnrollmentTokenMutation, RevokeAgentMutation } from '../api/agents';
import { MeQuery } from '../api/me';
import type { AgentServersQuery as AgentServersData, CreateEnrollmentTokenMutation as IssuedTokenData } from '../gql/graphql';
import { errorMessage, mutationError, mutationProblems } from '../lib/errors';
import { formatCount, formatDateTime, formatRelativeTime } from '../lib/format';
import { useNow } from '../lib/useNow';
import { ENVIRONMENTS } from '../servers/filters';
import { StatusBadge } from '../servers/StatusBadge';
import { PageLoader } from '../shell/PageLoader';
import { CertificateBadge, Fingerprint } from './CertificateState';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';

type AgentServer = AgentServersData['servers']['nodes'][number];
type IssuedToken = NonNullable<IssuedTokenData['createEnrollmentToken']['enrollmentToken']>;

/** Servers listed (the hub's largest page). */
const PAGE_SIZE = 500;

function EnrollmentForm() {
  const [hours, setHours] = useState<number | string>(24);
  const [uses, setUses] = useState<number | string>(1);
  const [environment, setEnvironment] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [state, create] = useMutation(CreateEnrollmentTokenMutation);

  const issue = async () => {
    setProblems([]);
    const result = await create({ ttlHours: Number(hours), uses: Number(uses), environment: environment || null, tags });
    const payload = result.data?.createEnrollmentToken;
    const problems = mutationProblems(result, payload);
    if (problems.length > 0) setProblems(problems.map((p) => p.message));
    else if (payload?.enrollmentToken) setIssued(payload.enrollmentToken);
  };

  return (
    <>
      <Card withBorder component="section" aria-labelledby="enroll-title">
        <Title order={2} size="h4" id="enroll-title" mb="sm">
          Enroll agents
        </Title>
        <Text size="sm" mb="sm">
          An enrollment token lets agents register once each and receive their client certificate. It is shown only once.
        </Text>
        <Group align="flex-end" gap="md" wrap="wrap">
          <NumberInput label="Valid for (hours)" value={hours} onChange={setHours} min={1} max={720} w={160} />
          <NumberInput label="Agents it may enroll" value={uses} onChange={setUses} min={1} max={10_000} w={180} />
          <NativeSelect label="Environment" value={environment} onChange={(e) => setEnvironment(e.currentTarget.value)} data={[{ value: '', label: 'Chosen by the agent' }, ...ENVIRONMENTS]} w={200} />
          <TagsInput label="Tags" value={tags} onChange={setTags} placeholder="Type and press Enter" w={260} />
        </Group>
        <Group mt="md">
          <Button onClick={() => void issue()} loading={state.fetching}>
            Create enrollment token
          </Button>
        </Group>
        {problems.length > 0 && (
          <Alert color="red" variant="light" role="alert" title="Could not create the token" mt="md">
            <List size="sm">
              {problems.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
          </Alert>
        )}
      </Card>
      {issued && (
        <Card withBorder component="section" aria-labelledby="token-title" data-testid="enrollment-token">
          <Title order={2} size="h4" id="token-title" mb="sm">
            Token for {issued.uses} agent{issued.uses === 1 ? '' : 's'}, valid {issued.expiresInHours} h
          </Title>
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <Code block style={{ flex: 1, overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
              {issued.token}
            </Code>
            <CopyButton value={issued.token}>{({ copied, copy }) => <Button variant="default" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
          </Group>
          <Text size="sm" fw={600} mt="md" id="enroll-command-title">
            On the server, after installing the greenroom-agent package, run as root
          </Text>
          <Group gap="sm" wrap="nowrap" align="flex-start" mt={4}>
            <Code block style={{ flex: 1, overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} aria-labelledby="enroll-command-title" data-testid="enroll-command">
              {issued.enrollCommand}
            </Code>
            <CopyButton value={issued.enrollCommand}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy} aria-label="Copy the enroll command">
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Text size="sm" c="dimmed" mt={4}>
            It pins this hub&apos;s CA by its fingerprint, enrolls the server and starts its agent (on a systemd machine; <Code>--no-start</Code> leaves it stopped). Agents that cannot reach <Code>{issued.hubUrl}</Code> need this hub&apos;s address instead.
          </Text>
          <Text size="sm" fw={600} mt="sm">
            Hub CA certificate (SHA-256 <Code>{issued.caSha256}</Code>), for <Code>--ca-file</Code>
          </Text>
          <Code block style={{ whiteSpace: 'pre-wrap' }}>
            {issued.caPem}
          </Code>
        </Card>
      )}
    </>
  );
}

function RevokeDialog({ server, onClose }: { server: AgentServer | null; onClose: () => void }) {
  const [state, revoke] = useMutation(RevokeAgentMutation);
  const confirm = async () => {
    if (!server) return;
    const result = await revoke({ serverId: server.serverId });
    if (mutationProblems(result, result.data?.revokeAgent).length === 0) onClose();
  };
  return (
    <ConfirmDialog
      opened={server !== null}
      title={<>Revoke the agent certificate of {server?.serverId}?</>}
      error={mutationError(state, state.data?.revokeAgent)}
      errorTitle="Could not revoke"
      confirmLabel="Revoke certificate"
      busy={state.fetching}
      onConfirm={() => void confirm()}
      onClose={onClose}
    >
      The hub refuses this agent from its next request: the server stops reporting and running jobs until it is enrolled again with a new token. This is recorded in the audit log.
    </ConfirmDialog>
  );
}

function CertificatesTable({ servers, isAdmin, now }: { servers: readonly AgentServer[]; isAdmin: boolean; now: number }) {
  const [revoking, setRevoking] = useState<AgentServer | null>(null);
  return (
    <>
      <Table.ScrollContainer minWidth={900}>
        <Table striped aria-labelledby="certs-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Server</Table.Th>
              <Table.Th scope="col">Environment</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Certificate</Table.Th>
              <Table.Th scope="col">Fingerprint</Table.Th>
              <Table.Th scope="col">Valid until</Table.Th>
              <Table.Th scope="col">Last rotation</Table.Th>
              {isAdmin && (
                <Table.Th scope="col">
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {servers.map((s) => (
              <Table.Tr key={s.serverId} data-testid="agent-row" data-server-id={s.serverId}>
                <Table.Td>
                  <Anchor component={Link} to={`/servers/${encodeURIComponent(s.serverId)}`} ff="monospace" size="sm">
                    {s.serverId}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {s.hostname}
                  </Text>
                </Table.Td>
                <Table.Td>{s.environment}</Table.Td>
                <Table.Td>
                  <StatusBadge state={s.status.current} />
                  <Text size="xs" c="dimmed" title={s.status.lastHeartbeat ?? undefined}>
                    {formatRelativeTime(s.status.lastHeartbeat, now)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <CertificateBadge credentials={s.credentials} now={now} />
                </Table.Td>
                <Table.Td>
                  <Fingerprint value={s.credentials.certificateFingerprint} label={s.serverId} />
                </Table.Td>
                <Table.Td>{formatDateTime(s.credentials.certificateNotAfter)}</Table.Td>
                <Table.Td>{formatDateTime(s.credentials.lastRotation)}</Table.Td>
                {isAdmin && (
                  <Table.Td>
                    {s.credentials.revoked ? (
                      <Badge variant="default" tt="none">
                        Enroll again to restore
                      </Badge>
                    ) : (
                      <DangerButton size="xs" onClick={() => setRevoking(s)} aria-label={`Revoke the certificate of ${s.serverId}`}>
                        Revoke
                      </DangerButton>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {isAdmin && <RevokeDialog server={revoking} onClose={() => setRevoking(null)} />}
    </>
  );
}

export default function AgentsPage() {
  const [{ data, error }] = useQuery({ query: AgentServersQuery, variables: { first: PAGE_SIZE } });
  const [me] = useQuery({ query: MeQuery });
  const now = useNow(60_000);
  const isAdmin = me.data?.me.role === 'ADMIN';
  const servers = data?.servers.nodes ?? [];
  return (
    <Stack gap="md" maw={1200}>
      <Title order={1} size="h2">
        Agents
      </Title>
      <Card withBorder component="section" aria-labelledby="certs-title">
        <Group justify="space-between" align="baseline" mb="sm">
          <Title order={2} size="h4" id="certs-title">
            Certificates
          </Title>
          {data && (
            <Text size="sm" data-testid="agent-count">
              {data.servers.totalCount > servers.length ? `First ${servers.length} of ${formatCount(data.servers.totalCount, 'server')}` : formatCount(servers.length, 'server')}
            </Text>
          )}
        </Group>
        {error && !data && (
          <Alert color="red" variant="light" role="alert" title="Could not load the servers">
            {errorMessage(error)}
          </Alert>
        )}
        {!data && !error && <PageLoader label="Loading agents" />}
        {data && servers.length === 0 && (
          <Text size="sm" c="dimmed">
            No agent has enrolled yet.
          </Text>
        )}
        {servers.length > 0 && <CertificatesTable servers={servers} isAdmin={isAdmin} now={now} />}
      </Card>
      {isAdmin && <EnrollmentForm />}
    </Stack>
  );
}
