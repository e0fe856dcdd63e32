// Test fixtures for the servers page: three servers and a fake `servers` resolver that applies
// the filter the way the hub does, so filter tests see rows appear and disappear; and a generated
// fleet of any size for the virtualization tests.
import type { ServerFilter, ServerRowFragment, ServersQuery } from '../gql/graphql';

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

export function makeServers(): ServerRowFragment[] {
  return [
    {
      serverId: 'nonprod-web-01',
      hostname: 'web-01.staging.example.net',
      ipAddress: '10.0.1.10',
      environment: 'staging',
      serverGroup: 'web-tier',
      tags: ['nginx', 'php'],
      status: { current: 'IDLE', lastHeartbeat: secondsAgo(120), cpuPercent: 42.46, memoryUsagePercent: 65.2, diskUsagePercent: 78.1 },
    },
    {
      serverId: 'nonprod-db-01',
      hostname: 'db-01.uat.example.net',
      ipAddress: '10.0.2.20',
      environment: 'uat',
      serverGroup: 'db-tier',
      tags: ['postgres'],
      status: { current: 'ERROR', lastHeartbeat: secondsAgo(30), cpuPercent: 91, memoryUsagePercent: 88.8, diskUsagePercent: 97.25 },
    },
    {
      serverId: 'nonprod-app-01',
      hostname: 'app-01.dev.example.net',
      ipAddress: '10.0.3.30',
      environment: 'dev',
      serverGroup: 'app-tier',
      tags: [],
      status: { current: 'MAINTENANCE', lastHeartbeat: null, cpuPercent: 0, memoryUsagePercent: 12, diskUsagePercent: 40 },
    },
  ];
}

export function applyFilter(servers: ServerRowFragment[], filter: ServerFilter | null | undefined): ServerRowFragment[] {
  return servers.filter((server) => {
    if (filter?.environment && server.environment !== filter.environment) return false;
    if (filter?.status && server.status.current !== filter.status) return false;
    if (filter?.tag && !server.tags.includes(filter.tag)) return false;
    if (filter?.tags && !filter.tags.every((t) => server.tags.includes(t))) return false;
    if (filter?.serverGroup && server.serverGroup !== filter.serverGroup) return false;
    if (filter?.q) {
      const q = filter.q.toLowerCase();
      const haystack = [server.serverId, server.hostname, server.ipAddress, ...server.tags].join(' ').toLowerCase();
      if (!haystack.includes(q)) return false;
    }
    return true;
  });
}

/** One page of `servers` (the first, whole list unless `hasNextPage`). */
export function serversPage(items: ServerRowFragment[], pageInfo: Partial<ServersQuery['servers']['pageInfo']> = {}, totalCount = items.length): ServersQuery {
  return { servers: { totalCount, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: items.length ? 'c-first' : null, endCursor: items.length ? 'c-last' : null, ...pageInfo }, nodes: items } };
}

/** The same data with the `__typename`s a real GraphQL server adds (graphcache needs them). */
export function withTypenames(data: ServersQuery) {
  return {
    servers: {
      __typename: 'ServerConnection',
      ...data.servers,
      pageInfo: { __typename: 'PageInfo', ...data.servers.pageInfo },
      nodes: data.servers.nodes.map(typedServer),
    },
  };
}

export function typedServer(server: ServerRowFragment) {
  return { __typename: 'Server', ...server, status: { __typename: 'ServerStatus', ...server.status } };
}

const STATES = ['IDLE', 'BUSY', 'MAINTENANCE', 'UNREACHABLE', 'ERROR'] as const;
const ENVS = ['dev', 'staging', 'uat', 'preprod'] as const;

/** `count` generated servers: fleet-0001 … with rotating environments, states and tags. */
export function makeFleet(count: number): ServerRowFragment[] {
  return Array.from({ length: count }, (_, i) => ({
    serverId: `fleet-${String(i + 1).padStart(4, '0')}`,
    hostname: `host-${i + 1}.example.net`,
    ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    environment: ENVS[i % ENVS.length]!,
    serverGroup: `group-${i % 7}`,
    tags: i % 2 === 0 ? ['linux', 'web'] : ['linux'],
    status: {
      current: STATES[i % STATES.length]!,
      lastHeartbeat: secondsAgo(i % 600),
      cpuPercent: (i * 7) % 100,
      memoryUsagePercent: (i * 13) % 100,
      diskUsagePercent: (i * 17) % 100,
    },
  }));
}
