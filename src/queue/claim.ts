// claimJobs: takes up to `limit` due pending jobs for one worker in a single statement. SKIP LOCKED
// lets any number of workers on any number of instances claim at once without taking a job twice.
// Each claim gets a fresh token: only writes carrying it may end the attempt (see finish.ts).
import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, type JobRow } from '../db/schema';

/** A claimed job: RUNNING under this claim's token. */
export type ClaimedJob = JobRow & { claimToken: string };

export async function claimJobs(db: Db, workerId: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  if (limit <= 0) return [];
  const due = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.status, 'pending'),
        lte(jobs.runAt, sql`now()`),
        // Past its deadline a job is never sent; the sweeper marks it EXPIRED.
        or(isNull(jobs.deadline), gt(jobs.deadline, sql`now()`)),
      ),
    )
    .orderBy(asc(jobs.priority), asc(jobs.runAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const claimed = await db
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      lockedBy: workerId,
      lockedUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
      // Volatile, so evaluated per row: every job of the batch gets its own token.
      claimToken: sql`gen_random_uuid()`,
      startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      updatedAt: sql`now()`,
    })
    .where(inArray(jobs.id, due))
    .returning();
  return claimed as ClaimedJob[];
}
