// How a stored callback result ends its async job. A provider may call back while our request is
// still running (callbacks.ts stores the result then); if that request then fails for good, or its
// worker's lease runs out, the provider's answer still ends the job and nothing is sent again:
// endAsyncJob for the worker's final write, storedCallbackResults for the sweeper's. The token
// retires with the job (retire).
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobCallbacks } from '../db/schema';
import type { FinalResult } from '../callbacks/result';
import { endAttempt, type Ended, type Finish, type JobChange } from './finish';

/** How an async job's attempt ends it for good when no callback result is stored. */
export type AsyncEnding = FinalResult | { kind: 'expired'; error: string };

/** The job's end as a column change: SUCCEEDED with the output or FAILED with the error. */
export function endWith(result: FinalResult): JobChange {
  return result.kind === 'succeeded'
    ? { status: 'succeeded', output: result.output, lastError: null, completedAt: sql`now()`, updatedAt: sql`now()` }
    : { status: 'failed', lastError: result.error, completedAt: sql`now()`, updatedAt: sql`now()` };
}

export const RELEASED: JobChange = { lockedBy: null, lockedUntil: null, claimToken: null };

/** The token stops working: the job ended, was cancelled, or timed out. */
export async function retire(db: Db, jobId: string): Promise<void> {
  await db.update(jobCallbacks).set({ retiredAt: sql`now()` }).where(and(eq(jobCallbacks.jobId, jobId), isNull(jobCallbacks.retiredAt)));
}

/**
 * The worker's write of an async operation's attempt that ends the job for good: its request
 * failed for good, or an earlier attempt's callback settled it (decide.ts). A result the
 * provider's callback stored wins over `ending`. The return address is locked first, as the
 * callback route locks it, so a callback that commits while this waits is seen, never lost.
 */
export async function endAsyncJob(db: Db, f: Finish & { ending: AsyncEnding }): Promise<Ended> {
  return db.transaction(async (tx) => {
    const [kept] = await tx
      .select({ receivedAt: jobCallbacks.receivedAt, result: jobCallbacks.result })
      .from(jobCallbacks)
      .where(and(eq(jobCallbacks.jobId, f.jobId), isNull(jobCallbacks.retiredAt)))
      .for('update');
    const result = kept?.receivedAt ? (kept.result as FinalResult) : f.ending;
    const change: JobChange = result.kind === 'expired' ? { status: 'expired', lastError: result.error, completedAt: sql`now()` } : endWith(result);
    const ended = await endAttempt(tx, f, change);
    if (ended) await retire(tx, f.jobId);
    return ended;
  });
}

/**
 * The results callbacks stored for these jobs, by job id. Read without a lock: the sweep holds
 * the jobs' rows, which the callback route locks after the return address, so waiting here could
 * deadlock with it; a callback not committed yet finds its job taken back and is ignored.
 */
export async function storedCallbackResults(db: Db, jobIds: readonly string[]): Promise<Map<string, FinalResult>> {
  const rows = await db
    .select({ jobId: jobCallbacks.jobId, result: jobCallbacks.result })
    .from(jobCallbacks)
    .where(and(inArray(jobCallbacks.jobId, [...jobIds]), isNotNull(jobCallbacks.receivedAt), isNull(jobCallbacks.retiredAt)));
  return new Map(rows.map((r) => [r.jobId, r.result as FinalResult]));
}
