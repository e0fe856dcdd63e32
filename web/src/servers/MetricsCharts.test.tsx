// The server page's metrics history card: the summary of each metric from `metricsHistory`, the
// range control asking the hub for another range, the table alternative, and the refresh every
// 30 s.
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '../test/client';
import { renderWithProviders } from '../test/render';
import { METRICS_REFRESH_MS, MetricsCharts } from './MetricsCharts';

const minuteAgo = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - n * 60_000).toISOString();
const stat = (avg: number, max: number) => ({ avg, max });
const points = [
  { at: minuteAgo(3), samples: 6, cpuPercent: stat(20, 30), memoryUsagePercent: stat(50, 52), diskUsagePercent: stat(91, 92), load1: stat(0.5, 1.25) },
  { at: minuteAgo(0), samples: 6, cpuPercent: stat(40, 97.29), memoryUsagePercent: stat(50, 52), diskUsagePercent: stat(91, 92), load1: stat(1.5, 2) },
];

function setup() {
  const fake = fakeClient({
    ServerMetricsHistory: (v) => ({ data: { server: { serverId: 'web-01', metricsHistory: v.range === 'HOUR' ? points : [] } } }),
  });
  renderWithProviders(<MetricsCharts serverId="web-01" />, { client: fake.client });
  return fake;
}

afterEach(() => vi.useRealTimers());

describe('MetricsCharts', () => {
  it('sums up each metric of the last hour in words, with a chart image per metric', { timeout: 15_000 }, async () => {
    const fake = setup();
    const cpu = await screen.findByRole('region', { name: 'CPU' });
    expect(within(cpu).getByTestId('metric-summary')).toHaveTextContent(/^Mean 30%, peak 97\.3% \(.+\), latest 40%\. Data for 2 of 60 minutes\.$/);
    expect(within(screen.getByRole('region', { name: 'Load (1 minute)' })).getByTestId('metric-summary')).toHaveTextContent(/peak 2\.00/);
    expect(await within(cpu).findByRole('img', { name: /^CPU over the last hour: mean \(solid\) and peak \(dashed\).*80 % and 90 %$/ }, { timeout: 10_000 })).toBeInTheDocument();
    expect(fake.calls.find((c) => c.name === 'ServerMetricsHistory')?.variables).toEqual({ serverId: 'web-01', range: 'HOUR' });
  });

  it('asks for the 24 h range when picked and says when there are no heartbeats', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await screen.findByRole('region', { name: 'CPU' });
    await user.click(screen.getByRole('radio', { name: '24 h' }));
    await waitFor(() => expect(fake.calls.some((c) => c.name === 'ServerMetricsHistory' && c.variables.range === 'DAY')).toBe(true));
    expect(await within(screen.getByRole('region', { name: 'Disk' })).findByText('No heartbeats in the last 24 hours.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Show Disk table' })).toBeDisabled();
  });

  it('shows the points as a table on request', async () => {
    const user = userEvent.setup();
    setup();
    const disk = await screen.findByRole('region', { name: 'Disk' });
    const toggle = within(disk).getByRole('button', { name: 'Show Disk table' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    const table = within(disk).getByRole('table', { name: 'Disk over the last hour, per step' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getAllByText('91%')).toHaveLength(2);
    expect(within(disk).getByRole('button', { name: 'Hide Disk table' })).toHaveAttribute('aria-expanded', 'true');
  });

  it('asks the hub again every 30 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fake = setup();
    await screen.findByRole('region', { name: 'CPU' });
    const before = fake.calls.filter((c) => c.name === 'ServerMetricsHistory').length;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(METRICS_REFRESH_MS + 10);
    });
    expect(fake.calls.filter((c) => c.name === 'ServerMetricsHistory').length).toBe(before + 1);
  });
});
