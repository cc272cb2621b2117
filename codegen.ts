// GraphQL Code Generator config: turns schema.graphql and client/operations/*.graphql into typed
// documents in client/generated/, plus Apollo Client's possibleTypes map (committed;
// test/unit/codegen.in-sync.test.ts keeps them current).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations/*.graphql'],
  // A missing document or a broken operation must fail the run, not write an empty file.
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      presetConfig: {
        // Our operations select no fragments, so the masking helpers would be unused code.
        fragmentMasking: false,
      },
      config: {
        // verbatimModuleSyntax needs type-only imports for the TypedDocumentNode import.
        useTypeImports: true,
        // Enums as unions of string literals: what arrives over the wire, nothing emitted at runtime.
        enumType: 'string-literal',
        // Scalars as they arrive in JSON: JSON is any value, DateTime an ISO 8601 string, Duration like "1h".
        scalars: { JSON: 'unknown', DateTime: 'string', Duration: 'string' },
        strictScalars: true,
      },
    },
    // Apollo Client's InMemoryCache must be told which types implement Error and make up the
    // result unions (`new InMemoryCache({ possibleTypes })`), else `... on Error { message }`
    // matches nothing and the field is missing. Exported from client/index.ts as `possibleTypes`.
    'client/generated/possible-types.ts': {
      plugins: ['fragment-matcher'],
      // Sorted, so a schema change shows as a small diff and the in-sync check is stable.
      config: { deterministic: true },
    },
  },
};

// The codegen CLI reads the default export.
export default config;
