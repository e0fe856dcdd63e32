// Tests for the output buffer: each line once by cursor whatever way it came, rows in cursor
// order (in place when appending, merged when older lines arrive late), chunks split into one
// row per line, the oldest rows dropped past the cap, and the server / stream filters.
import { describe, expect, it } from 'vitest';
import { logLine } from '../test/executions';
import { countUpTo, emptyBuffer, filterLines, MAX_ROWS, mergeLines, type LogLine } from './logs';

const texts = (lines: readonly LogLine[]) => lines.map((l) => l.data);

describe('mergeLines', () => {
  it('takes each cursor once: a snapshot tail and live lines may overlap', () => {
    const buffer = emptyBuffer();
    expect(mergeLines(buffer, [logLine(3, 'one\n'), logLine(7, 'two\n')])).toBe(2);
    expect(mergeLines(buffer, [logLine(7, 'two\n'), logLine(9, 'three\n'), logLine(9, 'three\n')])).toBe(1);
    expect(texts(buffer.rows)).toEqual(['one', 'two', 'three']);
    expect(buffer.maxCursor).toBe(9);
    expect(buffer.cursors.size).toBe(3);
  });

  it('appends in place when lines are newer than all held', () => {
    const buffer = emptyBuffer();
    mergeLines(buffer, [logLine(1, 'x')]);
    const rows = buffer.rows;
    mergeLines(buffer, [logLine(2, 'y')]);
    expect(buffer.rows).toBe(rows);
    expect(texts(rows)).toEqual(['x', 'y']);
  });

  it('puts late and older lines where their cursor says', () => {
    const buffer = emptyBuffer();
    mergeLines(buffer, [logLine(10, 'j'), logLine(12, 'l')]);
    // Another agent's batch stored earlier but published later, then an older page.
    mergeLines(buffer, [logLine(11, 'k', 'b')]);
    mergeLines(buffer, [logLine(2, 'b'), logLine(1, 'a'), logLine(10, 'j')]);
    expect(texts(buffer.rows)).toEqual(['a', 'b', 'j', 'k', 'l']);
    expect(buffer.maxCursor).toBe(12);
  });

  it('splits a chunk of several lines into one row each, kept together', () => {
    const buffer = emptyBuffer();
    mergeLines(buffer, [logLine(5, 'first\nsecond\r\nthird\n'), logLine(9, 'after')]);
    mergeLines(buffer, [logLine(1, 'before')]);
    expect(texts(buffer.rows)).toEqual(['before', 'first', 'second', 'third', 'after']);
    expect(buffer.rows.slice(1, 4).map((r) => r.cursor)).toEqual([5, 5, 5]);
  });

  it(`keeps at most ${MAX_ROWS} rows, dropping the oldest, and never takes a dropped line again`, () => {
    const buffer = emptyBuffer();
    const many = Array.from({ length: MAX_ROWS + 10 }, (_, i) => logLine(i + 1, `line ${i + 1}`));
    expect(mergeLines(buffer, many)).toBe(MAX_ROWS + 10);
    expect(buffer.rows).toHaveLength(MAX_ROWS);
    expect(buffer.dropped).toBe(10);
    expect(buffer.rows[0]!.data).toBe('line 11');
    expect(mergeLines(buffer, [logLine(1, 'line 1')])).toBe(0);
  });
});

describe('countUpTo', () => {
  const rows = [logLine(1, 'a'), logLine(4, 'b'), logLine(4, 'c'), logLine(9, 'd')];
  it.each([
    [0, 0],
    [1, 1],
    [4, 3],
    [8, 3],
    [9, 4],
    [-1, 0],
  ])('up to cursor %i: %i rows', (cursor, count) => {
    expect(countUpTo(rows, cursor)).toBe(count);
  });
});

describe('filterLines', () => {
  const lines = [logLine(1, 'x'), logLine(2, 'y', 'b', 'stderr'), logLine(3, 'z', 'a', 'stderr')];
  it.each([
    [null, 'all', ['x', 'y', 'z']],
    ['a', 'all', ['x', 'z']],
    [null, 'stderr', ['y', 'z']],
    ['a', 'stdout', ['x']],
  ] as const)('server %s, stream %s', (server, stream, expected) => {
    expect(texts(filterLines(lines, server, stream))).toEqual(expected);
  });

  it('looks only at the first rows when paused', () => {
    expect(texts(filterLines(lines, null, 'stderr', 2))).toEqual(['y']);
  });
});
