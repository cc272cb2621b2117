// Every enum of the data model, declared once: the pgEnum, the TypeScript type and the GraphQL
// enum all derive from these lists, so a new status cannot be half-added.
import { pgEnum } from 'drizzle-orm/pg-core';

export const JOB_STATUS = Object.freeze([
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'waiting_callback',
  'timed_out',
  'expired',
] as const);
export type JobStatus = (typeof JOB_STATUS)[number];

/** Statuses a job never leaves on its own (retryJob may still revive some). */
export const FINAL_JOB_STATUS: ReadonlySet<JobStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'expired',
]);

export const ATTEMPT_OUTCOME = Object.freeze([
  'success',
  'http_error',
  'timeout',
  'network_error',
  'breaker_open',
  'invalid_response',
  /** The worker's lease ran out (it crashed or hung); the sweeper took the job back. */
  'lost',
  /** Stopped by us: the job was cancelled, or the instance drained before the call ended. */
  'aborted',
  /** The job's deadline passed before it could be sent. */
  'expired',
  /**
   * The call ended after its lease ran out and the job was taken back: its result was discarded
   * (the sweeper's `lost` row for the claim, rewritten by the late worker with what happened).
   */
  'superseded',
  /** An async operation's request was accepted (2xx): the job waits for the provider's callback. */
  'accepted',
  /** The provider's signed callback arrived on the job's return address. */
  'callback',
  /** No callback came before the callback deadline: the job is TIMED_OUT. */
  'timed_out',
] as const);
export type AttemptOutcome = (typeof ATTEMPT_OUTCOME)[number];

export const SERVICE_KIND = Object.freeze(['http', 'mock'] as const);
export type ServiceKind = (typeof SERVICE_KIND)[number];

export const SERVICE_SOURCE = Object.freeze(['file', 'api'] as const);
/** `mock`: the service's operations are answered by their mock config, with no upstream call. */
export const SERVICE_MODE = Object.freeze(['real', 'mock'] as const);
export type ServiceMode = (typeof SERVICE_MODE)[number];
/** Ordered: each role may do everything the roles before it may (auth/caller.ts). */
export const API_KEY_ROLE = Object.freeze(['client', 'ops', 'admin'] as const);
export type ApiKeyRole = (typeof API_KEY_ROLE)[number];

export const jobStatus = pgEnum('job_status', JOB_STATUS);
export const attemptOutcome = pgEnum('attempt_outcome', ATTEMPT_OUTCOME);
export const serviceKind = pgEnum('service_kind', SERVICE_KIND);
export const serviceSource = pgEnum('service_source', SERVICE_SOURCE);
export const serviceMode = pgEnum('service_mode', SERVICE_MODE);
export const apiKeyRole = pgEnum('api_key_role', API_KEY_ROLE);
