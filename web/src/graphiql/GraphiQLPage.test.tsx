// GraphiQL at /graphiql: behind the sign-in like every page, mounted in the signed-in frame, its
// requests sent with the session's bearer token (renewed once on a 401).
import { render, screen, waitFor } from '@testing-library/react';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { createSessionStore } from '../auth/session';
import { jsonResponse } from '../test/render';
import { authorisedFetch } from './fetcher';
import { SilentWebSocket } from '../test/websocket';


describe('GraphiQL page', () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  // Load GraphiQL's whole module graph before any test: the page is lazy, and a module it
  // imports still loading when the file's last test ends fails the run after teardown. Its
  // editors (`@graphiql/react`) import CodeMirror and these addons only when they mount; some
  // touch `window` as they load, so they are loaded here, while the DOM exists (CI once
  // failed with "window is not defined" from show-hint.js after the last test).
  beforeAll(async () => {
    // CodeMirror measures text through Range rectangles, which jsdom does not lay out.
    const empty = { x: 0, y: 0, width: 0, height: 0, top: 0, right: 0, bottom: 0, left: 0 };
    Range.prototype.getBoundingClientRect = () => ({ ...empty, toJSON: () => empty });
    Range.prototype.getClientRects = () =>
      ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] });
    await import('./GraphiQLPage');
    const lazy = [
      'codemirror',
      'codemirror/addon/comment/comment.js',
      'codemirror/addon/dialog/dialog.js',
      'codemirror/addon/edit/closebrackets.js',
      'codemirror/addon/edit/matchbrackets.js',
      'codemirror/addon/fold/brace-fold.js',
      'codemirror/addon/fold/foldgutter.js',
      'codemirror/addon/hint/show-hint.js',
      'codemirror/addon/lint/lint.js',
      'codemirror/addon/search/jump-to-line.js',
      'codemirror/addon/search/search.js',
      'codemirror/addon/search/searchcursor.js',
      'codemirror/keymap/sublime.js',
      'codemirror/mode/javascript/javascript.js',
      'codemirror-graphql/esm/hint.js',
      'codemirror-graphql/esm/info.js',
      'codemirror-graphql/esm/jump.js',
      'codemirror-graphql/esm/lint.js',
      'codemirror-graphql/esm/mode.js',
      'codemirror-graphql/esm/results/mode.js',
      'codemirror-graphql/esm/utils/info-addon.js',
      'codemirror-graphql/esm/variables/hint.js',
      'codemirror-graphql/esm/variables/lint.js',
      'codemirror-graphql/esm/variables/mode.js',
    ];
    await Promise.all(lazy.map((m) => import(/* @vite-ignore */ m)));
  }, 60_000);

  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>(() => Promise.resolve(jsonResponse(200, { data: { me: { __typename: 'User', email: 'admin@example.com', role: 'ADMIN' } } })));
    vi.stubGlobal('fetch', fetchMock);
    vi.stubGlobal('WebSocket', SilentWebSocket);
    window.history.replaceState(null, '', '/graphiql');
  });

  it('sends a signed-out visitor to the login page', async () => {
    render(<App store={createSessionStore(window.sessionStorage)} />);
    expect(await screen.findByRole('button', { name: 'Sign in' }, { timeout: 3000 })).toBeVisible();
    expect(window.location.pathname).toBe('/login');
  });

  it('mounts for a signed-in user and asks the hub for the schema with their token', async () => {
    const store = createSessionStore(window.sessionStorage);
    store.start({ accessToken: 'acc-1', refreshToken: 'ref-1', expiresAt: Date.now() + 60_000 });
    render(<App store={store} />);

    expect(await screen.findByTestId('graphiql', {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /^GraphQL API/ })).toHaveAttribute('href', '/graphiql');
    await waitFor(() => {
      const introspection = fetchMock.mock.calls.find(([, init]) => typeof init?.body === 'string' && init.body.includes('IntrospectionQuery'));
      expect(introspection).toBeDefined();
      expect(introspection?.[0]).toBe('/graphql');
      expect(new Headers(introspection?.[1]?.headers).get('Authorization')).toBe('Bearer acc-1');
    });
    expect(window.location.pathname).toBe('/graphiql');
  });
});

describe('authorisedFetch', () => {
  it('renews the token once on a 401 and sends the request again', async () => {
    let token = 'old';
    const refresh = vi.fn(() => {
      token = 'new';
      return Promise.resolve(true);
    });
    const ended = vi.fn();
    const fetchMock = vi.fn<typeof fetch>((_url, init) =>
      Promise.resolve(new Headers(init?.headers).get('Authorization') === 'Bearer new' ? jsonResponse(200, { data: {} }) : jsonResponse(401, {})),
    );
    vi.stubGlobal('fetch', fetchMock);
    const send = authorisedFetch({ token: () => token, expiresSoon: () => false, refresh }, ended);

    const response = await send('/graphql', { method: 'POST', body: '{}' });

    expect(response.status).toBe(200);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(ended).not.toHaveBeenCalled();
  });

  it('ends the session when the token cannot be renewed', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => Promise.resolve(jsonResponse(401, {}))));
    const ended = vi.fn();
    const send = authorisedFetch({ token: () => 't', expiresSoon: () => false, refresh: () => Promise.resolve(false) }, ended);
    expect((await send('/graphql', {})).status).toBe(401);
    expect(ended).toHaveBeenCalledTimes(1);
  });
});
