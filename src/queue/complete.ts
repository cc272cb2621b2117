// completeJob / failJob: end a running attempt and log it in one transaction. Both only touch a
// job still locked by the calling worker, so a worker that lost its lease cannot overwrite a
// result that another worker has written since.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobAttempts, jobs, type JobRow, type NewAttemptRow } from '../db/schema';

export type AttemptRecord = Omit<NewAttemptRow, 'id' | 'jobId' | 'attempt'>;

export interface Finish {
  jobId: string;
  workerId: string;
  /** Absent when no call was made (nothing to log). */
  attempt?: AttemptRecord;
}

export async function completeJob(db: Db, finish: Finish & { output: unknown }): Promise<JobRow | null> {
  return finishAttempt(db, finish, { status: 'succeeded', output: finish.output, lastError: null });
}

export async function failJob(db: Db, finish: Finish & { error: string }): Promise<JobRow | null> {
  return finishAttempt(db, finish, { status: 'failed', lastError: finish.error });
}

async function finishAttempt(
  db: Db,
  { jobId, workerId, attempt }: Finish,
  change: Pick<Partial<JobRow>, 'status' | 'output' | 'lastError'>,
): Promise<JobRow | null> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(jobs)
      .set({
        ...change,
        lockedBy: null,
        lockedUntil: null,
        completedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running'), eq(jobs.lockedBy, workerId)))
      .returning();
    if (!job) return null;
    if (attempt) await tx.insert(jobAttempts).values({ ...attempt, jobId, attempt: job.attempts });
    return job;
  });
}
