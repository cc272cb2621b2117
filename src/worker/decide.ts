// decide: what one ended attempt means for its job, as a value the store writes. Pure (no
// database, clock or randomness of its own), so every branch is unit-tested on its own.
import type { CallResult } from '../clients/types';
import type { JobRow } from '../db/schema';
import type { FinalResult } from '../callbacks/result';
import type { AsyncEnding } from '../queue';
import type { RetryPolicy } from '../registry';
import { isRetryable, retryDelayMs } from './retry-policy';

/** Why a running attempt was aborted: the signal's reason. */
export const ABORT_DRAIN = 'drain';
export const ABORT_CANCEL = 'cancel';
export type AbortReason = typeof ABORT_DRAIN | typeof ABORT_CANCEL;

/** How an attempt ended, as the worker saw it. */
export type Outcome =
  /** The job's service or operation left the registry after it was accepted: nothing was sent. */
  | { kind: 'unregistered'; error: string }
  /** The operation's breaker refused the call until `retryAt`: nothing was sent. */
  | { kind: 'breaker_open'; retryAt: Date; reason: string }
  /** The claim no longer held the job when its return address was to be stored: nothing was sent. */
  | { kind: 'fenced' }
  /** An earlier attempt's callback already settled the job (its request then failed on our side): nothing is sent again. */
  | { kind: 'settled'; result: FinalResult }
  /**
   * The call was made; `abortedBy` when we ended it ourselves (then the result is `aborted`);
   * `callbackTimeoutMs` for an async operation, whose 2xx is the result `accepted`.
   */
  | { kind: 'called'; result: CallResult; abortedBy?: AbortReason | undefined; callbackTimeoutMs?: number | undefined };

/** What to write. */
export type Decision =
  | { kind: 'succeed'; output: unknown }
  /** An async operation's request was accepted: WAITING_CALLBACK for at most `timeoutMs`. */
  | { kind: 'wait_callback'; timeoutMs: number }
  /** PENDING again after `delayMs`, the attempt used up. */
  | { kind: 'retry'; delayMs: number; error: string }
  | { kind: 'fail'; error: string }
  /** PENDING again at `runAt` (now when null), the attempt given back: not the upstream's fault. */
  | { kind: 'put_back'; runAt: Date | null; reason: string }
  /** The retry would start at or after the job's deadline: EXPIRED now rather than never sent. */
  | { kind: 'expire'; error: string }
  /**
   * An async operation's job ends for good: with the result its provider's callback stored, if one
   * came (during the request, or for an earlier attempt), else as `ending` says.
   */
  | { kind: 'end_async'; ending: AsyncEnding }
  /** The job was cancelled during the call, or was no longer this claim's: only an attempt made is logged. */
  | { kind: 'record_only' };

export interface DecidePolicy {
  /** The operation's retry policy; irrelevant for a job whose operation is gone. */
  retry: Required<RetryPolicy>;
  /** A draw in [0, 1) for the backoff's jitter, made by the caller so that this stays pure. */
  jitter: number;
}

export type DecidedJob = Pick<JobRow, 'attempts' | 'maxAttempts' | 'deadline'>;

export function decide(outcome: Outcome, job: DecidedJob, policy: DecidePolicy, now: Date): Decision {
  switch (outcome.kind) {
    case 'unregistered':
      return { kind: 'fail', error: outcome.error };
    case 'breaker_open':
      return { kind: 'put_back', runAt: outcome.retryAt, reason: outcome.reason };
    case 'fenced':
      return { kind: 'record_only' };
    case 'settled':
      return { kind: 'end_async', ending: outcome.result };
    case 'called':
      return decideCall(outcome, job, policy, now);
  }
}

function decideCall(called: Extract<Outcome, { kind: 'called' }>, job: DecidedJob, policy: DecidePolicy, now: Date): Decision {
  const { result, abortedBy } = called;
  if (abortedBy === ABORT_DRAIN) return { kind: 'put_back', runAt: null, reason: 'instance shut down during the call' };
  if (abortedBy === ABORT_CANCEL) return { kind: 'record_only' };
  if (result.outcome === 'accepted' && called.callbackTimeoutMs !== undefined) return { kind: 'wait_callback', timeoutMs: called.callbackTimeoutMs };
  if (result.outcome === 'success') return { kind: 'succeed', output: result.output ?? null };
  const error = result.error ?? result.outcome;
  if (!isRetryable(result) || job.attempts >= job.maxAttempts) return endsForGood(called, { kind: 'failed', error });
  const delayMs = retryDelayMs(policy.retry, job.attempts, result.retryAfterMs, () => policy.jitter);
  if (job.deadline && now.getTime() + delayMs >= job.deadline.getTime()) {
    return endsForGood(called, { kind: 'expired', error });
  }
  return { kind: 'retry', delayMs, error };
}

/**
 * The request ends its job for good. An async operation's provider may have called back while it
 * ran: then the store ends the job with that result instead (end_async).
 */
function endsForGood(called: Extract<Outcome, { kind: 'called' }>, ending: Extract<AsyncEnding, { kind: 'failed' | 'expired' }>): Decision {
  if (called.callbackTimeoutMs !== undefined) return { kind: 'end_async', ending };
  return ending.kind === 'failed' ? { kind: 'fail', error: ending.error } : { kind: 'expire', error: ending.error };
}
