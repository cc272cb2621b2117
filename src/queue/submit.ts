// submitJob: what callService does. Resolves the service and operation, checks the keys and the
// input's size and shape, validates it against the operation's JSON Schema (checkCall, which
// testService shares), then enqueues. Unknown
// names, invalid input and a key reused for another call come back as typed results (a client can
// act on them) and create no job. `enqueue` stores the job: callService's is the batcher
// (enqueue-batcher.ts), which joins concurrent calls into one INSERT.
import { isDeepStrictEqual } from 'node:util';
import type { JobRow } from '../db/schema';
import type { FollowUps, OperationDef, Registry, ServiceDef, Violation } from '../registry';
import { inputShapeViolations } from '../registry/validate-input';
import { acceptFollowUps } from './accept-follow-ups';
import { leaseMsFor } from './lease';
import type { Enqueue } from './enqueue-batcher';

export interface JobRequest {
  tenantId: string;
  service: string;
  operation: string;
  input: unknown;
  idempotencyKey?: string | null | undefined;
  correlationId?: string | null | undefined;
  priority?: number | null | undefined;
  runAt?: Date | null | undefined;
  maxAttempts?: number | null | undefined;
  deadline?: Date | null | undefined;
  /** Added to the operation's declared follow-ups. */
  followUps?: Partial<FollowUps> | null | undefined;
}

export type SubmitResult =
  | { kind: 'enqueued'; job: JobRow; deduplicated: boolean }
  | { kind: 'unknown_service'; service: string }
  | { kind: 'unknown_operation'; service: string; operation: string }
  | { kind: 'invalid_input'; violations: Violation[] }
  | { kind: 'idempotency_conflict'; idempotencyKey: string; jobId: string };

interface SubmitLimits {
  /** Larger inputs (as JSON) are refused before they are stored. */
  maxInputBytes: number;
}

/**
 * Idempotency and correlation keys travel as HTTP headers (Idempotency-Key) and sit in a unique
 * index: printable ASCII only, since undici refuses CR, LF and other controls at send time, and
 * 200 characters leave room for a UUID-based key with a prefix while keeping index entries small.
 */
const MAX_KEY_LENGTH = 200;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export async function submitJob(enqueue: Enqueue, registry: Registry, req: JobRequest, limits: SubmitLimits): Promise<SubmitResult> {
  const checked = checkCall(registry, req, limits.maxInputBytes);
  if (checked.kind !== 'checked') return checked;
  const { service, operation } = checked;
  const accepted = acceptFollowUps(registry, { service: req.service, operation, input: req.input, followUps: req.followUps }, limits.maxInputBytes);
  if (accepted.kind !== 'accepted') return accepted;
  const { job, deduplicated } = await enqueue({
    tenantId: req.tenantId,
    service: req.service,
    operation: req.operation,
    input: req.input,
    idempotencyKey: req.idempotencyKey ?? null,
    correlationId: req.correlationId ?? null,
    priority: req.priority ?? 0,
    runAt: req.runAt ?? undefined,
    deadline: earliest(req.deadline, operation.maxAgeMs === undefined ? undefined : new Date(Date.now() + operation.maxAgeMs)),
    maxAttempts: req.maxAttempts ?? registry.retryPolicy(service, operation).maxAttempts,
    leaseMs: leaseMsFor(registry.timeoutMs(service, operation)),
    followUps: accepted.followUps,
  });
  if (deduplicated && !sameCall(job, req, accepted.followUps)) return { kind: 'idempotency_conflict', idempotencyKey: req.idempotencyKey!, jobId: job.id };
  return { kind: 'enqueued', job, deduplicated };
}

/** A call as callService and testService receive it; only callService's carry keys. */
type Call = Pick<JobRequest, 'service' | 'operation' | 'input' | 'idempotencyKey' | 'correlationId'>;

type CheckedCall =
  | { kind: 'checked'; service: ServiceDef; operation: OperationDef }
  | Extract<SubmitResult, { kind: 'unknown_service' | 'unknown_operation' | 'invalid_input' }>;

/**
 * What a call must pass before it reaches a job or an upstream: the service and operation exist,
 * the keys and the input's size and shape can be stored and sent, then the operation's JSON Schema.
 */
export function checkCall(registry: Registry, call: Call, maxInputBytes: number): CheckedCall {
  const service = registry.service(call.service);
  if (!service) return { kind: 'unknown_service', service: call.service };
  const operation = registry.operation(call.service, call.operation);
  if (!operation) return { kind: 'unknown_operation', service: call.service, operation: call.operation };
  const refused = [...keyViolations(call), ...inputShapeViolations(call.input, maxInputBytes)];
  const violations = refused.length > 0 ? refused : registry.validateInput(call.service, call.operation, call.input);
  return violations.length > 0 ? { kind: 'invalid_input', violations } : { kind: 'checked', service, operation };
}

function keyViolations(req: Call): Violation[] {
  return (['idempotencyKey', 'correlationId'] as const).flatMap((name) => {
    const value = req[name];
    if (value == null || (value.length <= MAX_KEY_LENGTH && PRINTABLE_ASCII.test(value))) return [];
    return [{ path: name, message: `must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters (no CR, LF, NUL or other controls)` }];
  });
}

/**
 * A repeated key is the same call only for the same service, operation, input and follow-ups (key
 * order aside, as jsonb keeps it). The follow-ups compared are the stored list, the operation's
 * and the caller's, as JSON: jsonb drops the keys whose value is undefined.
 */
function sameCall(job: JobRow, req: JobRequest, followUps: FollowUps | null): boolean {
  return (
    job.service === req.service &&
    job.operation === req.operation &&
    isDeepStrictEqual(job.input, req.input) &&
    isDeepStrictEqual(job.followUps, JSON.parse(JSON.stringify(followUps)))
  );
}

function earliest(a: Date | null | undefined, b: Date | undefined): Date | null {
  if (!a) return b ?? null;
  return b && b < a ? b : a;
}
