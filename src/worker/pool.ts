// The in-process worker pool: up to `concurrency` jobs at once, claimed in batches as slots free
// up. NOTIFY of a new job wakes it at once (nudge); the poll timer is only the fallback, and the
// retry after a failed claim, so a lost connection never turns into a hot loop.
import { hostname } from 'node:os';
import { claimJobs } from '../queue';
import { runJob, type RunJobDeps } from './run-job';

/** Added to the longest operation timeout for the lease: covers the time to record the outcome. */
const LEASE_MARGIN_MS = 15_000;

export interface WorkerPoolOptions extends Omit<RunJobDeps, 'workerId'> {
  concurrency: number;
  pollIntervalMs: number;
  workerId?: string | undefined;
}

export interface WorkerPool {
  readonly workerId: string;
  start(): void;
  /** Stops claiming and waits for the jobs in flight to finish. */
  stop(): Promise<void>;
  /** A job may be due: claim now rather than at the next poll. */
  nudge(): void;
  inFlight(): number;
}

export function createWorkerPool(opts: WorkerPoolOptions): WorkerPool {
  const workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
  const log = opts.log.child({ component: 'worker', workerId });
  const deps: RunJobDeps = { ...opts, workerId, log };
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  /** The claim loop in progress, so stop() can wait for jobs it is about to start. */
  let claiming: Promise<void> | undefined;
  /** Set by a nudge, a poll or a full batch: the queue may hold due jobs we have not asked for. */
  let mayHaveMore = true;

  const leaseMs = () => {
    const timeouts = opts.registry.list().flatMap((s) => s.operations.map((o) => opts.registry.timeoutMs(s, o)));
    return Math.max(0, ...timeouts) + LEASE_MARGIN_MS;
  };

  function fill(): Promise<void> {
    claiming ??= claimWhileDue().finally(() => (claiming = undefined));
    return claiming;
  }

  async function claimWhileDue(): Promise<void> {
    try {
      while (started && mayHaveMore) {
        const free = opts.concurrency - running.size;
        if (free <= 0) return;
        mayHaveMore = false;
        const jobs = await claimJobs(opts.db, workerId, free, leaseMs());
        if (jobs.length === free) mayHaveMore = true;
        for (const job of jobs) {
          const run = runJob(deps, job).finally(() => {
            running.delete(run);
            if (mayHaveMore) void fill();
          });
          running.add(run);
        }
      }
    } catch (err) {
      mayHaveMore = true;
      log.error({ err }, 'claim failed; retrying at the next poll');
    }
  }

  return {
    workerId,
    start() {
      if (started || opts.concurrency <= 0) return;
      started = true;
      timer = setInterval(() => {
        mayHaveMore = true;
        void fill();
      }, opts.pollIntervalMs);
      log.info({ concurrency: opts.concurrency }, 'worker pool started');
      void fill();
    },
    async stop() {
      started = false;
      clearInterval(timer);
      await claiming;
      await Promise.allSettled([...running]);
      log.info('worker pool stopped');
    },
    nudge() {
      mayHaveMore = true;
      void fill();
    },
    inFlight: () => running.size,
  };
}
