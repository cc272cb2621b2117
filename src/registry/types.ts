// The registry's view of a service and its operations, as the file and the API declare them
// (defaults applied). Workers, clients and the schema all read these shapes.
import type { AuthConfig, BreakerConfig, MockConfig, RetryPolicy, ServiceKind } from '../db/schema';

export type { AuthConfig, BreakerConfig, MockConfig, RetryPolicy, ServiceKind };

export const HTTP_METHODS = Object.freeze(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const);
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type JsonSchema = Record<string, unknown>;

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
}

export interface ServiceDef {
  name: string;
  kind: ServiceKind;
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
/** Until the retry issue lands every job gets one attempt unless it asks for more. */
export const DEFAULT_MAX_ATTEMPTS = 1;
