// The Yoga instance at /graphql: GraphiQL with a ready example, SSE subscriptions, masked
// unexpected errors. WebSocket subscriptions reuse it through ws.ts.
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext } from '../schema';
import { buildSchema } from '../schema';
import type { Logger } from '../logger';
import { useSingleConnectionSSE } from './sse';

export const GRAPHQL_PATH = '/graphql';

const EXAMPLE = `# Enqueue a call to the sample mock service, then follow the job live:
# run callService, copy the job id into the variables of WatchJob, run WatchJob.
mutation CallEcho {
  callService(input: { service: "mock", operation: "echo", input: { hello: "world" } }) {
    __typename
    ... on CallServiceSuccess { deduplicated job { id status } }
    ... on Error { message }
    ... on InvalidInputError { violations { path message } }
  }
}

subscription WatchJob($id: ID!) {
  jobUpdated(id: $id) { id status attempts output lastError completedAt }
}

query RecentJobs {
  jobs(first: 10) { edges { node { id service operation status createdAt } } pageInfo { hasNextPage endCursor } }
}
`;

export type ServerContext = Record<string, unknown>;

export function createCallgateYoga(
  context: () => GraphQLContext,
  log: Logger,
  /** Added after ours, e.g. the metrics plugin. */
  plugins: Plugin[] = [],
): YogaServerInstance<ServerContext, GraphQLContext> {
  const yogaLog = log.child({ component: 'graphql' });
  return createYoga<ServerContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    context,
    graphiql: { defaultQuery: EXAMPLE, subscriptionsProtocol: 'WS', title: 'callgate' },
    landingPage: false,
    // graphql-sse's single connection mode on this same path; Yoga itself serves its distinct connections mode.
    plugins: [useSingleConnectionSSE(GRAPHQL_PATH), ...plugins],
    logging: {
      debug: (...args) => yogaLog.debug(args.map(String).join(' ')),
      info: (...args) => yogaLog.info(args.map(String).join(' ')),
      warn: (...args) => yogaLog.warn(args.map(String).join(' ')),
      error: (...args) => yogaLog.error({ err: args.find((a) => a instanceof Error) }, args.map(String).join(' ')),
    },
  });
}
