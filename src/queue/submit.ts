// submitJob: what callService does. Resolves the service and operation, validates the input
// against the operation's JSON Schema, then enqueues. Unknown names and invalid input come back
// as typed results (a client can act on them) and create no job.
import type { Db } from '../db/client';
import type { JobRow } from '../db/schema';
import type { Registry, Violation } from '../registry';
import { enqueueJob } from './enqueue';

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
}

export type SubmitResult =
  | { kind: 'enqueued'; job: JobRow; deduplicated: boolean }
  | { kind: 'unknown_service'; service: string }
  | { kind: 'unknown_operation'; service: string; operation: string }
  | { kind: 'invalid_input'; violations: Violation[] };

export async function submitJob(db: Db, registry: Registry, req: JobRequest): Promise<SubmitResult> {
  const service = registry.service(req.service);
  if (!service) return { kind: 'unknown_service', service: req.service };
  const operation = registry.operation(req.service, req.operation);
  if (!operation) return { kind: 'unknown_operation', service: req.service, operation: req.operation };
  const violations = registry.validateInput(req.service, req.operation, req.input);
  if (violations.length > 0) return { kind: 'invalid_input', violations };
  const { job, deduplicated } = await enqueueJob(db, {
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
  });
  return { kind: 'enqueued', job, deduplicated };
}

function earliest(a: Date | null | undefined, b: Date | undefined): Date | null {
  if (!a) return b ?? null;
  return b && b < a ? b : a;
}
