// GraphQL documents for a server's metrics over time (`Server.metricsHistory`): the server page's
// charts ask for one range at a time and again every 30 s.
import { graphql } from '../gql';

export const ServerMetricsHistoryQuery = graphql(`
  query ServerMetricsHistory($serverId: String!, $range: MetricsRange!) {
    server(serverId: $serverId) {
      serverId
      metricsHistory(range: $range) {
        at
        samples
        cpuPercent {
          avg
          max
        }
        memoryUsagePercent {
          avg
          max
        }
        diskUsagePercent {
          avg
          max
        }
        load1 {
          avg
          max
        }
      }
    }
  }
`);
