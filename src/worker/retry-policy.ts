// Which failed attempts are worth another try, and when: exponential backoff with full jitter
// (or fixed), bounded by maxDelayMs, honouring an upstream's Retry-After. The policy itself
// (operation, else service, else defaults) comes from the registry.
import type { CallResult } from '../clients/types';
import type { RetryPolicy } from '../registry';

/** An upstream asking for more than a day is treated as a day, so a job cannot vanish for a year. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** The client's word (CallResult.retryable): only it knows whether the request even left. */
export function isRetryable(result: Pick<CallResult, 'outcome' | 'retryable'>): boolean {
  return result.outcome !== 'success' && result.outcome !== 'aborted' && result.retryable;
}

/** Delay before attempt `attempt + 1`, where `attempt` (1-based) just failed. */
export function retryDelayMs(
  policy: Required<RetryPolicy>,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS);
  if (policy.backoff === 'fixed') return Math.min(policy.initialDelayMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}
