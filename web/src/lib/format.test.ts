// Unit tests for the relative-time, percent and count formatters.
import { describe, expect, it } from 'vitest';
import { formatCount, formatPercent, formatRelativeTime } from './format';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe('formatRelativeTime', () => {
  it.each([
    [ago(0), 'just now'],
    [ago(4), 'just now'],
    [ago(-3), 'just now'],
    [ago(-45), 'just now'],
    [ago(5), '5 seconds ago'],
    [ago(42), '42 seconds ago'],
    [ago(60), '1 minute ago'],
    [ago(125), '2 minutes ago'],
    [ago(3 * 3600 + 59), '3 hours ago'],
    [ago(26 * 3600), 'yesterday'],
    [ago(3 * 86400), '3 days ago'],
    [ago(-600), 'in 10 minutes'],
    [ago(400 * 86400), 'last year'],
  ])('%s → %s', (iso, expected) => {
    expect(formatRelativeTime(iso, NOW)).toBe(expected);
  });

  it('says "never" for a server that never sent a heartbeat', () => {
    expect(formatRelativeTime(null, NOW)).toBe('never');
    expect(formatRelativeTime(undefined, NOW)).toBe('never');
  });

  it('says "unknown" for a timestamp it cannot read', () => {
    expect(formatRelativeTime('yesterday-ish', NOW)).toBe('unknown');
  });
});

describe('formatPercent', () => {
  it.each([
    [42.46, '42.5%'],
    [7, '7%'],
    [0, '0%'],
    [99.99, '100%'],
    [100, '100%'],
    [120, '100%'],
    [-3, '0%'],
  ])('%s → %s', (value, expected) => {
    expect(formatPercent(value)).toBe(expected);
  });

  it('shows a dash for missing or non-numeric values', () => {
    expect(formatPercent(null)).toBe('–');
    expect(formatPercent(Number.NaN)).toBe('–');
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe('–');
  });
});

describe('formatCount', () => {
  it('uses the singular only for one', () => {
    expect(formatCount(0, 'server')).toBe('0 servers');
    expect(formatCount(1, 'server')).toBe('1 server');
    expect(formatCount(3, 'server')).toBe('3 servers');
  });
});
