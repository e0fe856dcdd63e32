// A GraphQL query run outside the urql client and its normalised cache: for answers a view uses
// once and that graphcache would otherwise keep for the session (the pages of a long execution's
// output, read by cursor). The same typed documents and POST /graphql as the client; the access
// token renewed like every other call (rest.ts `withToken`), a top-level error thrown as an Error
// in the hub's words.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { useCallback } from 'react';
import { useSessionStore } from '../auth/sessionContext';
import { GRAPHQL_PATH } from './client';
import { RestError, withToken } from './rest';

interface GraphQLAnswer<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs one query with the given token; `onUnauthenticated` when the hub says the token is no good. */
export async function directQuery<R, V>(document: TypedDocumentNode<R, V>, variables: V, accessToken: string, onUnauthenticated: () => void, fetchImpl: typeof fetch = fetch): Promise<R> {
  let response: Response;
  try {
    response = await fetchImpl(GRAPHQL_PATH, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: print(document), variables }),
    });
  } catch {
    throw new RestError('Could not reach the hub. Check the connection; the view retries by itself.', null, 'network');
  }
  let answer: GraphQLAnswer<R> | null = null;
  try {
    answer = (await response.json()) as GraphQLAnswer<R>;
  } catch {
    // Not JSON: reported below by status.
  }
  const errors = answer?.errors ?? [];
  if (response.status === 401 || errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
    onUnauthenticated();
    throw new RestError(errors[0]?.message ?? 'Signed out.', 401, 'UNAUTHENTICATED');
  }
  if (errors.length > 0 || !answer?.data) {
    const message = errors.map((e) => e.message).join('; ') || `The hub answered HTTP ${response.status}.`;
    throw new RestError(message, response.status, errors[0]?.extensions?.code ?? 'http');
  }
  return answer.data;
}

/** `directQuery` bound to the signed-in session. */
export function useDirectQuery() {
  const store = useSessionStore();
  return useCallback(
    <R, V>(document: TypedDocumentNode<R, V>, variables: V) => withToken(store, (accessToken, onUnauthenticated) => directQuery(document, variables, accessToken, onUnauthenticated)),
    [store],
  );
}
