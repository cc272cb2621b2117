// graphql-ws on the same port and path as Yoga. Each operation goes through yoga.getEnveloped,
// so WebSocket and HTTP share one schema, context and plugin chain. The API key comes once, in
// connection_init's payload; every operation on the socket runs as that caller.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticator';
import type { Caller } from '../auth/caller';
import { credentialFromConnectionParams } from '../auth/credentials';
import type { GraphQLContext } from '../schema';
import { isDatabaseUnavailable } from '../db/unavailable';
import { DATABASE_UNAVAILABLE } from './database-unavailable';
import { withoutHttpExtension } from './without-http-extension';
import { GRAPHQL_PATH, type ServerContext } from './yoga';

type Enveloped = ReturnType<YogaServerInstance<ServerContext, GraphQLContext>['getEnveloped']>;
interface EnvelopedRoot {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
}

/** graphql-ws close codes for a refused connection_init: no key where one is required, or a bad key. */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;
/** RFC 6455's "Try Again Later": the key could not be looked up while the database is down. */
const CLOSE_TRY_AGAIN_LATER = 1013;

export function attachWebSocket(server: Server, yoga: YogaServerInstance<ServerContext, GraphQLContext>, auth: Authenticator) {
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

  const callers = new WeakMap<object, Caller>();
  const disposable = useServer(
    {
      onConnect: async (ctx) => {
        let admission: Awaited<ReturnType<Authenticator['admit']>>;
        try {
          admission = await auth.admit(credentialFromConnectionParams(ctx.connectionParams));
        } catch (err) {
          if (!isDatabaseUnavailable(err)) throw err;
          ctx.extra.socket.close(CLOSE_TRY_AGAIN_LATER, DATABASE_UNAVAILABLE.message);
          return false;
        }
        if (admission.ok) {
          callers.set(ctx.extra.socket, admission.caller);
          return true;
        }
        if (admission.reason === 'missing') ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: an API key is required');
        else ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden: the API key is malformed, unknown or revoked');
        // graphql-ws would close with 4403 on `false` too; the socket is closing already, so that is a no-op.
        return false;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args as ExecutionArgs),
      // A refused operation answers an `error` message for its own id. A throw here would close the
      // whole socket with 4500 instead, ending every other subscription on it (clients do not retry 4500).
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          caller: callers.get(ctx.extra.socket),
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
