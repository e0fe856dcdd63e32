// GraphQL documents for the servers list: the row fragment, the paged query and the live
// subscription. The subscription selects the same fragment as the query so that graphcache can
// update the rows already on screen in place.
import { graphql } from '../gql';

export const ServerRowFragment = graphql(`
  fragment ServerRow on Server {
    serverId
    hostname
    environment
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
  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {
    servers(filter: $filter, page: $page, pageSize: $pageSize) {
      total
      page
      pageSize
      items {
        ...ServerRow
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
