// The statements of async operations, on job_callbacks (one row per job, its return address). The
// worker's accept (the request got its 2xx) and the callback handler each update that one row under
// its row lock and read the other's mark: whichever commits second ends the job, so a callback that
// races the 2xx completes it exactly once. The sweeper times out jobs whose callback never came.
// Job-ending functions: acceptCallback (callback came first), receiveCallback, timeOutCallbacks;
// each creates the ended job's follow-ups in its transaction.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobAttempts, jobCallbacks, jobs, type JobStatus } from '../db/schema';
import type { CallbackResult, FinalResult } from '../callbacks/result';
import { endWith, RELEASED, retire } from './callback-ending';
import { recordAttempt, type AttemptRecord, type Ended, type JobChange } from './finish';
import { createFollowUpsFor, type FollowUpRules } from './follow-ups';
import { followUpsOfSwept, swept, type SweptJob } from './sweep';

/** Bounds one sweep's transaction; a larger backlog is taken over the next sweeps. */
const TIMEOUT_BATCH = 500;


/** What arming an attempt's return address found. */
type Armed =
  | { kind: 'armed' }
  /** An earlier attempt's request was settled by the provider's callback (the 2xx was lost): send nothing. */
  | { kind: 'settled'; result: FinalResult }
  /** The claim no longer holds the job: send nothing. */
  | { kind: 'fenced' };

/**
 * Stores a fresh token's hash as the job's return address, replacing an earlier attempt's (whose
 * token stops working), before the request is sent: a callback may come back before the 2xx does.
 * Only while the job is still this claim's. A final result that a callback left for an earlier
 * attempt (it came, then that attempt's request failed on our side, a timeout say) is kept, not
 * replaced: the provider did the work, so the job ends with it instead of being sent again.
 */
export async function armCallback(db: Db, a: { jobId: string; claimToken: string; attempt: number; tokenHash: string }): Promise<Armed> {
  const fresh = { tokenHash: a.tokenHash, attempt: a.attempt, createdAt: sql`now()` };
  const cleared = { acceptedAt: null, expiresAt: null, receivedAt: null, webhookId: null, result: null, retiredAt: null };
  // One statement guarded by the claim (INSERT … SELECT, which drizzle wants with every column).
  const rows = await db
    .insert(jobCallbacks)
    .select(
      db
        .select({
          jobId: jobs.id,
          tokenHash: sql`${a.tokenHash}`.as('token_hash'),
          attempt: sql`${a.attempt}::int`.as('attempt'),
          createdAt: sql`now()`.as('created_at'),
          acceptedAt: sql`null::timestamptz`.as('accepted_at'),
          expiresAt: sql`null::timestamptz`.as('expires_at'),
          receivedAt: sql`null::timestamptz`.as('received_at'),
          webhookId: sql`null::text`.as('webhook_id'),
          result: sql`null::jsonb`.as('result'),
          retiredAt: sql`null::timestamptz`.as('retired_at'),
        })
        .from(jobs)
        .where(and(eq(jobs.id, a.jobId), eq(jobs.status, 'running'), eq(jobs.claimToken, a.claimToken))),
    )
    .onConflictDoUpdate({
      target: jobCallbacks.jobId,
      set: { ...fresh, ...cleared },
      setWhere: sql`${jobCallbacks.receivedAt} is null or ${jobCallbacks.retiredAt} is not null`,
    })
    .returning({ jobId: jobCallbacks.jobId });
  if (rows.length > 0) return { kind: 'armed' };
  const [kept] = await db
    .select({ result: jobCallbacks.result })
    .from(jobCallbacks)
    .innerJoin(jobs, eq(jobs.id, jobCallbacks.jobId))
    .where(and(eq(jobCallbacks.jobId, a.jobId), eq(jobs.claimToken, a.claimToken), isNull(jobCallbacks.retiredAt)));
  return kept?.result ? { kind: 'settled', result: kept.result as FinalResult } : { kind: 'fenced' };
}

class NotThisClaim extends Error {}

/**
 * The worker's side, after the request got its 2xx: the job waits for its callback until now +
 * `timeoutMs` (WAITING_CALLBACK), or, when the callback already came, ends with its result here.
 * Null when the job is no longer this claim's (cancelled, lease taken over): the attempt is logged.
 */
