// createEnqueueBatcher: joins concurrent enqueues into one INSERT per tenant (group commit). Each
// enqueue costs a transaction (BEGIN, the tenant scope, INSERT, COMMIT with its NOTIFY, which every
// notifying commit in the cluster takes in turn), so under load the commits, not the rows, are
// the limit. A job waits at most until the next turn of the event loop while fewer than
// `maxInFlight` batches run; when that many are already running, jobs gather and go together in
// the next batch. Idle, a job goes alone after one tick; busy, batches grow with the load.
//
// Each batch runs in its tenant's scope (db/tenant-scope.ts), so row-level security checks every
// row against the tenant that asked for it: tenants are never mixed in one scope.
import type { Db } from '../db/client';
import { withTenant } from '../db/tenant-scope';
import { enqueueJobs, type Enqueued, type NewJob } from './enqueue';
import { errorCodes } from '../db/unavailable';

export type Enqueue = (job: NewJob) => Promise<Enqueued>;

interface EnqueueBatcherOptions {
  db: Db;
  /** Batches running at once (each holds one pooled connection). @default 4 */
  maxInFlight?: number;
  /** Jobs per INSERT at most. @default 500 */
  maxBatch?: number;
}

interface Waiting {
  job: NewJob;
  resolve: (enqueued: Enqueued) => void;
  reject: (err: unknown) => void;
}

export function createEnqueueBatcher({ db, maxInFlight = 4, maxBatch = 500 }: EnqueueBatcherOptions): Enqueue {
  /** By tenant; a Map keeps insertion order, so the tenant waiting longest goes first. */
  const waiting = new Map<string, Waiting[]>();
  let inFlight = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    for (const [tenantId, queue] of waiting) {
      if (inFlight >= maxInFlight) return;
      const batch = queue.splice(0, maxBatch);
      // A tenant with more left goes to the back, behind the others waiting.
      waiting.delete(tenantId);
      if (queue.length > 0) waiting.set(tenantId, queue);
      inFlight += 1;
      void run(tenantId, batch).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  };

  const run = async (tenantId: string, batch: Waiting[]): Promise<void> => {
    try {
      const results = await withTenant(db, tenantId, (tx) => enqueueJobs(tx, batch.map((w) => w.job)));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !isBadRow(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // One bad row fails the statement for all: halve until each bad row is alone with its caller.
      // One half after the other, so that the split holds one connection, as the batch did.
      const half = Math.ceil(batch.length / 2);
      await run(tenantId, batch.slice(0, half));
      await run(tenantId, batch.slice(half));
    }
  };

  return (job) =>
    new Promise<Enqueued>((resolve, reject) => {
      const queue = waiting.get(job.tenantId);
      if (queue) queue.push({ job, resolve, reject });
      else waiting.set(job.tenantId, [{ job, resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/**
 * A data exception (SQLSTATE class 22: a value the column cannot hold), an integrity violation
 * (23) or a row over a limit (54) comes from a row; anything else (the connection, the server)
 * would fail each row alone too, and is reported to the whole batch at once.
 */
function isBadRow(err: unknown): boolean {
  return errorCodes(err).some((code) => /^(22|23|54)/.test(code));
}
