// buildApp(config) → { start(port), stop() }: opens and migrates the database, loads the service
// registry, and wires the event bus, breakers, worker pool, sweeper, retention, metrics, Yoga,
// graphql-ws and the health routes on one HTTP server. stop() drains the workers before it closes
// anything they need.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createCallbackSecrets } from './callbacks/secrets';
import { createHttpClient } from './clients/http';
import { createMockClient } from './clients/mock';
import { withMockMode } from './clients/mock-mode';
import type { UpstreamClient } from './clients/types';
import type { Config } from './config';
import { openDatabase, type Database } from './db/client';
import { migrate } from './db/migrate';
import type { ServiceKind } from './db/schema';
import { tenantScope } from './db/tenant-scope';
import { createAuthenticator } from './auth/authenticator';
import { ensureDevKey } from './auth/dev-key';
import { createEventBus } from './events/bus';
import { followRegistry } from './events/registry-bus';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { createRateLimiter } from './schema/call-limits';
import { createLoaders } from './schema/loaders';
import { createEnqueueBatcher, HEARTBEAT_INTERVAL_MS } from './queue';
import { loadRegistry, loadServicesFile, type LiveRegistry } from './registry';
import { useApiKeys } from './server/api-keys';
import { useGraphQLMetrics } from './server/graphql-metrics';
import { handleHealth } from './server/health';
import { createMetricsHandler } from './server/metrics';
import { graphiqlAllowed, useOpsOnlyTools } from './server/ops-only-tools';
import { createCallbackRoute } from './server/callbacks';
import { attachWebSocket } from './server/ws';
import { createCallgateYoga, GRAPHQL_PATH } from './server/yoga';
import { createBreakers } from './worker/breakers';
import { createHeartbeat } from './worker/heartbeat';
import { armReturnAddress } from './callbacks/arm';
import { createUpstream } from './worker/call-upstream';
import { createWorkerPool, type WorkerPool } from './worker/pool';
import { createJobStore } from './worker/store';
import { createRetention } from './worker/retention';
import { createSweeper } from './worker/sweeper';

export interface App {
  readonly database: Database;
  /** The embedded database's admin key (auth/dev-key.ts); undefined on a server or in production. */
  readonly devKey: string | undefined;
  readonly registry: LiveRegistry;
  readonly pool: WorkerPool;
  /** Listens on `port` (0 picks a free one) and starts the workers. */
  start(port?: number): Promise<{ port: number; url: string }>;
  /** Drains and closes; `unwritten` names the jobs whose outcomes the database never took. */
  stop(): Promise<{ unwritten: string[] }>;
}

export interface AppOptions {
  log?: Logger;
  /** Replaces the upstream clients, for tests. */
  clients?: Partial<Record<ServiceKind, UpstreamClient>>;
  /** Retry jitter source, for tests. @default Math.random */
  random?: () => number;
}

/** Enough connections for the API and the claim/complete traffic of a full worker pool. */
const POOL_CONNECTIONS = 20;
/**
 * At shutdown, how long ended SSE responses get to flush their `complete` before the remaining
 * connections are cut; a local write takes milliseconds, a slow client gets no more than this.
 */
