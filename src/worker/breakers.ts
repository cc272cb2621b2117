// One opossum circuit breaker per service operation. While a breaker is open the worker sends
// nothing to that operation and puts its jobs back until the breaker's next probe time.
import CircuitBreaker from 'opossum';
import type { CallResult } from '../clients/types';
import type { Logger } from '../logger';
import type { BreakerConfig, OperationDef, ServiceDef } from '../registry';
import { isRetryable } from './retry-policy';

export const BREAKER_STATE = Object.freeze(['closed', 'open', 'half_open'] as const);
export type BreakerState = (typeof BREAKER_STATE)[number];

export interface BreakerSnapshot {
  state: BreakerState;
  /** Failures counted in the rolling window. */
  failures: number;
  /** Successes counted in the rolling window (non-retryable failures count as successes). */
  successes: number;
  /** Calls refused while open, in the rolling window. */
  rejects: number;
  /** When an open breaker lets the next probe through; null unless open. */
  nextProbeAt: Date | null;
}

export type BreakerOutcome = { kind: 'called'; result: CallResult } | { kind: 'open'; retryAt: Date };

export interface Breakers {
  /**
   * Runs one attempt through the operation's breaker. Retryable failures (isRetryable) count
   * against it; successes and non-retryable failures (a 400 is the caller's fault, an `aborted`
   * call is ours) do not.
   */
  run(service: ServiceDef, operation: OperationDef, call: () => Promise<CallResult>): Promise<BreakerOutcome>;
  /** Closed with zero counts for an operation that has not been called yet. */
  snapshot(service: string, operation: string): BreakerSnapshot;
  /** Clears every breaker's timers; run() throws afterwards. */
  shutdown(): void;
}

/** What the API and /metrics may do with the breakers: read their state, never run or reset them. */
export type BreakerStates = Pick<Breakers, 'snapshot'>;

export interface BreakersOptions {
  log: Logger;
  /** Clock for retryAt and nextProbeAt. opossum's own timers always run on real time. */
  now?: () => number;
}

/**
 * Open when more than half the calls of the window fail, but only once 10 calls were seen:
 * opossum's default volumeThreshold of 0 would open on the very first failure after a quiet spell.
 * 30 s open gives a struggling upstream time to recover before one probe tests it.
 */
export const DEFAULT_BREAKER: Readonly<Required<BreakerConfig>> = Object.freeze({
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 30_000,
});

/**
 * The error rate is judged over the last 10 s (ten 1 s buckets): recent enough to react to an
 * outage, long enough for a busy operation to reach the volume threshold.
 */
const ROLLING_WINDOW_MS = 10_000;

/**
 * A job refused while the half-open probe is still in flight comes back after 1 s: by then the
 * probe has usually answered (upstream timeouts are the worst case) and the breaker is
 * closed or open again.
 */
const PROBE_IN_FLIGHT_RETRY_MS = 1_000;

/** A non-success CallResult, thrown so that opossum sees a failure (and counts it if retryable). */
class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
  constructor(readonly result: CallResult) {
    super(result.error ?? result.outcome);
  }
}

type Action = (call: () => Promise<CallResult>) => Promise<CallResult>;

interface Entry {
  breaker: CircuitBreaker<Parameters<Action>, CallResult>;
  resetTimeoutMs: number;
  /** When the breaker last opened, by our clock; null until it first opens. */
  openedAt: number | null;
}

const attempt: Action = async (call) => {
  const result = await call();
  if (result.outcome === 'success') return result;
  throw new UpstreamFailure(result);
};

export function createBreakers(opts: BreakersOptions): Breakers {
  const log = opts.log.child({ component: 'breakers' });
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let shutDown = false;

  // Created on first use and kept for the process's life. A service re-registered with another
  // BreakerConfig keeps its old breaker until restart: swapping it would drop its open state and counts.
  function entryFor(service: ServiceDef, operation: OperationDef): Entry {
    const name = `${service.name}/${operation.name}`;
    const existing = entries.get(name);
    if (existing) return existing;
    const config = service.breaker;
    const resetTimeoutMs = config?.resetTimeoutMs ?? DEFAULT_BREAKER.resetTimeoutMs;
    const breaker = new CircuitBreaker(attempt, {
      name,
      group: service.name,
      // Our clients enforce the attempt's timeout through an AbortSignal and always resolve with a
      // CallResult; opossum's timeout would only stop waiting, never cancel the request.
      timeout: false,
      errorThresholdPercentage: config?.errorThresholdPercentage ?? DEFAULT_BREAKER.errorThresholdPercentage,
      volumeThreshold: config?.volumeThreshold ?? DEFAULT_BREAKER.volumeThreshold,
      resetTimeout: resetTimeoutMs,
      rollingCountTimeout: ROLLING_WINDOW_MS,
      // A thrown CallResult that is not retryable (a 400, an invalid response) and any other throw
      // (our bug, not the upstream's) is not counted: opossum records it as a success and rethrows.
      errorFilter: (err: unknown) => !(err instanceof UpstreamFailure && isRetryable(err.result)),
      // We read stats on demand: no snapshot timer, and no latency sort on every failure.
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
    });
    const entry: Entry = { breaker, resetTimeoutMs, openedAt: null };
    const fields = { service: service.name, operation: operation.name };
    breaker.on('open', () => {
      entry.openedAt = now();
      log.warn({ ...fields, nextProbeAt: new Date(entry.openedAt + resetTimeoutMs) }, 'breaker opened');
    });
    breaker.on('halfOpen', () => log.info(fields, 'breaker half-open'));
    breaker.on('close', () => log.info(fields, 'breaker closed'));
    entries.set(name, entry);
    return entry;
  }

  /** The probe time; once it has passed (half-open, probe in flight) a short while from now. */
  function retryAtOf(entry: Entry): Date {
    const at = now();
    const probeAt = (entry.openedAt ?? at) + entry.resetTimeoutMs;
    return new Date(probeAt > at ? probeAt : at + PROBE_IN_FLIGHT_RETRY_MS);
  }

  return {
    async run(service, operation, call) {
      if (shutDown) throw new Error('breakers are shut down');
      const entry = entryFor(service, operation);
      try {
        return { kind: 'called', result: await entry.breaker.fire(call) };
      } catch (err) {
        if (err instanceof UpstreamFailure) return { kind: 'called', result: err.result };
        // Open, or half-open with its one probe already in flight: opossum refuses both alike.
        if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER') return { kind: 'open', retryAt: retryAtOf(entry) };
        throw err;
      }
    },

    snapshot(service, operation) {
      const entry = entries.get(`${service}/${operation}`);
      if (!entry) return { state: 'closed', failures: 0, successes: 0, rejects: 0, nextProbeAt: null };
      const { breaker, openedAt, resetTimeoutMs } = entry;
      const { failures, successes, rejects } = breaker.stats;
      const state: BreakerState = breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed';
      const nextProbeAt = state === 'open' && openedAt !== null ? new Date(openedAt + resetTimeoutMs) : null;
      return { state, failures, successes, rejects, nextProbeAt };
    },

    shutdown() {
      shutDown = true;
      for (const { breaker } of entries.values()) breaker.shutdown();
      entries.clear();
    },
  };
}
