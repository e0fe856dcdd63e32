// The Overview page's numbers, as pure functions (tested): fleet health counted by environment
// and state with links to the servers list filtered the same way (its URL format, filters.ts),
// the servers needing attention (unreachable, disk at or over the critical threshold, agent
// certificate expired or expiring within 14 days) and the success rate of executions per day
// (last 7 days) and per hour (last 24 hours).
import { certificateState, describeExpiry, EXPIRY_WARNING_DAYS } from '../agents/certificate';
import { FIRST_PAGE } from '../lib/paging';
import type { CredentialsFieldsFragment, ExecutionState, ServerRowFragment, ServerState } from '../gql/graphql';
import { formatPercent } from '../lib/format';
import { DEFAULT_SORT, filtersToParams } from '../servers/filters';
import { SERVER_STATES } from '../servers/status';
import { CRITICAL_PERCENT } from '../servers/thresholds';

export interface FleetRow {
  environment: string;
  counts: Record<ServerState, number>;
  total: number;
}

export interface FleetHealth {
  rows: FleetRow[];
  /** Per state over every environment. */
  totals: Record<ServerState, number>;
  total: number;
}

const zeroCounts = () => Object.fromEntries(SERVER_STATES.map((s) => [s, 0])) as Record<ServerState, number>;

export function fleetHealth(servers: readonly Pick<ServerRowFragment, 'environment' | 'status'>[]): FleetHealth {
  const byEnv = new Map<string, FleetRow>();
  const totals = zeroCounts();
  for (const server of servers) {
    let row = byEnv.get(server.environment);
    if (!row) {
      row = { environment: server.environment, counts: zeroCounts(), total: 0 };
      byEnv.set(server.environment, row);
    }
    row.counts[server.status.current]++;
    row.total++;
    totals[server.status.current]++;
  }
  const rows = [...byEnv.values()].sort((a, b) => a.environment.localeCompare(b.environment));
  return { rows, totals, total: servers.length };
}

/** The servers list filtered to one environment and/or one state: `/servers?environment=dev&status=IDLE`. */
export function serversLink(environment?: string | null, state?: ServerState | null): string {
  const params = filtersToParams({
    environments: environment ? [environment] : [],
    statuses: state ? [state] : [],
    lastSeen: 'any',
    group: null,
    tags: [],
    q: '',
    position: FIRST_PAGE,
    sort: DEFAULT_SORT,
  });
  const query = params.toString();
  return query ? `/servers?${query}` : '/servers';
}

export type AttentionServer = Pick<ServerRowFragment, 'serverId' | 'hostname' | 'environment' | 'status'> & { credentials: CredentialsFieldsFragment };

export interface AttentionItem {
  serverId: string;
  hostname: string;
  environment: string;
  /** Why, in words: "Unreachable", "Disk 93.1%", "Certificate expired 2 days ago". */
  reasons: string[];
  /** For ordering: unreachable first, then expired certificates, then disks, then expiring. */
  severity: number;
}

export function needsAttention(servers: readonly AttentionServer[], now: number): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const server of servers) {
    const reasons: string[] = [];
    let severity = 0;
    if (server.status.current === 'UNREACHABLE') {
      reasons.push('Unreachable');
      severity = Math.max(severity, 4);
    }
    if (server.status.diskUsagePercent >= CRITICAL_PERCENT) {
      reasons.push(`Disk ${formatPercent(server.status.diskUsagePercent)} full`);
      severity = Math.max(severity, 2);
    }
    const cert = certificateState(server.credentials, now);
    if (cert.kind === 'expired') {
      reasons.push(`Certificate ${describeExpiry(cert).toLowerCase()}`);
      severity = Math.max(severity, 3);
    } else if (cert.kind === 'expiring') {
      reasons.push(`Certificate expires ${cert.days === 0 ? 'today' : `in ${cert.days} day${cert.days === 1 ? '' : 's'}`}`);
      severity = Math.max(severity, 1);
    }
    if (reasons.length > 0) items.push({ serverId: server.serverId, hostname: server.hostname, environment: server.environment, reasons, severity });
  }
  return items.sort((a, b) => b.severity - a.severity || a.serverId.localeCompare(b.serverId));
}

export { EXPIRY_WARNING_DAYS };

export interface Outcome {
  overall: ExecutionState;
  timing: { createdAt: string };
}

export interface Bucket {
  start: number;
  end: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Still pending or running: not counted in the rate. */
  unfinished: number;
  /** succeeded / (succeeded + failed); null when none finished either way. */
  rate: number | null;
}

const HOUR_MS = 3_600_000;

/** Local midnight `days` days before the day of `now`. */
export function startOfDay(now: number, daysBack = 0): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - daysBack);
  return d.getTime();
}

/** The 7 local days ending today, oldest first. */
export function dayBuckets(now: number): Pick<Bucket, 'start' | 'end'>[] {
  return Array.from({ length: 7 }, (_, i) => ({ start: startOfDay(now, 6 - i), end: startOfDay(now, 5 - i) }));
}

/** The 24 hours ending with the current one, oldest first. */
export function hourBuckets(now: number): Pick<Bucket, 'start' | 'end'>[] {
  const current = new Date(now);
  current.setMinutes(0, 0, 0);
  const top = current.getTime();
  return Array.from({ length: 24 }, (_, i) => ({ start: top - (23 - i) * HOUR_MS, end: top - (22 - i) * HOUR_MS }));
}

/** Counts outcomes into `ranges` by creation time (an execution outside every range is ignored). */
export function successRates(outcomes: readonly Outcome[], ranges: readonly Pick<Bucket, 'start' | 'end'>[]): Bucket[] {
  const buckets: Bucket[] = ranges.map((r) => ({ ...r, succeeded: 0, failed: 0, cancelled: 0, unfinished: 0, rate: null }));
  for (const outcome of outcomes) {
    const at = Date.parse(outcome.timing.createdAt);
    const bucket = buckets.find((b) => at >= b.start && at < b.end);
    if (!bucket) continue;
    if (outcome.overall === 'COMPLETED') bucket.succeeded++;
    else if (outcome.overall === 'FAILED') bucket.failed++;
    else if (outcome.overall === 'CANCELLED') bucket.cancelled++;
    else bucket.unfinished++;
  }
  for (const b of buckets) b.rate = b.succeeded + b.failed > 0 ? b.succeeded / (b.succeeded + b.failed) : null;
  return buckets;
}

/** Executions counted in the rate (succeeded or failed) over all buckets. */
export const finishedCount = (buckets: readonly Bucket[]) => buckets.reduce((n, b) => n + b.succeeded + b.failed, 0);
