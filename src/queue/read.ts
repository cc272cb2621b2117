// Reads of jobs and attempts for the API, always scoped to one tenant: a tenant never sees
// another's jobs. Pagination is keyset on (created_at, id), newest first, stable under inserts; the
// cursor is the last job's id.
import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobAttempts, jobs, type AttemptOutcome, type AttemptRow, type JobRow, type JobStatus } from '../db/schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isJobId(id: string): boolean {
  return UUID.test(id);
}

export async function getJob(db: Db, tenantId: string, id: string): Promise<JobRow | null> {
  if (!isJobId(id)) return null;
  const [job] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.tenantId, tenantId)));
  return job ?? null;
}

export interface JobsPage {
  tenantId: string;
  status?: JobStatus | undefined;
  service?: string | undefined;
  /** Id of the last job of the previous page. */
  after?: string | undefined;
  limit: number;
}

export async function listJobs(db: Db, page: JobsPage): Promise<JobRow[]> {
  const where: (SQL | undefined)[] = [eq(jobs.tenantId, page.tenantId)];
  if (page.status) where.push(eq(jobs.status, page.status));
  if (page.service) where.push(eq(jobs.service, page.service));
  if (page.after) {
    // Compared in the database: created_at has microseconds, a JavaScript Date only milliseconds.
    where.push(sql`(${jobs.createdAt}, ${jobs.id}) < (select j.created_at, j.id from jobs j where j.id = ${page.after})`);
  }
  return db
    .select()
    .from(jobs)
    .where(and(...where))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(page.limit);
}

export async function listAttempts(db: Db, jobId: string): Promise<AttemptRow[]> {
  return db.select().from(jobAttempts).where(eq(jobAttempts.jobId, jobId)).orderBy(asc(jobAttempts.attempt));
}

export interface AttemptLogPage {
  tenantId: string;
  service?: string | undefined;
  operation?: string | undefined;
  outcome?: AttemptOutcome | undefined;
  since?: Date | undefined;
  /** Id of the last attempt of the previous page. */
  after?: number | undefined;
  limit: number;
}

export type AttemptLogEntry = AttemptRow & { service: string; operation: string };

/** Attempts across the tenant's jobs, newest first: the ops execution log. */
export async function listAttemptLog(db: Db, page: AttemptLogPage): Promise<AttemptLogEntry[]> {
  const where: (SQL | undefined)[] = [eq(jobs.tenantId, page.tenantId)];
  if (page.service) where.push(eq(jobs.service, page.service));
  if (page.operation) where.push(eq(jobs.operation, page.operation));
  if (page.outcome) where.push(eq(jobAttempts.outcome, page.outcome));
  if (page.since) where.push(gte(jobAttempts.startedAt, page.since));
  if (page.after !== undefined) where.push(lt(jobAttempts.id, page.after));
  const rows = await db
    .select({ attempt: jobAttempts, service: jobs.service, operation: jobs.operation })
    .from(jobAttempts)
    .innerJoin(jobs, eq(jobs.id, jobAttempts.jobId))
    .where(and(...where))
    .orderBy(desc(jobAttempts.id))
    .limit(page.limit);
  return rows.map((r) => ({ ...r.attempt, service: r.service, operation: r.operation }));
}
