// Yoga marks parse and validation errors with `extensions.http` (the status of an HTTP response);
// on a WebSocket, or inside a body we write ourselves, it means nothing, so it is left out.
import { GraphQLError } from 'graphql';

/** The error without `extensions.http`; a copy, because Yoga caches validation results and its HTTP responses still need it. */
export function withoutHttpExtension(error: GraphQLError): GraphQLError {
  if (!error.extensions.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}
