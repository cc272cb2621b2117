// pruneFinishedJobs: deletes one bounded batch of finished jobs past their retention; their
// attempts go with them (job_attempts.job_id is ON DELETE CASCADE). Unfinished jobs are never chosen.
import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS, jobs, type JobStatus } from '../db/schema';

export interface Retention {
  /** Finished jobs other than FAILED are kept this long after they finished. */
  retentionMs: number;
  /** FAILED jobs (dead letters) are kept this long, for inspection and retryJob. */
  failedRetentionMs: number;
}

/** Final statuses kept for `retentionMs`; FAILED has its own. */
const SHORT_LIVED: JobStatus[] = [...FINAL_JOB_STATUS].filter((s) => s !== 'failed');

/**
 * One statement: the subquery picks and locks at most `limit` rows with SKIP LOCKED, so instances
 * pruning at once each take different rows and never wait for one another, and a row a retryJob
 * holds is left for a later pass. Returns the ids deleted.
 */
export async function pruneFinishedJobs(db: Db, retention: Retention, limit: number): Promise<string[]> {
  const before = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`;
  const doomed = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      or(
        and(inArray(jobs.status, SHORT_LIVED), lt(jobs.completedAt, before(retention.retentionMs))),
        and(eq(jobs.status, 'failed'), lt(jobs.completedAt, before(retention.failedRetentionMs))),
      ),
    )
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db.delete(jobs).where(inArray(jobs.id, doomed)).returning({ id: jobs.id });
  return deleted.map((d) => d.id);
}
