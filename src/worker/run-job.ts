// runJob: one attempt of one claimed job. Makes the call (Upstream port), decides what it means
// (decide), and writes that with the attempt's row through the OutcomeWriter, which holds on to
// it through a database outage. Never throws: every failure lands in the job's row or the log.
import type { Logger } from '../logger';
import type { FinishMetrics } from '../metrics';
import { NEVER_SENT, type ClaimedJob, type Ended } from '../queue';
import { FINAL_JOB_STATUS } from '../db/schema';
import { decide, type Decision } from './decide';
import type { OutcomeWriter } from './outcome-writer';
import type { Upstream } from './store';

export interface RunJobDeps {
  upstream: Upstream;
  writer: OutcomeWriter;
  metrics: FinishMetrics;
  log: Logger;
  /** Jitter source. */
  random: () => number;
}

export interface RunEnd {
  /** Milliseconds until the job is due again when it was put back or rescheduled. */
  dueInMs?: number | undefined;
  /** The outcome could not be written (the database stayed unreachable). */
  unwritten: boolean;
}

/**
 * `until`: when (Date.now() ms) to stop trying to write the outcome, shortly before the lease ends.
 * `called`: told when the call is over and only the write remains (the pool's slot is free then).
 */
export async function runJob(deps: RunJobDeps, job: ClaimedJob, signal: AbortSignal, until: number, called?: () => void): Promise<RunEnd> {
  // Bindings per line rather than a child logger per job: a child's bindings are serialized at
  // once, even when no line is logged (a visible share of the drain's CPU).
  const ctx = { jobId: job.id, service: job.service, operation: job.operation, attempt: job.attempts };
  try {
    const { outcome, attempt, retry } = await deps.upstream(job, signal).finally(called);
    const decision = decide(outcome, job, { retry, jitter: deps.random() }, new Date());
    const written = await deps.writer.write(job, decision, attempt, until);
    if (written.kind === 'unwritten') return { unwritten: true };
    const saved = written.ended;
    if (decision.kind === 'record_only') deps.log.info(ctx, 'running job cancelled');
    else if (!saved) deps.log.warn(ctx, 'the claim no longer holds the job (lease taken over or job cancelled); result discarded');
    else {
      countEnded(deps.metrics, job, saved);
      if (outcome.kind === 'unregistered') deps.log.warn({ ...ctx, error: outcome.error }, 'job failed');
      else deps.log.info({ ...ctx, status: saved.status, decision: decision.kind, durationMs: attempt?.durationMs }, 'attempt finished');
    }
    return { dueInMs: dueInMs(decision), unwritten: false };
  } catch (err) {
    // Our bug, not the upstream's nor the database's: the lease runs out and the job is run again.
    deps.log.error({ ...ctx, err }, 'attempt failed unexpectedly');
    return { unwritten: false };
  }
}

/** Why a job that waited in the pool's local queue leaves it unsent. */
export type ReleaseReason = 'stopping' | 'cancelled' | 'deadline passed' | 'waited too long';

/**
 * A claimed job leaves the local queue without being sent: EXPIRED, with an `expired` attempt row
 * as the sweeper would write, when its deadline has passed; otherwise PENDING again now with the
 * attempt given back. A cancelled job's write finds the claim gone and changes nothing.
 */
export async function releaseJob(deps: RunJobDeps, job: ClaimedJob, reason: ReleaseReason, until: number): Promise<RunEnd> {
  const now = new Date();
  const late = job.deadline !== null && job.deadline.getTime() <= now.getTime();
  const error = NEVER_SENT;
  const decision: Decision = late ? { kind: 'expire', error } : { kind: 'put_back', runAt: null, reason: `released unsent: ${reason}` };
  const attempt = late ? { attempt: job.attempts, startedAt: now, finishedAt: now, durationMs: 0, outcome: 'expired' as const, error } : undefined;
  try {
    const written = await deps.writer.write(job, decision, attempt, until);
    if (written.kind === 'unwritten') return { unwritten: true };
    countEnded(deps.metrics, job, written.ended);
    return { unwritten: false };
  } catch (err) {
    deps.log.error({ err, jobId: job.id }, 'releasing a queued job failed unexpectedly');
    return { unwritten: false };
  }
}

/** A job this instance brought to a final status, and the follow-ups that ending created. */
function countEnded(metrics: FinishMetrics, job: ClaimedJob, ended: Ended): void {
  if (ended && FINAL_JOB_STATUS.has(ended.status)) metrics.jobFinished(job.service, job.operation, ended.status);
  if (ended?.followUps) metrics.followUpsCreated(ended.followUps);
}

function dueInMs(decision: Decision): number | undefined {
  if (decision.kind === 'retry') return decision.delayMs;
  if (decision.kind === 'put_back' && decision.runAt) return decision.runAt.getTime() - Date.now();
  return undefined;
}
