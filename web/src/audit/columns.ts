// The audit log's entry (GraphQL `AuditEntry`, typed; only `details` stays JSON) and its export
// columns.
import type { AuditLogQuery } from '../gql/graphql';
import type { Column } from '../lib/export';

export type AuditEntry = AuditLogQuery['auditLog']['nodes'][number];

export const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: 'seq', value: (e) => e.seq },
  { header: 'timestamp', value: (e) => e.timestamp ?? '' },
  { header: 'event_type', value: (e) => e.eventType },
  { header: 'actor', value: (e) => `${e.actor.type}:${e.actor.id}` },
  { header: 'resource', value: (e) => `${e.resource.type}:${e.resource.id}` },
  { header: 'success', value: (e) => (e.result.success ? 'yes' : 'no') },
  { header: 'hash', value: (e) => e.hash },
];
