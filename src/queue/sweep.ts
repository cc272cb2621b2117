// The sweeper's statements, run on every instance: jobs whose worker stopped renewing its lease
// (crash, SIGKILL, hang) go back to PENDING, or FAILED when their attempts are used up; pending
// jobs past their deadline become EXPIRED and are never sent. SKIP LOCKED keeps concurrent
// sweepers on other instances from taking the same rows twice. Clearing the claim token fences
// the late worker out: whatever it finishes with is discarded (finish.ts). An async job whose
// provider's callback came during the request ends with that result instead (callback-ending.ts).
// A job a sweep ends gets its follow-ups in the sweep's transaction, as a worker's ending would
// (follow-ups.ts).
import { and, eq, inArray, isNotNull, lt, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS, jobAttempts, jobs, type JobRow } from '../db/schema';
import { endWith, RELEASED, retire, storedCallbackResults } from './callback-ending';
import { createFollowUpsFor, type CreatedFollowUp, type FollowUpRules } from './follow-ups';

/** Bounds one sweep's transaction; a larger backlog is taken over the next sweeps. */
const SWEEP_BATCH = 500;

/**
 * What a taken-back attempt is: its worker claimed the job, so the call may well have been sent
 * and answered (a database outage can keep a worker from recording it), but nobody knows how it
 * ended. The outcome stays `lost`; the words say what that means. The job is called again with
 * the same Idempotency-Key.
 */
const UNKNOWN_PREFIX = 'sent, outcome unknown: the lease of worker ';
const UNKNOWN_SUFFIX = ' ran out before it recorded how the call ended';

/** A job the sweep moved, with what the finished-jobs counter needs and the follow-ups its end created. */
export type SweptJob = Pick<JobRow, 'id' | 'service' | 'operation' | 'status'> & { followUps?: CreatedFollowUp[] };

/** The columns a sweep returns: SweptJob's, and whether the job carries follow-ups to create. */
export const swept = {
  id: jobs.id,
  service: jobs.service,
  operation: jobs.operation,
  status: jobs.status,
  hasFollowUps: sql<boolean>`${jobs.followUps} is not null`,
};

/** Creates the follow-ups of the swept jobs that ended and carry some; no statement when none do. */
export async function followUpsOfSwept(tx: Db, rules: FollowUpRules, rows: Array<SweptJob & { hasFollowUps: boolean }>): Promise<SweptJob[]> {
  const ended = rows.filter((r) => r.hasFollowUps && FINAL_JOB_STATUS.has(r.status)).map((r) => r.id);
  const byParent = new Map<string | null, CreatedFollowUp[]>();
  for (const f of await createFollowUpsFor(tx, rules, ended)) {
    const list = byParent.get(f.parentJobId);
    if (list) list.push(f);
    else byParent.set(f.parentJobId, [f]);
  }
  return rows.map(({ hasFollowUps: _, ...job }) => {
    const followUps = byParent.get(job.id);
    return followUps ? { ...job, followUps } : job;
  });
}

export async function recoverExpiredLeases(db: Db, rules: FollowUpRules): Promise<SweptJob[]> {
  return db.transaction(async (tx) => {
    const lost = await tx
      .select({
        id: jobs.id,
        attempts: jobs.attempts,
        lockedBy: jobs.lockedBy,
        claimToken: jobs.claimToken,
        claimedAt: jobs.updatedAt,
      })
      .from(jobs)
      .where(and(sql`${jobs.status} = 'running'`, lt(jobs.lockedUntil, sql`now()`)))
      .limit(SWEEP_BATCH)
      .for('update', { skipLocked: true });
    if (lost.length === 0) return [];
    const ids = lost.map((j) => j.id);
    // The provider answered: nothing is sent again, whatever attempts are left.
    const stored = await storedCallbackResults(tx, ids);
    const settled: Array<SweptJob & { hasFollowUps: boolean }> = [];
    for (const [id, result] of stored) {
      settled.push(...(await tx.update(jobs).set({ ...endWith(result), ...RELEASED }).where(eq(jobs.id, id)).returning(swept)));
      await retire(tx, id);
    }
    const used = sql`${jobs.attempts} >= ${jobs.maxAttempts}`;
    const recovered = await tx
      .update(jobs)
      .set({
        status: sql`case when ${used} then 'failed'::job_status else 'pending'::job_status end`,
        completedAt: sql`case when ${used} then now() end`,
        runAt: sql`now()`,
        lastError: sql`${UNKNOWN_PREFIX} || coalesce(${jobs.lockedBy}, '?') || ${UNKNOWN_SUFFIX}`,
        lockedBy: null,
        lockedUntil: null,
        claimToken: null,
        updatedAt: sql`now()`,
      })
      .where(and(inArray(jobs.id, ids), notInArray(jobs.id, [...stored.keys()])))
      .returning(swept);
    const now = new Date();
    await tx.insert(jobAttempts).values(
      lost.map((j) => ({
        jobId: j.id,
        attempt: j.attempts,
        claimToken: j.claimToken,
        startedAt: j.claimedAt,
        finishedAt: now,
        durationMs: Math.max(0, now.getTime() - j.claimedAt.getTime()),
        outcome: 'lost' as const,
        error: `${UNKNOWN_PREFIX}${j.lockedBy ?? '?'}${UNKNOWN_SUFFIX}`,
      })),
    );
    return followUpsOfSwept(tx, rules, [...settled, ...recovered]);
  });
}

/** Why a job was never sent: the sweeper's words, and the worker's for a job that expired in its local queue. */
export const NEVER_SENT = 'deadline passed before the job could be sent';

export async function expireOverdueJobs(db: Db, rules: FollowUpRules): Promise<SweptJob[]> {
  return db.transaction(async (tx) => {
    const overdue = await tx
      .select({ id: jobs.id, attempts: jobs.attempts })
      .from(jobs)
      .where(and(sql`${jobs.status} = 'pending'`, isNotNull(jobs.deadline), lt(jobs.deadline, sql`now()`)))
      .limit(SWEEP_BATCH)
      .for('update', { skipLocked: true });
    if (overdue.length === 0) return [];
    const error = NEVER_SENT;
    const expired = await tx
      .update(jobs)
      .set({ status: 'expired', lastError: error, completedAt: sql`now()`, updatedAt: sql`now()` })
      .where(inArray(jobs.id, overdue.map((j) => j.id)))
      .returning(swept);
    const now = new Date();
    await tx.insert(jobAttempts).values(
      overdue.map((j) => ({
        jobId: j.id,
        attempt: j.attempts + 1,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        outcome: 'expired' as const,
        error,
      })),
    );
    return followUpsOfSwept(tx, rules, expired);
  });
}
