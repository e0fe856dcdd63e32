// GraphQL documents for the Overview page: every server (first 500) with its certificate, the
// executions running now, and the outcomes of executions started in the last 7 days (paged, for
// the success rate).
import { graphql } from '../gql';

export const OverviewServersQuery = graphql(`
  query OverviewServers {
    servers(page: 1, pageSize: 500) {
      total
      items {
        ...ServerRow
        credentials {
          ...CredentialsFields
        }
      }
    }
  }
`);

export const OverviewRunningQuery = graphql(`
  query OverviewRunning {
    executions(filter: { status: RUNNING }, page: 1, pageSize: 50) {
      total
      items {
        ...ExecutionSummary
      }
    }
  }
`);

export const OverviewOutcomesQuery = graphql(`
  query OverviewOutcomes($from: DateTime!, $page: Int!, $pageSize: Int!) {
    executions(filter: { from: $from }, page: $page, pageSize: $pageSize) {
      total
      items {
        executionId
        overall
        timing {
          createdAt
        }
      }
    }
  }
`);
