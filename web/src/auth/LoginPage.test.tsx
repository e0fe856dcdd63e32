// Login page tests: successful sign-in stores the session and navigates on, a 401 shows the
// hub's message in an alert, and empty fields are refused before any request is made.
import { Title } from '@mantine/core';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '../test/render';
import LoginPage from './LoginPage';
import { RequireAuth } from './RequireAuth';
import { createSessionStore, SESSION_STORAGE_KEY } from './session';

function renderLogin(route = '/login', store = createSessionStore(window.sessionStorage)) {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/overview" element={<Title order={1}>Overview page</Title>} />
      <Route
        path="/servers"
        element={
          <RequireAuth>
            <Title order={1}>Servers page</Title>
          </RequireAuth>
        }
      />
    </Routes>,
    { route, store },
  );
}

const emailInput = () => screen.getByRole('textbox', { name: /email/i });
const passwordInput = () => screen.getByLabelText(/^password/i, { selector: 'input' });
const signIn = () => screen.getByRole('button', { name: 'Sign in' });

describe('LoginPage', () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>();
    vi.stubGlobal('fetch', fetchMock);
  });

  it('signs in, keeps the tokens in sessionStorage and opens the overview', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(200, { access_token: 'acc-1', refresh_token: 'ref-1', token_type: 'Bearer', expires_in: 900 }),
    );
    const user = userEvent.setup();
    renderLogin();

    await user.type(emailInput(), 'admin@example.com');
    await user.type(passwordInput(), 's3cret!');
    await user.click(signIn());

    expect(await screen.findByRole('heading', { name: 'Overview page' })).toBeVisible();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/auth/login');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(init?.body as string)).toEqual({ email: 'admin@example.com', password: 's3cret!' });

    const stored = JSON.parse(window.sessionStorage.getItem(SESSION_STORAGE_KEY) ?? 'null') as {
      accessToken: string;
      refreshToken: string;
      expiresAt: number;
    };
    expect(stored.accessToken).toBe('acc-1');
    expect(stored.refreshToken).toBe('ref-1');
    expect(stored.expiresAt).toBeGreaterThan(Date.now() + 800_000);
  });

  it('returns to the page that required sign-in', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(200, { access_token: 'a', refresh_token: 'r', token_type: 'Bearer', expires_in: 60 }),
    );
    const user = userEvent.setup();
    renderLogin('/servers');

    // Redirected to the login form first.
    await user.type(emailInput(), 'ops@example.com');
    await user.type(passwordInput(), 'pw');
    await user.click(signIn());

    expect(await screen.findByRole('heading', { name: 'Servers page' })).toBeVisible();
  });

  it('shows the hub’s message in an alert when the credentials are wrong', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(401, { error: { code: 'invalid_credentials', message: 'Invalid email or password' } }),
    );
    const user = userEvent.setup();
    renderLogin();

    await user.type(emailInput(), 'admin@example.com');
    await user.type(passwordInput(), 'wrong');
    await user.click(signIn());

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Invalid email or password');
    expect(screen.queryByRole('heading', { name: 'Servers page' })).not.toBeInTheDocument();
    expect(window.sessionStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    // The form stays usable for another attempt.
    expect(signIn()).toBeEnabled();
  });

  it('explains when the hub cannot be reached', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const user = userEvent.setup();
    renderLogin();

    await user.type(emailInput(), 'admin@example.com');
    await user.type(passwordInput(), 'pw');
    await user.click(signIn());

    expect(await screen.findByRole('alert')).toHaveTextContent('Could not reach the hub');
  });

  it('asks for both fields before sending anything', async () => {
    const user = userEvent.setup();
    renderLogin();

    await user.click(signIn());

    expect(screen.getByText('Email is required')).toBeVisible();
    expect(screen.getByText('Password is required')).toBeVisible();
    expect(emailInput()).toHaveAttribute('aria-invalid', 'true');
    expect(passwordInput()).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();

    await user.type(emailInput(), 'not-an-email');
    await user.click(signIn());
    expect(screen.getByText('Enter a valid email address')).toBeVisible();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('says so when the previous session expired', async () => {
    const store = createSessionStore(window.sessionStorage);
    store.start({ accessToken: 'old', refreshToken: 'old', expiresAt: 0 });
    store.end('expired');
    renderLogin('/servers', store);

    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Your session expired'));
  });
});
