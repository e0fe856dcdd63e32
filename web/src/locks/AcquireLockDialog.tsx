// Acquire a lock on a server (operators): which server, why, maintenance or emergency, and for how
// long; the hub's refusal (e.g. the server is already locked) is shown as it says it. A server
// given by the caller (the server page's "Lock") is offered at once, before the list arrives.
import { Alert, Button, Group, Modal, NativeSelect, NumberInput, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { AcquireLockMutation, LockServerOptionsQuery } from '../api/admin';
import type { LockType } from '../gql/graphql';
import { mutationError, mutationProblems } from '../lib/errors';

export interface AcquireLockDialogProps {
  opened: boolean;
  onClose: () => void;
  /** Pre-selected server. */
  serverId?: string;
}

export function AcquireLockDialog({ opened, onClose, serverId: initialServer = '' }: AcquireLockDialogProps) {
  const [{ data }] = useQuery({ query: LockServerOptionsQuery, pause: !opened });
  const [serverId, setServerId] = useState(initialServer);
  const [reason, setReason] = useState('');
  const [lockType, setLockType] = useState<LockType>('MAINTENANCE');
  const [ttl, setTtl] = useState<number | string>(60);
  const [touched, setTouched] = useState(false);
  const [state, acquire] = useMutation(AcquireLockMutation);
  const servers = data?.servers.nodes ?? [];
  const problem = mutationError(state, state.data?.acquireLock);
  const chosen = serverId || servers[0]?.serverId || '';
  const reasonError = touched && !reason.trim() ? 'Say why the server is locked' : null;

  const submit = async () => {
    setTouched(true);
    if (!reason.trim() || !chosen) return;
    const result = await acquire({ input: { serverId: chosen, reason: reason.trim(), lockType, ttlMinutes: Number(ttl) } });
    if (mutationProblems(result, result.data?.acquireLock).length === 0) {
      setReason('');
      setTouched(false);
      onClose();
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>Acquire a lock</Text>} closeButtonProps={{ 'aria-label': 'Close' }}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="sm">
          <Text size="sm">While a server is locked, only your executions run on it. Release the lock when you are done; it ends by itself when its time runs out.</Text>
          <NativeSelect label="Server" value={chosen} onChange={(e) => setServerId(e.currentTarget.value)} data={[...(chosen && !servers.some((s) => s.serverId === chosen) ? [{ value: chosen, label: chosen }] : []), ...servers.map((s) => ({ value: s.serverId, label: `${s.serverId} (${s.hostname})` }))]} />
          <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} onBlur={() => setTouched(true)} error={reasonError} required />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="lock-type-label">
              Type
            </Text>
            <SegmentedControl
              value={lockType}
              onChange={setLockType}
              aria-labelledby="lock-type-label"
              data={[
                { value: 'MAINTENANCE', label: 'Maintenance' },
                { value: 'EMERGENCY', label: 'Emergency' },
              ]}
            />
          </Stack>
          <NumberInput label="Lasts (minutes)" value={ttl} onChange={setTtl} min={1} max={10_080} w={200} />
          {problem && (
            <Alert color="red" variant="light" role="alert" title="Could not acquire the lock">
              {problem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={state.fetching} disabled={!chosen}>
              Acquire lock
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
