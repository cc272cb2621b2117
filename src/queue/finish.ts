// How a running attempt ends: completeJob, failJob, scheduleRetry (PENDING again after a delay,
// or EXPIRED if that would pass the deadline by the database's clock), expireJob and putBack
// (PENDING without using up the attempt: breaker open, drain). The job changes only while the attempt's claim token is still the job's
// (fencing), so a worker that lost its lease or whose job was cancelled cannot overwrite it; the
// attempt is logged either way, since the call did happen. A job that carries follow-ups gets them
// created in the same transaction as the write that ends it (follow-ups.ts).
import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS, jobAttempts, jobs, type JobRow, type NewAttemptRow } from '../db/schema';
import { createFollowUpsFor, type CreatedFollowUp, type FollowUpRules } from './follow-ups';

/** The attempt row, numbered by the worker from the claimed job's `attempts`. */
export type AttemptRecord = Omit<NewAttemptRow, 'id' | 'jobId'>;

export interface Finish {
  jobId: string;
  /** The claim's token (claimJobs): the write applies only while the job still carries it. */
  claimToken: string;
  /** Absent when no call was made (nothing to log). */
  attempt?: AttemptRecord | undefined;
  /**
   * Set for a job that carries follow-ups (its `followUps`): what they are built against. The
   * write then runs in a transaction that also creates those its ending fires; unset, it stays
   * one statement.
   */
  followUpRules?: FollowUpRules | undefined;
}

/**
 * What an ended attempt left the job as, with the follow-ups its ending created (when it carries
 * any); null when the job was no longer this claim's.
 */
export type Ended = (Pick<JobRow, 'id' | 'status' | 'attempts' | 'runAt'> & { followUps?: CreatedFollowUp[] }) | null;

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

/** EXPIRED: the worker saw that a retry would start at or after the job's deadline. */
export function expireJob(db: Db, f: Finish & { error: string }): Promise<Ended> {
  return endAttempt(db, f, { status: 'expired', lastError: f.error, completedAt: sql`now()` });
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

/**
 * Logs an attempt whose job has already moved on (it was cancelled while the call ran), in one
 * statement: superseded instead, replacing the sweeper's `lost` row, if the lease ran out first.
 */
export async function recordAttempt(db: Db, { jobId, claimToken, attempt }: Finish & { attempt: AttemptRecord }): Promise<void> {
  const lost = db.$with('lost').as(db.delete(jobAttempts).where(lostRowOf(jobId, claimToken)).returning({ id: jobAttempts.id }));
  const takenBack = sql`exists (select 1 from ${lost})`;
  await db
    .with(lost)
    .insert(jobAttempts)
    .values({
      ...attempt,
      jobId,
      claimToken,
      outcome: sql`case when ${takenBack} then 'superseded'::attempt_outcome else ${attempt.outcome}::attempt_outcome end`,
      error: sql`case when ${takenBack} then ${discarded(attempt)} else ${attempt.error ?? null} end`,
    })
    .onConflictDoNothing();
}

/** The guarded write every ending above makes (callback-ending.ts's too). */
export async function endAttempt(db: Db, f: Finish, change: JobChange): Promise<Ended> {
  const rules = f.followUpRules;
  const job = rules
    ? await db.transaction(async (tx) => {
        const ended = await endStatement(tx, f, change);
        if (!ended || !FINAL_JOB_STATUS.has(ended.status)) return ended;
        return { ...ended, followUps: await createFollowUpsFor(tx, rules, [ended.id]) };
      })
    : await endStatement(db, f, change);
  if (!job && f.attempt) await supersedeIfTakenBack(db, { ...f, attempt: f.attempt });
  return job;
}

/**
 * One statement, so one round trip and one commit: the guarded UPDATE and the attempt INSERT as
 * data-modifying CTEs (PostgreSQL runs both even though only the first is selected). A
 * transaction of the two took four round trips while holding a pooled connection.
 */
async function endStatement(db: Db, f: Finish, change: JobChange): Promise<Ended> {
  const { jobId, claimToken, attempt } = f;
  const update = db
    .update(jobs)
    .set({ ...change, lockedBy: null, lockedUntil: null, claimToken: null, updatedAt: sql`now()` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running'), eq(jobs.claimToken, claimToken)))
    // Only what callers read: building and mapping all columns was a visible share of a worker's CPU.
    .returning({ id: jobs.id, status: jobs.status, attempts: jobs.attempts, runAt: jobs.runAt });
  if (!attempt) return (await update)[0] ?? null;
  const ended = db.$with('ended').as(update);
  const logged = db.$with('logged').as(db.insert(jobAttempts).values({ ...attempt, jobId, claimToken }).onConflictDoNothing());
  const [job] = await db.with(ended, logged).select().from(ended);
  return job ?? null;
}

/**
 * The late worker's side of fencing, off the hot path: when the sweeper took the job back from
 * this claim it logged the attempt as `lost`, not knowing how the call ended. That row goes, and
 * the worker's own row says what happened and that its result was discarded: one row per attempt.
 * A separate statement on purpose: the failed UPDATE may have waited for the sweeper's commit,
 * which its snapshot (and so its CTEs') cannot see.
 */
export async function supersedeIfTakenBack(db: Db, { jobId, claimToken, attempt }: Finish & { attempt: AttemptRecord }): Promise<void> {
  const lost = db.$with('lost').as(db.delete(jobAttempts).where(lostRowOf(jobId, claimToken)).returning({ id: jobAttempts.id }));
  await db
    .with(lost)
    .update(jobAttempts)
    .set({ outcome: 'superseded', error: discarded(attempt) })
    .where(
      and(
        eq(jobAttempts.jobId, jobId),
        eq(jobAttempts.claimToken, claimToken),
        ne(jobAttempts.outcome, 'lost'),
        sql`exists (select 1 from ${lost})`,
      ),
    );
}

/** The row the sweeper wrote when it took the job back from this claim. */
const lostRowOf = (jobId: string, claimToken: string) =>
  and(eq(jobAttempts.jobId, jobId), eq(jobAttempts.claimToken, claimToken), eq(jobAttempts.outcome, 'lost'));

function discarded(attempt: AttemptRecord): string {
  const ended = [attempt.outcome, attempt.httpStatus && `HTTP ${attempt.httpStatus}`, attempt.error].filter(Boolean).join(', ');
  return `result discarded: the lease ran out during the call and the job was taken back (the call ended: ${ended})`;
}
