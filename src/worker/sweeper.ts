// Runs the sweeper statements on a timer on every instance: crashed workers' jobs come back after
// their lease, overdue pending jobs expire. Cheap when there is nothing to do (two index scans).
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import { expireOverdueJobs, recoverExpiredLeases } from '../queue';

export interface Sweeper {
  start(): void;
  stop(): Promise<void>;
  /** One sweep now; what the timer runs. */
  sweep(): Promise<void>;
}

export function createSweeper({ db, log, intervalMs }: { db: Db; log: Logger; intervalMs: number }): Sweeper {
  const slog = log.child({ component: 'sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  async function sweep(): Promise<void> {
    try {
      const recovered = await recoverExpiredLeases(db);
      if (recovered.length) slog.warn({ jobs: recovered }, 'recovered jobs whose lease expired');
      const expired = await expireOverdueJobs(db);
      if (expired.length) slog.info({ jobs: expired.map((j) => j.id) }, 'expired jobs past their deadline');
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