export async function acceptCallback(
  db: Db,
  f: { jobId: string; claimToken: string; attempt: AttemptRecord; timeoutMs: number; followUpRules?: FollowUpRules | undefined },
): Promise<Ended> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .update(jobCallbacks)
        .set({ acceptedAt: sql`now()`, expiresAt: sql`now() + make_interval(secs => ${f.timeoutMs / 1000})` })
        .where(and(eq(jobCallbacks.jobId, f.jobId), eq(jobCallbacks.attempt, f.attempt.attempt), isNull(jobCallbacks.retiredAt)))
        .returning({ receivedAt: jobCallbacks.receivedAt, result: jobCallbacks.result });
      const arrived = row?.receivedAt ? (row.result as FinalResult) : undefined;
      const change: JobChange = arrived ? endWith(arrived) : { status: 'waiting_callback', lastError: null, updatedAt: sql`now()` };
      const [job] = await tx
        .update(jobs)
        .set({ ...change, ...RELEASED })
        .where(and(eq(jobs.id, f.jobId), eq(jobs.status, 'running'), eq(jobs.claimToken, f.claimToken)))
        .returning({ id: jobs.id, status: jobs.status, attempts: jobs.attempts, runAt: jobs.runAt, service: jobs.service, operation: jobs.operation });
      if (!job) throw new NotThisClaim();
      await tx.insert(jobAttempts).values({ ...f.attempt, jobId: f.jobId, claimToken: f.claimToken });
      if (!arrived) return job;
      await retire(tx, f.jobId);
      return f.followUpRules ? { ...job, followUps: await createFollowUpsFor(tx, f.followUpRules, [job.id]) } : job;
    });
  } catch (err) {
    if (!(err instanceof NotThisClaim)) throw err;
    await recordAttempt(db, { jobId: f.jobId, claimToken: f.claimToken, attempt: f.attempt });
    return null;
  }
}

/** What the callback route needs to verify a delivery before it changes anything. */
interface CallbackTarget {
  jobId: string;
  tenantId: string;
  service: string;
  operation: string;
  correlationId: string;
}

/** The job a live or retired token belongs to; undefined for a token never issued or replaced by a retry. */
export async function findCallbackTarget(db: Db, tokenHash: string): Promise<CallbackTarget | undefined> {
  const [row] = await db
    .select({
      jobId: jobs.id,
      tenantId: jobs.tenantId,
      service: jobs.service,
      operation: jobs.operation,
      correlationId: sql<string>`coalesce(${jobs.correlationId}, ${jobs.id}::text)`,
    })
    .from(jobCallbacks)
    .innerJoin(jobs, eq(jobs.id, jobCallbacks.jobId))
    .where(eq(jobCallbacks.tokenHash, tokenHash));
  return row;
}

export type Received =
  /** The job ended with this callback. */
  | { kind: 'completed'; job: SweptJob }
  /** Stored before the worker recorded the 2xx; the worker's accept ends the job with it. */
  | { kind: 'stored' }
  /** A status in neither list: logged, the job keeps waiting. */
  | { kind: 'progress' }
  /** This delivery (webhook-id) was taken before: nothing changes. */
  | { kind: 'replay' }
  /** The job no longer waits (done, cancelled, timed out, retried): nothing changes. */
  | { kind: 'ignored'; status: JobStatus | undefined }
  /** The token was replaced (the job was retried) since it was looked up. */
  | { kind: 'unknown' };

/**
 * The callback handler's side, for a verified delivery: logs it as a `callback` attempt and, with a
 * final result, marks the row received; ends the job when the worker's accept came first. One
 * transaction, the row locked first as the worker's accept does, so the two cannot deadlock.
 */
