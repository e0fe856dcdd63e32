// Agents page tests: each server's certificate (short fingerprint with copy, days left with a
// warning under 14 days, revoked), revoking after confirmation (admins only), and an enrollment
// token requested over GraphQL with the chosen scope and shown once with the CA certificate.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Role } from '../gql/graphql';
import { fakeClient, userError } from '../test/client';
import { renderWithProviders } from '../test/render';
import AgentsPage from './AgentsPage';

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY + 3_600_000).toISOString();
const FP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

const server = (serverId: string, credentials: Record<string, unknown>) => ({
  serverId,
  hostname: `${serverId}.example.net`,
  environment: 'dev',
  status: { current: 'IDLE', lastHeartbeat: new Date().toISOString() },
  credentials: { certificateFingerprint: FP, certificateNotAfter: inDays(60), lastRotation: null, revoked: false, ...credentials },
});

const servers = [server('web-01', {}), server('db-01', { certificateNotAfter: inDays(5) }), server('app-01', { revoked: true })];

function setup(role: Role = 'ADMIN', revokeError?: string, tokenError?: string) {
  const fake = fakeClient({
    Me: () => ({ data: { me: { email: 'admin@example.com', role } } }),
    AgentServers: () => ({ data: { servers: { totalCount: servers.length, nodes: servers } } }),
    RevokeAgent: (v) =>
      revokeError
        ? { data: { revokeAgent: { server: null, userErrors: [userError(['serverId'], revokeError, 'NOT_FOUND')] } } }
        : { data: { revokeAgent: { server: { serverId: v.serverId, credentials: { ...servers[0]!.credentials, revoked: true } }, userErrors: [] } } },
    CreateEnrollmentToken: (v) =>
      tokenError
        ? { data: { createEnrollmentToken: { enrollmentToken: null, userErrors: tokenError.split('; ').map((m) => userError(null, m)) } } }
        : {
            data: {
              createEnrollmentToken: {
                enrollmentToken: { token: 'grt_secret', uses: v.uses, expiresInHours: v.ttlHours, caPem: '-----BEGIN CERTIFICATE-----', caSha256: 'ab12', hubUrl: 'https://hub.example:8443', enrollCommand: 'greenroom-agent enroll --hub https://hub.example:8443 --token grt_secret --ca-sha256 ab12' },
                userErrors: [],
              },
            },
          },
  });
  renderWithProviders(<AgentsPage />, { client: fake.client });
  return fake;
}

const row = (id: string) => screen.getAllByTestId('agent-row').find((r) => r.getAttribute('data-server-id') === id)!;

describe('AgentsPage', () => {
  it("shows each server's certificate: short fingerprint, days left, expiring soon, revoked", async () => {
    setup();
    expect(await screen.findByTestId('agent-count')).toHaveTextContent('3 servers');
    expect(within(row('web-01')).getByText('a1b2c3d4…8f90')).toBeVisible();
    expect(within(row('web-01')).getByRole('button', { name: 'Copy the fingerprint of web-01' })).toBeVisible();
    expect(within(row('web-01')).getByTestId('certificate-state')).toHaveTextContent('60 days left');
    expect(within(row('db-01')).getByTestId('certificate-state')).toHaveTextContent('5 days left — renew soon');
    expect(within(row('db-01')).getByTestId('certificate-state')).toHaveAttribute('data-state', 'expiring');
    expect(within(row('app-01')).getByTestId('certificate-state')).toHaveTextContent('Revoked');
    expect(within(row('app-01')).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
  });

  it('revokes a certificate only after confirming', async () => {
    const { calls } = setup();
    const user = userEvent.setup();
    await screen.findByTestId('agent-count');
    const revoke = within(row('web-01')).getByRole('button', { name: 'Revoke the certificate of web-01' });
    expect(revoke).toHaveAttribute('data-danger', 'true'); // quiet until hovered (DangerButton)
    await user.click(revoke);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Revoke the agent certificate of web-01?');
    expect(calls.some((c) => c.name === 'RevokeAgent')).toBe(false);
    await user.click(within(dialog).getByRole('button', { name: 'Revoke certificate' }));
    expect(calls.find((c) => c.name === 'RevokeAgent')!.variables).toEqual({ serverId: 'web-01' });
  });

  it("keeps the dialog open with the hub's message when revoking fails", async () => {
    setup('ADMIN', 'server web-01 not found');
    const user = userEvent.setup();
    await screen.findByTestId('agent-count');
    await user.click(within(row('web-01')).getByRole('button', { name: 'Revoke the certificate of web-01' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke certificate' }));
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('server web-01 not found');
  });

  it('offers neither revoke nor enrollment to a non-admin', async () => {
    setup('OPERATOR');
    await screen.findByTestId('agent-count');
    expect(screen.queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Create enrollment token' })).not.toBeInTheDocument();
  });

  it('creates a token for an environment over GraphQL and shows it with the CA', async () => {
    const { calls } = setup();
    const user = userEvent.setup();
    await user.clear(await screen.findByLabelText('Agents it may enroll'));
    await user.type(screen.getByLabelText('Agents it may enroll'), '3');
    await user.selectOptions(screen.getByLabelText('Environment'), 'uat');
    await user.click(screen.getByRole('button', { name: 'Create enrollment token' }));

    const token = await screen.findByTestId('enrollment-token');
    expect(token).toHaveTextContent('grt_secret');
    expect(token).toHaveTextContent('Token for 3 agents, valid 24 h');
    expect(screen.getByText('-----BEGIN CERTIFICATE-----')).toBeVisible();
    expect(screen.getByTestId('enroll-command')).toHaveTextContent('greenroom-agent enroll --hub https://hub.example:8443 --token grt_secret --ca-sha256 ab12');
    expect(screen.getByRole('button', { name: 'Copy the enroll command' })).toBeVisible();
    expect(calls.find((c) => c.name === 'CreateEnrollmentToken')!.variables).toEqual({ ttlHours: 24, uses: 3, environment: 'uat', tags: [] });
  });

  it('lists what the hub refused', async () => {
    setup('ADMIN', undefined, 'ttlHours: must be 1-720; uses: must be 1-10000');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Create enrollment token' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('ttlHours: must be 1-720');
    expect(alert).toHaveTextContent('uses: must be 1-10000');
    expect(screen.queryByTestId('enrollment-token')).not.toBeInTheDocument();
  });
});
