// decide(): every way an attempt can end, and what the worker writes for it. Pure: no database,
// no clock, no randomness of its own.
import { describe, expect, it } from 'vitest';
import type { CallResult } from '../../src/clients/types';
import { DEFAULT_RETRY } from '../../src/registry';
import { ABORT_CANCEL, ABORT_DRAIN, decide, type DecidePolicy, type Outcome } from '../../src/worker/decide';
import { isRetryable, retryDelayMs } from '../../src/worker/retry-policy';

const request = { method: 'POST', url: 'http://upstream/charges', headers: {} };
const NOW = new Date('2026-01-01T00:00:00Z');
const policy: DecidePolicy = { retry: { ...DEFAULT_RETRY, backoff: 'exponential', initialDelayMs: 1_000, maxDelayMs: 60_000 }, jitter: 0.5 };
const job = { attempts: 1, maxAttempts: 3, deadline: null };
const called = (result: Partial<CallResult>, abortedBy?: typeof ABORT_DRAIN | typeof ABORT_CANCEL): Outcome => ({
  kind: 'called',
  result: { outcome: 'success', retryable: false, request, ...result },
  abortedBy,
});
const failure = (retryable: boolean, extra: Partial<CallResult> = {}) => called({ outcome: 'http_error', httpStatus: retryable ? 503 : 400, retryable, error: 'HTTP x', ...extra });

