// The worker pool with a fake store and a fake upstream, on fake timers: claiming as slots free,
// wake-ups when a put-back job is due, cancel, drain, per-claim bookkeeping, and outcomes kept
// through a database outage until the lease is about to run out.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallResult } from '../../src/clients/types';
import type { AttemptRecord, ClaimedJob } from '../../src/queue';
import { DEFAULT_RETRY } from '../../src/registry';
import type { Decision } from '../../src/worker/decide';
import { createWorkerPool, type WorkerPool } from '../../src/worker/pool';
import type { Attempted, JobStore, Upstream } from '../../src/worker/store';

const LEASE_MS = 30_000;
const POLL_MS = 60_000;
const request = { method: 'POST', url: 'http://upstream/x', headers: {} };
const log = pino({ level: 'silent' });

let seq = 0;
const claimOf = (jobId: string, over: Partial<ClaimedJob> = {}): ClaimedJob =>
  ({ id: jobId, claimToken: `token-${++seq}`, service: 's', operation: 'o', attempts: 1, maxAttempts: 3, deadline: null, leaseMs: LEASE_MS, ...over }) as ClaimedJob;

/** A database that hands out queued claims and records writes; `down` makes every statement fail as a refused connection. */
function fakeStore() {
  const queue: ClaimedJob[] = [];
  const writes: { jobId: string; token: string; decision: Decision; attempt: AttemptRecord | undefined }[] = [];
  const state = { down: false, brokenStatement: false, claims: 0 };
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const store: JobStore = {
    async claim(_worker, limit) {
      state.claims++;
      if (state.down) throw refused();
      return queue.splice(0, limit);
    },
    async write(job, decision, attempt) {
      if (state.down) throw refused();
      if (state.brokenStatement) throw Object.assign(new Error('syntax error'), { code: '42601' });
      writes.push({ jobId: job.id, token: job.claimToken, decision, attempt });
      const status = ({ succeed: 'succeeded', fail: 'failed', expire: 'expired' } as const)[decision.kind as 'succeed'] ?? 'pending';
      return { id: job.id, status, attempts: job.attempts, runAt: new Date() };
    },
  };
  return { store, queue, writes, state };
}

/** An upstream whose calls end when the test says so (or when aborted). */
function fakeUpstream() {
  const pending = new Map<string, (r: Partial<CallResult>) => void>();
  const calls: string[] = [];
  const upstream: Upstream = (job, signal) =>
    new Promise<Attempted>((resolve) => {
      calls.push(job.claimToken);
      const end = (r: Partial<CallResult>, abortedBy?: 'drain' | 'cancel') => {
        pending.delete(job.claimToken);
        const result: CallResult = { outcome: 'success', retryable: false, request, ...r };
        resolve({ outcome: { kind: 'called', result, abortedBy }, attempt: { attempt: job.attempts, outcome: result.outcome } as AttemptRecord, retry: DEFAULT_RETRY });
      };
      const aborted = () => end({ outcome: 'aborted' }, signal.reason as 'drain' | 'cancel');
      pending.set(job.claimToken, end);
      if (signal.aborted) aborted();
      else signal.addEventListener('abort', aborted, { once: true });
    });
  const answer = (job: ClaimedJob, r: Partial<CallResult> = { output: 'ok' }) => pending.get(job.claimToken)?.(r);
  return { upstream, calls, pending, answer };
}

let store: ReturnType<typeof fakeStore>;
let up: ReturnType<typeof fakeUpstream>;
let pool: WorkerPool;
const finished = vi.fn();

function startPool(concurrency = 2) {
  pool = createWorkerPool({
    store: store.store,
    upstream: up.upstream,
    metrics: { jobFinished: finished, followUpsCreated: () => {} },
    log,
    concurrency,
    pollIntervalMs: POLL_MS,
    workerId: 'w1',
    random: () => 0.5,
  });
  pool.start();
}
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
  store = fakeStore();
  up = fakeUpstream();
  finished.mockReset();
});
afterEach(async () => {
  const stopped = pool?.stop(0);
  await tick(10);
  await stopped;
  vi.useRealTimers();
});

