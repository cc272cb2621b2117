// Keeps an attempt's outcome when the database cannot take it. The call has been made; if its
// outcome were dropped, the sweeper would take the job back at the lease's end and the upstream
// would be called a second time. So a write that fails because the database is unreachable is
// tried again with backoff until shortly before the lease runs out (an outage shorter than the
// lease costs no second call), and only then given up, with a log line naming the job. Any other
// error (a bad statement) is given up at once: trying it again cannot help.
import type { Logger } from '../logger';
import type { AttemptRecord, ClaimedJob, Ended } from '../queue';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Decision } from './decide';
import type { JobStore } from './store';

export interface OutcomeWriterOptions {
  store: Pick<JobStore, 'write'>;
  log: Logger;
  /** First pause after a failed write; doubled up to `retryMaxMs`. @default 250 */
  retryInitialMs?: number | undefined;
  /** @default 2000: a recovered database is noticed within two seconds. */
  retryMaxMs?: number | undefined;
}

export type Written = { kind: 'written'; ended: Ended } | { kind: 'unwritten' };

export interface OutcomeWriter {
  /** Writes the decision; retries while the database is unreachable, until `until` (Date.now() ms). */
  write(job: ClaimedJob, decision: Decision, attempt: AttemptRecord | undefined, until: number): Promise<Written>;
  /** The drain's grace is over: every write makes the attempt it is making (or one) and no more. */
  stopRetrying(): void;
}

export function createOutcomeWriter(opts: OutcomeWriterOptions): OutcomeWriter {
  const initialMs = opts.retryInitialMs ?? 250;
  const maxMs = opts.retryMaxMs ?? 2_000;
  let stopped = false;
  /** Wakes every pause at once when retrying stops. */
  const waking = new Set<() => void>();

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waking.add(wake);
    });

  return {
    async write(job, decision, attempt, until) {
      // Made only when there is something to say: a child logger per write was a visible share of the drain's CPU.
      const log = () => opts.log.child({ jobId: job.id, decision: decision.kind });
      for (let delay = initialMs, tries = 1; ; delay = Math.min(delay * 2, maxMs), tries++) {
        try {
          const ended = await opts.store.write(job, decision, attempt);
          if (tries > 1) log().info({ tries }, 'outcome written after the database came back');
          return { kind: 'written', ended };
        } catch (err) {
          if (!isDatabaseUnavailable(err)) {
            log().error({ err }, 'could not record the attempt; the job stays RUNNING until its lease runs out');
            return { kind: 'unwritten' };
          }
          if (stopped || Date.now() + delay >= until) {
            const why = stopped ? 'the instance is stopping' : 'its lease is about to run out';
            log().error(
              { err, tries },
              `outcome not written: the database is unreachable and ${why}; the job will be taken back and called again with the same Idempotency-Key`,
            );
            return { kind: 'unwritten' };
          }
          if (tries === 1) log().warn({ err }, 'database unreachable; keeping the outcome and trying again');
          await pause(delay);
        }
      }
    },
    stopRetrying() {
      stopped = true;
      for (const wake of [...waking]) wake();
    },
  };
}
