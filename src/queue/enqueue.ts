// enqueueJob: stores a new job, or returns the existing one for a repeated (tenant, idempotencyKey).
// The insert's trigger NOTIFYs `callgate_job`, which wakes idle workers on every instance.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, type JobRow, type NewJobRow } from '../db/schema';

export type NewJob = Pick<NewJobRow, 'tenantId' | 'service' | 'operation' | 'input' | 'maxAttempts'> &
  Partial<Pick<NewJobRow, 'idempotencyKey' | 'correlationId' | 'priority' | 'runAt' | 'deadline' | 'parentJobId' | 'followUps'>>;

export interface Enqueued {
  job: JobRow;
  /** True when an earlier job with the same idempotency key was returned instead. */
  deduplicated: boolean;
}

export async function enqueueJob(db: Db, job: NewJob): Promise<Enqueued> {
  const [inserted] = await db
    .insert(jobs)
    .values(job)
    .onConflictDoNothing({ target: [jobs.tenantId, jobs.idempotencyKey] })
    .returning();
  if (inserted) return { job: inserted, deduplicated: false };
  // ON CONFLICT DO NOTHING waited for the other insert to commit, so the first job is visible.
  const [existing] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.tenantId, job.tenantId), eq(jobs.idempotencyKey, job.idempotencyKey!)));
  if (!existing) throw new Error('idempotent insert conflicted but the first job is gone');
  return { job: existing, deduplicated: true };
}