describe('worker pool', () => {
  it('claims only as many jobs as it has free slots, and claims again as soon as one frees up', async () => {
    const [a, b, c] = [claimOf('a'), claimOf('b'), claimOf('c')];
    store.queue.push(a, b, c);
    startPool(2);
    await tick();
    expect(up.calls).toEqual([a.claimToken, b.claimToken]);
    expect(pool.inFlight()).toBe(2);
    up.answer(a);
    await tick();
    // No poll has passed: the freed slot claimed the next job at once.
    expect(up.calls).toEqual([a.claimToken, b.claimToken, c.claimToken]);
    expect(store.writes[0]).toMatchObject({ jobId: 'a', decision: { kind: 'succeed', output: 'ok' } });
    expect(finished).toHaveBeenCalledWith('s', 'o', 'succeeded');
  });

  it('wakes up when a rescheduled job is due, not at the next poll', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    up.answer(a, { outcome: 'http_error', httpStatus: 503, retryable: true, retryAfterMs: 2_000 });
    await tick();
    expect(store.writes[0]?.decision).toEqual({ kind: 'retry', delayMs: 2_000, error: 'http_error' });
    const claimsBefore = store.state.claims;
    await tick(1_999);
    expect(store.state.claims).toBe(claimsBefore);
    await tick(1);
    expect(store.state.claims).toBe(claimsBefore + 1);
  });

  it('aborts a cancelled job’s call and only records its attempt', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    pool.abort('a');
    await tick();
    expect(store.writes).toEqual([{ jobId: 'a', token: a.claimToken, decision: { kind: 'record_only' }, attempt: expect.anything() }]);
    expect(pool.inFlight()).toBe(0);
  });

  it('tracks runs by claim: two claims of one job each keep their slot, and cancel aborts both', async () => {
    const first = claimOf('a');
    const second = claimOf('a', { attempts: 2 });
    store.queue.push(first);
    startPool(2);
    await tick();
    store.queue.push(second);
    pool.nudge();
    await tick();
    expect(pool.inFlight()).toBe(2);
    up.answer(second);
    await tick();
    // The newer run's end frees its own slot only.
    expect(pool.inFlight()).toBe(1);
    pool.abort('a');
    await tick();
    expect(pool.inFlight()).toBe(0);
    expect(store.writes.map((w) => [w.token, w.decision.kind])).toEqual([
      [second.claimToken, 'succeed'],
      [first.claimToken, 'record_only'],
    ]);
  });

  it('drains: calls that end within the grace are written, the rest are aborted and put back', async () => {
    const [a, b] = [claimOf('a'), claimOf('b')];
    store.queue.push(a, b);
    startPool(2);
    await tick();
    const stopped = pool.stop(5_000);
    await tick(1_000);
    up.answer(a);
    await tick(4_000);
    expect(await stopped).toEqual({ unwritten: [] });
    expect(store.writes.map((w) => [w.jobId, w.decision])).toEqual([
      ['a', { kind: 'succeed', output: 'ok' }],
      ['b', { kind: 'put_back', runAt: null, reason: 'instance shut down during the call' }],
    ]);
  });

  it('puts back unsent a job whose claim returns after stop() was called', async () => {
    let release: (jobs: ClaimedJob[]) => void = () => {};
    store.store.claim = () => new Promise((resolve) => (release = resolve));
    startPool(1);
    await tick();
    const stopped = pool.stop(0);
    const late = claimOf('late');
    release([late]);
    await tick(10);
    await stopped;
    expect(store.writes).toEqual([{ jobId: 'late', token: late.claimToken, decision: expect.objectContaining({ kind: 'put_back' }), attempt: undefined }]);
    expect(up.calls).toEqual([]);
  });

  describe('local queue', () => {
    /** One slot: a runs; once it ends, b takes the slot and c is claimed ahead into the local queue. */
    async function withQueued(c: ClaimedJob) {
      const [a, b] = [claimOf('a'), claimOf('b')];
      store.queue.push(a, b, c);
      startPool(1);
      await tick();
      expect(up.calls).toEqual([a.claimToken]);
      up.answer(a);
      await tick();
      expect(up.calls).toEqual([a.claimToken, b.claimToken]);
      expect(store.queue).toEqual([]);
      return b;
    }

    it('claims ahead, and a freed slot takes the job it queued before the slot freed', async () => {
      const c = claimOf('c');
      // withQueued leaves the store empty: c can only come from the pool's own queue.
      const b = await withQueued(c);
      expect(up.calls).not.toContain(c.claimToken);
      // c is RUNNING in the database while it waits: the heartbeat's in-flight count includes it.
      expect(pool.inFlight()).toBe(2);
      up.answer(b);
      await tick();
      expect(up.calls.at(-1)).toBe(c.claimToken);
    });

    it('releases a queued job that is cancelled unsent, and never sends it', async () => {
      const c = claimOf('c');
      const b = await withQueued(c);
      pool.abort('c');
      await tick();
      expect(store.writes.at(-1)).toEqual({ jobId: 'c', token: c.claimToken, decision: { kind: 'put_back', runAt: null, reason: 'released unsent: cancelled' }, attempt: undefined });
      up.answer(b);
      await tick(5_000);
      expect(up.calls).not.toContain(c.claimToken);
    });

    it('expires a queued job whose deadline passes while it waits, unsent, with an expired attempt row', async () => {
      const c = claimOf('c', { deadline: new Date(Date.now() + 500) });
      const b = await withQueued(c);
      await tick(600);
      up.answer(b);
      await tick();
      expect(up.calls).not.toContain(c.claimToken);
      expect(store.writes.find((w) => w.jobId === 'c')).toMatchObject({ jobId: 'c', decision: { kind: 'expire' }, attempt: { outcome: 'expired', durationMs: 0 } });
      expect(finished).toHaveBeenCalledWith('s', 'o', 'expired');
    });

    it('releases a job that waited too long (its call could outlive the lease), unsent', async () => {
      const c = claimOf('c');
      const b = await withQueued(c);
      await tick(1_500);
      up.answer(b);
      await tick();
      expect(up.calls).not.toContain(c.claimToken);
      expect(store.writes.find((w) => w.jobId === 'c')).toMatchObject({ jobId: 'c', decision: { kind: 'put_back', reason: 'released unsent: waited too long' }, attempt: undefined });
    });

    it('drains: queued jobs are released unsent at once, the running call keeps its grace', async () => {
      const c = claimOf('c');
      const b = await withQueued(c);
      const stopped = pool.stop(5_000);
      await tick();
      expect(store.writes.at(-1)).toEqual({ jobId: 'c', token: c.claimToken, decision: { kind: 'put_back', runAt: null, reason: 'released unsent: stopping' }, attempt: undefined });
      up.answer(b);
      await tick();
      expect(await stopped).toEqual({ unwritten: [] });
      expect(up.calls).not.toContain(c.claimToken);
      expect(store.writes.map((w) => [w.jobId, w.decision.kind])).toEqual([
        ['a', 'succeed'],
        ['c', 'put_back'],
        ['b', 'succeed'],
      ]);
    });
  });

  it('keeps an outcome through a database outage shorter than the lease and writes it once the database is back', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    store.state.down = true;
    up.answer(a);
    await tick(10_000);
    expect(store.writes).toEqual([]);
    expect(pool.inFlight()).toBe(1);
    store.state.down = false;
    await tick(2_000);
    expect(store.writes).toMatchObject([{ jobId: 'a', decision: { kind: 'succeed' } }]);
    expect(up.calls).toHaveLength(1);
    expect(pool.inFlight()).toBe(0);
  });

  it('gives an outcome up shortly before its lease runs out', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    store.state.down = true;
    up.answer(a);
    await tick(LEASE_MS - 3_000);
    expect(pool.inFlight()).toBe(1);
    await tick(3_000);
    // Given up before the lease's end, so no write can land after the sweeper took the job back.
    expect(pool.inFlight()).toBe(0);
    expect(store.writes).toEqual([]);
  });

  it('gives each outcome up by its own job’s lease, not another’s', async () => {
    const [short, long] = [claimOf('short', { leaseMs: 10_000 }), claimOf('long')];
    store.queue.push(short, long);
    startPool(2);
    await tick();
    store.state.down = true;
    up.answer(short);
    up.answer(long);
    await tick(10_000);
    // The short job's lease is about to end: its write is given up; the long one's is still tried.
    expect(pool.inFlight()).toBe(1);
    store.state.down = false;
    await tick(2_000);
    expect(store.writes).toMatchObject([{ jobId: 'long', decision: { kind: 'succeed' } }]);
  });

  it('gives up at once on an error that is not an outage', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    store.state.brokenStatement = true;
    up.answer(a);
    await tick();
    expect(pool.inFlight()).toBe(0);
  });

  it('keeps trying for the drain’s grace when stopped during an outage, then names the unwritten jobs', async () => {
    const [a, b] = [claimOf('a'), claimOf('b')];
    store.queue.push(a, b);
    startPool(2);
    await tick();
    store.state.down = true;
    up.answer(a);
    await tick(1_000);
    const stopped = pool.stop(5_000);
    await tick(4_999);
    let done = false;
    void stopped.then(() => (done = true));
    await tick(0);
    expect(done).toBe(false);
    await tick(1);
    // a's success and b's put-back (its call aborted by the drain) never reached the database.
    expect((await stopped).unwritten.sort()).toEqual(['a', 'b']);
  });

  it('writes an outcome whose database comes back during the drain', async () => {
    const a = claimOf('a');
    store.queue.push(a);
    startPool(1);
    await tick();
    store.state.down = true;
    up.answer(a);
    const stopped = pool.stop(10_000);
    await tick(3_000);
    store.state.down = false;
    await tick(3_000);
    expect(await stopped).toEqual({ unwritten: [] });
    expect(store.writes).toMatchObject([{ jobId: 'a', decision: { kind: 'succeed' } }]);
  });
});
