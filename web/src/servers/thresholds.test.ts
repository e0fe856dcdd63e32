// The usage thresholds: amber from 80 %, red from 90 %, at the boundaries exactly.
import { describe, expect, it } from 'vitest';
import { CRITICAL_PERCENT, WARNING_PERCENT, usageLevel } from './thresholds';

describe('usageLevel', () => {
  it('is normal below 80 %, a warning from 80 % and critical from 90 %', () => {
    expect(WARNING_PERCENT).toBe(80);
    expect(CRITICAL_PERCENT).toBe(90);
    expect(usageLevel(0)).toBe('normal');
    expect(usageLevel(79.99)).toBe('normal');
    expect(usageLevel(80)).toBe('warning');
    expect(usageLevel(89.9)).toBe('warning');
    expect(usageLevel(90)).toBe('critical');
    expect(usageLevel(100)).toBe('critical');
  });

  it('does not flag a missing or unreadable value', () => {
    expect(usageLevel(null)).toBe('normal');
    expect(usageLevel(undefined)).toBe('normal');
    expect(usageLevel(Number.NaN)).toBe('normal');
  });
});
