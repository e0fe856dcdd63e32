// A usage percentage as the servers list shows it: plain below the warning threshold, an amber
// or red badge at or above it (thresholds.ts), with the level in words for screen readers and in
// the tooltip. `size` xs for the phone cards (ServerCards), sm (the default) for the table.
import { Badge, Text, VisuallyHidden } from '@mantine/core';
import { formatPercent } from '../lib/format';
import { USAGE_LOOK, usageLevel } from './thresholds';

export function UsageValue({ value, size = 'sm' }: { value: number | null | undefined; size?: 'xs' | 'sm' }) {
  const level = usageLevel(value);
  const text = formatPercent(value);
  if (level === 'normal') {
    return (
      <Text span size={size} data-usage-level="normal">
        {text}
      </Text>
    );
  }
  const look = USAGE_LOOK[level];
  return (
    <Badge
      color={look.color}
      c={look.textColor}
      variant="filled"
      radius="sm"
      size={size}
      px={size === 'xs' ? 4 : 6}
      styles={{ root: { overflow: 'visible' }, label: { overflow: 'visible', textOverflow: 'clip' } }}
      tt="none"
      fw={700}
      title={`${text}: ${look.label}`}
      data-usage-level={level}
    >
      <span>{text}</span>
      <VisuallyHidden>, {look.label}</VisuallyHidden>
    </Badge>
  );
}
