/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n": typeof types.MeDocument,
    "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    environment\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n": typeof types.ServerRowFragmentDoc,
    "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n": typeof types.ServersDocument,
    "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n": typeof types.ServerUpdatesDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n": types.MeDocument,
    "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    environment\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n": types.ServerRowFragmentDoc,
    "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n": types.ServersDocument,
    "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n": types.ServerUpdatesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    environment\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n"): (typeof documents)["\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    environment\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n"): (typeof documents)["\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n"): (typeof documents)["\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;