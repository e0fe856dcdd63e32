// Agents page tests: an enrollment token is requested with the chosen scope and shown once with
// the CA certificate; the hub's problems are listed.
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSessionStore } from '../auth/session';
import { jsonResponse, renderWithProviders } from '../test/render';
import AgentsPage from './AgentsPage';

function signedIn() {
  const store = createSessionStore(window.sessionStorage);
  store.start({ accessToken: 'adm', refreshToken: 'r', expiresAt: Date.now() + 60_000 });
  return store;
}

describe('AgentsPage', () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;
  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>();
    vi.stubGlobal('fetch', fetchMock);
  });

  it('creates a token for an environment and shows it with the CA', async () => {
    fetchMock.mockResolvedValue(jsonResponse(201, { token: 'grt_secret', uses: 3, expires_in_hours: 24, ca_pem: '-----BEGIN CERTIFICATE-----' }));
    const user = userEvent.setup();
    renderWithProviders(<AgentsPage />, { store: signedIn() });
    await user.clear(screen.getByLabelText('Agents it may enroll'));
    await user.type(screen.getByLabelText('Agents it may enroll'), '3');
    await user.selectOptions(screen.getByLabelText('Environment'), 'uat');
    await user.click(screen.getByRole('button', { name: 'Create enrollment token' }));

    expect(await screen.findByTestId('enrollment-token')).toHaveTextContent('grt_secret');
    expect(screen.getByText('-----BEGIN CERTIFICATE-----')).toBeVisible();
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/enrollment-tokens');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(init?.body as string)).toEqual({ ttl_hours: 24, uses: 3, tags: [], environment: 'uat' });
  });

  it('lists what the hub refused', async () => {
    fetchMock.mockResolvedValue(jsonResponse(422, { error: { code: 'invalid_input', message: 'ttl_hours: must be between 1 and 720; uses: must be between 1 and 10000' } }));
    const user = userEvent.setup();
    renderWithProviders(<AgentsPage />, { store: signedIn() });
    await user.click(screen.getByRole('button', { name: 'Create enrollment token' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('ttl_hours: must be between 1 and 720');
    expect(alert).toHaveTextContent('uses: must be between 1 and 10000');
  });
});
