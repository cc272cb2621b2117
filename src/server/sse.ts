// graphql-sse's single connection mode (PUT a stream, then operations over POST) at the GraphQL
// path itself. Yoga answers the distinct connections mode there already; this plugin takes only
// the requests that belong to a reserved stream, so queries, GraphiQL and Yoga's SSE are untouched.
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { GraphQLError } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { withoutHttpExtension } from './without-http-extension';

/** How a graphql-sse client names its stream: the header, or (for EventSource, which cannot set headers) the query (PROTOCOL.md). */
const STREAM_TOKEN_HEADER = 'x-graphql-event-stream-token';
const STREAM_TOKEN_QUERY = 'token';

type AnyYoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

/** Serves graphql-sse's single connection mode on `endpoint`, next to Yoga's own handling of that path. */
export function useSingleConnectionSSE(endpoint: string): Plugin {
  const sse = useGraphQLSSE({ endpoint });
  let yoga: AnyYoga;
  return {
    onYogaInit(payload) {
      yoga = payload.yoga as AnyYoga;
      return sse.onYogaInit?.(payload);
    },
    async onRequest(payload) {
      if (!isSingleConnectionRequest(payload.request)) return;
      const refused = await refuseBrokenOperation(yoga, payload.request);
      if (refused) return payload.endResponse(refused);
      return sse.onRequest?.(payload);
    },
  };
}

/** PUT reserves a stream; every later request of the mode carries the stream's token. */
function isSingleConnectionRequest(request: Request): boolean {
  return (
    request.method === 'PUT' ||
    request.headers.has(STREAM_TOKEN_HEADER) ||
    new URL(request.url).searchParams.has(STREAM_TOKEN_QUERY)
  );
}

/**
 * A 400 with the syntax or validation errors of a submitted operation, the answer graphql-sse's
 * protocol gives. The plugin would answer a syntax error with a 500 (which the client retries)
 * and a validation error with "Unable to detect operation AST". Yoga caches parse and validate,
 * so the plugin's own pass over a valid operation costs nothing more.
 */
async function refuseBrokenOperation(yoga: AnyYoga, request: Request): Promise<Response | undefined> {
  if (request.method !== 'POST') return undefined;
  const params = (await request.clone().json().catch(() => undefined)) as { query?: unknown } | undefined;
  if (typeof params?.query !== 'string') return undefined;
  const { parse, validate, schema } = yoga.getEnveloped({ request, params });
  let errors: readonly GraphQLError[];
  try {
    errors = validate(schema, parse(params.query));
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    errors = [err];
  }
  if (!errors.length) return undefined;
  return new yoga.fetchAPI.Response(JSON.stringify({ errors: errors.map(withoutHttpExtension) }), {
    status: 400,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}
