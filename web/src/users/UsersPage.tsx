// Users (route /users, admins): the tenant's users with their role and whether they are disabled;
// create a user (password of at least 12 characters, checked as it is typed), change a user's
// role, disable (confirmed: it ends their sessions) or enable them. The hub refuses an admin demoting or disabling themself; its
// message is shown. Anyone else who opens the page is told it is for admins.
import { Alert, Badge, Button, Card, Group, NativeSelect, PasswordInput, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { MeQuery } from '../api/me';
import { CreateUserMutation, UpdateUserMutation, UsersQuery } from '../api/users';
import type { Role, UserFieldsFragment } from '../gql/graphql';
import { errorMessage, mutationError } from '../lib/errors';
import { formatCount } from '../lib/format';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';
import { PageLoader } from '../shell/PageLoader';

const MIN_PASSWORD_LENGTH = 12;

const ROLES: { value: Role; label: string }[] = [
  { value: 'VIEWER', label: 'Viewer' },
  { value: 'OPERATOR', label: 'Operator' },
  { value: 'ADMIN', label: 'Admin' },
];

function CreateUserForm() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [created, setCreated] = useState<string | null>(null);
  const [state, create] = useMutation(CreateUserMutation);
  const passwordError = password.length > 0 && [...password].length < MIN_PASSWORD_LENGTH ? `At least ${MIN_PASSWORD_LENGTH} characters (${[...password].length} so far)` : null;
  const ready = email.trim() !== '' && [...password].length >= MIN_PASSWORD_LENGTH;

  const submit = async () => {
    if (!ready) return;
    setCreated(null);
    const result = await create({ email: email.trim(), password, role });
    const user = result.data?.createUser.user;
    if (user) {
      setCreated(user.email);
      setEmail('');
      setPassword('');
      setRole('VIEWER');
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="new-user-title">
      <Title order={2} size="h4" id="new-user-title" mb="sm">
        New user
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Group align="flex-start" gap="md" wrap="wrap">
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} required w={260} autoComplete="off" />
          <PasswordInput
            label="Password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={passwordError}
            description={passwordError ? undefined : `At least ${MIN_PASSWORD_LENGTH} characters`}
            required
            w={260}
            autoComplete="new-password"
          />
          <NativeSelect label="Role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} data={ROLES} w={160} />
        </Group>
        <Group mt="md">
          <Button type="submit" loading={state.fetching} disabled={!ready}>
            Create user
          </Button>
          {created && (
            <Text size="sm" role="status">
              Created {created}.
            </Text>
          )}
        </Group>
      </form>
      {mutationError(state, state.data?.createUser) && (
        <Alert color="red" variant="light" role="alert" title="Could not create the user" mt="md">
          {mutationError(state, state.data?.createUser)}
        </Alert>
      )}
    </Card>
  );
}

function UsersTable({ users, myEmail }: { users: readonly UserFieldsFragment[]; myEmail: string }) {
  const [state, update] = useMutation(UpdateUserMutation);
  const [failed, setFailed] = useState<{ email: string; message: string } | null>(null);
  const [disabling, setDisabling] = useState<string | null>(null);
  const change = async (email: string, changes: { role?: Role; disabled?: boolean }) => {
    setFailed(null);
    const result = await update({ email, ...changes });
    const problem = mutationError(result, result.data?.updateUser);
    if (problem) setFailed({ email, message: problem });
  };
  const busy = (email: string) => state.fetching && state.operation?.variables.email === email;
  return (
    <>
      {failed && (
        <Alert color="red" variant="light" role="alert" title={`Could not change ${failed.email}`}>
          {failed.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-labelledby="users-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Email</Table.Th>
              <Table.Th scope="col">Role</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.map((u) => (
              <Table.Tr key={u.email} data-testid="user-row" data-email={u.email}>
                <Table.Td>
                  {u.email}
                  {u.email === myEmail && (
                    <Badge variant="default" tt="none" ml="xs">
                      you
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <NativeSelect
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    onChange={(e) => void change(u.email, { role: e.currentTarget.value as Role })}
                    data={ROLES}
                    disabled={busy(u.email)}
                    w={140}
                  />
                </Table.Td>
                <Table.Td>
                  <Badge color={u.disabled ? 'gray.7' : 'teal.9'} c="white" variant="filled" tt="none">
                    {u.disabled ? 'Disabled' : 'Active'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {u.disabled ? (
                    <Button size="xs" variant="default" loading={busy(u.email)} onClick={() => void change(u.email, { disabled: false })} aria-label={`Enable ${u.email}`}>
                      Enable
                    </Button>
                  ) : (
                    <DangerButton size="xs" loading={busy(u.email)} onClick={() => setDisabling(u.email)} aria-label={`Disable ${u.email}`}>
                      Disable
                    </DangerButton>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={disabling !== null}
        title={<>Disable {disabling}?</>}
        error={null}
        errorTitle="Could not disable"
        confirmLabel="Disable user"
        busy={state.fetching}
        onConfirm={() => {
          const email = disabling;
          setDisabling(null);
          if (email) void change(email, { disabled: true });
        }}
        onClose={() => setDisabling(null)}
      >
        They are signed out everywhere at once and cannot sign in until enabled again.
      </ConfirmDialog>
    </>
  );
}

export default function UsersPage() {
  const [me] = useQuery({ query: MeQuery });
  const isAdmin = me.data?.me.role === 'ADMIN';
  const [{ data, error }] = useQuery({ query: UsersQuery, pause: !isAdmin });

  if (!me.data) {
    if (me.error) {
      return (
        <Alert color="red" variant="light" role="alert" title="Could not load your account">
          {errorMessage(me.error)}
        </Alert>
      );
    }
    return <PageLoader label="Loading users" />;
  }
  if (!isAdmin) {
    return (
      <Stack gap="md" maw={900}>
        <Title order={1} size="h2">
          Users
        </Title>
        <Alert color="yellow" variant="light" role="alert" title="Admins only">
          Managing users is for admins. You are signed in as {me.data.me.email} ({me.data.me.role.toLowerCase()}); ask an admin to change a user.
        </Alert>
      </Stack>
    );
  }
  const users = data?.users.nodes ?? [];
  return (
    <Stack gap="md" maw={900}>
      <Group align="baseline" gap="md">
        <Title order={1} size="h2" id="users-title">
          Users
        </Title>
        {data && <Text size="lg" fw={500}>{formatCount(users.length, 'user')}</Text>}
      </Group>
      {error && !data && (
        <Alert color="red" variant="light" role="alert" title="Could not load users">
          {errorMessage(error)}
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading users" />}
      {users.length > 0 && <UsersTable users={users} myEmail={me.data.me.email} />}
      <CreateUserForm />
    </Stack>
  );
}
