// GET /metrics: the app's Prometheus registry in the text exposition format, plus the gauges read
// at scrape time (queue depth from the database, breaker states from memory), so they are never stale.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { countLiveJobs, type LiveJobCounts } from '../queue';
import type { Registry } from '../registry';
import { BREAKER_STATE, type BreakerStates } from '../worker/breakers';

const METRICS_PATH = '/metrics';

interface MetricsSources {
  metrics: Metrics;
  db: Db;
  registry: Registry;
  breakers: BreakerStates;
  log: Logger;
}

/** Registers the scrape-time gauges on the app's registry; returns the route for the HTTP server. */
export function createMetricsHandler(sources: MetricsSources): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { metrics } = sources;
  registerQueueGauges(sources);
  registerBreakerGauge(sources);
  return (req, res) => {
    if (req.url?.split('?')[0] !== METRICS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: Error) => {
        sources.log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
    return true;
  };
}

function registerQueueGauges({ metrics, db, log }: MetricsSources): void {
  // prom-client collects every metric of a scrape at once: both gauges share one statement.
  let reading: Promise<LiveJobCounts | undefined> | undefined;
  const read = () =>
    (reading ??= countLiveJobs(db, undefined)
      .catch((err: unknown) => {
        // Counters are still worth serving while the database is away; the gauges are left out.
        log.warn({ err }, 'could not read the queue depth for /metrics');
        return undefined;
      })
      .finally(() => (reading = undefined)));

  new Gauge({
    name: 'callgate_queue_jobs',
    help: 'Unfinished jobs in the queue (all instances), by status.',
    labelNames: ['status'] as const,
    registers: [metrics.registry],
    async collect() {
      const depth = await read();
      this.reset();
      if (!depth) return;
      this.set({ status: 'pending' }, depth.pending);
      this.set({ status: 'running' }, depth.running);
      this.set({ status: 'waiting_callback' }, depth.waitingCallback);
    },
  });
  new Gauge({
    name: 'callgate_queue_oldest_due_pending_age_seconds',
    help: 'How long the oldest due pending job has waited for a worker; 0 when none is due.',
    registers: [metrics.registry],
    async collect() {
      const depth = await read();
      this.reset();
      if (depth) this.set((depth.oldestDueAgeMs ?? 0) / 1000);
    },
  });
}

/** A state set, as Prometheus writes enums: 1 for the breaker's current state, 0 for the others. */
function registerBreakerGauge({ metrics, registry, breakers }: MetricsSources): void {
  new Gauge({
    name: 'callgate_breaker_state',
    help: "Circuit breaker state per service operation on this instance (1 = the breaker's current state).",
    labelNames: ['service', 'operation', 'state'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const service of registry.list()) {
        for (const operation of service.operations) {
          const current = breakers.snapshot(service.name, operation.name).state;
          for (const state of BREAKER_STATE) {
            this.set({ service: service.name, operation: operation.name, state }, state === current ? 1 : 0);
          }
        }
      }
    },
  });
}
