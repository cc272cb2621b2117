// What a client sees while the database cannot be reached (db/unavailable.ts decides when): a
// typed error it can act on (try again) instead of a masked "Unexpected error.". Inside GraphQL
// it is the field's error; outside it (API key admission) an HTTP 503 in the GraphQL error format.
import { GraphQLError } from 'graphql';

export const DATABASE_UNAVAILABLE = Object.freeze({ message: 'database unavailable, try again', code: 'DATABASE_UNAVAILABLE' });
/** Seconds a client should wait before trying again: reconnects are at most a second apart. */
const RETRY_AFTER_S = 1;

/** Keeps the failed field's path and location. */
export function databaseUnavailableError(error: unknown): GraphQLError {
  const at = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
  return new GraphQLError(DATABASE_UNAVAILABLE.message, { ...at, extensions: { code: DATABASE_UNAVAILABLE.code } });
}

export function databaseUnavailableResponse(fetchAPI: { Response: typeof Response }): Response {
  const body = { errors: [{ message: DATABASE_UNAVAILABLE.message, extensions: { code: DATABASE_UNAVAILABLE.code } }] };
  return new fetchAPI.Response(JSON.stringify(body), {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(RETRY_AFTER_S) },
  });
}
