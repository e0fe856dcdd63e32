// Users page tests: admins see the users, create one (the password length is checked inline
// before anything is sent), change a role, disable a user, and read the hub's refusal when they
// try to demote themself; anyone else reads that the page is for admins.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Role } from '../gql/graphql';
import { fakeClient, userError } from '../test/client';
import { renderWithProviders } from '../test/render';
import UsersPage from './UsersPage';

const users = [
  { email: 'admin@example.com', role: 'ADMIN', tenantId: 't1', disabled: false },
  { email: 'ops@example.com', role: 'OPERATOR', tenantId: 't1', disabled: false },
  { email: 'old@example.com', role: 'VIEWER', tenantId: 't1', disabled: true },
];

function setup(role: Role = 'ADMIN') {
  const fake = fakeClient({
    Me: () => ({ data: { me: { email: role === 'ADMIN' ? 'admin@example.com' : 'ops@example.com', role } } }),
    Users: () => ({ data: { users: { totalCount: users.length, nodes: users } } }),
    CreateUser: (v) => ({ data: { createUser: { user: { email: v.email, role: v.role, tenantId: 't1', disabled: false }, userErrors: [] } } }),
    UpdateUser: (v) =>
      v.email === 'admin@example.com'
        ? { data: { updateUser: { user: null, userErrors: [userError(null, 'you cannot demote or disable yourself; ask another admin', 'CONFLICT')] } } }
        : { data: { updateUser: { user: { ...users.find((u) => u.email === v.email)!, ...(v.role ? { role: v.role } : {}), ...(v.disabled !== undefined ? { disabled: v.disabled } : {}) }, userErrors: [] } } },
  });
  renderWithProviders(<UsersPage />, { client: fake.client });
  return fake;
}

const row = (email: string) => screen.getAllByTestId('user-row').find((r) => r.getAttribute('data-email') === email)!;

describe('UsersPage', () => {
  it('lists the users with role and state, marking the signed-in admin', async () => {
    setup();
    expect(await screen.findByText('3 users')).toBeVisible();
    expect(screen.getAllByTestId('user-row')).toHaveLength(3);
    expect(within(row('admin@example.com')).getByText('you')).toBeVisible();
    expect(screen.getByLabelText('Role of ops@example.com')).toHaveValue('OPERATOR');
    expect(within(row('old@example.com')).getByText('Disabled')).toBeVisible();
    expect(within(row('old@example.com')).getByRole('button', { name: 'Enable old@example.com' })).toBeVisible();
  });

  it('checks the password length inline and creates the user', async () => {
    const { calls } = setup();
    const user = userEvent.setup();
    await screen.findByText('3 users');
    await user.type(screen.getByLabelText(/^Email/), 'new@example.com');
    await user.type(screen.getByLabelText(/^Password/), 'short');
    expect(screen.getByText('At least 12 characters (5 so far)')).toBeVisible();
    expect(screen.getByRole('button', { name: 'Create user' })).toBeDisabled();

    await user.type(screen.getByLabelText(/^Password/), '-but-long-now');
    expect(screen.queryByText(/so far/)).not.toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Role'), 'OPERATOR');
    await user.click(screen.getByRole('button', { name: 'Create user' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Created new@example.com.');
    expect(calls.find((c) => c.name === 'CreateUser')!.variables).toEqual({ email: 'new@example.com', password: 'short-but-long-now', role: 'OPERATOR' });
  });

  it('changes a role and disables a user after confirming', async () => {
    const { calls } = setup();
    const user = userEvent.setup();
    await screen.findByText('3 users');
    await user.selectOptions(screen.getByLabelText('Role of ops@example.com'), 'VIEWER');
    const disable = screen.getByRole('button', { name: 'Disable ops@example.com' });
    expect(disable).toHaveAttribute('data-danger', 'true');
    await user.click(disable);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Disable ops@example.com?');
    expect(calls.filter((c) => c.name === 'UpdateUser')).toHaveLength(1);
    await user.click(within(dialog).getByRole('button', { name: 'Disable user' }));
    await waitFor(() => expect(calls.filter((c) => c.name === 'UpdateUser')).toHaveLength(2));
    const updates = calls.filter((c) => c.name === 'UpdateUser').map((c) => c.variables);
    expect(updates).toEqual([
      { email: 'ops@example.com', role: 'VIEWER' },
      { email: 'ops@example.com', disabled: true },
    ]);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it("shows the hub's refusal when an admin demotes themself", async () => {
    setup();
    const user = userEvent.setup();
    await screen.findByText('3 users');
    await user.selectOptions(screen.getByLabelText('Role of admin@example.com'), 'VIEWER');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not change admin@example.com');
    expect(alert).toHaveTextContent('you cannot demote or disable yourself; ask another admin');
  });

  it('tells a non-admin the page is for admins, without asking for users', async () => {
    const { calls } = setup('OPERATOR');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Admins only');
    expect(alert).toHaveTextContent('ops@example.com (operator)');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(calls.some((c) => c.name === 'Users')).toBe(false);
  });
});
