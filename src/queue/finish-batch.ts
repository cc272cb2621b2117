// endAttempts: many ended attempts written in one statement, one round trip and one commit for the
// lot (the worker's batching store, src/worker/batching-store.ts). Each row is fenced by its own
// claim token exactly as finish.ts's single-job writes are, and its attempt row is inserted in the
// same statement whether or not the job still was the claim's (the call did happen); the jobs
// returned are those that applied. Only the common endings are batched: succeed, fail, expire and
// retry, for jobs that carry no follow-ups; the rest stay single-job writes in finish.ts.
//
// The statement is pre-built text with one JSON parameter (the batch), the same for 1 row or 500:
// it runs as a named prepared statement (src/db/prepared.ts), so the driver prepares it once per
// connection and each batch is one round trip, and nothing is built per call.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { preparedRows } from '../db/prepared';
import type { JobStatus } from '../db/schema';
import { supersedeIfTakenBack, type AttemptRecord, type Ended } from './finish';

export type BatchedEnding =
  | { kind: 'succeed'; output: unknown }
  | { kind: 'fail'; error: string }
  | { kind: 'expire'; error: string }
  /** PENDING again after `delayMs`; EXPIRED instead when that is at or past the deadline (database clock). */
  | { kind: 'retry'; delayMs: number; error: string };

export interface BatchedFinish {
  jobId: string;
  claimToken: string;
  ending: BatchedEnding;
  attempt?: AttemptRecord | undefined;
}

const STATUS_OF = { succeed: 'succeeded', fail: 'failed', expire: 'expired', retry: 'pending' } as const;

// `x.status` is the ending's status; a retry's is decided here against the deadline, as scheduleRetry does.
const retryRunAt = `now() + x.delay_ms * interval '1 millisecond'`;
const late = `(x.delay_ms is not null and j.deadline is not null and ${retryRunAt} >= j.deadline)`;
const END_ATTEMPTS_HEAD = sql.raw(`with x as (select * from json_to_recordset(`);
const END_ATTEMPTS_TAIL = sql.raw(`::json) as r(
    job_id uuid, claim_token uuid, status job_status, output jsonb, error text, delay_ms float8,
    attempt int, started_at timestamptz, finished_at timestamptz, duration_ms int, outcome attempt_outcome,
    http_status int, request jsonb, response_body text, attempt_error text)
), ended as (
  update jobs j set
    status = case when ${late} then 'expired'::job_status else x.status end,
    output = case when x.status = 'succeeded' then x.output else j.output end,
    last_error = x.error,
    run_at = case when x.delay_ms is not null then ${retryRunAt} else j.run_at end,
    completed_at = case when x.status <> 'pending' or ${late} then now() end,
    locked_by = null, locked_until = null, claim_token = null, updated_at = now()
  from x
  where j.id = x.job_id and j.status = 'running' and j.claim_token = x.claim_token
  returning j.id, x.claim_token, j.status, j.attempts, j.run_at
), logged as (
  insert into job_attempts (job_id, claim_token, attempt, started_at, finished_at, duration_ms, outcome, http_status, request, response_body, error)
  select job_id, claim_token, attempt, started_at, finished_at, duration_ms, outcome, http_status, request, response_body, attempt_error
  from x where x.attempt is not null
  on conflict do nothing
)
select id::text as id, claim_token::text as token, status::text as status, attempts::int as attempts, (extract(epoch from run_at) * 1000)::float8 as run_at_ms from ended`);

/** One row as the statement reads it (json_to_recordset's columns). */
function encode({ jobId, claimToken, ending, attempt }: BatchedFinish): Record<string, unknown> {
  const row: Record<string, unknown> = { job_id: jobId, claim_token: claimToken, status: STATUS_OF[ending.kind] };
  if (ending.kind === 'succeed') row.output = ending.output ?? null;
  else row.error = ending.error;
  if (ending.kind === 'retry') row.delay_ms = ending.delayMs;
  if (attempt) {
    Object.assign(row, {
      attempt: attempt.attempt,
      started_at: attempt.startedAt.toISOString(),
      finished_at: attempt.finishedAt.toISOString(),
      duration_ms: attempt.durationMs,
      outcome: attempt.outcome,
      http_status: attempt.httpStatus ?? null,
      request: attempt.request ?? null,
      response_body: attempt.responseBody ?? null,
      attempt_error: attempt.error ?? null,
    });
  }
  return row;
}

/**
 * Writes the batch in one statement; result i is finish i's job as it ended, null where its claim
 * no longer held it. A fenced-out attempt then gets finish.ts's own treatment, one job at a time
 * (rare): its row replaces the sweeper's `lost` row as `superseded`.
 */
export async function endAttempts(db: Db, batch: readonly BatchedFinish[]): Promise<Ended[]> {
  if (batch.length === 0) return [];
  const rows = await preparedRows<{ id: string; token: string; status: JobStatus; attempts: number; run_at_ms: number }>(
    db,
    'callgate_end_attempts',
    sql`${END_ATTEMPTS_HEAD}${JSON.stringify(batch.map(encode))}${END_ATTEMPTS_TAIL}`,
  );
  const byToken = new Map(rows.map((r) => [r.token, { id: r.id, status: r.status, attempts: r.attempts, runAt: new Date(r.run_at_ms) }]));
  const ended = batch.map((f) => byToken.get(f.claimToken) ?? null);
  for (const [i, f] of batch.entries()) {
    if (!ended[i] && f.attempt) await supersedeIfTakenBack(db, { jobId: f.jobId, claimToken: f.claimToken, attempt: f.attempt });
  }
  return ended;
}
