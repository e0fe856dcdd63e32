// GraphQL documents for the Users view (admins): the tenant's users, creating one and changing
// a user's role, disabled flag or password.
import { graphql } from '../gql';

export const UserFieldsFragment = graphql(`
  fragment UserFields on User {
    email
    role
    tenantId
    disabled
  }
`);

export const UsersQuery = graphql(`
  query Users {
    users(first: 500) {
      totalCount
      nodes {
        ...UserFields
      }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($email: String!, $password: String!, $role: Role!) {
    createUser(email: $email, password: $password, role: $role) {
      user {
        ...UserFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateUser($email: String!, $role: Role, $disabled: Boolean, $password: String) {
    updateUser(email: $email, role: $role, disabled: $disabled, password: $password) {
      user {
        ...UserFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
