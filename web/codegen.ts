// GraphQL Code Generator config: types for every document in src/, from the hub's schema.graphql.
// Output in src/gql/ is generated; never edit it by hand. `npm run build` regenerates it first,
// so a document that no longer matches the schema fails the build.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
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
