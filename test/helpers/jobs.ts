import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import type { NewJob } from '../../src/queue';

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return { tenantId: DEFAULT_TENANT_ID, service: 'mock', operation: 'echo', input: { n: 1 }, maxAttempts: 1, leaseMs: 30_000, ...over };
}
