// The in-process worker pool: up to `concurrency` jobs at once, claimed in batches as slots free
// up. NOTIFY of a new job wakes it at once (nudge); the poll timer is only the fallback, and the
// retry after a failed claim, so a lost connection never turns into a hot loop. stop() drains:
// no new claims, in-flight calls get a grace period, the rest are aborted and put back. Runs are
// tracked by claim, not job: a stalled run whose job was taken back and claimed again here is a
// second run of the same job, and each keeps its own slot until it ends.
import { hostname } from 'node:os';
import { claimJobs } from '../queue';
import { ABORT_CANCEL, ABORT_DRAIN, runJob, type RunJobDeps } from './run-job';

/**
 * Added to the longest operation timeout for the lease. Every timestamp involved is the
 * database's now(), so it only has to cover recording the outcome after the call, not clock skew.
 */
const LEASE_MARGIN_MS = 5_000;

export interface WorkerPoolOptions extends Omit<RunJobDeps, 'workerId'> {
  concurrency: number;
  pollIntervalMs: number;
  workerId?: string | undefined;
  /** Lease beyond the longest operation timeout (tests shorten it to let a lease run out). @default 5000 */
  leaseMarginMs?: number | undefined;
}

export interface WorkerPool {
  readonly workerId: string;
  start(): void;
  /** Stops claiming, lets in-flight calls run for `graceMs`, then aborts and puts back the rest. */
  stop(graceMs?: number): Promise<void>;
  /** A job may be due: claim now rather than at the next poll. */
  nudge(): void;
  /** Aborts the job's calls if this instance is running it (it was cancelled): every claim of it here. */
  abort(jobId: string): void;
  inFlight(): number;
}

export function createWorkerPool(opts: WorkerPoolOptions): WorkerPool {
  const workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
  const log = opts.log.child({ component: 'worker', workerId });
  const deps: RunJobDeps = { ...opts, workerId, log };
  /** In-flight runs by claim token. */
  const running = new Map<string, { jobId: string; done: Promise<void>; controller: AbortController }>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  /** The claim loop in progress, so stop() can wait for jobs it is about to start. */
  let claiming: Promise<void> | undefined;
  /** Set by a nudge, a poll or a full batch: the queue may hold due jobs we have not asked for. */
  let mayHaveMore = true;

  // Taken at each claim: a service registered since may have the longest timeout, and no job may outlive its lease.
  const leaseMs = () => opts.registry.longestTimeoutMs() + (opts.leaseMarginMs ?? LEASE_MARGIN_MS);

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
          const controller = new AbortController();
          if (!started) controller.abort(ABORT_DRAIN); // claimed while stopping: put back unsent
          const done = runJob(deps, job, controller.signal)
            .then(wakeWhenDue)
            .finally(() => {
              running.delete(job.claimToken);
              if (mayHaveMore) void fill();
            });
          running.set(job.claimToken, { jobId: job.id, done, controller });
        }
      }
    } catch (err) {
      mayHaveMore = true;
      log.error({ err }, 'claim failed; retrying at the next poll');
    }
  }

  /** A job put back for later (retry, open breaker) wakes the pool when due, not at the next poll. */
  const wakeWhenDue = (dueInMs: number | undefined) => {
    if (dueInMs === undefined || !started) return;
    setTimeout(() => pool.nudge(), Math.max(0, dueInMs)).unref();
  };

  const settled = () => Promise.allSettled([...running.values()].map((r) => r.done));

  const pool: WorkerPool = {
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
    async stop(graceMs = 0) {
      started = false;
      clearInterval(timer);
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
      // The grace period starts now, even if a claim is still on its way back.
      await Promise.race([claiming, grace]);
      if (running.size > 0) log.info({ inFlight: running.size, graceMs }, 'draining');
      await Promise.race([settled(), grace]);
      clearTimeout(graceTimer);
      for (const { controller } of running.values()) controller.abort(ABORT_DRAIN);
      // A claim that returns after this point sees `started` false and aborts its jobs at once.
      await claiming;
      await settled();
      log.info('worker pool stopped');
    },
    nudge() {
      mayHaveMore = true;
      void fill();
    },
    abort(jobId) {
      for (const run of running.values()) if (run.jobId === jobId) run.controller.abort(ABORT_CANCEL);
    },
    inFlight: () => running.size,
  };
  return pool;
}
