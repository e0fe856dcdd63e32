// Tests for merging polled output: no duplicates across polls, chunks split into lines, and the
// server / stream filters.
import { describe, expect, it } from 'vitest';
import { emptyBuffer, filterLines, mergeLines, type LogLine } from './logs';

const line = (serverId: string, seq: number, data: string, stream = 'stdout', attempt = 1): LogLine => ({
  serverId,
  jobId: `job-${serverId}`,
  attempt,
  seq,
  stream,
  data,
  timestamp: '2025-01-01T00:00:00Z',
});

describe('mergeLines', () => {
  it('adds only lines not seen, by job, attempt and seq', () => {
    const buffer = emptyBuffer();
    expect(mergeLines(buffer, [line('a', 0, 'one\n'), line('b', 0, 'uno\n')])).toBe(2);
    expect(mergeLines(buffer, [line('a', 0, 'one\n'), line('a', 1, 'two\n'), line('b', 0, 'uno\n'), line('a', 0, 'retry\n', 'stdout', 2)])).toBe(2);
    expect(buffer.lines.map((l) => l.data)).toEqual(['one\n', 'uno\n', 'two\n', 'retry\n']);
  });

  it('splits a chunk of several lines into one row each', () => {
    const buffer = emptyBuffer();
    mergeLines(buffer, [line('a', 0, 'first\nsecond\r\nthird\n')]);
    expect(buffer.lines.map((l) => l.data)).toEqual(['first', 'second', 'third']);
  });
});

describe('filterLines', () => {
  const lines = [line('a', 0, 'x'), line('b', 0, 'y', 'stderr'), line('a', 1, 'z', 'stderr')];
  it.each([
    [null, 'all', ['x', 'y', 'z']],
    ['a', 'all', ['x', 'z']],
    [null, 'stderr', ['y', 'z']],
    ['a', 'stdout', ['x']],
  ] as const)('server %s, stream %s', (server, stream, expected) => {
    expect(filterLines(lines, server, stream).map((l) => l.data)).toEqual(expected);
  });
});
