// The audit log's entry shape (the hub's audit document: JSON in GraphQL's auditLog) read
// defensively, and its export columns.
import type { Column } from '../lib/export';

export interface AuditEntry {
  seq: number;
  timestamp: string;
  event_type: string;
  actor: Record<string, unknown>;
  resource: Record<string, unknown>;
  details: unknown;
  result: Record<string, unknown>;
  hash: string;
}

const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** One `auditLog.items` JSON value as a typed entry; missing fields read as empty. */
export function toAuditEntry(raw: unknown): AuditEntry {
  const r = record(raw);
  return {
    seq: typeof r.seq === 'number' ? r.seq : 0,
    timestamp: typeof r.timestamp === 'string' ? r.timestamp : '',
    event_type: typeof r.event_type === 'string' ? r.event_type : '',
    actor: record(r.actor),
    resource: record(r.resource),
    details: r.details ?? null,
    result: record(r.result),
    hash: typeof r.hash === 'string' ? r.hash : '',
  };
}

export const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

export const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: 'seq', value: (e) => e.seq },
  { header: 'timestamp', value: (e) => e.timestamp },
  { header: 'event_type', value: (e) => e.event_type },
  { header: 'actor', value: (e) => `${str(e.actor.type)}:${str(e.actor.id)}` },
  { header: 'resource', value: (e) => `${str(e.resource.type)}:${str(e.resource.id)}` },
  { header: 'success', value: (e) => (e.result.success === false ? 'no' : 'yes') },
  { header: 'hash', value: (e) => e.hash },
];

