// Runs the sweeper statements on a timer on every instance: crashed workers' jobs come back after
// their lease, overdue pending jobs expire, jobs whose callback did not come in time time out.
// Cheap when there is nothing to do (three index scans).
import type { Db } from '../db/client';
import { FINAL_JOB_STATUS } from '../db/schema';
import type { Logger } from '../logger';
import type { FinishMetrics } from '../metrics';
import { expireOverdueJobs, recoverExpiredLeases, timeOutCallbacks, type FollowUpRules, type SweptJob } from '../queue';

export interface Sweeper {
  start(): void;
  stop(): Promise<void>;
  /** One sweep now; what the timer runs. */
  sweep(): Promise<void>;
}

export interface SweeperOptions {
  db: Db;
  log: Logger;
  /** Counts the jobs a sweep failed (lost on their last attempt) or expired, and their follow-ups. */
  metrics: FinishMetrics;
  /** What the follow-ups of the jobs a sweep ends are built against. */
  followUpRules: FollowUpRules;
  intervalMs: number;
}

export function createSweeper({ db, log, metrics, followUpRules, intervalMs }: SweeperOptions): Sweeper {
  const slog = log.child({ component: 'sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  /** Counted after each statement commits, so a failing second statement loses none of the first's. */
  function countFinished(swept: SweptJob[]): void {
    // A recovered job with attempts left is PENDING again, not finished.
    for (const job of swept) {
      if (FINAL_JOB_STATUS.has(job.status)) metrics.jobFinished(job.service, job.operation, job.status);
      if (job.followUps) metrics.followUpsCreated(job.followUps);
    }
  }

  async function sweep(): Promise<void> {
    try {
      const recovered = await recoverExpiredLeases(db, followUpRules);
      countFinished(recovered);
      if (recovered.length) slog.warn({ jobs: recovered }, 'recovered jobs whose lease expired');
      const expired = await expireOverdueJobs(db, followUpRules);
      countFinished(expired);
      if (expired.length) slog.info({ jobs: expired.map((j) => j.id) }, 'expired jobs past their deadline');
      const timedOut = await timeOutCallbacks(db, followUpRules);
      countFinished(timedOut);
      if (timedOut.length) slog.info({ jobs: timedOut.map((j) => j.id) }, 'timed out jobs whose callback did not come');
    } catch (err) {
      slog.error({ err }, 'sweep failed; trying again at the next interval');
    }
  }

  return {
    sweep,
    start() {
      timer ??= setInterval(() => {
        current ??= sweep().finally(() => (current = undefined));
      }, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await current;
    },
  };
}
