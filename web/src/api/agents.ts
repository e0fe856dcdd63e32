// GraphQL documents for the Agents view: servers with their agent certificate state, revoking an
// agent's certificate (admins) and issuing an enrollment token (admins).
import { graphql } from '../gql';

export const CredentialsFieldsFragment = graphql(`
  fragment CredentialsFields on Credentials {
    certificateFingerprint
    certificateNotAfter
    lastRotation
    revoked
  }
`);

export const AgentServersQuery = graphql(`
  query AgentServers($first: Int!) {
    servers(first: $first) {
      totalCount
      nodes {
        serverId
        hostname
        environment
        status {
          current
          lastHeartbeat
        }
        credentials {
          ...CredentialsFields
        }
      }
    }
  }
`);

export const RevokeAgentMutation = graphql(`
  mutation RevokeAgent($serverId: String!) {
    revokeAgent(serverId: $serverId) {
      server {
        serverId
        credentials {
          ...CredentialsFields
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CreateEnrollmentTokenMutation = graphql(`
  mutation CreateEnrollmentToken($ttlHours: Int!, $uses: Int!, $environment: String, $tags: [String!]!) {
    createEnrollmentToken(ttlHours: $ttlHours, uses: $uses, environment: $environment, tags: $tags) {
      enrollmentToken {
        token
        uses
        expiresInHours
        caPem
        caSha256
        hubUrl
        enrollCommand
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
