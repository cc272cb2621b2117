// The Pothos builder shared by every schema file, with the JSON and DateTime scalars.
import SchemaBuilder from '@pothos/core';
import { GraphQLError } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { GraphQLContext } from './context';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
    /** Milliseconds inside, "90m" / "1h" / "7d" on the wire (see duration.ts). */
    Duration: { Input: number; Output: number };
  };
}>({ defaultFieldNullability: false });

builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('DateTime', DateTimeResolver);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/** A GraphQL enum from one of our const lists: lower-case in TypeScript, upper-case in GraphQL. */
export function upperCaseEnum<T extends string>(name: string, values: readonly T[]) {
  return builder.enumType(name, {
    values: Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<string, { value: T }>,
  });
}

/** Every error a client can act on implements this. */
export const ErrorInterface = builder.interfaceRef<{ message: string }>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

/** A malformed argument: a GraphQL error the client sees as is (not masked). */
export function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** The builder's resolved type parameters, for helpers that take Pothos refs. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;
