import { DEFAULT_TENANT_ID, type AttemptOutcome } from '../../src/db/schema';
import type { AttemptRecord, NewJob } from '../../src/queue';

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return { tenantId: DEFAULT_TENANT_ID, service: 'mock', operation: 'echo', input: { n: 1 }, maxAttempts: 1, leaseMs: 30_000, ...over };
}

/** Attempt `n` of a job, a 5 ms POST that ended with `outcome`, as a worker writes it. */
export function attemptRecord(n: number, outcome: AttemptOutcome, httpStatus: number | null = null): AttemptRecord {
  return {
    attempt: n,
    startedAt: new Date(Date.now() - 5),
    finishedAt: new Date(),
    durationMs: 5,
    outcome,
    httpStatus,
    request: { method: 'POST', url: 'http://127.0.0.1/x', headers: {} },
    responseBody: '{"ok":true}',
  };
}
