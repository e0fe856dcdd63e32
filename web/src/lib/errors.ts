// What went wrong with a GraphQL operation, in the hub's own words when it gave any.
import type { CombinedError } from 'urql';

export function errorMessage(error: CombinedError): string {
  return error.graphQLErrors.map((e) => e.message).join('; ') || error.message;
}
