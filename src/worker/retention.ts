// Deletes finished jobs past their retention on a timer, on every instance: without it `jobs` and
// `job_attempts` (up to 2 KB of response body per attempt) grow forever. Safe to run everywhere at once.
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import { pruneFinishedJobs, type Retention } from '../queue';

/**
 * Rows per DELETE: each batch is its own short transaction, so the row locks it holds (and the
 * WAL it writes) stay small, and an enqueue that collides with it waits milliseconds, not a pass.
 */
export const PRUNE_BATCH = 1_000;

export interface RetentionTask {
  start(): void;
  /** Stops the timer and waits for a pass in progress, which stops after its current batch. */
  stop(): Promise<void>;
  /** One pass now: batches until a short one. Resolves to the number of jobs deleted. */
  prune(): Promise<number>;
}

export interface RetentionOptions extends Retention {
  db: Db;
  log: Logger;
  intervalMs: number;
  /** @default PRUNE_BATCH */
  batchSize?: number;
}

export function createRetention(opts: RetentionOptions): RetentionTask {
  const log = opts.log.child({ component: 'retention' });
  const batchSize = opts.batchSize ?? PRUNE_BATCH;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> | undefined;
  let stopping = false;

  /** One pass at a time, whether the timer or a caller starts it; stop() waits for it. */
  const pass = (): Promise<number> => (current ??= prune().finally(() => (current = undefined)));

  async function prune(): Promise<number> {
    let deleted = 0;
    try {
      for (;;) {
        const batch = await pruneFinishedJobs(opts.db, opts, batchSize);
        deleted += batch.length;
        // A short batch: nothing left that this instance may take (others hold the rest).
        if (batch.length < batchSize || stopping) break;
      }
    } catch (err) {
      log.error({ err, deleted }, 'retention pass failed; trying again at the next interval');
      return deleted;
    }
    if (deleted > 0) log.info({ deleted }, 'deleted finished jobs past their retention');
    else log.debug({ deleted }, 'no finished jobs past their retention');
    return deleted;
  }

  return {
    prune: pass,
    start() {
      stopping = false;
      timer ??= setInterval(() => void pass(), opts.intervalMs);
    },
    async stop() {
      stopping = true;
      clearInterval(timer);
      timer = undefined;
      await current;
    },
  };
}
