// One metric's line chart on the server page (loaded lazily with @mantine/charts and recharts):
// the mean per step as a solid line, the peak as a dashed one, gaps where no heartbeat came,
// the warning and critical thresholds as reference lines on percentages. The picture is one
// image to assistive technology; the text summary and the table next to it carry the numbers.
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import type { ChartRow } from './metricsSeries';

export interface MetricChartProps {
  rows: readonly ChartRow[];
  percent: boolean;
  valueFormatter: (value: number) => string;
  thresholds?: readonly { value: number; color: string; label: string }[];
  /** Names the image for screen readers, e.g. "CPU over the last hour". */
  label: string;
  describedBy?: string;
  /** Dots only when there are few points: a lone point between gaps stays visible. */
  withDots: boolean;
}

export default function MetricChart({ rows, percent, valueFormatter, thresholds = [], label, describedBy, withDots }: MetricChartProps) {
  return (
    <div role="img" aria-label={label} aria-describedby={describedBy} data-testid="metric-chart">
      <LineChart
        h={200}
        data={rows as ChartRow[]}
        dataKey="label"
        series={[
          { name: 'avg', label: 'Mean', color: 'blue.7' },
          { name: 'max', label: 'Peak', color: 'orange.8', strokeDasharray: '5 4' },
        ]}
        curveType="linear"
        connectNulls={false}
        withDots={withDots}
        dotProps={{ r: 2 }}
        strokeWidth={2}
        withLegend
        legendProps={{ verticalAlign: 'bottom', height: 30 }}
        valueFormatter={valueFormatter}
        yAxisProps={percent ? { domain: [0, 100], ticks: [0, 25, 50, 75, 100] } : { domain: [0, 'auto'] }}
        xAxisProps={{ minTickGap: 24 }}
        referenceLines={thresholds.map((t) => ({ y: t.value, color: t.color, label: t.label, labelPosition: 'insideTopRight' }))}
        lineChartProps={{ accessibilityLayer: false }}
        tooltipAnimationDuration={0}
        lineProps={{ isAnimationActive: false }}
      />
    </div>
  );
}
