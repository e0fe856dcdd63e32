// Audit filters: URL round trip, the hub's AuditFilter (sign-ins folded away unless shown or asked
// for), the time range's one clear problem, and where an entry's resource links to.
import { describe, expect, it } from 'vitest';
import { FIRST_PAGE, readPosition } from '../lib/paging';
import { localToIso, NO_FILTERS, rangeProblem, readFilters, resourceLink, toAuditFilter, writeFilters } from './filters';

describe('audit filters', () => {
  it('round-trips through the URL, leaving empty fields out', () => {
    const f = { ...NO_FILTERS, event: 'execution_started', actor: 'ann@example.com', resourceType: 'execution', resourceId: 'e-1', from: '2026-12-01T10:00', showSignIns: true };
    const p = writeFilters(f, { page: 3, after: 'c-9', before: null });
    expect(p.toString()).toBe('event=execution_started&actor=ann%40example.com&resourceType=execution&resourceId=e-1&from=2026-12-01T10%3A00&signIns=show&page=3&after=c-9');
    expect(readFilters(p)).toEqual(f);
    expect(readPosition(p)).toEqual({ page: 3, after: 'c-9', before: null });
    expect(writeFilters(f, FIRST_PAGE).has('page')).toBe(false);
    expect(writeFilters(NO_FILTERS).toString()).toBe('');
  });

  it('hides sign-ins by default, not when shown or when the event asked for is one', () => {
    expect(toAuditFilter(NO_FILTERS)).toEqual({ excludeEventTypes: ['user_login', 'user_logout'] });
    expect(toAuditFilter({ ...NO_FILTERS, showSignIns: true })).toEqual({});
    expect(toAuditFilter({ ...NO_FILTERS, event: 'user_login' })).toEqual({ eventType: 'user_login' });
  });

  it('sends the time range as instants and trims text', () => {
    const f = toAuditFilter({ ...NO_FILTERS, actor: '  bob@x ', from: '2026-12-01T10:00', to: '2026-12-01T11:30', showSignIns: true });
    expect(f.actor).toBe('bob@x');
    expect(f.from).toBe(new Date('2026-12-01T10:00').toISOString());
    expect(Date.parse(f.to!) - Date.parse(f.from!)).toBe(90 * 60_000);
    expect(localToIso('soon')).toBeUndefined();
  });

  it('names a backwards range', () => {
    expect(rangeProblem({ ...NO_FILTERS, from: '2026-12-02T10:00', to: '2026-12-01T10:00' })).toBe('To must be after From.');
    expect(rangeProblem({ ...NO_FILTERS, from: '2026-12-01T10:00', to: '2026-12-02T10:00' })).toBeNull();
  });

  it('links executions, templates and servers, not deleted ones or other resources', () => {
    const e = (type: string, id: string, event = 'x') => ({ eventType: event, resource: { type, id, name: null } });
    expect(resourceLink(e('execution', 'e 1'))).toBe('/executions/e%201');
    expect(resourceLink(e('action_template', 'tpl'))).toBe('/templates/tpl');
    expect(resourceLink(e('server', 'web-01'))).toBe('/servers/web-01');
    expect(resourceLink(e('action_template', 'tpl', 'action_deleted'))).toBeNull();
    expect(resourceLink(e('user', 'ann@x'))).toBeNull();
    expect(resourceLink(e('execution', ''))).toBeNull();
  });
});
