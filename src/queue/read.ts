// Reads of jobs and attempts for the API, always scoped to one tenant: a tenant never sees
// another's jobs. Pagination is keyset on (created_at, id), newest first, stable under inserts; the
// cursor is the last job's id.
import { and, asc, desc, eq, getTableColumns, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
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

interface JobsPage {
  tenantId: string;
  status?: JobStatus | undefined;
  service?: string | undefined;
  /** Id of the last job of the previous page. */
  after?: string | undefined;
  limit: number;
}

/** Everything but the payloads: a list row stays a few hundred bytes even beside a 20 MB input. */
export type JobSummary = Omit<JobRow, 'input' | 'output'>;
const { input: _input, output: _output, ...SUMMARY_COLUMNS } = getTableColumns(jobs);

/** The input and output of one job, read apart from its summary (only when a client asks for them). */
export type JobPayload = Pick<JobRow, 'id' | 'input' | 'output'>;

export async function listJobs(db: Db, page: JobsPage): Promise<JobRow[]> {
  return db.select().from(jobs).where(pageFilter(page)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(page.limit);
}

/** listJobs without input and output: the GraphQL list, which loads payloads per job only when selected. */
export async function listJobSummaries(db: Db, page: JobsPage): Promise<JobSummary[]> {
  return db.select(SUMMARY_COLUMNS).from(jobs).where(pageFilter(page)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(page.limit);
}

function pageFilter(page: JobsPage): SQL | undefined {
  const where: (SQL | undefined)[] = [eq(jobs.tenantId, page.tenantId)];
  if (page.status) where.push(eq(jobs.status, page.status));
  if (page.service) where.push(eq(jobs.service, page.service));
  if (page.after) {
    // Compared in the database: created_at has microseconds, a JavaScript Date only milliseconds.
    where.push(sql`(${jobs.createdAt}, ${jobs.id}) < (select j.created_at, j.id from jobs j where j.id = ${page.after})`);
  }
  return and(...where);
}

/** The payloads of the tenant's jobs among `ids`, in one statement (a page's worth at a time). */
export async function getJobPayloads(db: Db, tenantId: string, ids: readonly string[]): Promise<JobPayload[]> {
  return db
    .select({ id: jobs.id, input: jobs.input, output: jobs.output })
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.id, [...ids])));
}

/** The size of each payload as the API would send it (JSON text of input and output), by job id. */
export async function getJobPayloadSizes(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .select({ id: jobs.id, bytes: sql<number>`(octet_length(${jobs.input}::text) + coalesce(octet_length(${jobs.output}::text), 0))::int` })
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.id, [...ids])));
  return new Map(rows.map((r) => [r.id, r.bytes]));
}

/** The summaries of the tenant's jobs among `ids`, in one statement: Job.parent for a page of jobs. */
export async function getJobSummaries(db: Db, tenantId: string, ids: readonly string[]): Promise<JobSummary[]> {
  return db
    .select(SUMMARY_COLUMNS)
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.id, [...ids])));
}

/** The follow-ups of many jobs in one statement, oldest first per parent (jobs_parent_slot_uq serves it). */
export async function listFollowUpsOfJobs(db: Db, tenantId: string, parentIds: readonly string[]): Promise<JobSummary[]> {
  return db
    .select(SUMMARY_COLUMNS)
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.parentJobId, [...parentIds])))
    .orderBy(asc(jobs.createdAt), asc(jobs.followUpSlot));
}

export async function listAttempts(db: Db, jobId: string): Promise<AttemptRow[]> {
  return db.select().from(jobAttempts).where(eq(jobAttempts.jobId, jobId)).orderBy(asc(jobAttempts.attempt), asc(jobAttempts.id));
}

/** The attempts of many jobs in one statement, oldest first per job: a page of jobs costs one query, not one per job. */
export async function listAttemptsOfJobs(db: Db, jobIds: readonly string[]): Promise<AttemptRow[]> {
  return db
    .select()
    .from(jobAttempts)
    .where(inArray(jobAttempts.jobId, [...jobIds]))
    // An async attempt has several rows (accepted, callbacks, timed_out): in the order they were written.
    .orderBy(asc(jobAttempts.jobId), asc(jobAttempts.attempt), asc(jobAttempts.id));
}

interface AttemptLogPage {
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
