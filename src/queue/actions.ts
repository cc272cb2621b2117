// What a client or operator may do to a job: cancelJob (PENDING, RUNNING or WAITING_CALLBACK →
// CANCELLED; a running call is aborted by its worker when the event reaches it) and retryJob (a
// finished-but-unsuccessful job → PENDING with a fresh attempt budget and its operation's lease as
// it is now). Each is one guarded UPDATE, so two racing actions cannot both apply.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, type JobRow, type JobStatus } from '../db/schema';
import { retire } from './callback-ending';
import { forgetCallback } from './callbacks';
import type { Registry } from '../registry';
import type { JobChange } from './finish';
import { leaseMsOf } from './lease';
import { getJob, getJobSummaries, isJobId } from './read';

export type ActionResult =
  | { kind: 'done'; job: JobRow }
  | { kind: 'not_found'; id: string }
  | { kind: 'invalid_transition'; id: string; status: JobStatus; action: 'cancel' | 'retry' };

export const CANCELLABLE: readonly JobStatus[] = ['pending', 'running', 'waiting_callback'];
export const RETRYABLE: readonly JobStatus[] = ['failed', 'cancelled', 'timed_out', 'expired'];

/** A waiting job's return address retires with it: a later callback changes nothing. */
export async function cancelJob(db: Db, tenantId: string, id: string): Promise<ActionResult> {
  const job = await transition(db, tenantId, id, CANCELLABLE, retire, {
    status: 'cancelled',
    lastError: 'cancelled',
    lockedBy: null,
    lockedUntil: null,
    claimToken: null,
    completedAt: sql`now()`,
    updatedAt: sql`now()`,
  });
  return job ? { kind: 'done', job } : explain(db, tenantId, id, 'cancel');
}

/**
 * The deadline is cleared too: retrying is an explicit decision to send it late. An async job's old
 * return address is forgotten (its token is unknown from now on); the next send gets a new one.
 * The lease is taken anew from `registry` (an operator who raised a timeout that was too short
 * retries with the new one); a job whose operation is gone keeps its own.
 */
export async function retryJob(db: Db, tenantId: string, id: string, registry: Registry): Promise<ActionResult> {
  // Its service and operation only: the payloads (up to a megabyte of output) are not needed here.
  const [current] = isJobId(id) ? await getJobSummaries(db, tenantId, [id]) : [];
  const leaseMs = current ? leaseMsOf(registry, current.service, current.operation) : undefined;
  const job = await transition(db, tenantId, id, RETRYABLE, forgetCallback, {
    ...(leaseMs === undefined ? {} : { leaseMs }),
    status: 'pending',
    attempts: 0,
    runAt: sql`now()`,
    deadline: null,
    output: null,
    lastError: null,
    completedAt: null,
    updatedAt: sql`now()`,
  });
  return job ? { kind: 'done', job } : explain(db, tenantId, id, 'retry');
}

class NoTransition extends Error {}

/**
 * The guarded UPDATE and what it means for the job's return address, in one transaction. The
 * return address is written first: the callback route locks it before the job, so taking the two
 * locks in the same order cannot deadlock with a callback arriving at that moment.
 */
async function transition(
  db: Db,
  tenantId: string,
  id: string,
  from: readonly JobStatus[],
  onCallback: (tx: Db, jobId: string) => Promise<void>,
  change: JobChange,
): Promise<JobRow | undefined> {
  if (!isJobId(id)) return undefined;
  try {
    return await db.transaction(async (tx) => {
      await onCallback(tx, id);
      const [job] = await tx
        .update(jobs)
        .set(change)
        .where(and(eq(jobs.id, id), eq(jobs.tenantId, tenantId), inArray(jobs.status, [...from])))
        .returning();
      // Not this tenant's, or not in a state the action applies to: the return address stays as it was.
      if (!job) throw new NoTransition();
      return job;
    });
  } catch (err) {
    if (err instanceof NoTransition) return undefined;
    throw err;
  }
}

async function explain(db: Db, tenantId: string, id: string, action: 'cancel' | 'retry'): Promise<ActionResult> {
  const job = await getJob(db, tenantId, id);
  return job ? { kind: 'invalid_transition', id, status: job.status, action } : { kind: 'not_found', id };
}