const CONNECTION_CLOSE_GRACE_MS = 1_000;

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel);
  const defs = await loadServicesFile(config.servicesFile);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, maxConnections: POOL_CONNECTIONS });
  try {
    await migrate(database, config.databaseUrl);
  } catch (err) {
    await database.close();
    throw err;
  }
  // A new user's embedded database gets an admin key of its own; never a shared server or production.
  const devKey =
    database.kind === 'pglite' && !config.production && !config.dataDir.startsWith('memory://')
      ? await ensureDevKey(database.db, config.dataDir)
      : undefined;
  // The file's services live in this instance's memory only: another instance's file never replaces them.
  const registry = await loadRegistry(database.db, defs, log.child({ component: 'registry' }));
  const callbackSecret = createCallbackSecrets({ secret: config.secret, production: config.production, log });
  const mock = options.clients?.mock ?? createMockClient({ seed: config.mockSeed, callbackSecret });
  const http =
    options.clients?.http ??
    createHttpClient({ secret: config.secret, maxResponseBytes: config.maxResponseBytes, outboundAllow: config.outboundAllow });
  const clients: Record<ServiceKind, UpstreamClient> = { http: withMockMode(http, mock), mock };
  const bus = createEventBus({ database, log: log.child({ component: 'events' }) });
  const registryFollower = followRegistry({ database, registry, log: log.child({ component: 'registry' }) });
  const breakers = createBreakers({ log });
  const metrics = createMetrics();
  // Known once the server listens (port 0 picks one), unless CALLGATE_PUBLIC_URL says it.
  let publicUrl = config.publicUrl ?? '';
  // What follow-ups are built against, by whichever write ends their parent (worker, sweeper, callback).
  const followUpRules = { registry, maxInputBytes: config.maxInputBytes };
  const pool = createWorkerPool({
    store: createJobStore(database.db, followUpRules, { flushMs: config.completionBatchMs }),
    upstream: createUpstream({
      registry,
      clients,
      breakers,
      metrics,
      armReturnAddress: (job) => armReturnAddress(database.db, job, publicUrl),
    }),
    metrics,
    log,
    random: options.random,
    concurrency: config.workerConcurrency,
    pollIntervalMs: config.pollIntervalMs,
    workerId: config.instanceId,
  });
  const sweeper = createSweeper({ db: database.db, log, metrics, followUpRules, intervalMs: config.sweepIntervalMs });
  const heartbeat = createHeartbeat({
    db: database.db,
    log,
    instanceId: pool.workerId,
    host: hostname(),
    pid: process.pid,
    concurrency: config.workerConcurrency,
    inFlight: () => pool.inFlight(),
    intervalMs: HEARTBEAT_INTERVAL_MS,
  });
  const retention = createRetention({
    db: database.db,
    log,
    intervalMs: config.retentionIntervalMs,
    retentionMs: config.retentionMs,
    failedRetentionMs: config.failedRetentionMs,
  });
  bus.onEvent((event) => {
    // New due work only: a job scheduled for later is found by the poll (or, rescheduled here, by the pool's own timer).
    if (!event || (event.status === 'pending' && event.due)) pool.nudge();
    // A job cancelled on any instance: the instance running it aborts the call.
    else if (event.status === 'cancelled') pool.abort(event.id);
  });

  const auth = createAuthenticator({ db: database.db, log: log.child({ component: 'auth' }), requireKeys: config.production });
  const keys = useApiKeys(auth);
  const enqueue = createEnqueueBatcher({ db: database.db });
  const callLimits = { rateLimiter: createRateLimiter(config.rateLimitPerMinute), maxInputBytes: config.maxInputBytes };
  const yoga = createCallgateYoga(
    (initial) => {
      const caller = keys.callerOf(initial);
      const asTenant = tenantScope(database.db, caller.tenantId);
      return {
        caller,
        tenantId: caller.tenantId,
        db: database.db,
        asTenant,
        enqueue,
        registry: registry.forTenant(caller.tenantId),
        clients,
        bus,
        breakers,
        metrics,
        auth,
        callLimits,
        loaders: createLoaders(asTenant, caller.tenantId, config.maxResponsePayloadBytes),
      };
    },
    log,
    [useGraphQLMetrics(metrics.registry)],
    config.production
      ? { guards: [keys.plugin, useOpsOnlyTools(keys.callerOf)], graphiql: graphiqlAllowed(auth) }
      : { guards: [keys.plugin], graphiql: async () => true, devKey },
    { maxBodyBytes: config.maxBodyBytes, corsOrigins: config.corsOrigins },
  );
  const serveMetrics = createMetricsHandler({ metrics, db: database.db, registry, breakers, log });
  const serveCallback = createCallbackRoute({ db: database.db, registry, callbackSecret, metrics, followUpRules, log });
  let draining = false;
  const server: Server = createServer((req, res) => {
    if (!handleHealth(req, res, { database, draining: () => draining }) && !serveMetrics(req, res) && !serveCallback(req, res)) {
      void yoga(req, res);
    }
  });
  const ws = attachWebSocket(server, yoga, auth);

  return {
    database,
    devKey,
    registry,
    pool,
    async start(port = config.port) {
      await bus.start();
      await registryFollower.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.host, () => resolve());
      });
      const actual = (server.address() as AddressInfo).port;
      publicUrl = config.publicUrl ?? `http://${urlHost(config.host)}:${actual}`;
      pool.start();
      sweeper.start();
      await heartbeat.start();
      retention.start();
      const url = `http://${urlHost(config.host)}:${actual}${GRAPHQL_PATH}`;
      log.info({ url, database: database.kind }, 'callgate listening');
      return { port: actual, url };
    },
    async stop() {
      draining = true;
      await sweeper.stop();
      await retention.stop();
      const { unwritten } = await pool.stop(config.drainGraceMs);
      // After the drain, so the row shows the in-flight calls until they end.
      await heartbeat.stop();
      // Subscribers saw the drain's last changes; ending the bus completes their subscriptions.
      await bus.stop();
      await registryFollower.stop();
      await ws.close();
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CONNECTION_CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      breakers.shutdown();
      await Promise.all(Object.values(clients).map((c) => c.close()));
      await database.close();
      log.info('callgate stopped');
      return { unwritten };
    },
  };
}

/** The listen host as a URL's host; the wildcard addresses as loopback, which is where a local provider finds them. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