export async function receiveCallback(
  db: Db,
  c: { tokenHash: string; webhookId: string | undefined; result: CallbackResult; attempt: Omit<AttemptRecord, 'attempt'> },
  followUpRules: FollowUpRules,
): Promise<Received> {
  return db.transaction(async (tx): Promise<Received> => {
    const [row] = await tx
      .select()
      .from(jobCallbacks)
      .where(eq(jobCallbacks.tokenHash, c.tokenHash))
      .for('update');
    if (!row) return { kind: 'unknown' };
    const [job] = await tx
      .select({ id: jobs.id, status: jobs.status, attempts: jobs.attempts, service: jobs.service, operation: jobs.operation })
      .from(jobs)
      .where(eq(jobs.id, row.jobId))
      .for('update');
    if (c.webhookId !== undefined && row.webhookId === c.webhookId) return { kind: 'replay' };
    // Running: the request was sent and its 2xx not recorded yet, unless a later attempt took over.
    const waiting = job?.status === 'waiting_callback' || (job?.status === 'running' && job.attempts === row.attempt);
    if (row.retiredAt || row.receivedAt || !job || !waiting) return { kind: 'ignored', status: job?.status };
    await tx.insert(jobAttempts).values({ ...c.attempt, attempt: row.attempt, jobId: row.jobId });
    if (c.result.kind === 'progress') {
      await tx.update(jobCallbacks).set({ webhookId: c.webhookId ?? null }).where(eq(jobCallbacks.jobId, row.jobId));
      return { kind: 'progress' };
    }
    await tx
      .update(jobCallbacks)
      .set({ receivedAt: sql`now()`, webhookId: c.webhookId ?? null, result: c.result })
      .where(eq(jobCallbacks.jobId, row.jobId));
    if (job.status === 'running') return { kind: 'stored' };
    const [ended] = await tx
      .update(jobs)
      .set(endWith(c.result))
      .where(and(eq(jobs.id, row.jobId), eq(jobs.status, 'waiting_callback')))
      .returning(swept);
    await retire(tx, row.jobId);
    const [completed] = await followUpsOfSwept(tx, followUpRules, [ended!]);
    return { kind: 'completed', job: completed! };
  });
}

/**
 * The sweeper's: WAITING_CALLBACK jobs past their callback deadline become TIMED_OUT, each with a
 * `timed_out` attempt row, and their tokens retire. SKIP LOCKED leaves a callback being received
 * (and other instances' sweeps) alone; that job is looked at again on the next sweep.
 */
export async function timeOutCallbacks(db: Db, followUpRules: FollowUpRules): Promise<SweptJob[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ jobId: jobCallbacks.jobId, attempt: jobCallbacks.attempt, acceptedAt: jobCallbacks.acceptedAt, expiresAt: jobCallbacks.expiresAt })
      .from(jobCallbacks)
      .innerJoin(jobs, eq(jobs.id, jobCallbacks.jobId))
      .where(
        and(
          eq(jobs.status, 'waiting_callback'),
          sql`${jobCallbacks.expiresAt} < now()`,
          isNull(jobCallbacks.receivedAt),
          isNull(jobCallbacks.retiredAt),
        ),
      )
      .limit(TIMEOUT_BATCH)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.jobId);
    const error = 'no callback before the deadline';
    const timedOut = await tx
      .update(jobs)
      .set({ status: 'timed_out', lastError: error, completedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(inArray(jobs.id, ids), eq(jobs.status, 'waiting_callback')))
      .returning(swept);
    await tx.update(jobCallbacks).set({ retiredAt: sql`now()` }).where(inArray(jobCallbacks.jobId, ids));
    const now = new Date();
    await tx.insert(jobAttempts).values(
      due.map((d) => {
        const startedAt = d.acceptedAt ?? now;
        return {
          jobId: d.jobId,
          attempt: d.attempt,
          startedAt,
          finishedAt: now,
          durationMs: Math.max(0, now.getTime() - startedAt.getTime()),
          outcome: 'timed_out' as const,
          error: `${error} (${d.expiresAt?.toISOString()})`,
        };
      }),
    );
    return followUpsOfSwept(tx, followUpRules, timedOut);
  });
}

/** The return address is forgotten (retryJob): the old token is unknown from now on, the next send gets a new one. */
export async function forgetCallback(db: Db, jobId: string): Promise<void> {
  await db.delete(jobCallbacks).where(eq(jobCallbacks.jobId, jobId));
}

export interface CallbackView {
  jobId: string;
  expiresAt: Date | null;
  receivedAt: Date | null;
}

/** Job.callback: when the job stops waiting, and when its callback came; never the token. */
export async function listCallbacksOfJobs(db: Db, tenantId: string, jobIds: readonly string[]): Promise<CallbackView[]> {
  if (jobIds.length === 0) return [];
  // The tenant filter every API read carries; row-level security backs it up.
  return db
    .select({ jobId: jobCallbacks.jobId, expiresAt: jobCallbacks.expiresAt, receivedAt: jobCallbacks.receivedAt })
    .from(jobCallbacks)
    .innerJoin(jobs, eq(jobs.id, jobCallbacks.jobId))
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobCallbacks.jobId, [...jobIds])));
}
