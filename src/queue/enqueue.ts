// enqueueJobs: stores new jobs in one INSERT, or returns the existing job for a repeated
// (tenant, idempotencyKey). The insert's statement trigger NOTIFYs `callgate_job` once per 64 rows,
// which wakes idle workers on every instance.
//
// The statement is built once, here, from the table's drizzle columns: the batch travels as one
// JSON parameter (an array of objects, each column's value encoded as drizzle encodes it), so its
// text is the same for 1 row or 500 and no call builds SQL per row. (Running it as a named
// prepared statement, db/prepared.ts, showed no gain above the noise: BENCHMARKS.md.) A field added to NewJob must be added to FIELDS (the compiler insists).
import { randomUUID } from 'node:crypto';
import { and, getTableColumns, inArray, is, SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client';
import { selectRows } from '../db/rows';
import { jobs, type JobRow, type NewJobRow } from '../db/schema';

export type NewJob = Pick<NewJobRow, 'tenantId' | 'service' | 'operation' | 'input' | 'maxAttempts'> &
  /** The job's lease (lease.ts): every job accepted now has one. */
  { leaseMs: number } &
  Partial<Pick<NewJobRow, 'idempotencyKey' | 'correlationId' | 'priority' | 'runAt' | 'deadline' | 'parentJobId' | 'followUps'>>;

export interface Enqueued {
  job: JobRow;
  /** True when an earlier job with the same idempotency key was returned instead. */
  deduplicated: boolean;
}

/** Every NewJob field: a Record, so that a field added to NewJob and not here fails to compile. */
const FIELD_SET: Record<keyof NewJob, true> = {
  tenantId: true,
  service: true,
  operation: true,
  input: true,
  maxAttempts: true,
  leaseMs: true,
  idempotencyKey: true,
  correlationId: true,
  priority: true,
  runAt: true,
  deadline: true,
  parentJobId: true,
  followUps: true,
};
/** The id is made here, not by the database: it is how each inserted row finds its caller. */
const FIELDS = ['id', ...Object.keys(FIELD_SET)] as (keyof NewJob | 'id')[];

const COLUMNS = getTableColumns(jobs);

/** `(e->>'field')::type`, or the column's default where the job leaves it unset. */
function valueOf(field: keyof NewJob | 'id'): string {
  const column = COLUMNS[field];
  const value = `(e->>'${field}')::${column.getSQLType()}`;
  if (field === 'id' || column.default === undefined) return value;
  return `coalesce(${value}, ${sqlLiteral(column.default)})`;
}

function sqlLiteral(value: unknown): string {
  if (is(value, SQL)) return new PgDialect().sqlToQuery(value).sql;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  throw new Error(`enqueue: no SQL literal for the default ${String(value)}`);
}

const INSERT_HEAD = sql.raw(
  `insert into "jobs" (${FIELDS.map((f) => `"${COLUMNS[f].name}"`).join(', ')}) select ${FIELDS.map(valueOf).join(', ')} from json_array_elements(`,
);
const INSERT_TAIL = sql.raw(`::json) as e on conflict ("tenant_id", "idempotency_key") where idempotency_key is not null do nothing returning *`);

/** One row as the statement reads it: each set field as drizzle sends that column's values. */
function encode(id: string, job: NewJob): Record<string, unknown> {
  const row: Record<string, unknown> = { id };
  for (const field of FIELDS) {
    const value = field === 'id' ? undefined : job[field];
    if (value != null) row[field] = COLUMNS[field].mapToDriverValue(value);
  }
  return row;
}

/** A row of `returning *` (driver values, by column name) as drizzle's select would give it. */
function decode(raw: Record<string, unknown>): JobRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = raw[column.name];
    row[key] = value == null ? null : column.mapFromDriverValue(value);
  }
  return row as JobRow;
}

const keyOf = (job: { tenantId: string; idempotencyKey?: string | null | undefined }) => JSON.stringify([job.tenantId, job.idempotencyKey]);

/**
 * Inserts the batch in one statement; result i is job i's. A key repeated inside the batch is
 * inserted once: the later jobs get the first one's job as duplicates, as a repeat in a later call
 * would. Any error fails the whole batch (see enqueue-batcher.ts for keeping it to one caller).
 */
export async function enqueueJobs(db: Db, batch: readonly NewJob[]): Promise<Enqueued[]> {
  const firstWithKey = new Map<string, number>();
  const leaderOf = batch.map((job, i) => {
    if (job.idempotencyKey == null) return i;
    const first = firstWithKey.get(keyOf(job));
    if (first !== undefined) return first;
    firstWithKey.set(keyOf(job), i);
    return i;
  });
  const ids = batch.map(() => randomUUID());
  const rows = batch.flatMap((job, i) => (leaderOf[i] === i ? [encode(ids[i]!, job)] : []));
  const raw = await selectRows(db, sql`${INSERT_HEAD}${JSON.stringify(rows)}${INSERT_TAIL}`);
  const inserted = new Map(raw.map((r) => [r.id as string, decode(r)]));
  // A key that did not insert names a job of an earlier call. ON CONFLICT DO NOTHING waited for
  // that call to commit, so its job is visible to the next statement.
  const conflicted = batch.filter((_, i) => leaderOf[i] === i && !inserted.has(ids[i]!));
  const earlier = conflicted.length > 0 ? await jobsWithKeys(db, conflicted) : new Map<string, JobRow>();
  return batch.map((job, i) => {
    const leader = leaderOf[i]!;
    const own = inserted.get(ids[leader]!);
    if (own) return { job: own, deduplicated: leader !== i };
    const first = earlier.get(keyOf(job));
    if (!first) throw new Error('idempotent insert conflicted but the first job is gone');
    return { job: first, deduplicated: true };
  });
}

export async function enqueueJob(db: Db, job: NewJob): Promise<Enqueued> {
  const [enqueued] = await enqueueJobs(db, [job]);
  return enqueued!;
}

/** The jobs holding these (tenant, key) pairs, by keyOf. */
async function jobsWithKeys(db: Db, batch: readonly NewJob[]): Promise<Map<string, JobRow>> {
  const found = await db
    .select()
    .from(jobs)
    .where(and(inArray(jobs.tenantId, [...new Set(batch.map((j) => j.tenantId))]), inArray(jobs.idempotencyKey, batch.map((j) => j.idempotencyKey!))));
  const wanted = new Set(batch.map(keyOf));
  return new Map(found.filter((j) => wanted.has(keyOf(j))).map((j) => [keyOf(j), j]));
}
