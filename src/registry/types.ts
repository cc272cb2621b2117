// The registry's view of a service and its operations, as the file and the API declare them
// (defaults applied). Workers, clients and the schema all read these shapes.
import type {
  AsyncConfig,
  AuthConfig,
  BreakerConfig,
  MockConfig,
  MockScenario,
  OAuth2ClientCredentials,
  RetryPolicy,
  SERVICE_SOURCE,
  ServiceKind,
  ServiceMode,
} from '../db/schema';

export type { AsyncConfig, AuthConfig, BreakerConfig, MockConfig, MockScenario, OAuth2ClientCredentials, RetryPolicy, ServiceKind, ServiceMode };

/** `file`: the operator's services.yaml, trusted; `api`: registered at run time, behind the SSRF guard. */
export type ServiceSource = (typeof SERVICE_SOURCE)[number];

export const HTTP_METHODS = Object.freeze(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const);
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The methods whose input is sent as a JSON body (the others put scalars in the query string). */
export const BODY_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['POST', 'PUT', 'PATCH']);

export type JsonSchema = Record<string, unknown>;

/**
 * A service call to make when a job ends: `input` is a template over the ended job's `input`,
 * `output`, `error` and `jobId` (src/json-template.ts), rendered when the follow-up is created.
 */
export interface FollowUpDef {
  service: string;
  operation: string;
  input: unknown;
}

/** What a job does next: onSuccess when it SUCCEEDED, onFailure when it FAILED, TIMED_OUT or EXPIRED. */
export interface FollowUps {
  onSuccess: FollowUpDef[];
  onFailure: FollowUpDef[];
}

export interface OperationDef {
  name: string;
  method: HttpMethod;
  /** Like `/charges/{chargeId}`; each `{name}` is taken from the job input. */
  path: string;
  input?: JsonSchema | undefined;
  output?: JsonSchema | undefined;
  /** Overrides the service's timeout. */
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  maxAgeMs?: number | undefined;
  mock?: MockConfig | undefined;
  /** Set for an async operation: the job ends with the provider's callback (callbacks/). */
  async?: AsyncConfig | undefined;
  /** Follow-ups of every job of this operation (callService may add its own). */
  onSuccess?: FollowUpDef[] | undefined;
  onFailure?: FollowUpDef[] | undefined;
}

export interface ServiceDef {
  name: string;
  kind: ServiceKind;
  /** Unset means `file` (the file's loader leaves it unset); the API's services must say `api`. */
  source?: ServiceSource | undefined;
  /** The owning tenant of a service from the API; the file's services have none and serve every tenant. */
  tenantId?: string | undefined;
  /** Unset means `real`; `mock` answers every operation from its mock config (setServiceMode). */
  mode?: ServiceMode | undefined;
  /** Required for kind `http`. */
  baseUrl?: string | undefined;
  auth?: AuthConfig | undefined;
  timeoutMs: number;
  retry?: RetryPolicy | undefined;
  breaker?: BreakerConfig | undefined;
  concurrency?: number | undefined;
  rateLimitPerSecond?: number | undefined;
  operations: OperationDef[];
}

/** @default 10 000 ms: long enough for slow payment APIs, short enough to free a slot. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * 5 attempts with waits drawn below 1, 2, 4 and 8 s (full jitter: 7.5 s in all on average, 15 s at
 * most) ride out a brief outage without hammering the upstream while it recovers. The 60 s cap
 * matters once an operation asks for more attempts.
 */
export const DEFAULT_RETRY: Readonly<Required<RetryPolicy>> = Object.freeze({
  maxAttempts: 5,
  backoff: 'exponential',
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
});
