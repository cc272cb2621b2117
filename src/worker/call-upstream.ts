// The real Upstream port: looks the job's operation up in the registry, calls it through its
// breaker with the service kind's client, checks a 2xx against the output schema, and returns
// the attempt's row (counted in the metrics as it is made: the call happened whether or not the
// row lands).
import { callbackTimeoutMs, type ReturnAddress } from '../callbacks/arm';
import type { CallRequest, CallResult, RequestSummary, UpstreamClient } from '../clients/types';
import type { ServiceKind } from '../db/schema';
import type { JobMetrics } from '../metrics';
import { attemptTimeoutMs, type AttemptRecord, type ClaimedJob } from '../queue';
import { DEFAULT_RETRY, type Registry } from '../registry';
import type { Breakers } from './breakers';
import { ABORT_CANCEL, ABORT_DRAIN } from './decide';
import type { Upstream } from './store';

export interface UpstreamDeps {
  registry: Registry;
  clients: Record<ServiceKind, UpstreamClient>;
  breakers: Breakers;
  metrics: JobMetrics;
  /** Stores a fresh return address for an async operation's attempt, before the request leaves (a callback may beat the 2xx). */
  armReturnAddress: (job: ClaimedJob) => Promise<ReturnAddress>;
}

export function createUpstream(deps: UpstreamDeps): Upstream {
  const { registry, metrics } = deps;
  return async (job, signal) => {
    const service = registry.service(job.service);
    const operation = service && registry.operation(job.service, job.operation);
    if (!service || !operation) {
      const error = `${job.service}.${job.operation} is no longer registered`;
      return { outcome: { kind: 'unregistered', error }, retry: DEFAULT_RETRY };
    }
    const retry = registry.retryPolicy(service, operation);
    const armed = operation.async ? await deps.armReturnAddress(job) : undefined;
    if (armed?.kind === 'fenced') return { outcome: { kind: 'fenced' }, retry };
    if (armed?.kind === 'settled') return { outcome: { kind: 'settled', result: armed.result }, retry };
    const callback = armed?.address;
    const startedAt = new Date();
    const request: CallRequest = {
      service,
      operation,
      jobId: job.id,
      input: job.input,
      // The same key on every attempt, a resent call after a lost outcome included: the upstream can dedupe.
      idempotencyKey: job.idempotencyKey ?? job.id,
      // Never longer than the job's lease covers: its timeout may have been raised since it was accepted.
      timeoutMs: attemptTimeoutMs(registry.timeoutMs(service, operation), job.leaseMs),
      signal,
      callback,
    };
    const attemptOf = (r: Pick<CallResult, 'outcome' | 'httpStatus' | 'request' | 'responseBody' | 'error'>): AttemptRecord => {
      const finishedAt = new Date();
      const durationMs = finishedAt.getTime() - startedAt.getTime();
      metrics.attemptEnded(job.service, job.operation, r.outcome, durationMs);
      return {
        attempt: job.attempts,
        startedAt,
        finishedAt,
        durationMs,
        outcome: r.outcome,
        httpStatus: r.httpStatus ?? null,
        request: r.request,
        responseBody: r.responseBody ?? null,
        error: r.error ?? null,
      };
    };
    const ran = await deps.breakers.run(service, operation, async () =>
      abortedAs(await metrics.trackCall(service.name, () => callSafely(deps.clients[service.kind], request)), signal),
    );
    if (ran.kind === 'open') {
      const reason = `circuit breaker open for ${service.name}.${operation.name}`;
      const attempt = attemptOf({ outcome: 'breaker_open', error: reason, request: summaryOf(request) });
      return { outcome: { kind: 'breaker_open', retryAt: ran.retryAt, reason }, attempt, retry };
    }
    // An async operation's 2xx only acknowledges the request; its output comes with the callback.
    const result = operation.async ? acceptedAs(ran.result) : checkOutput(registry, job, ran.result);
    const abortedBy = signal.aborted ? (signal.reason === ABORT_DRAIN ? ABORT_DRAIN : ABORT_CANCEL) : undefined;
    const callbackMs = operation.async ? callbackTimeoutMs(operation.async) : undefined;
    return { outcome: { kind: 'called', result, abortedBy, callbackTimeoutMs: callbackMs }, attempt: attemptOf(result), retry };
  };
}

/** A 2xx whose body breaks the operation's output schema is an invalid response, never retried. */
function checkOutput(registry: Registry, job: ClaimedJob, result: CallResult): CallResult {
  if (result.outcome !== 'success') return result;
  const violations = registry.validateOutput(job.service, job.operation, result.output);
  if (violations.length === 0) return result;
  const detail = violations.map((v) => `${v.path} ${v.message}`).join('; ');
  return { ...result, outcome: 'invalid_response', retryable: false, error: `response does not match the output schema: ${detail}` };
}

/** An async operation's 2xx: the provider took the request; the job now waits for its callback. */
function acceptedAs(result: CallResult): CallResult {
  return result.outcome === 'success' ? { ...result, outcome: 'accepted', output: undefined } : result;
}

/** A call we aborted ourselves is neither the upstream's failure nor worth a retry, whatever the client made of it. */
function abortedAs(result: CallResult, signal: AbortSignal): CallResult {
  if (!signal.aborted) return result;
  const error = signal.reason === ABORT_DRAIN ? 'aborted: instance shutting down' : 'aborted: job cancelled';
  return { ...result, outcome: 'aborted', retryable: false, error };
}

function summaryOf(req: CallRequest): RequestSummary {
  return { method: req.operation.method, url: `${req.service.name}/${req.operation.name}`, headers: {} };
}

/** A client that throws broke its contract; the attempt is still logged, as a network error. */
async function callSafely(client: UpstreamClient, req: CallRequest): Promise<CallResult> {
  try {
    return await client.call(req);
  } catch (err) {
    return { outcome: 'network_error', retryable: true, error: `client error: ${(err as Error).message}`, request: summaryOf(req) };
  }
}
