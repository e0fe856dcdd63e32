// Cursor paging: the URL round trip of a position, the window asked for, and where Next /
// Previous lead (forwards after the last item, backwards before the first, page 1 read afresh).
import { describe, expect, it } from 'vitest';
import { FIRST_PAGE, nextPosition, pageCount, pageWindow, previousPosition, readPosition, writePosition } from './paging';

const info = { hasNextPage: true, hasPreviousPage: true, startCursor: 'c-start', endCursor: 'c-end' };

describe('paging', () => {
  it('keeps a position in the URL, the first page as nothing', () => {
    expect(writePosition(new URLSearchParams(), FIRST_PAGE).toString()).toBe('');
    const after = writePosition(new URLSearchParams('q=x'), { page: 3, after: 'c-9', before: null });
    expect(after.toString()).toBe('q=x&page=3&after=c-9');
    expect(readPosition(after)).toEqual({ page: 3, after: 'c-9', before: null });
    expect(readPosition(new URLSearchParams('page=2&before=c-2'))).toEqual({ page: 2, after: null, before: 'c-2' });
    // A page number without a cursor is the first page; a cursor without one is at least page 2.
    expect(readPosition(new URLSearchParams('page=4'))).toEqual(FIRST_PAGE);
    expect(readPosition(new URLSearchParams('after=c-1'))).toEqual({ page: 2, after: 'c-1', before: null });
  });

  it('asks forwards with first/after and backwards with last/before', () => {
    expect(pageWindow(FIRST_PAGE, 50)).toEqual({ first: 50 });
    expect(pageWindow({ page: 2, after: 'a', before: null }, 50)).toEqual({ first: 50, after: 'a' });
    expect(pageWindow({ page: 2, after: null, before: 'b' }, 50)).toEqual({ last: 50, before: 'b' });
  });

  it('moves Next after the last item and Previous before the first, page 1 without a cursor', () => {
    expect(nextPosition(FIRST_PAGE, info)).toEqual({ page: 2, after: 'c-end', before: null });
    expect(nextPosition(FIRST_PAGE, { ...info, hasNextPage: false })).toBeNull();
    expect(previousPosition(FIRST_PAGE, info)).toBeNull();
    expect(previousPosition({ page: 4, after: 'x', before: null }, info)).toEqual({ page: 3, after: null, before: 'c-start' });
    expect(previousPosition({ page: 2, after: 'x', before: null }, info)).toEqual(FIRST_PAGE);
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(101, 50)).toBe(3);
  });
});
