// Audit page test: the compliance report's PDF is the hub's own (GET /api/v1/audit/report?
// format=pdf, authorised), downloaded as it came — not drawn in the browser.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { notifications } from '@mantine/notifications';
import { createSessionStore } from '../auth/session';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import AuditPage from './AuditPage';

const { createObjectURL, revokeObjectURL } = URL;

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
    const fake = fakeClient({ AuditLog: () => ({ data: { auditLog: { items: [], total: 0, page: 1, pageSize: 100 } } }) });
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
});
