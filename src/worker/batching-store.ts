// A JobStore whose common writes are joined into one statement: the attempts that ended within a
// few milliseconds (or the first `maxBatch` of them) are written together by `writeBatch`
// (endAttempts in src/queue), one round trip and one commit instead of one per job. Each caller
// still gets its own job's result, so the pool and runJob do not know batching exists.
//
// What stays as it was: a crash before the flush loses only unwritten outcomes, whose jobs the
// sweeper takes back when their leases run out, as after any crash; a fenced-out row is null
// (and its attempt superseded) as in the single-job write; a batch the database could not take
// rejects every caller's write with that error, so the outcome writer retries each until its
// lease nears its end (the retries meet again in a later batch). Any other failure of the batch
// (a deadlock, say) is retried one job at a time through the single-job store, which writes
// every decision. Writes that need their own transaction stay there too: a job that carries
// follow-ups, an async operation's wait for its callback, and the rare put-backs and records.
import type { AttemptRecord, BatchedEnding, BatchedFinish, ClaimedJob, Ended } from '../queue';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Decision } from './decide';
import type { JobStore } from './store';

export interface BatchingOptions {
  /** How long the first write of a batch waits for others. @default 2 */
  flushMs?: number | undefined;
  /** A batch this large is sent at once. @default 256 */
  maxBatch?: number | undefined;
}

/**
 * Two batches may be written at once, so that a slow commit does not hold up the next one. They
 * lock different rows, except after a takeover puts two claims of one job in two batches: should
 * that ever deadlock, both batches fall back to single-job writes.
 */
const MAX_FLUSHING = 2;

interface Waiting {
  job: ClaimedJob;
  decision: Decision;
  finish: BatchedFinish;
  resolve: (ended: Ended) => void;
  reject: (err: unknown) => void;
}

/** The ending as endAttempts writes it, or undefined when the decision needs the single-job path. */
function batchable(job: ClaimedJob, decision: Decision): BatchedEnding | undefined {
  if (job.followUps != null) return undefined;
  switch (decision.kind) {
    case 'succeed':
    case 'fail':
    case 'expire':
    case 'retry':
      return decision;
    default:
      return undefined;
  }
}

export function createBatchingStore(
  single: JobStore,
  writeBatch: (batch: BatchedFinish[]) => Promise<Ended[]>,
  opts: BatchingOptions = {},
): JobStore {
  const flushMs = opts.flushMs ?? 2;
  const maxBatch = opts.maxBatch ?? 256;
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** Batches being written: at most MAX_FLUSHING; writes that end meanwhile form the next. */
  let flushing = 0;

  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (flushing >= MAX_FLUSHING || waiting.length === 0) return;
    flushing++;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(batch.length);
    try {
      const ended = await writeBatch(batch.map((w) => w.finish));
      batch.forEach((w, i) => w.resolve(ended[i] ?? null));
    } catch (err) {
      if (isDatabaseUnavailable(err)) for (const w of batch) w.reject(err);
      else await Promise.all(batch.map((w) => single.write(w.job, w.decision, w.finish.attempt).then(w.resolve, w.reject)));
    } finally {
      flushing--;
      // What ended while this batch was written goes now: it has waited long enough.
      if (waiting.length > 0) void flush();
    }
  }

  return {
    claim: (workerId, limit) => single.claim(workerId, limit),
    write(job: ClaimedJob, decision: Decision, attempt: AttemptRecord | undefined) {
      const ending = batchable(job, decision);
      if (!ending) return single.write(job, decision, attempt);
      return new Promise<Ended>((resolve, reject) => {
        waiting.push({ job, decision, finish: { jobId: job.id, claimToken: job.claimToken, ending, attempt }, resolve, reject });
        if (waiting.length >= maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), flushMs);
      });
    },
  };
}
