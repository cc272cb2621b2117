// Per-request DataLoaders: fields resolved once per job of a page (Job.attemptLog, Job.input,
// Job.output) are batched into one statement per page instead of one per job (100 jobs: 1 query,
// not 100). Built per operation, so nothing is cached across requests or callers.
import DataLoader from 'dataloader';
import type { AttemptRow } from '../db/schema';
import type { TenantScope } from '../db/tenant-scope';
import { getJobPayloads, listAttemptsOfJobs, listCallbacksOfJobs, type CallbackView, type JobPayload } from '../queue';

export interface Loaders {
  /** A job's attempts, oldest first. */
  attempts: DataLoader<string, AttemptRow[]>;
  /** A job's input and output (list rows leave them out); null for a job the tenant cannot see. */
  payloads: DataLoader<string, JobPayload | null>;
  /** An async job's return address (its times, never its token); null for any other job. */
  callbacks: DataLoader<string, CallbackView | null>;
}

/** One IN (…) list per statement: the largest page (100 jobs) batches whole, and no list grows unbounded. */
const MAX_BATCH_SIZE = 100;

export function createLoaders(asTenant: TenantScope, tenantId: string): Loaders {
  return {
    attempts: new DataLoader(
      async (ids) => {
        const byJob = new Map<string, AttemptRow[]>();
        for (const a of await asTenant((tx) => listAttemptsOfJobs(tx, ids))) {
          const list = byJob.get(a.jobId);
          if (list) list.push(a);
          else byJob.set(a.jobId, [a]);
        }
        return ids.map((id) => byJob.get(id) ?? []);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    payloads: new DataLoader(
      async (ids) => {
        const byId = new Map((await asTenant((tx) => getJobPayloads(tx, tenantId, ids))).map((p) => [p.id, p]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    callbacks: new DataLoader(
      async (ids) => {
        const byJob = new Map((await asTenant((tx) => listCallbacksOfJobs(tx, ids))).map((c) => [c.jobId, c]));
        return ids.map((id) => byJob.get(id) ?? null);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  };
}
