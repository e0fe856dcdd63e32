// GraphQL documents for servers: the row fragment, the paged list query, one server's page and
// the live subscription. The subscription selects the same fragment as the list so graphcache
// updates the rows already on screen in place.
import { graphql } from '../gql';

export const ServerRowFragment = graphql(`
  fragment ServerRow on Server {
    serverId
    hostname
    ipAddress
    environment
    serverGroup
    tags
    status {
      current
      lastHeartbeat
      cpuPercent
      memoryUsagePercent
      diskUsagePercent
    }
  }
`);

export const ServersQuery = graphql(`
  query Servers($filter: ServerFilter, $first: Int, $after: String, $last: Int, $before: String) {
    servers(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        ...ServerRow
      }
    }
  }
`);

export const ServerDetailQuery = graphql(`
  query ServerDetail($serverId: String!) {
    server(serverId: $serverId) {
      ...ServerRow
      capabilities
      configuration {
        agentVersion
        osInfo
        maxConcurrentJobs
        timeoutDefault
      }
      status {
        uptimeSeconds
        loadAverage
      }
      credentials {
        ...CredentialsFields
      }
      metadata {
        createdAt
        createdBy
        updatedAt
        lastSuccessfulExecution
      }
    }
  }
`);

export const ServerUpdatesSubscription = graphql(`
  subscription ServerUpdates {
    serverUpdates {
      ...ServerRow
    }
  }
`);
