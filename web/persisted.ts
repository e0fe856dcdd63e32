// The dashboard's persisted operations, shared by codegen.ts (each document's hash) and
// vite.config.ts (dist/persisted-operations.json, the hub's allowlist).
//
// urql's cache adds `__typename` to every selection set of what it sends, and needs it in the
// answers; the hub, for a listed hash, runs the listed text. So the listed text is each document as
// codegen prints it (canonical: sorted, one line) with `__typename` added the same way, and its hash
// is that text's SHA-256 (hex). codegen's own src/gql/persisted-documents.json keeps the texts
// before `__typename` is added, keyed by these hashes; `persistedOperations` turns it into the
// manifest.
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import { parse, visit, Kind, type SelectionSetNode } from 'graphql';
import { createHash } from 'node:crypto';

/** The document with `__typename` in every selection set but a subscription's root, canonically printed. */
export function withTypenames(text: string): string {
  const doc = visit(parse(text, { noLocation: true }), {
    SelectionSet(node: SelectionSetNode, _key, parent) {
      const subscriptionRoot = parent !== undefined && !Array.isArray(parent) && 'kind' in parent && parent.kind === Kind.OPERATION_DEFINITION && parent.operation === 'subscription';
      if (subscriptionRoot || node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename')) return undefined;
      return { ...node, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }, ...node.selections] };
    },
  });
  return printExecutableGraphQLDocument(doc);
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The hash the dashboard sends for a document codegen printed as `text` (codegen's `hashAlgorithm`). */
export const persistedHash = (text: string): string => sha256(withTypenames(text));

/** The hub's manifest (SHA-256 hex → document) from codegen's persisted-documents.json. */
export function persistedOperations(codegen: Record<string, string>): Record<string, string> {
  const manifest: Record<string, string> = {};
  for (const [hash, text] of Object.entries(codegen)) {
    const listed = withTypenames(text);
    if (sha256(listed) !== hash) throw new Error(`persisted document ${hash}: its hash is not the SHA-256 of its listed text`);
    manifest[hash] = listed;
  }
  return manifest;
}
