// Test fixtures for the servers page: three servers and a fake `servers` resolver that applies
// the filter the way the hub does, so filter tests see rows appear and disappear.
import type { ServerFilter, ServerRowFragment, ServersQuery } from '../gql/graphql';

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

export function makeServers(): ServerRowFragment[] {
  return [
    {
      serverId: 'nonprod-web-01',
      hostname: 'web-01.staging.example.net',
      environment: 'staging',
      tags: ['nginx', 'php'],
      status: { current: 'IDLE', lastHeartbeat: secondsAgo(120), cpuPercent: 42.46, memoryUsagePercent: 65.2, diskUsagePercent: 78.1 },
    },
    {
      serverId: 'nonprod-db-01',
      hostname: 'db-01.uat.example.net',
      environment: 'uat',
      tags: ['postgres'],
      status: { current: 'ERROR', lastHeartbeat: secondsAgo(30), cpuPercent: 91, memoryUsagePercent: 88.8, diskUsagePercent: 97.25 },
    },
    {
      serverId: 'nonprod-app-01',
      hostname: 'app-01.dev.example.net',
      environment: 'dev',
      tags: [],
      status: { current: 'MAINTENANCE', lastHeartbeat: null, cpuPercent: 0, memoryUsagePercent: 12, diskUsagePercent: 40 },
    },
  ];
}

export function applyFilter(servers: ServerRowFragment[], filter: ServerFilter | null | undefined): ServerRowFragment[] {
  return servers.filter((server) => {
    if (filter?.environment && server.environment !== filter.environment) return false;
    if (filter?.status && server.status.current !== filter.status) return false;
    if (filter?.q) {
      const q = filter.q.toLowerCase();
      const haystack = [server.serverId, server.hostname, ...server.tags].join(' ').toLowerCase();
      if (!haystack.includes(q)) return false;
    }
    return true;
  });
}

export function serversPage(items: ServerRowFragment[], page = 1, pageSize = 100): ServersQuery {
  return { servers: { total: items.length, page, pageSize, items } };
}

/** The same data with the `__typename`s a real GraphQL server adds (graphcache needs them). */
export function withTypenames(data: ServersQuery) {
  return {
    servers: {
      __typename: 'ServerPage',
      ...data.servers,
      items: data.servers.items.map(typedServer),
    },
  };
}

export function typedServer(server: ServerRowFragment) {
  return { __typename: 'Server', ...server, status: { __typename: 'ServerStatus', ...server.status } };
}
