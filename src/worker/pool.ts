// The in-process worker pool: up to `concurrency` jobs at once, claimed in batches as slots free
// up, and more claimed ahead into a local queue (about as many as free up while a claim is on its
// way, at most four per slot), so that a slot that frees takes its next job without a round trip.
// A queued job is never sent after its cancel, its deadline or stop(): it is released unsent
// (PENDING again with its attempt given back, or EXPIRED past its deadline), as is one that
// waited too long. NOTIFY
// of a new job wakes it at once (nudge); the poll timer is only the fallback, and the retry after
// a failed claim, so a lost connection never turns into a hot loop. stop() drains:
// no new claims, in-flight calls and unwritten outcomes get a grace period, then the calls are
// aborted and put back, and whatever could not be written is named. Runs are tracked by claim,
// not job: a stalled run whose job was taken back and claimed again here is a second run of the
// same job, and each keeps its own slot until it ends. The store and the upstream call are
// injected (store.ts), so all of this is unit-tested with fakes.
import { hostname } from 'node:os';
import type { Logger } from '../logger';
import type { FinishMetrics } from '../metrics';
import { ABORT_CANCEL, ABORT_DRAIN } from './decide';
import type { ClaimedJob } from '../queue';
import { createOutcomeWriter } from './outcome-writer';
import { releaseJob, runJob, type ReleaseReason, type RunEnd } from './run-job';
import type { JobStore, Upstream } from './store';

/**
 * Outcome writes stop this long before the lease ends, so that the last one lands before the
 * sweeper may take the job back (a later one would be fenced out anyway, and the job called twice).
 */
const WRITE_BEFORE_LEASE_END_MS = 1_000;

/**
 * A job claimed ahead is sent only within this long of its claim; later it is released unsent.
 * Its lease covers its timeout plus a margin (queue/lease.ts: 5 s), so a call started within this
 * long still ends, and its outcome is written, before the lease runs out.
 */
const MAX_QUEUED_MS = 1_000;
/**
 * The local queue holds at most this many jobs per slot: enough that one claim brings the work of
 * several calls (a claim takes a few milliseconds, a call to a fast upstream less).
 */
const AHEAD_PER_SLOT = 4;
/** The window over which the pool counts ended runs to size its local queue. */
const TURNOVER_WINDOW_MS = 250;

interface Queued {
  job: ClaimedJob;
  /** When to stop trying to write its outcome (runJob's `until`). */
  until: number;
  claimedAt: number;
}

/** Runs ended in the last one to two windows: about how many slots free up while a claim is on its way. */
function createTurnover() {
  let windowStart = 0;
  let current = 0;
  let previous = 0;
  const roll = () => {
    const now = Date.now();
    if (now - windowStart < TURNOVER_WINDOW_MS) return;
    previous = now - windowStart < 2 * TURNOVER_WINDOW_MS ? current : 0;
    current = 0;
    windowStart = now;
  };
  return {
    ended() {
      roll();
      current++;
    },
    recent() {
      roll();
      return current + previous;
    },
  };
}

export interface WorkerPoolOptions {
  store: JobStore;
  upstream: Upstream;
  metrics: FinishMetrics;
  log: Logger;
  concurrency: number;
  pollIntervalMs: number;
  workerId?: string | undefined;
  /** Jitter source. @default Math.random */
  random?: (() => number) | undefined;
  /** Pauses between outcome writes while the database is unreachable (outcome-writer.ts). */
  writeRetry?: { initialMs?: number; maxMs?: number } | undefined;
}

export interface WorkerPool {
  readonly workerId: string;
  start(): void;
  /**
   * Stops claiming, lets in-flight calls run and unwritten outcomes be retried for `graceMs`, then
   * aborts and puts back the rest. Resolves to the jobs whose outcomes could not be written.
   */
  stop(graceMs?: number): Promise<{ unwritten: string[] }>;
  /** A job may be due: claim now rather than at the next poll. */
  nudge(): void;
  /** Aborts the job's calls if this instance is running it (it was cancelled): every claim of it here. */
  abort(jobId: string): void;
  /** Jobs this pool holds RUNNING: calls in progress, outcomes being written, jobs claimed ahead. */
  inFlight(): number;
}

