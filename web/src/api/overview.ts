// GraphQL documents for the Overview page: every server (first 500) with its certificate, the
// executions running now, and the outcomes of executions started in the last 7 days (paged, for
// the success rate).
import { graphql } from '../gql';

export const OverviewServersQuery = graphql(`
  query OverviewServers {
    servers(first: 500) {
      totalCount
      nodes {
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
    executions(filter: { status: RUNNING }, first: 50) {
      totalCount
      nodes {
        ...ExecutionSummary
      }
    }
  }
`);

export const OverviewOutcomesQuery = graphql(`
  query OverviewOutcomes($from: DateTime!, $first: Int!, $after: String) {
    executions(filter: { from: $from }, first: $first, after: $after) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        executionId
        overall
        timing {
          createdAt
        }
      }
    }
  }
`);
