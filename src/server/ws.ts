// graphql-ws on the same port and path as Yoga. Each operation goes through yoga.getEnveloped,
// so WebSocket and HTTP share one schema, context and plugin chain.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../schema';
import { withoutHttpExtension } from './without-http-extension';
import { GRAPHQL_PATH, type ServerContext } from './yoga';

type Enveloped = ReturnType<YogaServerInstance<ServerContext, GraphQLContext>['getEnveloped']>;
interface EnvelopedRoot {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
}

export function attachWebSocket(server: Server, yoga: YogaServerInstance<ServerContext, GraphQLContext>) {
  // noServer: with `{ server }` the ws server re-emits the http server's errors (a port already in
  // use) and graphql-ws logs them with a stack before the start can say what happened.
  const wss = new WebSocketServer({ noServer: true });
  const onUpgrade = (req: Parameters<WebSocketServer['handleUpgrade']>[0], socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args as ExecutionArgs),
      // A refused operation answers an `error` message for its own id. A throw here would close the
      // whole socket with 4500 instead, ending every other subscription on it (clients do not retry 4500).
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        try {
          const document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length) return errors.map(withoutHttpExtension);
          return {
            schema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe } satisfies EnvelopedRoot,
          };
        } catch (err) {
          if (err instanceof GraphQLError) return [withoutHttpExtension(err)];
          yoga.logger.error('could not start a WebSocket operation', err);
          return [new GraphQLError('Unexpected error.')];
        }
      },
    },
    wss,
  );
  return {
    /** Closes every socket with 1001 (going away) and stops accepting new ones. */
    async close() {
      server.off('upgrade', onUpgrade);
      await disposable.dispose();
    },
  };
}
