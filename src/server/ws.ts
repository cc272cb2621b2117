// graphql-ws on the same port and path as Yoga. Each operation goes through yoga.getEnveloped,
// so WebSocket and HTTP share one schema, context and plugin chain.
import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../schema';
import { GRAPHQL_PATH, type ServerContext } from './yoga';

type Enveloped = ReturnType<YogaServerInstance<ServerContext, GraphQLContext>['getEnveloped']>;
interface EnvelopedRoot {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
}

export function attachWebSocket(server: Server, yoga: YogaServerInstance<ServerContext, GraphQLContext>) {
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args as ExecutionArgs),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
