// What bounds callService beyond its arguments: an in-memory token bucket per caller, so one client
// cannot flood the queue (and every worker behind it), and the input size. Per instance: N
// instances admit up to N times the rate.
export interface CallLimits {
  rateLimiter: RateLimiter;
  /** Larger inputs (as JSON) are an InvalidInputError. */
  maxInputBytes: number;
}

interface RateLimiter {
  /** Takes one call for `caller`; when refused, how long until the next one is admitted. */
  take(caller: string): { ok: true } | { ok: false; retryAfterSeconds: number };
}

/**
 * Past this many tracked callers, buckets that have refilled are dropped (a full bucket is the
 * same as none), so a stream of distinct keys cannot grow the map without bound.
 */
const PRUNE_ABOVE_CALLERS = 10_000;
const MINUTE_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** `perMinute` calls a minute, a whole minute's worth allowed at once; 0 admits everything. */
export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, t: number) => Math.min(perMinute, bucket.tokens + ((t - bucket.at) * perMinute) / MINUTE_MS);
  return {
    take(caller) {
      if (perMinute === 0) return { ok: true };
      const t = now();
      if (buckets.size > PRUNE_ABOVE_CALLERS) {
        for (const [key, b] of buckets) if (refill(b, t) >= perMinute) buckets.delete(key);
      }
      const bucket = buckets.get(caller) ?? { tokens: perMinute, at: t };
      bucket.tokens = refill(bucket, t);
      bucket.at = t;
      buckets.set(caller, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.ceil(((1 - bucket.tokens) * MINUTE_MS) / perMinute / 1_000) };
    },
  };
}
