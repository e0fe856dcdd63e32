// End-to-end wiring in jsdom: the real App, urql client and exchanges, with only fetch and
// WebSocket faked. GraphQL goes out as an authorised POST, and an unauthenticated answer ends
// the session and returns to the login page.
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { createSessionStore, SESSION_STORAGE_KEY } from './auth/session';
import { jsonResponse } from './test/render';
import { makeServers, withTypenames, serversPage } from './test/servers';
import { SilentWebSocket } from './test/websocket';

/** Answers `me` and `servers` like the hub would. */
function hub(servers = makeServers()) {
  return (url: unknown, init: RequestInit | undefined) => {
    if (url === '/api/v1/auth/logout') return Promise.resolve(new Response(null, { status: 204 }));
    const body = graphqlBody(init);
    if (body.query.includes('query Me')) {
      return Promise.resolve(jsonResponse(200, { data: { me: { __typename: 'User', email: 'admin@example.com', role: 'ADMIN' } } }));
    }
    return Promise.resolve(jsonResponse(200, { data: withTypenames(serversPage(servers)) }));
  };
}


function signedIn() {
  const store = createSessionStore(window.sessionStorage);
  store.start({ accessToken: 'acc-1', refreshToken: 'ref-1', expiresAt: Date.now() + 60_000 });
  return store;
}

function graphqlBody(init: RequestInit | undefined): { operationName?: string; query: string } {
  return JSON.parse(init?.body as string) as { operationName?: string; query: string };
}

describe('App', () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  beforeEach(() => {
    window.history.replaceState(null, '', '/');
    fetchMock = vi.fn<typeof fetch>();
    vi.stubGlobal('fetch', fetchMock);
    vi.stubGlobal('WebSocket', SilentWebSocket);
  });

  it('shows the servers and the user after sign-in, over authorised POST /graphql', async () => {
    fetchMock.mockImplementation(hub());
    window.history.replaceState(null, '', '/servers');
    render(<App store={signedIn()} />);

    expect(await screen.findByTestId('server-count', {}, { timeout: 3000 })).toHaveTextContent('3 servers');
    expect(screen.getAllByTestId('server-row')).toHaveLength(3);
    expect(await screen.findByTestId('user-email')).toHaveTextContent('admin@example.com');
    expect(window.location.pathname).toBe('/servers');
    // Admins see the admin views in the navigation.
    expect(screen.getByRole('link', { name: /^Users/ })).toHaveAttribute('href', '/users');
    expect(screen.getByRole('link', { name: /^Agents/ })).toHaveAttribute('href', '/agents');
    expect(screen.getByRole('link', { name: /^Notifications/ })).toHaveAttribute('href', '/notifications');
    // The header's name leads to the landing view.
    expect(screen.getByRole('link', { name: 'Greenroom' })).toHaveAttribute('href', '/overview');

    for (const [url, init] of fetchMock.mock.calls) {
      expect(url).toBe('/graphql');
      expect(init?.method).toBe('POST');
      expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer acc-1');
    }
  });

  it('logs out: forgets the tokens and shows the login page', async () => {
    fetchMock.mockImplementation(hub([]));
    const user = userEvent.setup();
    render(<App store={signedIn()} />);

    await user.click(await screen.findByRole('button', { name: 'Log out' }));

    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeVisible();
    expect(window.sessionStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    // The hub is told, so the session's refresh token is worthless too.
    const logout = fetchMock.mock.calls.find(([url]) => url === '/api/v1/auth/logout');
    expect(logout?.[1]?.method).toBe('POST');
    expect(new Headers(logout?.[1]?.headers).get('Authorization')).toBe('Bearer acc-1');
  });

  it.each([
    ['an HTTP 401', () => jsonResponse(401, { error: { code: 'unauthenticated', message: 'token expired' } })],
    [
      'an UNAUTHENTICATED error',
      () => jsonResponse(200, { data: null, errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] }),
    ],
  ])('returns to the login page on %s', async (_name, answer) => {
    fetchMock.mockImplementation(() => Promise.resolve(answer()));
    render(<App store={signedIn()} />);

    expect(await screen.findByRole('button', { name: 'Sign in' }, { timeout: 3000 })).toBeVisible();
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Your session expired'));
    expect(window.sessionStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(window.location.pathname).toBe('/login');
  });
});
