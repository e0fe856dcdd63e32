// The server page's metrics history (issue #16): CPU, memory, disk and the one-minute load over
// 1 h / 24 h / 7 d (a segmented control), from the hub's `metricsHistory`, asked for again every
// 30 s while the page is open. Each metric has a chart (mean line, dashed peak line, gaps where
// no heartbeat came, the 80 % / 90 % thresholds), a sentence summing it up (mean, peak and when,
// latest, how many steps have data) and a table of its points behind a "Show table" button, so
// nothing is only in the picture. Times are in the user's locale. The charts load lazily.
import { Alert, Box, Button, Card, Group, Loader, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { lazy, memo, Suspense, useEffect, useId, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { ServerMetricsHistoryQuery } from '../api/metrics';
import { formatPercent } from '../lib/format';
import {
  RANGES,
  describeSummary,
  formatLoad,
  fullTimeLabeler,
  rangeSpec,
  summarize,
  timeLabeler,
  toChartRows,
  type ChartRow,
  type HistoryPoint,
  type MetricKey,
  type RangeSpec,
} from './metricsSeries';
import { CRITICAL_PERCENT, WARNING_PERCENT } from './thresholds';

const MetricChart = lazy(() => import('./MetricChart'));

/** How often the charts ask the hub again while the page is open. */
export const METRICS_REFRESH_MS = 30_000;

interface MetricDef {
  key: MetricKey;
  title: string;
  percent: boolean;
}

const METRICS: readonly MetricDef[] = [
  { key: 'cpuPercent', title: 'CPU', percent: true },
  { key: 'memoryUsagePercent', title: 'Memory', percent: true },
  { key: 'diskUsagePercent', title: 'Disk', percent: true },
  { key: 'load1', title: 'Load (1 minute)', percent: false },
];

const THRESHOLDS = [
  { value: WARNING_PERCENT, color: 'yellow.6', label: `${WARNING_PERCENT} %` },
  { value: CRITICAL_PERCENT, color: 'red.7', label: `${CRITICAL_PERCENT} %` },
];

function MetricPanel({ metric, points, spec, now }: { metric: MetricDef; points: readonly HistoryPoint[]; spec: RangeSpec; now: number }) {
  const id = useId();
  const [tableShown, setTableShown] = useState(false);
  const rows = useMemo(() => toChartRows(points, metric.key, spec, now, timeLabeler(spec)), [points, metric.key, spec, now]);
  const fullTime = useMemo(() => fullTimeLabeler(), []);
  const format = metric.percent ? formatPercent : formatLoad;
  const summary = summarize(rows);
  const sentence = describeSummary(summary, spec, format, fullTime);
  const withData = rows.filter((r): r is ChartRow & { avg: number; max: number } => r.avg !== null && r.max !== null);
  const titleId = `${id}-title`;
  const summaryId = `${id}-summary`;
  const tableId = `${id}-table`;
  return (
    <Stack gap={6} component="section" aria-labelledby={titleId} data-testid="metric-panel" data-metric={metric.key} data-points={withData.length}>
      <Title order={3} size="h5" id={titleId}>
        {metric.title}
      </Title>
      <Text size="sm" id={summaryId} data-testid="metric-summary">
        {sentence}
      </Text>
      <Suspense fallback={<Loader size="sm" role="status" aria-label={`Loading the ${metric.title} chart`} />}>
        <MetricChart
          rows={rows}
          percent={metric.percent}
          valueFormatter={format}
          thresholds={metric.percent ? THRESHOLDS : []}
          label={`${metric.title} over ${spec.phrase}: mean (solid) and peak (dashed) per step${metric.percent ? `, thresholds at ${WARNING_PERCENT} % and ${CRITICAL_PERCENT} %` : ''}`}
          describedBy={summaryId}
          withDots={withData.length <= 90}
        />
      </Suspense>
      <Group>
        <Button variant="default" size="compact-sm" aria-expanded={tableShown} aria-controls={tableShown ? tableId : undefined} onClick={() => setTableShown((v) => !v)} disabled={withData.length === 0}>
          {tableShown ? `Hide ${metric.title} table` : `Show ${metric.title} table`}
        </Button>
      </Group>
      {tableShown && (
        <Box tabIndex={0} role="region" aria-label={`${metric.title} table, scrollable`} mah={260} style={{ overflow: 'auto' }}>
          <Table id={tableId} striped verticalSpacing={2} fz="sm" aria-label={`${metric.title} over ${spec.phrase}, per step`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Time</Table.Th>
                <Table.Th scope="col" ta="right">Mean</Table.Th>
                <Table.Th scope="col" ta="right">Peak</Table.Th>
                <Table.Th scope="col" ta="right">Heartbeats</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {withData.map((row) => (
                <Table.Tr key={row.t}>
                  <Table.Td>
                    <time dateTime={new Date(row.t).toISOString()}>{fullTime(row.t)}</time>
                  </Table.Td>
                  <Table.Td ta="right">{format(row.avg)}</Table.Td>
                  <Table.Td ta="right">{format(row.max)}</Table.Td>
                  <Table.Td ta="right">{row.samples}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Box>
      )}
    </Stack>
  );
}

function MetricsChartsCard({ serverId }: { serverId: string }) {
  const [rangeKey, setRangeKey] = useState<RangeSpec['key']>('1h');
  const spec = rangeSpec(rangeKey);
  const [now, setNow] = useState(() => Date.now());
  const [{ data, error, fetching }, reexecute] = useQuery({ query: ServerMetricsHistoryQuery, variables: { serverId, range: spec.range } });

  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'hidden') return;
      setNow(Date.now());
      reexecute({ requestPolicy: 'network-only' });
    }, METRICS_REFRESH_MS);
    return () => clearInterval(id);
  }, [reexecute]);

  const points = data?.server?.metricsHistory;
  return (
    <Card withBorder component="section" aria-labelledby="history-title" data-testid="metrics-history">
      <Group justify="space-between" align="center" mb="sm" wrap="wrap">
        <Title order={2} size="h4" id="history-title">
          Metrics history
        </Title>
        <Group gap="sm">
          {fetching && points && (
            <Text size="sm" c="dimmed">
              Refreshing…
            </Text>
          )}
          <SegmentedControl
            aria-label="Time range of the charts"
            value={rangeKey}
            onChange={(value) => {
              setRangeKey(rangeSpec(value).key);
              setNow(Date.now());
            }}
            data={RANGES.map((r) => ({ value: r.key, label: r.label }))}
          />
        </Group>
      </Group>
      {error && !points ? (
        <Alert color="red" variant="light" role="alert" title="Could not load the metrics history">
          {error.message}
        </Alert>
      ) : !points ? (
        <Loader size="sm" role="status" aria-label="Loading the metrics history" />
      ) : (
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            {spec.phrase[0]!.toUpperCase() + spec.phrase.slice(1)}, one point per {spec.key === '1h' ? 'minute' : spec.key === '24h' ? '5 minutes' : 'hour'} from the
            server’s heartbeats; a break in a line is time without heartbeats. Refreshed every 30 seconds.
          </Text>
          <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
            {METRICS.map((metric) => (
              <MetricPanel key={metric.key} metric={metric} points={points} spec={spec} now={now} />
            ))}
          </SimpleGrid>
        </Stack>
      )}
    </Card>
  );
}

/** Memoized: the page around it re-renders often (live heartbeats, dialogs); the charts need not. */
export const MetricsCharts = memo(MetricsChartsCard);
