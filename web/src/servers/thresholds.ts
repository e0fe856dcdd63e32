// Resource-usage thresholds, shared by every view that judges a server's CPU, memory or disk:
// the servers list colours its cells, the server page's charts draw them as reference lines and
// the overview lists servers whose disk is critical. Amber from 80 %, red from 90 %.

/** At or above this a usage percentage is a warning (amber). */
export const WARNING_PERCENT = 80;
/** At or above this a usage percentage is critical (red). */
export const CRITICAL_PERCENT = 90;

export type UsageLevel = 'normal' | 'warning' | 'critical';

/** The level of a usage percentage; a missing or unreadable value is normal (nothing to flag). */
export function usageLevel(percent: number | null | undefined): UsageLevel {
  if (percent == null || !Number.isFinite(percent)) return 'normal';
  if (percent >= CRITICAL_PERCENT) return 'critical';
  if (percent >= WARNING_PERCENT) return 'warning';
  return 'normal';
}

/**
 * How a level looks: a filled colour with text that keeps 4.5:1 contrast in both themes, and
 * words for those who do not see the colour (colour never carries the meaning alone).
 */
export const USAGE_LOOK: Record<Exclude<UsageLevel, 'normal'>, { color: string; textColor: 'black' | 'white'; label: string }> = {
  warning: { color: 'yellow.5', textColor: 'black', label: `high (${WARNING_PERCENT} % or more)` },
  critical: { color: 'red.9', textColor: 'white', label: `critical (${CRITICAL_PERCENT} % or more)` },
};
