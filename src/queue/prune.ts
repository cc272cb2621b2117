// pruneFinishedJobs: deletes one bounded batch of finished jobs past their retention; their
// attempts go with them (job_attempts.job_id is ON DELETE CASCADE). Unfinished jobs are never chosen.
import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS, IS_FINAL, jobs, type JobStatus } from '../db/schema';

export interface Retention {
  /** Finished jobs other than FAILED are kept this long after they finished. */
  retentionMs: number;
  /** FAILED jobs (dead letters) are kept this long, for inspection and retryJob. */
  failedRetentionMs: number;
}

/** Final statuses kept for `retentionMs`; FAILED has its own. */
const SHORT_LIVED: JobStatus[] = [...FINAL_JOB_STATUS].filter((s) => s !== 'failed');

/**
 * One statement. The subquery picks and locks at most `limit` rows, oldest first, with SKIP
 * LOCKED, so instances pruning at once take different rows and never wait for one another, and a
 * row a retryJob holds is left for a later pass. Returns the ids deleted.
 *
 * Plan (EXPLAIN on 400,000 finished jobs, also as a generic plan of the prepared statement): an
 * index scan of jobs_finished_idx bounded by the earlier cutoff, then the primary key for the
 * DELETE (`= any(array(…))`; `in (…)` let the planner hash-join a scan of the whole table). Rows
 * between the two cutoffs that must stay (FAILED younger than its retention) are read and skipped.
 */
export async function pruneFinishedJobs(db: Db, retention: Retention, limit: number): Promise<string[]> {
  const before = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`;
  const doomed = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        // The predicate of jobs_finished_idx, verbatim, so the planner always proves the index applies.
        IS_FINAL,
        // One range for the index to stop at, whichever retention is shorter.
        lt(jobs.completedAt, before(Math.min(retention.retentionMs, retention.failedRetentionMs))),
        or(
          and(inArray(jobs.status, SHORT_LIVED), lt(jobs.completedAt, before(retention.retentionMs))),
          and(eq(jobs.status, 'failed'), lt(jobs.completedAt, before(retention.failedRetentionMs))),
        ),
      ),
    )
    .orderBy(asc(jobs.completedAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(jobs)
    .where(sql`${jobs.id} = any(array(${doomed}))`)
    .returning({ id: jobs.id });
  return deleted.map((d) => d.id);
}
