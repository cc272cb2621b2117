// runJob: one attempt of one claimed job. Calls the upstream through the operation's breaker,
// then records how the attempt ended, in one transaction with its attempt row: SUCCEEDED, a
// retry after backoff, FAILED, or back to PENDING when the breaker is open or the instance drains.
// Never throws: every failure lands in the job's lastError or, failing that, in the log.
import type { CallRequest, CallResult, UpstreamClient } from '../clients/types';
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS, type JobRow, type ServiceKind } from '../db/schema';
import type { Logger } from '../logger';
import type { JobMetrics } from '../metrics';
import { completeJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type ClaimedJob, type Ended } from '../queue';
import type { Registry } from '../registry';
import type { Breakers } from './breakers';
import { isRetryable, retryDelayMs } from './retry-policy';

/** Why a running attempt was aborted: the signal's reason. */
export const ABORT_DRAIN = 'drain';
export const ABORT_CANCEL = 'cancel';

export interface RunJobDeps {
  db: Db;
  registry: Registry;
  clients: Record<ServiceKind, UpstreamClient>;
  breakers: Breakers;
  metrics: JobMetrics;
  workerId: string;
  log: Logger;
  /** CALLGATE_MAX_INPUT_BYTES, for the follow-ups a job's ending creates. */
  maxInputBytes: number;
  /** Jitter source. @default Math.random */
  random?: (() => number) | undefined;
}

/** Resolves to the milliseconds until the job is due again when it was put back, else undefined. */
export async function runJob(deps: RunJobDeps, job: ClaimedJob, signal: AbortSignal): Promise<number | undefined> {
  const { db, registry, metrics } = deps;
  const log = deps.log.child({ jobId: job.id, service: job.service, operation: job.operation, attempt: job.attempts });
  // Every write for this attempt carries its claim's token, so a late one cannot touch a newer claim;
  // a job with follow-ups has them created by the write that ends it.
  const followUpRules = job.followUps == null ? undefined : { registry, maxInputBytes: deps.maxInputBytes };
  const ids = { jobId: job.id, claimToken: job.claimToken, followUpRules };
  try {
    const service = registry.service(job.service);
    const operation = service && registry.operation(job.service, job.operation);
    if (!service || !operation) {
      // Removed from the registry after the job was accepted: nothing was sent, so no attempt row.
      const error = `${job.service}.${job.operation} is no longer registered`;
      countEnded(metrics, job, await failJob(db, { ...ids, error }));
      log.warn({ error }, 'job failed');
      return undefined;
    }
    const startedAt = new Date();
    const request: CallRequest = {
      service,
      operation,
      jobId: job.id,
      input: job.input,
      idempotencyKey: job.idempotencyKey ?? job.id,
      timeoutMs: registry.timeoutMs(service, operation),
      signal,
    };
    const ran = await deps.breakers.run(service, operation, async () =>
      abortedAs(await metrics.trackCall(service.name, () => callSafely(deps.clients[service.kind], request)), signal),
    );
    /** The attempt's row, counted in the metrics as it is made: the call happened whether or not the row lands. */
    const attemptOf = (r: Pick<CallResult, 'outcome' | 'httpStatus' | 'request' | 'responseBody' | 'error'>): AttemptRecord => {
      const finishedAt = new Date();
      metrics.attemptEnded(job.service, job.operation, r.outcome, finishedAt.getTime() - startedAt.getTime());
      return {
        attempt: job.attempts,
        startedAt,
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        outcome: r.outcome,
        httpStatus: r.httpStatus ?? null,
        request: r.request,
        responseBody: r.responseBody ?? null,
        error: r.error ?? null,
      };
    };

    if (ran.kind === 'open') {
      const reason = `circuit breaker open for ${service.name}.${operation.name}`;
      const attempt = attemptOf({ outcome: 'breaker_open', error: reason, request: summaryOf(request) });
      await putBack(db, { ...ids, runAt: ran.retryAt, reason, attempt });
      log.info({ retryAt: ran.retryAt }, 'breaker open; job put back');
      return ran.retryAt.getTime() - Date.now();
    }
    const result = checkOutput(registry, job, ran.result);
    const attempt = attemptOf(result);
    const error = result.error ?? result.outcome;
    let saved: Ended;
    let dueInMs: number | undefined;
    if (result.outcome === 'aborted' && signal.reason === ABORT_DRAIN) {
      saved = await putBack(db, { ...ids, runAt: null, reason: 'instance shut down during the call', attempt });
    } else if (result.outcome === 'aborted') {
      await recordAttempt(db, { ...ids, attempt });
      log.info('running job cancelled');
      return undefined;
    } else if (result.outcome === 'success') {
      saved = await completeJob(db, { ...ids, output: result.output ?? null, attempt });
    } else if (isRetryable(result) && job.attempts < job.maxAttempts) {
      const delayMs = retryDelayMs(registry.retryPolicy(service, operation), job.attempts, result.retryAfterMs, deps.random);
      saved = await scheduleRetry(db, { ...ids, error, delayMs, attempt });
      dueInMs = delayMs;
    } else {
      saved = await failJob(db, { ...ids, error, attempt });
    }
    if (!saved) log.warn('the claim no longer holds the job (lease taken over or job cancelled); result discarded');
    else {
      countEnded(metrics, job, saved);
      log.info({ status: saved.status, outcome: result.outcome, durationMs: attempt.durationMs }, 'attempt finished');
    }
    return dueInMs;
  } catch (err) {
    // The database failed us; the job stays RUNNING until its lease expires and is run again.
    log.error({ err }, 'could not record the attempt');
    return undefined;
  }
}

/** The job's final status and the follow-ups its ending created, if it ended. */
function countEnded(metrics: JobMetrics, job: ClaimedJob, ended: Ended): void {
  if (ended && FINAL_JOB_STATUS.has(ended.status)) metrics.jobFinished(job.service, job.operation, ended.status);
  if (ended?.followUps) metrics.followUpsCreated(ended.followUps);
}

/** A 2xx whose body breaks the operation's output schema is an invalid response, never retried. */
function checkOutput(registry: Registry, job: JobRow, result: CallResult): CallResult {
  if (result.outcome !== 'success') return result;
  const violations = registry.validateOutput(job.service, job.operation, result.output);
  if (violations.length === 0) return result;
  const detail = violations.map((v) => `${v.path} ${v.message}`).join('; ');
  return { ...result, outcome: 'invalid_response', error: `response does not match the output schema: ${detail}` };
}

/** A call we aborted ourselves is neither the upstream's failure nor worth a retry. */
function abortedAs(result: CallResult, signal: AbortSignal): CallResult {
  if (!signal.aborted) return result;
  const error = signal.reason === ABORT_DRAIN ? 'aborted: instance shutting down' : 'aborted: job cancelled';
  return { ...result, outcome: 'aborted', error };
}

function summaryOf(req: CallRequest): CallResult['request'] {
  return { method: req.operation.method, url: `${req.service.name}/${req.operation.name}`, headers: {} };
}

async function callSafely(client: UpstreamClient, req: CallRequest): Promise<CallResult> {
  try {
    return await client.call(req);
  } catch (err) {
    return { outcome: 'network_error', error: `client error: ${(err as Error).message}`, request: summaryOf(req) };
  }
}
