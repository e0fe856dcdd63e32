// GraphQL fragments every view shares: a mutation payload's `userErrors` (what the caller can fix,
// turned into form problems by lib/errors.ts) and a connection's `pageInfo` (cursor paging).
import { graphql } from '../gql';

export const UserErrorFieldsFragment = graphql(`
  fragment UserErrorFields on UserError {
    field
    code
    message
  }
`);

export const PageInfoFieldsFragment = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    hasPreviousPage
    startCursor
    endCursor
  }
`);
