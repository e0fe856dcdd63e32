// The servers list as CSV / JSON rows: the columns an operator would paste into a ticket.
import type { ServerRowFragment } from '../gql/graphql';
import type { Column } from '../lib/export';

export const SERVER_EXPORT_COLUMNS: Column<ServerRowFragment>[] = [
  { header: 'server_id', value: (s) => s.serverId },
  { header: 'hostname', value: (s) => s.hostname },
  { header: 'ip_address', value: (s) => s.ipAddress },
  { header: 'environment', value: (s) => s.environment },
  { header: 'server_group', value: (s) => s.serverGroup },
  { header: 'status', value: (s) => s.status.current.toLowerCase() },
  { header: 'tags', value: (s) => s.tags.join(' ') },
  { header: 'cpu_percent', value: (s) => s.status.cpuPercent },
  { header: 'memory_usage_percent', value: (s) => s.status.memoryUsagePercent },
  { header: 'disk_usage_percent', value: (s) => s.status.diskUsagePercent },
  { header: 'last_heartbeat', value: (s) => s.status.lastHeartbeat ?? '' },
];

/** The JSON export: plain objects in the specification's snake_case. */
export function serversToJson(servers: readonly ServerRowFragment[]) {
  return servers.map((s) => Object.fromEntries(SERVER_EXPORT_COLUMNS.map((c) => [c.header, c.header === 'tags' ? s.tags : c.value(s)])));
}
