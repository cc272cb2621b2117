// Per-request DataLoaders: fields resolved once per job of a page (Job.attemptLog, Job.input,
// Job.output, Job.callback, Job.parent, Job.followUps) are batched into one statement per page instead of one per job (100 jobs: 1 query,
// not 100). Built per operation, so nothing is cached across requests or callers.
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { AttemptRow } from '../db/schema';
import type { TenantScope } from '../db/tenant-scope';
import {
  getJobPayloads,
  getJobPayloadSizes,
  getJobSummaries,
  listAttemptsOfJobs,
  listCallbacksOfJobs,
  listFollowUpsOfJobs,
  type CallbackView,
  type JobPayload,
  type JobSummary,
} from '../queue';

export interface Loaders {
  /** A job's attempts, oldest first. */
  attempts: DataLoader<string, AttemptRow[]>;
  /** A job's input and output (list rows leave them out); null for a job the tenant cannot see. */
  payloads: DataLoader<string, JobPayload | null>;
  /** An async job's return address (its times, never its token); null for any other job. */
  callbacks: DataLoader<string, CallbackView | null>;
  /** A job without its payloads; null for a job the tenant cannot see. */
  summaries: DataLoader<string, JobSummary | null>;
  /** The jobs a job's end created, oldest first. */
  followUps: DataLoader<string, JobSummary[]>;
}

/** One IN (…) list per statement: the largest page (100 jobs) batches whole, and no list grows unbounded. */
const MAX_BATCH_SIZE = 100;

/**
 * `payloadBytes`: how much job input and output one response may carry
 * (CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES). A page of 100 jobs with a 256 KiB input and a 1 MiB
 * output each would be 125 MB; a few such requests at once would exhaust the gateway's memory.
 * Past the budget, Job.input and Job.output of the remaining jobs are PAYLOAD_BUDGET_EXCEEDED
 * errors and their payloads are never read; as Job.input is non-null, the error takes the page
 * with it, and the client asks for fewer jobs.
 */
export function createLoaders(asTenant: TenantScope, tenantId: string, payloadBytes: number): Loaders {
  return {
    attempts: new DataLoader(
      async (ids) => groupBy(ids, await asTenant((tx) => listAttemptsOfJobs(tx, ids)), (a) => a.jobId),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    summaries: new DataLoader(
      async (ids) => {
        const byId = new Map((await asTenant((tx) => getJobSummaries(tx, tenantId, ids))).map((j) => [j.id, j]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    followUps: new DataLoader(
      async (ids) => groupBy(ids, await asTenant((tx) => listFollowUpsOfJobs(tx, tenantId, ids)), (j) => j.parentJobId),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    payloads: new PayloadLoader(asTenant, tenantId, payloadBytes),
    callbacks: new DataLoader(
      async (ids) => {
        const byJob = new Map((await asTenant((tx) => listCallbacksOfJobs(tx, tenantId, ids))).map((c) => [c.jobId, c]));
        return ids.map((id) => byJob.get(id) ?? null);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  };
}

/**
 * Job payloads within the response's budget, in the order the jobs were asked for. The budget
 * starts again with clearAll: a subscription's next event is a new response.
 */
class PayloadLoader extends DataLoader<string, JobPayload | null> {
  private left: number;

  constructor(asTenant: TenantScope, tenantId: string, private readonly budget: number) {
    super(
      async (ids) => {
        const { sizes, rows } = await asTenant(async (tx) => {
          const sizes = await getJobPayloadSizes(tx, tenantId, ids);
          const fitting = ids.filter((id) => {
            const bytes = sizes.get(id);
            if (bytes === undefined || bytes > this.left) return false;
            this.left -= bytes;
            return true;
          });
          return { sizes, rows: fitting.length > 0 ? await getJobPayloads(tx, tenantId, fitting) : [] };
        });
        const byId = new Map(rows.map((p) => [p.id, p]));
        return ids.map((id) => byId.get(id) ?? (sizes.has(id) ? overBudget(this.budget) : null));
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    );
    this.left = budget;
  }

  override clearAll(): this {
    this.left = this.budget;
    return super.clearAll();
  }
}

function overBudget(budget: number): GraphQLError {
  return new GraphQLError(
    `this response already carries the most job input and output one response may (${budget} bytes, CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES): ask for fewer jobs, or leave out input and output`,
    { extensions: { code: 'PAYLOAD_BUDGET_EXCEEDED' } },
  );
}

/**
 * Forgets everything loaded: a subscription keeps its context (and so its loaders) for all its
 * events, and each event must read the job's attempts, callback and follow-ups as they are now.
 */
export function clearLoaders(loaders: Loaders): void {
  for (const loader of Object.values(loaders)) loader.clearAll();
}

/** The rows of each key, in the rows' order; [] for a key with none. */
function groupBy<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string | null): T[][] {
  const byKey = new Map<string | null, T[]>();
  for (const row of rows) {
    const list = byKey.get(keyOf(row));
    if (list) list.push(row);
    else byKey.set(keyOf(row), [row]);
  }
  return keys.map((key) => byKey.get(key) ?? []);
}
