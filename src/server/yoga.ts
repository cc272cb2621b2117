// The Yoga instance at /graphql: GraphiQL (offline, with example tabs: graphiql.ts), SSE
// subscriptions, masked unexpected errors. WebSocket subscriptions reuse it through ws.ts.
import { createYoga, maskError, type Plugin, type YogaInitialContext, type YogaServerInstance } from 'graphql-yoga';
import { isDatabaseUnavailable } from '../db/unavailable';
import { databaseUnavailableError } from './database-unavailable';
import type { GraphQLContext } from '../schema';
import { buildSchema } from '../schema';
import { errorMessage, type Logger } from '../logger';
import { useOperationLimits } from './armor';
import { createGraphiQLRenderer, graphiqlOptions } from './graphiql';
import { requestGuards, type RequestLimits } from './request-guards';
import { useSingleConnectionSSE } from './sse';

export const GRAPHQL_PATH = '/graphql';

export type ServerContext = Record<string, unknown>;

interface YogaAccess {
  /** Run before every other plugin, SSE's included: API key admission (api-keys.ts). */
  guards: Plugin[];
  /** Whether this request may see GraphiQL (Yoga serves the page before any plugin of ours runs). */
  graphiql: (request: Request) => Promise<boolean>;
  /** The embedded database's dev admin key, pre-filled in GraphiQL's headers (auth/dev-key.ts). */
  devKey?: string | undefined;
}

export function createCallgateYoga(
  context: (initial: YogaInitialContext & ServerContext) => GraphQLContext,
  log: Logger,
  /** Added after ours, e.g. the metrics plugin. */
  plugins: Plugin[] = [],
  access: YogaAccess = { guards: [], graphiql: async () => true },
  /** Body size and CORS (request-guards.ts). */
  limits: RequestLimits,
): YogaServerInstance<ServerContext, GraphQLContext> {
  const yogaLog = log.child({ component: 'graphql' });
  const guards = requestGuards(limits);
  return createYoga<ServerContext, GraphQLContext>({
    ...guards.options,
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    context,
    graphiql: async (request) => (await access.graphiql(request)) && graphiqlOptions(access.devKey),
    renderGraphiQL: createGraphiQLRenderer(),
    landingPage: false,
    // An unreachable database is not a bug to hide behind "Unexpected error.": clients may retry.
    maskedErrors: { maskError: (error, message, isDev) => (isDatabaseUnavailable(error) ? databaseUnavailableError(error) : maskError(error, message, isDev)) },
    // graphql-sse's single connection mode on this same path; Yoga itself serves its distinct connections mode.
    plugins: [...access.guards, ...guards.plugins, ...useOperationLimits(), useSingleConnectionSSE(GRAPHQL_PATH), ...plugins],
    logging: {
      debug: (...args) => yogaLog.debug(args.map(String).join(' ')),
      info: (...args) => yogaLog.info(args.map(String).join(' ')),
      warn: (...args) => yogaLog.warn(args.map(String).join(' ')),
      error: (...args) => yogaLog.error({ err: args.find((a) => a instanceof Error) }, args.map(errorMessage).join(' ')),
    },
  });
}
