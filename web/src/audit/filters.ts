// The audit log's filters: kept in the URL (event, actor, resource type / id, time range, sign-ins
// shown or not; the page position is lib/paging.ts's), turned into the hub's AuditFilter (the hub filters in its query, so pages and
// totals count matching entries only); and where an entry's resource lives in the dashboard.
import type { AuditFilter } from '../gql/graphql';
import type { AuditEntry } from './columns';
import { writePosition, type PagePosition } from '../lib/paging';

/** The event types a successful or failed sign-in / sign-out writes; folded away by default. */
export const SIGN_IN_EVENTS = ['user_login', 'user_logout'] as const;

/** Event types the hub writes (suggestions; any text is accepted). */
export const KNOWN_EVENTS = [
  'action_created',
  'action_updated',
  'action_deleted',
  'agent_enrolled',
  'agent_revoked',
  'agent_certificate_renewed',
  'agent_circuit_opened',
  'agent_impersonation_refused',
  'ca_rotation_staged',
  'ca_rotation_activated',
  'ca_rotation_finished',
  'enrollment_token_created',
  'execution_started',
  'execution_cancelled',
  'lock_acquired',
  'lock_extended',
  'lock_released',
  'lock_force_released',
  'lock_expired',
  'notification_rule_created',
  'notification_rule_updated',
  'notification_rule_deleted',
  'notification_rule_tested',
  'permission_denied',
  'refresh_token_reused',
  'result_fenced',
  'schedule_created',
  'schedule_deleted',
  'schedule_failed',
  'server_registered',
  'server_updated',
  'server_deregistered',
  'user_created',
  'user_updated',
  'user_locked_out',
  'user_login',
  'user_logout',
] as const;

/** Resource types entries name (suggestions for the resource-type field). */
export const RESOURCE_TYPES = ['action_template', 'enrollment_token', 'endpoint', 'execution', 'graphql', 'job', 'notification_rule', 'schedule', 'server', 'server_lock', 'user'] as const;

export interface AuditFilters {
  event: string;
  actor: string;
  resourceType: string;
  resourceId: string;
  /** `yyyy-mm-ddThh:mm` local time (an `<input type="datetime-local">` value), inclusive. */
  from: string;
  /** As `from`, exclusive. */
  to: string;
  /** Show sign-ins and sign-outs (hidden by default). */
  showSignIns: boolean;
}

export const NO_FILTERS: AuditFilters = { event: '', actor: '', resourceType: '', resourceId: '', from: '', to: '', showSignIns: false };

const KEYS = { event: 'event', actor: 'actor', resourceType: 'resourceType', resourceId: 'resourceId', from: 'from', to: 'to' } as const;

/** The filters a URL's search parameters say. */
export function readFilters(params: URLSearchParams): AuditFilters {
  const f: AuditFilters = { ...NO_FILTERS };
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) f[field] = params.get(key) ?? '';
  f.showSignIns = params.get('signIns') === 'show';
  return f;
}

/** Search parameters for these filters (and the page position, past the first); empty fields are left out. */
export function writeFilters(f: AuditFilters, position?: PagePosition): URLSearchParams {
  const p = new URLSearchParams();
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
    const v = f[field].trim();
    if (v) p.set(key, v);
  }
  if (f.showSignIns) p.set('signIns', 'show');
  return position ? writePosition(p, position) : p;
}

/** A datetime-local value as an ISO instant, or undefined when it is not a time. */
export function localToIso(local: string): string | undefined {
  if (!local) return undefined;
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The problem with a time range, or null: `to` must come after `from`. */
export function rangeProblem(f: AuditFilters): string | null {
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (f.from && !from) return 'From is not a date and time.';
  if (f.to && !to) return 'To is not a date and time.';
  if (from && to && Date.parse(to) <= Date.parse(from)) return 'To must be after From.';
  return null;
}

/** The hub's AuditFilter for these filters. Sign-ins are left out unless shown or asked for by event. */
export function toAuditFilter(f: AuditFilters): AuditFilter {
  const filter: AuditFilter = {};
  const event = f.event.trim();
  if (event) filter.eventType = event;
  if (f.actor.trim()) filter.actor = f.actor.trim();
  if (f.resourceType.trim()) filter.resourceType = f.resourceType.trim();
  if (f.resourceId.trim()) filter.resourceId = f.resourceId.trim();
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (from) filter.from = from;
  if (to) filter.to = to;
  if (!f.showSignIns && !(SIGN_IN_EVENTS as readonly string[]).includes(event)) filter.excludeEventTypes = [...SIGN_IN_EVENTS];
  return filter;
}

/** Whether any filter narrows beyond the default (sign-ins hidden). */
export function isFiltered(f: AuditFilters): boolean {
  return Boolean(f.event.trim() || f.actor.trim() || f.resourceType.trim() || f.resourceId.trim() || f.from || f.to);
}

/** The dashboard page of an entry's resource (an execution, a template, a server), or null. */
export function resourceLink(e: Pick<AuditEntry, 'eventType' | 'resource'>): string | null {
  const id = e.resource.id;
  if (!id) return null;
  const deleted = e.eventType === 'action_deleted' || e.eventType === 'server_deregistered';
  if (deleted) return null;
  switch (e.resource.type) {
    case 'execution':
      return `/executions/${encodeURIComponent(id)}`;
    case 'action_template':
      return `/templates/${encodeURIComponent(id)}`;
    case 'server':
      return `/servers/${encodeURIComponent(id)}`;
    default:
      return null;
  }
}
