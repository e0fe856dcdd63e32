// GraphQL document for the signed-in user shown in the app header.
import { graphql } from '../gql';

export const MeQuery = graphql(`
  query Me {
    me {
      email
      role
    }
  }
`);
