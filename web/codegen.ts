// GraphQL Code Generator config: types for every document in src/, from the hub's schema.graphql.
// Output in src/gql/ is generated; never edit it by hand. `npm run build` regenerates it first,
// so a document that no longer matches the schema fails the build.
// Persisted documents: every document gets its hash (`__meta__.hash`, which the client sends as
// `extensions.persistedQuery.sha256Hash`) and src/gql/persisted-documents.json lists them all; the
// build ships them as dist/persisted-operations.json, the hub's allowlist when
// `security.graphql_persisted_queries: allowlist` (see persisted.ts for why the hash is taken of
// the text with `__typename` added).
import type { CodegenConfig } from '@graphql-codegen/cli';
import { persistedHash } from './persisted.ts';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: persistedHash } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        avoidOptionals: false,
      },
    },
  },
};

export default config;
