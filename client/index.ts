// createCallgateClient: a small typed client for frontends over the generated documents, so a UI can
// start jobs and follow them with no GraphQL client library; and possibleTypes for Apollo Client users.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import {
  CallServiceDocument,
  JobDocument,
  JobUpdatedDocument,
  type CallServiceInput,
  type CallServiceMutation,
  type JobQuery,
  type JobUpdatedSubscription,
} from './generated/graphql';
import possibleTypesResult from './generated/possible-types';

/**
 * For Apollo Client: `new InMemoryCache({ possibleTypes })`. Without it the cache cannot tell that
 * UnknownOperationError implements Error, and `... on Error { message }` reads nothing.
 */
export const possibleTypes = possibleTypesResult.possibleTypes;

export interface CallgateClientOptions {
  /** The GraphQL endpoint, http(s)://host/graphql; subscriptions use the same URL as ws(s)://. */
  url: string;
  /**
   * A WebSocket constructor for runtimes without a global one; browsers, Node 22+, Deno and Bun need
   * none (elsewhere: the `ws` package).
   * @default globalThis.WebSocket
   */
  webSocketImpl?: unknown;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Sent with every HTTP request; over WebSocket, where browsers cannot set headers, as `connectionParams.headers`. */
  headers?: Record<string, string>;
}

export type CallServiceResult = CallServiceMutation['callService'];
export type JobDetails = NonNullable<JobQuery['job']>;
export type JobUpdate = JobUpdatedSubscription['jobUpdated'];

export interface CallgateClient {
  /** Starts a job; unknown service or operation and invalid input come back as typed results, not throws. */
  callService(input: CallServiceInput): Promise<CallServiceResult>;
  /** The job, or null when there is none with this id. */
  job(id: string): Promise<JobDetails | null>;
  /** The job now, then each change; ends after a final status. Breaking out of the loop unsubscribes. */
  watchJob(id: string): AsyncIterable<JobUpdate>;
  /** Closes the WebSocket, if one was opened. */
  close(): Promise<void>;
}

export function createCallgateClient(options: CallgateClientOptions): CallgateClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  let socket: Client | undefined;

  // Opened on the first watchJob only: a client that never subscribes never holds a socket.
  function ws(): Client {
    socket ??= createClient({
      url: options.url.replace(/^http/, 'ws'),
      webSocketImpl: options.webSocketImpl,
      connectionParams: options.headers ? { headers: options.headers } : undefined,
    });
    return socket;
  }

  async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const res = await doFetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options.headers },
      body: JSON.stringify({ query: print(document), variables }),
    });
    // A proxy's HTML error page is not a GraphQL response; say what came back instead of a JSON parse error.
    const body = (await res.json().catch(() => {
      throw new Error(`callgate: HTTP ${res.status} ${res.statusText} without a GraphQL response from ${options.url}`);
    })) as GraphQLResponse<R>;
    return dataOf(body);
  }

  async function* watchJob(id: string): AsyncGenerator<JobUpdate> {
    const results = ws().iterate<JobUpdatedSubscription>({ query: print(JobUpdatedDocument), variables: { id } });
    try {
      for await (const result of results) yield dataOf(result).jobUpdated;
    } catch (err) {
      throw toError(err);
    }
  }

  return {
    callService: async (input) => (await request(CallServiceDocument, { input })).callService,
    job: async (id) => (await request(JobDocument, { id })).job,
    watchJob,
    async close() {
      await socket?.dispose();
      socket = undefined;
    },
  };
}

/** What both transports deliver; only the parts this client reads. */
interface GraphQLResponse<R> {
  data?: R | null;
  errors?: readonly { message: string }[];
}

function dataOf<R>(result: GraphQLResponse<R>): R {
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  if (!result.data) throw new Error('callgate: a GraphQL response without data or errors');
  return result.data;
}

/** graphql-ws rejects with GraphQL error arrays (a refused subscription) or a CloseEvent, not Errors. */
function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new Error(err.map((e: { message?: string }) => e.message ?? String(e)).join('; '));
  if (err && typeof err === 'object' && 'code' in err) {
    const { code, reason } = err as { code: number; reason?: string };
    return new Error(`callgate: WebSocket closed (${code}${reason ? ` ${reason}` : ''})`);
  }
  return new Error(String(err));
}
