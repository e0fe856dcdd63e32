// Tests for reading the servers page's filters from the URL and building the GraphQL input.
import { describe, expect, it } from 'vitest';
import { filtersToParams, parseFilters, toServerFilter } from './filters';

describe('parseFilters', () => {
  it('reads valid values', () => {
    expect(parseFilters(new URLSearchParams('environment=uat&status=ERROR&q=db&page=3'))).toEqual({
      environment: 'uat',
      status: 'ERROR',
      q: 'db',
      page: 3,
    });
  });

  it('drops an unknown status and a bad page', () => {
    expect(parseFilters(new URLSearchParams('status=on-fire&page=-2'))).toEqual({
      environment: null,
      status: null,
      q: '',
      page: 1,
    });
    expect(parseFilters(new URLSearchParams('page=abc')).page).toBe(1);
  });

  it('round-trips through URL parameters, leaving out defaults', () => {
    const filters = { environment: 'dev', status: null, q: 'web', page: 1 };
    expect(filtersToParams(filters).toString()).toBe('environment=dev&q=web');
    expect(parseFilters(filtersToParams(filters))).toEqual(filters);
  });
});

describe('toServerFilter', () => {
  it('sends only what the user set, with the search text trimmed', () => {
    expect(toServerFilter({ environment: null, status: 'IDLE', q: '  web-01 ' })).toEqual({ status: 'IDLE', q: 'web-01' });
  });

  it('sends no filter at all when nothing is set', () => {
    expect(toServerFilter({ environment: null, status: null, q: '   ' })).toBeUndefined();
  });
});
