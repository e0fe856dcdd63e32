// History page tests: the rows from the hub, and `executionsFeed` live — a started execution
// makes the page ask again and shows up marked new; a finished one is asked for again too. The
// state badge is never clipped (its width in a real browser is checked by the e2e test at 1280 px).
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { graphQLError } from '../test/client';
import type { ExecutionSummaryFragment } from '../gql/graphql';
import { fakeClient } from '../test/client';
import { monitorExecution } from '../test/executions';
import { renderWithProviders } from '../test/render';
import HistoryPage from './HistoryPage';

const summary = (id: string, overall: ExecutionSummaryFragment['overall']): ExecutionSummaryFragment => {
  const { results, ...rest } = monitorExecution(1, () => (overall === 'COMPLETED' ? 'SUCCESS' : 'RUNNING'), overall, id);
  return { ...rest, results: { successCount: results.successCount, failureCount: results.failureCount, totalCount: results.totalCount } };
};

/** A one-page connection of `nodes`, as the hub answers a list. */
const connection = <T,>(nodes: T[]) => ({ totalCount: nodes.length, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, nodes });

describe('HistoryPage', () => {
  it('asks again when executions start or finish and marks the new ones', async () => {
    let items = [summary('exec-old', 'COMPLETED')];
    const fake = fakeClient({
      Executions: () => ({ data: { executions: connection(items) } }),
      ActionTemplates: () => ({ data: { actionTemplates: connection([]) } }),
      Users: () => ({ data: { users: connection([]) } }),
      Servers: () => ({ data: { servers: connection([]) } }),
    });
    renderWithProviders(<HistoryPage />, { client: fake.client, route: '/executions' });
    expect(await screen.findByTestId('execution-count')).toHaveTextContent('1 execution');
    const asked = () => fake.calls.filter((c) => c.name === 'Executions').length;
    const before = asked();

    items = [summary('exec-new', 'RUNNING'), ...items];
    act(() => fake.push('ExecutionsFeed', { executionsFeed: { kind: 'STARTED', execution: items[0] } }));
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(2));
    expect(asked()).toBe(before + 1);
    const fresh = screen.getAllByTestId('execution-row').find((r) => r.getAttribute('data-execution-id') === 'exec-new')!;
    expect(within(fresh).getByTestId('execution-new')).toHaveTextContent('new');
    const old = screen.getAllByTestId('execution-row').find((r) => r.getAttribute('data-execution-id') === 'exec-old')!;
    expect(within(old).queryByTestId('execution-new')).toBeNull();

    items = [summary('exec-new', 'COMPLETED'), items[1]!];
    act(() => fake.push('ExecutionsFeed', { executionsFeed: { kind: 'FINISHED', execution: items[0] } }));
    await waitFor(() => expect(asked()).toBe(before + 2), { timeout: 4_000 });
    await waitFor(() => expect(within(screen.getAllByTestId('execution-row')[0]!).getByTestId('execution-state')).toHaveTextContent('Completed'));
  });

  it('shows the state whole: the badge keeps its width and its label is not clipped', async () => {
    const fake = fakeClient({
      Executions: () => ({ data: { executions: connection([summary('exec-1', 'COMPLETED')]) } }),
      ActionTemplates: () => ({ data: { actionTemplates: connection([]) } }),
      Users: () => ({ data: { users: connection([]) } }),
      Servers: () => ({ data: { servers: connection([]) } }),
    });
    renderWithProviders(<HistoryPage />, { client: fake.client, route: '/executions' });
    const badge = await screen.findByTestId('execution-state');
    expect(badge).toHaveTextContent('Completed');
    // Mantine's badge clips with overflow hidden + ellipsis, and lets a table column shrink under it.
    expect(badge).toHaveStyle({ overflow: 'visible', minWidth: 'max-content' });
    expect(within(badge).getByText('Completed')).toHaveStyle({ overflow: 'visible', textOverflow: 'clip' });
    expect(badge.closest('td')).toHaveStyle({ whiteSpace: 'nowrap' });
  });

  describe('sorting, rows, quick ranges and pickers', () => {
    const withTiming = (id: string, by: string, minutesAgo: number, duration: number) => {
      const e = summary(id, 'COMPLETED');
      return { ...e, initiatedBy: by, timing: { ...e.timing, createdAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(), durationSeconds: duration } };
    };
    function setup(route = '/executions', admin = true) {
      const items = [withTiming('exec-a', 'zoe@example.com', 1, 30), withTiming('exec-b', 'al@example.com', 5, 2), withTiming('exec-c', 'bo@example.com', 3, 10)];
      const fake = fakeClient({
        Executions: () => ({ data: { executions: connection(items) } }),
        ActionTemplates: () => ({ data: { actionTemplates: connection([]) } }),
        Users: () => (admin ? { data: { users: connection([{ email: 'kim@example.com', role: 'OPERATOR', tenantId: 't', disabled: false }]) } } : { error: graphQLError('admins only', 'FORBIDDEN') }),
        Servers: () => ({ data: { servers: connection([{ ...monitorExecution(0, () => 'SUCCESS'), serverId: 's', environment: 'lab' }]) } }),
      });
      renderWithProviders(
        <Routes>
          <Route path="/executions" element={<HistoryPage />} />
          <Route path="/executions/:id" element={<p>monitor page</p>} />
        </Routes>,
        { client: fake.client, route },
      );
      return { ...fake, user: userEvent.setup() };
    }
    const order = () => screen.getAllByTestId('execution-row').map((r) => r.getAttribute('data-execution-id'));

    it('asks the hub to order the whole history, and sorts the page by the other columns', async () => {
      const { user, calls } = setup();
      const lastOrder = () => calls.filter((c) => c.name === 'Executions').at(-1)?.variables.orderBy;
      // Newest first by the hub: the rows stay in the order it sent them.
      await waitFor(() => expect(order()).toEqual(['exec-a', 'exec-b', 'exec-c']));
      expect(lastOrder()).toEqual({ field: 'CREATED_AT', ascending: false });
      // Duration is not the hub's to order: it sorts the rows on this page.
      await user.click(screen.getByRole('button', { name: 'Sort this page by duration' }));
      expect(order()).toEqual(['exec-a', 'exec-c', 'exec-b']);
      await user.click(screen.getByRole('button', { name: 'Sort this page by duration, now descending' }));
      expect(order()).toEqual(['exec-b', 'exec-c', 'exec-a']);
      // The initiator is: the hub is asked, and its order shown.
      await user.click(screen.getByRole('button', { name: 'Sort all executions by initiated by' }));
      await waitFor(() => expect(lastOrder()).toEqual({ field: 'INITIATED_BY', ascending: true }));
      expect(screen.getByRole('columnheader', { name: /Initiated by/ })).toHaveAttribute('aria-sort', 'ascending');
    });

    it('opens an execution from anywhere on its row, by click or by Enter', async () => {
      const { user } = setup();
      await waitFor(() => expect(order()).toHaveLength(3));
      await user.click(within(screen.getAllByTestId('execution-row').find((r) => r.textContent?.includes('bo@example.com'))!).getByText('bo@example.com'));
      expect(await screen.findByText('monitor page')).toBeVisible();
    });

    it('opens an execution with the keyboard', async () => {
      setup();
      await waitFor(() => expect(order()).toHaveLength(3));
      const row = screen.getAllByTestId('execution-row')[2]!;
      row.focus();
      expect(row).toHaveFocus();
      fireEvent.keyDown(row, { key: 'Enter' });
      expect(await screen.findByText('monitor page')).toBeVisible();
    });

    it('asks the hub for a quick range and clears the dates', async () => {
      const { user, calls } = setup('/executions?from=2025-01-01');
      await waitFor(() => expect(order()).toHaveLength(3));
      await user.click(screen.getByRole('button', { name: 'Last 24 hours' }));
      expect(screen.getByRole('button', { name: 'Last 24 hours' })).toHaveAttribute('aria-pressed', 'true');
      await waitFor(() => {
        const from = (calls.filter((c) => c.name === 'Executions').at(-1)?.variables.filter as { from?: string } | undefined)?.from;
        expect(Date.now() - Date.parse(from ?? '')).toBeGreaterThan(86_400_000 - 1);
        expect(Date.now() - Date.parse(from ?? '')).toBeLessThan(86_400_000 + 61_000);
      });
      expect(screen.getByLabelText('From')).toHaveValue('');
    });

    it('offers initiators from the users and the executions, environments from the servers', async () => {
      const { user, calls } = setup();
      await waitFor(() => expect(order()).toHaveLength(3));
      const by = screen.getByRole('combobox', { name: 'Initiated by' });
      await waitFor(() => expect([...by.querySelectorAll('option')].map((o) => o.textContent)).toEqual(['Anyone', 'al@example.com', 'bo@example.com', 'kim@example.com', 'zoe@example.com']));
      await user.selectOptions(by, 'kim@example.com');
      await waitFor(() => expect(calls.filter((c) => c.name === 'Executions').at(-1)?.variables.filter).toMatchObject({ initiatedBy: 'kim@example.com' }));
      const env = screen.getByRole('combobox', { name: 'Environment' });
      expect([...env.querySelectorAll('option')].map((o) => o.textContent)).toContain('lab');
    });

    it('still offers the initiators seen when the user list is for admins only', async () => {
      setup('/executions', false);
      await waitFor(() => expect(order()).toHaveLength(3));
      const options = [...screen.getByRole('combobox', { name: 'Initiated by' }).querySelectorAll('option')].map((o) => o.textContent);
      expect(options).toEqual(['Anyone', 'al@example.com', 'bo@example.com', 'zoe@example.com']);
    });
  });

  it('folds the filters behind a button and shows cards on a phone', async () => {
    const matchMedia = vi.spyOn(window, 'matchMedia').mockImplementation((query: string) => ({ matches: query.includes('max-width'), media: query, onchange: null, addListener: () => undefined, removeListener: () => undefined, addEventListener: () => undefined, removeEventListener: () => undefined, dispatchEvent: () => false }) as MediaQueryList);
    try {
      const fake = fakeClient({
        Executions: () => ({ data: { executions: connection([summary('exec-1', 'FAILED')]) } }),
        ActionTemplates: () => ({ data: { actionTemplates: connection([]) } }),
        Users: () => ({ data: { users: connection([]) } }),
        Servers: () => ({ data: { servers: connection([]) } }),
      });
      renderWithProviders(<HistoryPage />, { client: fake.client, route: '/executions?environment=uat' });
      const toggle = await screen.findByRole('button', { name: 'Filters (1 set)' });
      expect(toggle).toHaveAttribute('aria-expanded', 'false');
      expect(screen.queryByRole('table')).toBeNull();
      const card = await screen.findByRole('listitem');
      expect(within(card).getByTestId('execution-state')).toHaveTextContent('Failed');
      await userEvent.setup().click(toggle);
      expect(screen.getByRole('button', { name: 'Hide filters (1 set)' })).toHaveAttribute('aria-expanded', 'true');
    } finally {
      matchMedia.mockRestore();
    }
  });
});