describe('decide', () => {
  it('succeeds with the output (null when the answer had none)', () => {
    expect(decide(called({ output: { id: 1 } }), job, policy, NOW)).toEqual({ kind: 'succeed', output: { id: 1 } });
    expect(decide(called({}), job, policy, NOW)).toEqual({ kind: 'succeed', output: null });
  });

  it('waits for the callback after an async operation’s 2xx; its failures follow the normal rules', () => {
    const async = (result: Partial<CallResult>): Outcome => ({ ...(called(result) as Extract<Outcome, { kind: 'called' }>), callbackTimeoutMs: 300_000 });
    expect(decide(async({ outcome: 'accepted', httpStatus: 202 }), job, policy, NOW)).toEqual({ kind: 'wait_callback', timeoutMs: 300_000 });
    expect(decide(async({ outcome: 'http_error', httpStatus: 503, retryable: true, error: 'HTTP 503' }), job, policy, NOW).kind).toBe('retry');
    // `accepted` from a plain operation (no callback timeout) is never taken as waiting.
    expect(decide(called({ outcome: 'accepted' }), job, policy, NOW).kind).not.toBe('wait_callback');
  });

  it('ends a job an earlier attempt’s callback settled with that result, sending nothing again', () => {
    const succeeded = { kind: 'succeeded' as const, output: { id: 1 } };
    expect(decide({ kind: 'settled', result: succeeded }, job, policy, NOW)).toEqual({ kind: 'end_async', ending: succeeded });
    const failed = { kind: 'failed' as const, error: 'declined' };
    expect(decide({ kind: 'settled', result: failed }, job, policy, NOW)).toEqual({ kind: 'end_async', ending: failed });
  });

  it('lets a callback stored during an async request win when the request ends the job for good', () => {
    const async = (outcome: Outcome): Outcome => ({ ...(outcome as Extract<Outcome, { kind: 'called' }>), callbackTimeoutMs: 300_000 });
    expect(decide(async(failure(false)), job, policy, NOW)).toEqual({ kind: 'end_async', ending: { kind: 'failed', error: 'HTTP x' } });
    expect(decide(async(failure(true)), { ...job, attempts: 3 }, policy, NOW)).toEqual({ kind: 'end_async', ending: { kind: 'failed', error: 'HTTP x' } });
    const soon = { ...job, deadline: new Date(NOW.getTime() + 100) };
    expect(decide(async(failure(true)), soon, policy, NOW)).toEqual({ kind: 'end_async', ending: { kind: 'expired', error: 'HTTP x' } });
    // With attempts left, the next attempt finds the stored result and sends nothing (armCallback).
    expect(decide(async(failure(true)), job, policy, NOW).kind).toBe('retry');
  });

  it('sends nothing and writes nothing but the log when the claim was lost before the return address was stored', () => {
    expect(decide({ kind: 'fenced' }, job, policy, NOW)).toEqual({ kind: 'record_only' });
  });

  it('retries a retryable failure with jittered exponential backoff while attempts remain', () => {
    // Attempt 1 failed: ceiling 1 s, jitter 0.5 → 500 ms.
    expect(decide(failure(true), job, policy, NOW)).toEqual({ kind: 'retry', delayMs: 500, error: 'HTTP x' });
    // Attempt 2 failed: ceiling 2 s.
    expect(decide(failure(true), { ...job, attempts: 2 }, policy, NOW)).toEqual({ kind: 'retry', delayMs: 1_000, error: 'HTTP x' });
  });

  it('honours the upstream’s Retry-After over the backoff', () => {
    expect(decide(failure(true, { retryAfterMs: 7_000 }), job, policy, NOW)).toMatchObject({ kind: 'retry', delayMs: 7_000 });
  });

  it('fails a retryable failure on the last attempt, and a non-retryable one at once', () => {
    expect(decide(failure(true), { ...job, attempts: 3 }, policy, NOW)).toEqual({ kind: 'fail', error: 'HTTP x' });
    expect(decide(failure(false), job, policy, NOW)).toEqual({ kind: 'fail', error: 'HTTP x' });
  });

  it('goes by the client’s retryable flag, not by the outcome’s name', () => {
    // A request refused before it left (no status) is not retried; a network error without a flag set is not either.
    expect(decide(called({ outcome: 'http_error', retryable: false, error: 'refused' }), job, policy, NOW).kind).toBe('fail');
    expect(decide(called({ outcome: 'network_error', retryable: false }), job, policy, NOW).kind).toBe('fail');
    expect(decide(called({ outcome: 'timeout', retryable: true }), job, policy, NOW).kind).toBe('retry');
    expect(decide(called({ outcome: 'invalid_response', retryable: false, error: 'bad json' }), job, policy, NOW)).toEqual({ kind: 'fail', error: 'bad json' });
  });

  it('uses the outcome as the error when the client gave none', () => {
    expect(decide(called({ outcome: 'timeout', retryable: false }), job, policy, NOW)).toEqual({ kind: 'fail', error: 'timeout' });
  });

  it('expires instead of retrying when the retry would start at or after the deadline', () => {
    const soon = { ...job, deadline: new Date(NOW.getTime() + 500) };
    expect(decide(failure(true), soon, policy, NOW)).toEqual({ kind: 'expire', error: 'HTTP x' });
    const later = { ...job, deadline: new Date(NOW.getTime() + 501) };
    expect(decide(failure(true), later, policy, NOW)).toMatchObject({ kind: 'retry', delayMs: 500 });
    // Only a retry looks at the deadline: a success past it still succeeds.
    expect(decide(called({ output: 1 }), soon, policy, new Date(NOW.getTime() + 10_000)).kind).toBe('succeed');
  });

  it('puts the job back, the attempt given back, when the instance drains during the call', () => {
    expect(decide(called({ outcome: 'aborted' }, ABORT_DRAIN), job, policy, NOW)).toEqual({
      kind: 'put_back',
      runAt: null,
      reason: 'instance shut down during the call',
    });
  });

  it('only records the attempt of a cancelled run, whatever the client reported', () => {
    expect(decide(called({ outcome: 'aborted' }, ABORT_CANCEL), job, policy, NOW)).toEqual({ kind: 'record_only' });
    expect(decide(called({ outcome: 'success', output: 1 }, ABORT_CANCEL), job, policy, NOW)).toEqual({ kind: 'record_only' });
  });

  it('puts the job back until the breaker’s probe time when the breaker is open', () => {
    const retryAt = new Date(NOW.getTime() + 30_000);
    expect(decide({ kind: 'breaker_open', retryAt, reason: 'open' }, job, policy, NOW)).toEqual({ kind: 'put_back', runAt: retryAt, reason: 'open' });
  });

  it('fails a job whose operation left the registry', () => {
    expect(decide({ kind: 'unregistered', error: 'gone' }, job, policy, NOW)).toEqual({ kind: 'fail', error: 'gone' });
  });
});

describe('retry policy', () => {
  it('never retries a success or an aborted call, whatever the flag says', () => {
    expect(isRetryable({ outcome: 'success', retryable: true })).toBe(false);
    expect(isRetryable({ outcome: 'aborted', retryable: true })).toBe(false);
    expect(isRetryable({ outcome: 'http_error', retryable: true })).toBe(true);
  });

  it('bounds the backoff by maxDelayMs, a fixed delay by itself, and Retry-After by a day', () => {
    const p = { ...policy.retry, maxDelayMs: 5_000 };
    expect(retryDelayMs(p, 10, undefined, () => 0.999)).toBe(4_995);
    expect(retryDelayMs({ ...p, backoff: 'fixed', initialDelayMs: 9_000 }, 1, undefined)).toBe(5_000);
    expect(retryDelayMs(p, 1, 10 * 24 * 3_600_000)).toBe(24 * 3_600_000);
    expect(retryDelayMs(p, 1, -5)).toBe(0);
  });
});
