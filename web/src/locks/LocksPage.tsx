// Server locks (route /locks): active locks (or all recent ones), refreshed every 10 s; operators
// acquire, extend and release their own locks, admins also force-release anyone's.
import { Alert, Button, Group, Stack, Switch, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { LocksQuery } from '../api/admin';
import { MeQuery } from '../api/me';
import { formatCount } from '../lib/format';
import { useNow } from '../lib/useNow';
import { PageLoader } from '../shell/PageLoader';
import { AcquireLockDialog } from './AcquireLockDialog';
import { LocksTable } from './LocksTable';

export default function LocksPage() {
  const [activeOnly, setActiveOnly] = useState(true);
  const [{ data, error }, reexecute] = useQuery({ query: LocksQuery, variables: { activeOnly } });
  const [me] = useQuery({ query: MeQuery });
  const [acquiring, setAcquiring] = useState(false);
  const canOperate = me.data?.me.role === 'ADMIN' || me.data?.me.role === 'OPERATOR';
  const now = useNow(10_000);
  useEffect(() => {
    const id = setInterval(() => reexecute({ requestPolicy: 'network-only' }), 10_000);
    return () => clearInterval(id);
  }, [reexecute]);
  const locks = data?.serverLocks.nodes ?? [];
  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Group align="baseline" gap="md">
          <Title order={1} size="h2" id="locks-title">
            Locks
          </Title>
          {data && <Text size="lg" fw={500}>{formatCount(locks.length, 'lock')}</Text>}
        </Group>
        <Group gap="md">
          <Switch label="Active only" checked={activeOnly} onChange={(e) => setActiveOnly(e.currentTarget.checked)} />
          {canOperate && <Button onClick={() => setAcquiring(true)}>Acquire lock</Button>}
        </Group>
      </Group>
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load locks">
          {error.message}
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading locks" />}
      {data && locks.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {activeOnly ? 'No server is locked right now.' : 'No locks recorded.'}
        </Text>
      )}
      {locks.length > 0 && <LocksTable locks={locks} me={me.data?.me} now={now} labelledBy="locks-title" />}
      {canOperate && <AcquireLockDialog opened={acquiring} onClose={() => setAcquiring(false)} />}
    </Stack>
  );
}
