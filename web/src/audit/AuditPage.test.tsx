// Audit page tests: filters from the URL reach the hub (sign-ins hidden by default, shown on the
// toggle), entries link to their execution / template / server; the compliance report's PDF is the
// hub's own (GET /api/v1/audit/report?format=pdf, authorised), downloaded as it came.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { notifications } from '@mantine/notifications';
import { createSessionStore } from '../auth/session';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import AuditPage from './AuditPage';

const { createObjectURL, revokeObjectURL } = URL;

const entry = (seq: number, eventType: string, resource: { type: string; id: string; name: string | null }) => ({
  seq,
  hash: `${seq}abcdef0123456789`,
  timestamp: '2026-12-01T10:00:00Z',
  eventType,
  actor: { type: 'user', id: 'ann@x', ipAddress: null, userAgent: null },
  resource,
  result: { success: true, errorMessage: null, affectedCount: null },
  details: {},
});

const page = (nodes: unknown[], totalCount: number, pageInfo: Record<string, unknown> = {}) => ({
  totalCount,
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: 'c-start', endCursor: 'c-end', ...pageInfo },
  nodes,
});

describe('AuditPage', () => {
  afterEach(() => Object.assign(URL, { createObjectURL, revokeObjectURL }));

  it('downloads the compliance report as the hub’s PDF', async () => {
    const fetchMock = vi.fn<typeof fetch>(() => Promise.resolve(new Response('%PDF-1.4\n…', { status: 200, headers: { 'Content-Type': 'application/pdf' } })));
    vi.stubGlobal('fetch', fetchMock);
    const objectUrl = vi.fn((_blob: Blob) => 'blob:report');
    // jsdom has no object URLs: stand-ins for this test only.
    Object.assign(URL, { createObjectURL: objectUrl, revokeObjectURL: vi.fn() });
    const shown = vi.spyOn(notifications, 'show');
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);

    const store = createSessionStore(window.sessionStorage);
    store.start({ accessToken: 'tok', refreshToken: 'r', expiresAt: Date.now() + 60_000 });
    const fake = fakeClient({ AuditLog: () => ({ data: { auditLog: page([], 0) } }) });
    renderWithProviders(<AuditPage />, { client: fake.client, store });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Compliance report' }));
    await user.click(await screen.findByRole('menuitem', { name: 'PDF' }));

    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(fetchMock.mock.calls[0]![0]).toBe('/api/v1/audit/report?format=pdf');
    expect(new Headers(fetchMock.mock.calls[0]![1]!.headers).get('Authorization')).toBe('Bearer tok');
    const blob = objectUrl.mock.calls[0]![0];
    expect(blob.type).toBe('application/pdf');
    expect(await blob.text()).toMatch(/^%PDF-/);
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toMatch(/^compliance-report-.*\.pdf$/);
    expect(shown).not.toHaveBeenCalled();
  });

  it('asks the hub with the URL’s filters, links resources and shows sign-ins on the toggle', async () => {
    const entries = [
      entry(7, 'execution_started', { type: 'execution', id: 'e-42', name: 'shell_command' }),
      entry(6, 'action_updated', { type: 'action_template', id: 'tpl-1', name: 'Disk usage' }),
    ];
    const fake = fakeClient({ AuditLog: () => ({ data: { auditLog: page(entries, 2) } }) });
    const store = createSessionStore(window.sessionStorage);
    renderWithProviders(<AuditPage />, { client: fake.client, store, route: '/audit?actor=ann%40x&resourceType=execution' });
    expect(await screen.findByRole('link', { name: 'execution shell_command' })).toHaveAttribute('href', '/executions/e-42');
    expect(screen.getByRole('link', { name: 'action template Disk usage' })).toHaveAttribute('href', '/templates/tpl-1');
    expect(screen.getByLabelText('Actor')).toHaveValue('ann@x');
    expect(fake.calls.at(-1)!.variables.filter).toEqual({ actor: 'ann@x', resourceType: 'execution', excludeEventTypes: ['user_login', 'user_logout'] });

    const user = userEvent.setup();
    const toggle = screen.getByRole('switch', { name: 'Hide sign-ins and sign-outs' });
    expect(toggle).toBeChecked();
    await user.click(toggle);
    await waitFor(() => expect(fake.calls.at(-1)!.variables.filter).toEqual({ actor: 'ann@x', resourceType: 'execution' }));
    expect(screen.getByRole('switch', { name: 'Hide sign-ins and sign-outs' })).not.toBeChecked();
  });

  it('sends a typed event after a pause and says when nothing matches', async () => {
    const fake = fakeClient({ AuditLog: () => ({ data: { auditLog: page([], 0) } }) });
    renderWithProviders(<AuditPage />, { client: fake.client, route: '/audit' });
    const user = userEvent.setup();
    await user.type(await screen.findByRole('textbox', { name: 'Resource id' }), 'tpl-9');
    await waitFor(() => expect(fake.calls.at(-1)!.variables.filter).toMatchObject({ resourceId: 'tpl-9' }), { timeout: 2000 });
    expect(await screen.findByText('No entries match these filters.')).toBeInTheDocument();
  });

  it('pages by cursor: Next after the last entry, Previous before the first, back to the newest', async () => {
    const fake = fakeClient({
      AuditLog: (v) => ({
        data: { auditLog: page([entry(v.after ? 100 : 200, 'execution_started', { type: 'execution', id: 'e-1', name: null })], 250, { hasNextPage: !v.after, hasPreviousPage: Boolean(v.after), startCursor: v.after ? 'c-101' : 'c-250', endCursor: v.after ? 'c-1' : 'c-151' }) },
      }),
    });
    renderWithProviders(<AuditPage />, { client: fake.client, route: '/audit' });
    const user = userEvent.setup();
    expect(await screen.findByTestId('page-position')).toHaveTextContent('Page 1 of 3');
    expect(fake.calls.at(-1)!.variables).toMatchObject({ first: 100 });
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fake.calls.at(-1)!.variables).toMatchObject({ first: 100, after: 'c-151' }));
    expect(await screen.findByTestId('page-position')).toHaveTextContent('Page 2 of 3');
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await waitFor(() => expect(screen.getByTestId('page-position')).toHaveTextContent('Page 1 of 3'));
    expect(fake.calls.at(-1)!.variables).not.toHaveProperty('after');
    expect(fake.calls.at(-1)!.variables).not.toHaveProperty('before');
  });
});