export function createWorkerPool(opts: WorkerPoolOptions): WorkerPool {
  const workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
  const log = opts.log.child({ component: 'worker', workerId });
  const writer = createOutcomeWriter({ store: opts.store, log, retryInitialMs: opts.writeRetry?.initialMs, retryMaxMs: opts.writeRetry?.maxMs });
  const deps = { upstream: opts.upstream, writer, metrics: opts.metrics, log, random: opts.random ?? Math.random };
  /** In-flight runs by claim token, from the claim until their outcome is written. */
  const running = new Map<string, { jobId: string; done: Promise<void>; controller: AbortController }>();
  /** Runs whose call is not over: what `concurrency` limits. A run writing its outcome holds no slot. */
  let calling = 0;
  /** Claimed ahead, waiting for a slot: RUNNING in the database, not sent. */
  let queued: Queued[] = [];
  /** Writes of queued jobs released unsent, so that stop() waits for them. */
  const releasing = new Set<Promise<void>>();
  const turnover = createTurnover();
  /** Jobs whose outcome a run gave up on once stop() was called. */
  const unwritten: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping = false;
  /** The claim loop in progress, so stop() can wait for jobs it is about to start. */
  let claiming: Promise<void> | undefined;
  /** Set by a nudge, a poll or a full batch: the queue may hold due jobs we have not asked for. */
  let mayHaveMore = true;

  function fill(): Promise<void> {
    claiming ??= claimWhileDue().finally(() => (claiming = undefined));
    return claiming;
  }

  async function claimWhileDue(): Promise<void> {
    try {
      while (started && mayHaveMore) {
        // Free slots, plus about as many as will free up while a claim is on its way (turnover).
        const ahead = Math.min(opts.concurrency * AHEAD_PER_SLOT, turnover.recent());
        const wanted = opts.concurrency - calling + ahead - queued.length;
        if (wanted <= 0) return;
        mayHaveMore = false;
        // Taken before the claim is sent, so it is never later than the database's own lease start.
        const claimedAt = Date.now();
        const jobs = await opts.store.claim(workerId, wanted);
        if (jobs.length === wanted) mayHaveMore = true;
        // Each job's own lease (queue/lease.ts), as the claim set it.
        for (const job of jobs) queued.push({ job, until: claimedAt + job.leaseMs - WRITE_BEFORE_LEASE_END_MS, claimedAt });
        startQueued();
      }
    } catch (err) {
      mayHaveMore = true;
      log.error({ err }, 'claim failed; retrying at the next poll');
    }
  }

  /** Moves queued jobs into free slots; releases those that must not be sent (stopping, deadline passed, waited too long). */
  function startQueued() {
    const now = Date.now();
    while (queued.length > 0 && (!started || calling < opts.concurrency)) {
      const { job, until, claimedAt } = queued.shift()!;
      if (!started) release(job, 'stopping', until);
      else if (job.deadline !== null && job.deadline.getTime() <= now) release(job, 'deadline passed', until);
      else if (now - claimedAt > MAX_QUEUED_MS) release(job, 'waited too long', until);
      else run(job, until);
    }
  }

  function run(job: ClaimedJob, until: number) {
    const controller = new AbortController();
    calling++;
    // The slot frees when the call is over: the next job starts while this one's outcome is written.
    let over = false;
    const called = () => {
      if (over) return;
      over = true;
      calling--;
      turnover.ended();
      startQueued();
      if (mayHaveMore) void fill();
    };
    const done = runJob(deps, job, controller.signal, until, called)
      .then((end) => ended(job.id, end))
      .finally(() => {
        running.delete(job.claimToken);
        called(); // in case the run ended without its call ending (a bug of ours)
      });
    running.set(job.claimToken, { jobId: job.id, done, controller });
  }

  function release(job: ClaimedJob, reason: ReleaseReason, until: number) {
    const done: Promise<void> = releaseJob(deps, job, reason, until)
      .then((end) => ended(job.id, end))
      .finally(() => releasing.delete(done));
    releasing.add(done);
  }

  /** A job put back for later (retry, open breaker) wakes the pool when due, not at the next poll. */
  function ended(jobId: string, { dueInMs, unwritten: lost }: RunEnd) {
    if (lost && stopping) unwritten.push(jobId);
    if (dueInMs === undefined || !started) return;
    setTimeout(() => pool.nudge(), Math.max(0, dueInMs)).unref();
  }

  const settled = () => Promise.allSettled([...[...running.values()].map((r) => r.done), ...releasing]);

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
      stopping = true;
      clearInterval(timer);
      // Jobs waiting in the local queue were never sent: they go back at once.
      startQueued();
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
      // The grace period starts now, even if a claim is still on its way back.
      await Promise.race([claiming, grace]);
      if (running.size > 0) log.info({ inFlight: running.size, graceMs }, 'draining');
      await Promise.race([settled(), grace]);
      clearTimeout(graceTimer);
      for (const { controller } of running.values()) controller.abort(ABORT_DRAIN);
      // Outcomes still waiting for the database get one last try each.
      writer.stopRetrying();
      // A claim that returns after this point sees `started` false and releases its jobs unsent.
      await claiming;
      await settled();
      if (unwritten.length > 0) log.error({ jobIds: unwritten }, `worker pool stopped with ${unwritten.length} outcomes unwritten`);
      else log.info('worker pool stopped');
      return { unwritten: [...unwritten] };
    },
    nudge() {
      mayHaveMore = true;
      void fill();
    },
    abort(jobId) {
      for (const run of running.values()) if (run.jobId === jobId) run.controller.abort(ABORT_CANCEL);
      const cancelled = queued.filter((q) => q.job.id === jobId);
      if (cancelled.length === 0) return;
      queued = queued.filter((q) => q.job.id !== jobId);
      for (const { job, until } of cancelled) release(job, 'cancelled', until);
    },
    inFlight: () => running.size + queued.length,
  };
  return pool;
}
