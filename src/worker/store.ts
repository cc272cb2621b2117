// The worker's ports: the store it claims from and writes decisions to, and the upstream call it
// makes for each claim. The pool and runJob see only these, so they are unit-tested with fakes;
// createJobStore is the real store over src/queue (the data layer holds the SQL).
import type { Db } from '../db/client';
import { acceptCallback, claimJobs, leaseMsFor, completeJob, endAsyncJob, endAttempts, expireJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type ClaimedJob, type Ended, type FollowUpRules } from '../queue';
import { createBatchingStore, type BatchingOptions } from './batching-store';
import type { DecidePolicy, Decision, Outcome } from './decide';

export interface JobStore {
  /** Up to `limit` due jobs, RUNNING under a fresh claim token each, each leased for its own `leaseMs`. */
  claim(workerId: string, limit: number): Promise<ClaimedJob[]>;
  /**
   * Writes the decision under the job's claim token, with the attempt's row when a call was made.
   * Null when the claim no longer holds the job (fenced out, or `record_only`); rejects when the
   * database fails.
   */
  write(job: ClaimedJob, decision: Decision, attempt: AttemptRecord | undefined): Promise<Ended>;
}

/** One attempt of a claimed job: what happened, its attempt row (none when nothing was sent) and its retry policy. */
export interface Attempted {
  outcome: Outcome;
  attempt?: AttemptRecord | undefined;
  retry: DecidePolicy['retry'];
}

/** Makes the job's call (registry, breaker, client); never rejects: every failure is an Outcome. */
export type Upstream = (job: ClaimedJob, signal: AbortSignal) => Promise<Attempted>;

/**
 * `followUpRules`: what the follow-ups of a job that carries some are built against, by the write
 * that ends it. The common endings are written in batches (batching-store.ts) unless `batching` is false.
 */
export function createJobStore(db: Db, followUpRules: FollowUpRules, batching: BatchingOptions | false = {}): JobStore {
  const single = singleJobStore(db, followUpRules);
  return batching === false ? single : createBatchingStore(single, (batch) => endAttempts(db, batch), batching);
}

/** Every decision written on its own, in one statement (or one transaction with the follow-ups it creates). */
function singleJobStore(db: Db, followUpRules: FollowUpRules): JobStore {
  return {
    claim: (workerId, limit) => claimJobs(db, workerId, limit, leaseMsFor(followUpRules.registry.longestTimeoutMs())),
    async write(job, decision, attempt) {
      const rules = job.followUps == null ? undefined : followUpRules;
      const f = { jobId: job.id, claimToken: job.claimToken, attempt, followUpRules: rules };
      switch (decision.kind) {
        case 'succeed':
          return completeJob(db, { ...f, output: decision.output });
        case 'wait_callback':
          return attempt ? acceptCallback(db, { ...f, attempt, timeoutMs: decision.timeoutMs }) : null;
        case 'retry':
          return scheduleRetry(db, { ...f, error: decision.error, delayMs: decision.delayMs });
        case 'fail':
          return failJob(db, { ...f, error: decision.error });
        case 'expire':
          return expireJob(db, { ...f, error: decision.error });
        case 'end_async':
          return endAsyncJob(db, { ...f, ending: decision.ending });
        case 'put_back':
          return putBack(db, { ...f, runAt: decision.runAt, reason: decision.reason });
        case 'record_only':
          if (attempt) await recordAttempt(db, { ...f, attempt });
          return null;
      }
    },
  };
}
