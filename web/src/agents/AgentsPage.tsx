// Agents (route /agents, admins): issue an enrollment token (REST POST /api/v1/enrollment-tokens)
// with its lifetime, number of uses and the environment / tags its servers get; the token is
// shown once with the hub's CA certificate and the command that enrolls an agent. Listing
// certificates and revoking them wait for the hub's API.
import { Alert, Button, Card, Code, CopyButton, Group, List, NativeSelect, NumberInput, Stack, TagsInput, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useRestCall } from '../api/rest';
import { ENVIRONMENTS } from '../servers/filters';

interface IssuedToken {
  token: string;
  uses: number;
  expires_in_hours: number;
  ca_pem: string;
}

export default function AgentsPage() {
  const call = useRestCall();
  const [hours, setHours] = useState<number | string>(24);
  const [uses, setUses] = useState<number | string>(1);
  const [environment, setEnvironment] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const issue = async () => {
    setBusy(true);
    setProblems([]);
    try {
      const body: Record<string, unknown> = { ttl_hours: Number(hours), uses: Number(uses), tags };
      if (environment) body.environment = environment;
      setIssued(await call<IssuedToken>('POST', '/enrollment-tokens', body));
    } catch (e) {
      setProblems((e instanceof Error ? e.message : String(e)).split(/;\s*/));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="md" maw={900}>
      <Title order={1} size="h2">
        Agents
      </Title>
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
          <Button onClick={() => void issue()} loading={busy}>
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
            Token for {issued.uses} agent{issued.uses === 1 ? '' : 's'}, valid {issued.expires_in_hours} h
          </Title>
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <Code block style={{ flex: 1, overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
              {issued.token}
            </Code>
            <CopyButton value={issued.token}>{({ copied, copy }) => <Button variant="default" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
          </Group>
          <Text size="sm" mt="sm">
            On the server: save the CA certificate below as <Code>ca.pem</Code>, then run <Code>greenroom-agent enroll --token &lt;token&gt;</Code> (see the agent's README).
          </Text>
          <Text size="sm" fw={600} mt="sm">
            Hub CA certificate
          </Text>
          <Code block style={{ whiteSpace: 'pre-wrap' }}>
            {issued.ca_pem}
          </Code>
        </Card>
      )}
      <Text size="sm" c="dimmed">
        Listing agents' certificates and revoking them appear here once the hub serves them.
      </Text>
    </Stack>
  );
}
