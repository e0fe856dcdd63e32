// Test helper: renders UI inside the app's providers (Mantine in test mode, a session store, a
// memory router and optionally an urql client) so tests see what a user would.
import { MantineProvider } from '@mantine/core';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { Provider, type Client } from 'urql';
import { createSessionStore, type SessionStore } from '../auth/session';
import { SessionStoreContext } from '../auth/sessionContext';
import { cssVariablesResolver, theme } from '../theme';

export interface RenderOptions {
  route?: string;
  store?: SessionStore;
  client?: Client;
}

export function renderWithProviders(
  ui: ReactElement,
  { route = '/', store = createSessionStore(window.sessionStorage), client }: RenderOptions = {},
): RenderResult & { store: SessionStore } {
  const routed = <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>;
  const result = render(
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} env="test">
      <SessionStoreContext.Provider value={store}>
        {client ? <Provider value={client}>{routed}</Provider> : routed}
      </SessionStoreContext.Provider>
    </MantineProvider>,
  );
  return { ...result, store };
}

/** A JSON `Response` as the hub would send it. */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
