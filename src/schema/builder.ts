// The Pothos builder shared by every schema file, with the JSON and DateTime scalars and the
// auth scopes (scope-auth): a field marked `authScopes: { ops: true }` refuses client keys with
// FORBIDDEN before its resolver runs; subscriptions are checked when they start.
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { hasRole, isPlatformAdmin } from '../auth/caller';
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
  AuthScopes: {
    /** Stats, the attempt log, the queue, services, cancel and retry. */
    ops: boolean;
    /** Keys, and changing services. */
    admin: boolean;
    /** An admin key of the platform's own tenant: creating tenants. */
    platformAdmin: boolean;
  };
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      ops: hasRole(ctx.caller, 'ops'),
      admin: hasRole(ctx.caller, 'admin'),
      platformAdmin: isPlatformAdmin(ctx.caller),
    }),
    // Names the field and the role, never a tenant or a row: a refusal tells nothing about data.
    unauthorizedError: (_parent, ctx, info) =>
      new GraphQLError(`${info.parentType.name}.${info.fieldName} is not allowed for a ${ctx.caller.role} key`, {
        extensions: { code: 'FORBIDDEN' },
      }),
  },
});

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
