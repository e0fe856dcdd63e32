// A tiny inline SVG line of recent values (0–100 %), labelled for screen readers with the range.
export interface SparklineProps {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}

export function Sparkline({ values, label, width = 160, height = 32 }: SparklineProps) {
  const n = values.length;
  const summary = n === 0 ? 'no samples yet' : `${n} samples, from ${values[0]!.toFixed(1)}% to ${values[n - 1]!.toFixed(1)}%`;
  const points = values
    .map((v, i) => {
      const x = n === 1 ? width : (i / (n - 1)) * width;
      const y = height - (Math.min(100, Math.max(0, v)) / 100) * (height - 2) - 1;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg width={width} height={height} role="img" aria-label={`${label}: ${summary}`} style={{ display: 'block' }}>
      <rect x="0" y="0" width={width} height={height} fill="none" stroke="var(--mantine-color-default-border)" />
      {n > 0 && <polyline points={points} fill="none" stroke="var(--mantine-primary-color-filled)" strokeWidth="1.5" />}
    </svg>
  );
}
