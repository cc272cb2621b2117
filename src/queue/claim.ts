// claimJobs: takes up to `limit` due pending jobs for one worker in a single statement. SKIP LOCKED
// lets any number of workers on any number of instances claim at once without taking a job twice.
// Each claim gets a fresh token: only writes carrying it may end the attempt (see finish.ts). Each
// row is leased for its own `lease_ms` (lease.ts), not for the longest timeout of any operation;
// a job accepted before leases were per job (null) is leased as it would have been then, and the
// claim records that lease on the row, so the worker reads every claimed job's lease alike.
//
// The statement is on the worker's hot path, so it is built once per database handle, with
// placeholders, and only executed per claim: drizzle builds no SQL per call.
import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { DEFAULT_TIMEOUT_MS } from '../registry';
import { jobs, type JobRow } from '../db/schema';
import { leaseMsFor } from './lease';

/** A claimed job: RUNNING under this claim's token, for its lease. */
export type ClaimedJob = JobRow & { claimToken: string; leaseMs: number };

function buildClaim(db: Db) {
  const lease = sql`coalesce(${jobs.leaseMs}, ${sql.placeholder('legacyLeaseMs')}::int)`;
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
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true });
  return db
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      lockedBy: sql`${sql.placeholder('workerId')}`,
      leaseMs: sql`${lease}`,
      lockedUntil: sql`now() + ${lease} * interval '1 millisecond'`,
      // Volatile, so evaluated per row: every job of the batch gets its own token.
      claimToken: sql`gen_random_uuid()`,
      startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      updatedAt: sql`now()`,
    })
    .where(inArray(jobs.id, due))
    .returning()
    .prepare('callgate_claim_jobs');
}

const prepared = new WeakMap<Db, ReturnType<typeof buildClaim>>();

/**
 * `legacyLeaseMs`: the lease of a job accepted before leases were per job, as every job was leased
 * then: the longest operation timeout plus the margin (the store passes its registry's). The
 * default, the default timeout's, is what a caller without a registry can know.
 */
export async function claimJobs(db: Db, workerId: string, limit: number, legacyLeaseMs = leaseMsFor(DEFAULT_TIMEOUT_MS)): Promise<ClaimedJob[]> {
  if (limit <= 0) return [];
  let claim = prepared.get(db);
  if (!claim) prepared.set(db, (claim = buildClaim(db)));
  const claimed = await claim.execute({ workerId, limit, legacyLeaseMs });
  return claimed as ClaimedJob[];
}
