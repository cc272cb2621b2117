// Services registered through the admin API (each owned by a tenant) and their operations, and
// the mode switches of any service, the file's included. The file's services are never stored:
// every instance builds them in memory from its own file. Auth config names environment
// variables and never holds a secret; policies are JSON so options need no migration each.
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { serviceKind, serviceMode, serviceSource } from './enums';
import { tenants } from './tenants';

export type AuthConfig =
  | { bearerTokenEnv: string }
  | { apiKeyHeader: { name: string; valueEnv: string } }
  | { basic: { usernameEnv: string; passwordEnv: string } }
  | { oauth2ClientCredentials: OAuth2ClientCredentials };

/** RFC 6749 §4.4: a token from `tokenUrl` for the client id and secret named by env variables. */
export interface OAuth2ClientCredentials {
  tokenUrl: string;
  clientIdEnv: string;
  clientSecretEnv: string;
  /** Space-separated scopes, sent as `scope` when set. */
  scope?: string | undefined;
}

export interface RetryPolicy {
  maxAttempts?: number;
  backoff?: 'exponential' | 'fixed';
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface BreakerConfig {
  errorThresholdPercentage?: number;
  volumeThreshold?: number;
  resetTimeoutMs?: number;
}

/** How a mock fault scenario answers: hang until the timeout, 5xx, 429, or a reset connection. */
export const MOCK_OUTCOMES = Object.freeze(['timeout', 'error', 'rate_limited', 'reset'] as const);
export type MockOutcome = (typeof MOCK_OUTCOMES)[number];

export interface MockScenario {
  /** Share of calls, 0..1, that take this scenario; a mock's scenarios add up to at most 1. */
  probability: number;
  /** Replaces the operation's latency range for this scenario; unused by `timeout`. */
  latencyMs?: [number, number];
  outcome: MockOutcome;
  /** For `error`: 500..599. @default 500 */
  status?: number;
  /** Response body for `error` and `rate_limited`. @default { error: 'mock error' } / { error: 'mock rate limited' } */
  body?: unknown;
  /** For `rate_limited`: the `Retry-After` the mock sends. @default 1 */
  retryAfterSeconds?: number;
}

export interface MockConfig {
  /** Latency drawn uniformly from [min, max] milliseconds. */
  latencyMs?: [number, number];
  /** Shorthand for one more `error` scenario (HTTP 500) with this probability, after `scenarios`. */
  errorRate?: number;
  /** Faults drawn once per call by cumulative probability; no scenario drawn means success. */
  scenarios?: MockScenario[];
  /** Simulates an async provider (the operation must be `async`): 202 now, a signed callback later. */
  callback?: MockCallback;
  /**
   * Response body; without it the mock answers `{ echo: <input> }`. Strings `"{{input.a.b}}"` and
   * `"{{jobId}}"` are filled from the job (see src/json-template.ts).
   */
  response?: unknown;
}

/** How a mock stands in for an async provider: it answers 202 and POSTs the callback itself. */
interface MockCallback {
  /** When the callback is sent after the 202, drawn uniformly from [min, max] ms. @default [500, 1500] */
  delayMs?: [number, number];
  /** The callback body (the same templates as `response`); the correlation id is added at correlationField. */
  body: unknown;
  /** Share of calls, 0..1, whose callback never comes (so the job times out). @default 0 */
  dropRate?: number;
}

/** How a callback proves it comes from the provider; secrets are named by environment variable. */
export type CallbackVerify =
  | { standardWebhooks: { secretEnv: string } }
  | { hmac: { header: string; secretEnv: string; algorithm: 'sha256'; encoding: 'hex' | 'base64'; prefix?: string | undefined } };

/** How a callback body reads (JSON Pointers into it). */
export interface CallbackResultMap {
  status: string;
  succeededWhen: string[];
  failedWhen: string[];
  /** The job's output on success. @default the whole body */
  output?: string | undefined;
  /** The job's error on failure. @default `callback status "<status>"` */
  error?: string | undefined;
}

/**
 * An async operation: the request carries a return address, a 2xx only means accepted, and the
 * job ends when the provider's signed callback arrives on it (or times out).
 */
export interface AsyncConfig {
  /** Request body field that gets the job's correlation id (else its id). */
  correlationField?: string | undefined;
  /** Request body field that gets the return address; exactly one of this and callbackHeader. */
  callbackField?: string | undefined;
  callbackHeader?: string | undefined;
  /** A duration ("5m"): WAITING_CALLBACK longer than this after the 2xx → TIMED_OUT. */
  timeout: string;
  verify: CallbackVerify;
  result: CallbackResultMap;
}

export const services = pgTable(
  'services',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Unique across tenants: jobs name their service, and callService takes a name. */
    name: text('name').notNull().unique(),
    /** The owner: only its keys see, call and change the service. */
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    kind: serviceKind('kind').notNull(),
    baseUrl: text('base_url'),
    auth: jsonb('auth').$type<AuthConfig>(),
    timeoutMs: integer('timeout_ms').notNull(),
    retry: jsonb('retry').$type<RetryPolicy>(),
    breaker: jsonb('breaker').$type<BreakerConfig>(),
    concurrency: integer('concurrency'),
    rateLimitPerSecond: integer('rate_limit_per_second'),
    active: boolean('active').notNull().default(true),
    source: serviceSource('source').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('services_tenant_idx').on(t.tenantId)],
);

/**
 * setServiceMode's switches, by service name, for the file's services as for the API's: the file
 * is never rewritten, and a row whose service is gone is ignored (deleteService removes it).
 */
export const serviceModes = pgTable('service_modes', {
  service: text('service').primaryKey(),
  mode: serviceMode('mode').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const operations = pgTable(
  'operations',
  {
    serviceId: uuid('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    method: text('method').notNull().default('POST'),
    /** Like `/charges/{chargeId}`: each `{name}` is filled from the job input. */
    path: text('path').notNull().default('/'),
    inputSchema: jsonb('input_schema'),
    outputSchema: jsonb('output_schema'),
    timeoutMs: integer('timeout_ms'),
    retry: jsonb('retry').$type<RetryPolicy>(),
    maxAgeMs: integer('max_age_ms'),
    /** The operation's `async` block (the column predates the feature's name). */
    callback: jsonb('callback').$type<AsyncConfig>(),
    mock: jsonb('mock').$type<MockConfig>(),
    /** The operation's declared follow-ups, `{ onSuccess, onFailure }` as in the services file. */
    followUps: jsonb('follow_ups'),
  },
  (t) => [primaryKey({ name: 'operations_pk', columns: [t.serviceId, t.name] })],
);

export type ServiceRow = typeof services.$inferSelect;
export type OperationRow = typeof operations.$inferSelect;
