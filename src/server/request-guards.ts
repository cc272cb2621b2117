// What an HTTP request must be before Yoga parses it: a bounded body, JSON (or GraphQL) when it is
// a POST, one operation (no batches), and CORS only for configured origins. Together these keep a
// page on another site from creating jobs through a visitor's browser (CSRF) or reading answers.
import type { Plugin, YogaServerOptions } from 'graphql-yoga';

export interface RequestLimits {
  /** Larger bodies are refused with 413, by Content-Length or while streaming. */
  maxBodyBytes: number;
  /** Browser origins granted CORS; empty: same origin only. */
  corsOrigins: readonly string[];
}

type GuardOptions = Pick<YogaServerOptions<object, object>, 'maxRequestBodySize' | 'multipart' | 'batching' | 'cors'>;

/**
 * A browser sends these three cross-site without a CORS preflight (a plain HTML form can), so a
 * POST in any of them could create a job from another site. What
 * @graphql-yoga/plugin-csrf-prevention guards against; every GraphQL client sends JSON.
 */
const POST_CONTENT_TYPES = new Set(['application/json', 'application/graphql-response+json', 'application/graphql']);

export function requestGuards(limits: RequestLimits): { options: GuardOptions; plugins: Plugin[] } {
  return {
    options: {
      maxRequestBodySize: limits.maxBodyBytes,
      // No file uploads exist in the schema; multipart is only a way around the content-type check.
      multipart: false,
      // One operation per request: a batch of 1,000 would slip past every per-operation limit.
      batching: false,
      cors: (request) => corsFor(request, limits.corsOrigins),
    },
    plugins: [useJsonPostsOnly()],
  };
}

/**
 * An allowlisted Origin gets a grant for itself alone; any other gets no CORS headers at all (the
 * browser then keeps the answer from the page). Never credentials: keys travel in Authorization.
 */
function corsFor(request: Request, allowed: readonly string[]) {
  const origin = request.headers.get('origin');
  if (origin === null || !allowed.includes(origin)) return false as const;
  return { origin: [origin], credentials: false, methods: ['GET', 'POST'] };
}

function useJsonPostsOnly(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (POST_CONTENT_TYPES.has(type)) return;
      const message = `POST needs Content-Type: application/json${type ? `, not ${type.slice(0, 100)}` : ''}`;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] }), {
          status: 415,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
