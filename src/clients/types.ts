// What a worker hands to a client (http or mock) for one attempt, and what comes back. A client
// never throws for an upstream failure: every outcome is a CallResult, so every attempt is logged.
import type { AttemptOutcome } from '../db/schema';
import type { OperationDef, ServiceDef } from '../registry/types';

export interface CallRequest {
  service: ServiceDef;
  operation: OperationDef;
  jobId: string;
  input: unknown;
  /** Sent upstream as the `Idempotency-Key` header: the job's key, else its id. */
  idempotencyKey: string;
  /** The attempt's whole budget: connect, headers and body. */
  timeoutMs: number;
  /** Aborts the attempt (cancel, drain). */
  signal?: AbortSignal | undefined;
  /** For an async operation: sent in the request as its `async` block says (build-request.ts). */
  callback?: CallbackAddress | undefined;
}

/** Where the provider reports an async operation's result, and the id it reports it for. */
export interface CallbackAddress {
  /** `<CALLGATE_PUBLIC_URL>/callbacks/<token>`: a secret of this attempt, never logged. */
  url: string;
  /** The job's correlation id, else its id. */
  correlationId: string;
}

export interface RequestSummary {
  method: string;
  url: string;
  /** Header values of auth headers are replaced by `[redacted]`. */
  headers: Record<string, string>;
}

export interface CallResult {
  /** `aborted` when the caller's signal ended the call (cancel, drain): not the upstream's doing. */
  outcome: AttemptOutcome;
  /**
   * Whether sending the same request again may end differently: network errors, timeouts, 5xx,
   * 408 and 429 may; a success, any other 4xx, an invalid response, a request that could not be
   * built or was refused before it left, and an aborted call do not. Set by the client, which
   * knows which case it met; the retry policy and the breakers go by it alone.
   */
  retryable: boolean;
  httpStatus?: number | undefined;
  /** Parsed response body (JSON, else text), set when outcome is `success`. */
  output?: unknown;
  /** Response body as text, truncated for the attempt log. */
  responseBody?: string | undefined;
  /** Readable reason when outcome is not `success`. */
  error?: string | undefined;
  /** From a `Retry-After` header (seconds or HTTP date), in milliseconds from now. */
  retryAfterMs?: number | undefined;
  request: RequestSummary;
}

export interface UpstreamClient {
  call(req: CallRequest): Promise<CallResult>;
  close(): Promise<void>;
}
