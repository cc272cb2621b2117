// How a running attempt ends: completeJob, failJob, scheduleRetry (PENDING again after a delay,
// or EXPIRED if that would pass the deadline) and putBack (PENDING without using up the attempt:
// breaker open, drain). The job changes only while the calling worker still holds it, so a worker
// that lost its lease or whose job was cancelled cannot overwrite it; the attempt is logged
// either way, since the call did happen.
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobAttempts, jobs, type JobRow, type NewAttemptRow } from '../db/schema';

/** The attempt row, numbered by the worker from the claimed job's `attempts`. */
export type AttemptRecord = Omit<NewAttemptRow, 'id' | 'jobId'>;

export interface Finish {
  jobId: string;
  workerId: string;
  /** Absent when no call was made (nothing to log). */
  attempt?: AttemptRecord | undefined;
}

/** What an ended attempt left the job as; null when the job was no longer this worker's. */
export type Ended = Pick<JobRow, 'id' | 'status' | 'attempts' | 'runAt'> | null;

/** A job update: plain values or SQL expressions. */
export type JobChange = { [K in keyof JobRow]?: JobRow[K] | SQL };

export function completeJob(db: Db, f: Finish & { output: unknown }): Promise<Ended> {
  return endAttempt(db, f, { status: 'succeeded', output: f.output, lastError: null, completedAt: sql`now()` });
}

export function failJob(db: Db, f: Finish & { error: string }): Promise<Ended> {
  return endAttempt(db, f, { status: 'failed', lastError: f.error, completedAt: sql`now()` });
}

/** PENDING again in `delayMs`; EXPIRED instead when that is at or past the job's deadline. */
export function scheduleRetry(db: Db, f: Finish & { error: string; delayMs: number }): Promise<Ended> {
  const runAt = sql`now() + make_interval(secs => ${f.delayMs / 1000})`;
  const late = sql`(${jobs.deadline} is not null and ${runAt} >= ${jobs.deadline})`;
  return endAttempt(db, f, {
    status: sql`case when ${late} then 'expired'::job_status else 'pending'::job_status end`,
    runAt,
    lastError: f.error,
    completedAt: sql`case when ${late} then now() end`,
  });
}

/** PENDING again at `runAt` (now when null), giving the attempt back: it was not the upstream's fault. */
export function putBack(db: Db, f: Finish & { runAt: Date | null; reason: string }): Promise<Ended> {
  return endAttempt(db, f, {
    status: 'pending',
    runAt: f.runAt ?? sql`now()`,
    attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
    lastError: f.reason,
  });
}

/** Logs an attempt whose job has already moved on (it was cancelled while the call ran). */
export async function recordAttempt(db: Db, jobId: string, attempt: AttemptRecord): Promise<void> {
  await db.insert(jobAttempts).values({ ...attempt, jobId });
}

/**
 * One statement, so one round trip and one commit: the guarded UPDATE and the attempt INSERT as
 * data-modifying CTEs (PostgreSQL runs both even though only the first is selected). A
 * transaction of the two took four round trips while holding a pooled connection.
 */
async function endAttempt(db: Db, { jobId, workerId, attempt }: Finish, change: JobChange): Promise<Ended> {
  const update = db
    .update(jobs)
    .set({ ...change, lockedBy: null, lockedUntil: null, updatedAt: sql`now()` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running'), eq(jobs.lockedBy, workerId)))
    // Only what callers read: building and mapping all columns was a visible share of a worker's CPU.
    .returning({ id: jobs.id, status: jobs.status, attempts: jobs.attempts, runAt: jobs.runAt });
  if (!attempt) return (await update)[0] ?? null;
  const ended = db.$with('ended').as(update);
  const logged = db.$with('logged').as(db.insert(jobAttempts).values({ ...attempt, jobId }));
  const [job] = await db.with(ended, logged).select().from(ended);
  return job ?? null;
}
