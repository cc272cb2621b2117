// Jobs and their attempts. The partial index `jobs_claim_idx` serves the claim query, which only
// ever looks at pending jobs in (priority, run_at) order; `jobs_lease_idx` and `jobs_deadline_idx`
// serve the sweeper's two scans (expired leases, overdue pending jobs). The ops indexes
// (`jobs_live_idx`, `jobs_finished_idx`, `job_attempts_finished_idx`) keep the stats queries on
// the rows of their window or of the unfinished jobs, never the millions of finished ones.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { attemptOutcome, FINAL_JOB_STATUS, JOB_STATUS, jobStatus } from './enums';
import { tenants } from './tenants';

const statusIn = (statuses: readonly string[]) => sql.raw(`status in (${statuses.map((s) => `'${s}'`).join(', ')})`);

/**
 * `status in (<every final status>)`, the predicate of `jobs_finished_idx`: a query repeats it
 * verbatim so that the planner can prove the partial index applies.
 */
export const IS_FINAL = statusIn([...FINAL_JOB_STATUS]);
/** `status in (<every unfinished status>)`, the predicate of `jobs_live_idx`. */
export const IS_LIVE = statusIn(JOB_STATUS.filter((s) => !FINAL_JOB_STATUS.has(s)));

/** The predicate of `jobs_parent_slot_uq`, repeated by the insert that relies on it (follow-ups.ts). */
export const HAS_PARENT = sql`parent_job_id is not null`;
/** The idempotency index's predicate, named again by the enqueue's ON CONFLICT. */
export const HAS_IDEMPOTENCY_KEY = sql`idempotency_key is not null`;

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    service: text('service').notNull(),
    operation: text('operation').notNull(),
    input: jsonb('input').notNull(),
    status: jobStatus('status').notNull().default('pending'),
    /** Lower runs first. */
    priority: integer('priority').notNull().default(0),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    deadline: timestamp('deadline', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    idempotencyKey: text('idempotency_key'),
    correlationId: text('correlation_id'),
    /**
     * How long a claim holds this job: its operation's attempt timeout plus a margin when it was
     * accepted (queue/lease.ts). Null for a job accepted before leases were per job: its claim
     * leases it as every job was leased then and records that lease here (queue/claim.ts).
     */
    leaseMs: integer('lease_ms'),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    /**
     * Fresh for every claim (fencing): each write that ends the attempt matches it, so a worker
     * whose lease was taken over cannot write over the newer attempt. Null when not running.
     */
    claimToken: uuid('claim_token'),
    output: jsonb('output'),
    lastError: text('last_error'),
    /** The job whose end created this one as a follow-up. */
    parentJobId: uuid('parent_job_id'),
    /** Which of the parent's follow-ups this is (`onSuccess:0`): unique per parent, so it is created once. */
    followUpSlot: text('follow_up_slot'),
    /** Follow-ups to create when this job ends ({ onSuccess, onFailure }), fixed when it is accepted. */
    followUps: jsonb('follow_ups'),
    /** Links above this job in its follow-up chain (0 for a job a client asked for). */
    depth: integer('depth').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Partial: most jobs have no key, and an entry per job would be maintained on every status change for nothing.
    uniqueIndex('jobs_tenant_idempotency_key_uq').on(t.tenantId, t.idempotencyKey).where(HAS_IDEMPOTENCY_KEY),
    index('jobs_claim_idx').on(t.priority, t.runAt).where(sql`status = 'pending'`),
    index('jobs_lease_idx').on(t.lockedUntil).where(sql`status = 'running'`),
    index('jobs_deadline_idx').on(t.deadline).where(sql`status = 'pending' and deadline is not null`),
    index('jobs_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    // Queue health and the oldest due job per operation: the few unfinished rows, by tenant.
    index('jobs_live_idx').on(t.tenantId, t.status, t.service, t.operation, t.runAt).where(IS_LIVE),
    // Jobs finished in a stats window, and retention's scan for finished jobs older than a cutoff.
    index('jobs_finished_idx').on(t.completedAt).where(IS_FINAL),
    // Job.followUps, and a parent's follow-up created exactly once however often its end is retried.
    // Partial: most jobs have no parent, and every enqueue would otherwise add an entry for nothing.
    uniqueIndex('jobs_parent_slot_uq').on(t.parentJobId, t.followUpSlot).where(HAS_PARENT),
  ],
);

export const jobAttempts = pgTable(
  'job_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    /** The claim that made the attempt: a late worker finds the row the sweeper wrote for it. */
    claimToken: uuid('claim_token'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: attemptOutcome('outcome').notNull(),
    httpStatus: integer('http_status'),
    /** Method, URL and headers with secrets redacted. */
    request: jsonb('request'),
    /** Response body, truncated. */
    responseBody: text('response_body'),
    error: text('error'),
  },
  (t) => [
    // A job's attempts in order; unique per claim and start so that an outcome written again after
    // its commit's acknowledgement was lost (the database went away) adds no second row: the
    // attempt inserts say ON CONFLICT DO NOTHING. Rows without a claim token never conflict.
    uniqueIndex('job_attempts_job_idx').on(t.jobId, t.attempt, t.claimToken, t.startedAt),
    // Attempts in a stats window (jobStats durations, failingServices).
    index('job_attempts_finished_idx').on(t.finishedAt),
  ],
);

/**
 * The return address of an async operation's job (one row per job, replaced at each attempt that
 * sends the request). The worker marks it accepted when the request got its 2xx; the callback
 * handler marks it received. Both update this one row, so whichever comes second sees the other's
 * mark and ends the job: a callback racing the 2xx completes the job exactly once.
 */
export const jobCallbacks = pgTable(
  'job_callbacks',
  {
    jobId: uuid('job_id')
      .primaryKey()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token in the return address; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    /** The attempt that sent this token: a later attempt's token replaces it. */
    attempt: integer('attempt').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    /** acceptedAt + the operation's callback timeout: WAITING_CALLBACK past it becomes TIMED_OUT. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }),
    /** The delivery id of the callback that was taken (Standard Webhooks `webhook-id`): a replay is a no-op. */
    webhookId: text('webhook_id'),
    /** The callback's mapped result, kept when it arrives before the 2xx was recorded. */
    result: jsonb('result'),
    /** Set when the job stops waiting for good (ended, cancelled, retried): the token no longer works. */
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('job_callbacks_token_uq').on(t.tokenHash),
    // The sweeper's scan for callbacks that did not come in time.
    index('job_callbacks_expires_idx').on(t.expiresAt).where(sql`received_at is null and retired_at is null`),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type NewJobRow = typeof jobs.$inferInsert;
export type AttemptRow = typeof jobAttempts.$inferSelect;
export type NewAttemptRow = typeof jobAttempts.$inferInsert;
