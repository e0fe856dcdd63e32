// History page tests: the rows from the hub, and `executionsFeed` live — a started execution
// makes the page ask again and shows up marked new; a finished one is asked for again too. The
// state badge is never clipped (its width in a real browser is checked by the e2e test at 1280 px).
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ExecutionSummaryFragment } from '../gql/graphql';
import { fakeClient } from '../test/client';
import { monitorExecution } from '../test/executions';
import { renderWithProviders } from '../test/render';
import HistoryPage from './HistoryPage';

const summary = (id: string, overall: ExecutionSummaryFragment['overall']): ExecutionSummaryFragment => {
  const { results, ...rest } = monitorExecution(1, () => (overall === 'COMPLETED' ? 'SUCCESS' : 'RUNNING'), overall, id);
  return { ...rest, results: { successCount: results.successCount, failureCount: results.failureCount, totalCount: results.totalCount } };
};

describe('HistoryPage', () => {
  it('asks again when executions start or finish and marks the new ones', async () => {
    let items = [summary('exec-old', 'COMPLETED')];
    const fake = fakeClient({
      Executions: () => ({ data: { executions: { total: items.length, page: 1, pageSize: 50, items } } }),
      ActionTemplates: () => ({ data: { actionTemplates: [] } }),
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
      Executions: () => ({ data: { executions: { total: 1, page: 1, pageSize: 50, items: [summary('exec-1', 'COMPLETED')] } } }),
      ActionTemplates: () => ({ data: { actionTemplates: [] } }),
    });
    renderWithProviders(<HistoryPage />, { client: fake.client, route: '/executions' });
    const badge = await screen.findByTestId('execution-state');
    expect(badge).toHaveTextContent('Completed');
    // Mantine's badge clips with overflow hidden + ellipsis, and lets a table column shrink under it.
    expect(badge).toHaveStyle({ overflow: 'visible', minWidth: 'max-content' });
    expect(within(badge).getByText('Completed')).toHaveStyle({ overflow: 'visible', textOverflow: 'clip' });
    expect(badge.closest('td')).toHaveStyle({ whiteSpace: 'nowrap' });
  });
});
