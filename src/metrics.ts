// The gateway's Prometheus instruments for what happens to jobs (enqueued, attempted, finished,
// calls in flight), on one registry per app so two apps in one process never share a counter.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FINAL_JOB_STATUS, type AttemptOutcome, type JobStatus } from './db/schema';

/** What everything that ends a job reports: the worker, the sweeper and cancelJob. */
export interface FinishMetrics {
  /** The job reached a final status. */
  jobFinished(service: string, operation: string, status: JobStatus): void;
  /** The follow-ups its ending created: each is enqueued, and finished too when created FAILED. */
  followUpsCreated(created: readonly { service: string; operation: string; status: JobStatus }[]): void;
}

/** What the worker reports; the pool passes it to every run. */
export interface JobMetrics extends FinishMetrics {
  /** Times one upstream call and counts it as in flight while it runs. */
  trackCall<T>(service: string, call: () => Promise<T>): Promise<T>;
  attemptEnded(service: string, operation: string, outcome: AttemptOutcome, durationMs: number): void;
}

/** What callService reports. */
export interface EnqueueMetrics {
  /** A new job was stored (a deduplicated call is not counted: it stored nothing). */
  jobEnqueued(service: string, operation: string): void;
}

export interface Metrics extends JobMetrics, EnqueueMetrics {
  /** Every instrument of this app, including the scrape-time gauges that server/metrics.ts adds. */
  readonly registry: Registry;
}

/**
 * Upstream calls range from a few milliseconds (an internal API) to the 10 s default timeout and
 * beyond (operations may set a longer one), so the buckets span 5 ms to 60 s.
 */
const ATTEMPT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // Process CPU, memory, event loop lag and GC: the first things to read when the gateway is slow.
  collectDefaultMetrics({ register: registry });

  const enqueued = new Counter({
    name: 'callgate_jobs_enqueued_total',
    help: 'Jobs stored by callService, by service and operation.',
    labelNames: ['service', 'operation'] as const,
    registers,
  });
  const finished = new Counter({
    name: 'callgate_jobs_finished_total',
    help: 'Jobs this instance brought to a final status: its workers, its sweeper and cancelJob.',
    labelNames: ['service', 'operation', 'status'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'callgate_attempts_total',
    help: 'Attempts logged by the workers of this instance, by outcome.',
    labelNames: ['service', 'operation', 'outcome'] as const,
    registers,
  });
  const attemptDuration = new Histogram({
    name: 'callgate_attempt_duration_seconds',
    help: 'Duration of attempts that called the upstream (breaker_open refusals are not calls).',
    labelNames: ['service', 'operation'] as const,
    buckets: ATTEMPT_BUCKETS_SECONDS,
    registers,
  });
  const inFlight = new Gauge({
    name: 'callgate_calls_in_flight',
    help: 'Upstream calls running now on this instance.',
    labelNames: ['service'] as const,
    registers,
  });

  const enqueuedOf = childrenOf((service, operation) => enqueued.labels(service, operation));
  const finishedOf = childrenOf((service, operation, status) => finished.labels(service, operation, status));
  const attemptsOf = childrenOf((service, operation, outcome) => attempts.labels(service, operation, outcome));
  const durationOf = childrenOf((service, operation) => attemptDuration.labels(service, operation));
  const inFlightOf = childrenOf((service) => inFlight.labels(service));
  return {
    registry,
    jobEnqueued: (service, operation) => enqueuedOf(service, operation).inc(),
    jobFinished: (service, operation, status) => finishedOf(service, operation, status).inc(),
    followUpsCreated: (created) => {
      for (const { service, operation, status } of created) {
        enqueuedOf(service, operation).inc();
        if (FINAL_JOB_STATUS.has(status)) finishedOf(service, operation, status).inc();
      }
    },
    attemptEnded(service, operation, outcome, durationMs) {
      attemptsOf(service, operation, outcome).inc();
      if (outcome !== 'breaker_open') durationOf(service, operation).observe(durationMs / 1000);
    },
    async trackCall(service, call) {
      const gauge = inFlightOf(service);
      gauge.inc();
      try {
        return await call();
      } finally {
        gauge.dec();
      }
    },
  };
}

/**
 * An instrument's children by label values, each made once: prom-client validates and hashes a
 * label object on every update, several times per job on the worker's hot path. The set of label
 * values is what prom-client keeps anyway (registered services and operations, fixed outcomes).
 */
function childrenOf<C>(make: (...values: string[]) => C): (...values: string[]) => C {
  const children = new Map<string, C>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (!child) children.set(key, (child = make(...values)));
    return child;
  };
}
