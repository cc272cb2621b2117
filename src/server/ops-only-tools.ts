// In production, GraphiQL and introspection are for ops and admin keys only: a client key gets
// a 403 for the GraphiQL page and a FORBIDDEN error for `__schema` / `__type`, so the schema is
// not a map for whoever holds a leaked client key. (Outside production both are open.)
// Yoga decides on the GraphiQL page before plugins run: graphiqlAllowed is its `graphiql` check;
// the plugin then answers the page request that check turned down.
import { GraphQLError, NoSchemaIntrospectionCustomRule, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { shouldRenderGraphiQL, type Plugin } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator';
import { hasRole, type Caller } from '../auth/caller';
import { credentialFromHeader } from '../auth/credentials';
import type { GraphQLContext } from '../schema';

export function graphiqlAllowed(auth: Authenticator): (request: Request) => Promise<boolean> {
  return async (request) => {
    const admission = await auth.admit(credentialFromHeader(request.headers.get('authorization')));
    return admission.ok && hasRole(admission.caller, 'ops');
  };
}

export function useOpsOnlyTools(callerOf: (initial: { request: Request }) => Caller): Plugin {
  const isOps = (caller: Caller) => hasRole(caller, 'ops');
  // Yoga's parser cache hands out the same document for the same query text, so each distinct
  // query is checked once rather than on every request of every client key.
  const checked = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const introspectionIn = (schema: GraphQLSchema, document: DocumentNode) => {
    let errors = checked.get(document);
    if (!errors) checked.set(document, (errors = validate(schema, document, [NoSchemaIntrospectionCustomRule])));
    return errors;
  };
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (!shouldRenderGraphiQL(request) || isOps(callerOf({ request }))) return;
      const body = { errors: [{ message: 'GraphiQL is for ops and admin keys', extensions: { code: 'FORBIDDEN' } }] };
      endResponse(new fetchAPI.Response(JSON.stringify(body), { status: 403, headers: { 'content-type': 'application/json; charset=utf-8' } }));
    },
    // At execution rather than as a validation rule: Yoga caches validation per document, not per caller.
    onExecute({ args, setResultAndStopExecution }) {
      if (isOps((args.contextValue as unknown as GraphQLContext).caller)) return;
      const errors = introspectionIn(args.schema, args.document);
      if (errors.length) {
        setResultAndStopExecution({
          errors: errors.map((e) => new GraphQLError(`introspection is for ops and admin keys: ${e.message}`, { extensions: { code: 'FORBIDDEN' } })),
        });
      }
    },
  };
}
