// Fenced claims: a worker stalls after its call was answered until its lease runs out; the sweeper
// takes the job back and the same pool claims it again. Whatever the stale run then writes is
// discarded (its attempt says so), the newer claim's result stands, each run keeps its own slot,
// and cancelling the job aborts the run that holds it.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import { createMockClient } from '../../src/clients/mock';
import type { UpstreamClient } from '../../src/clients/types';
import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import { createMetrics } from '../../src/metrics';
import { cancelJob, enqueueJob, getJob, leaseMsFor, listAttempts, recoverExpiredLeases } from '../../src/queue';
import { loadRegistry, parseServices } from '../../src/registry';
import { createBreakers } from '../../src/worker/breakers';
import { armReturnAddress } from '../../src/callbacks/arm';
import { createUpstream } from '../../src/worker/call-upstream';
import { createWorkerPool, type WorkerPool } from '../../src/worker/pool';
import { createJobStore } from '../../src/worker/store';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';
import { startUpstream, type Step, type Upstream } from '../helpers/upstream';

/** Lease = timeout + margin = 6 s: short enough to run out while the first run is stalled. */
const TIMEOUT_MS = 1_000;

const t = useTestDatabase();
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream.close());

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A pool whose first call stalls after the upstream answered it, until released: a worker stuck
 * (GC pause, frozen VM, starved event loop) between the call and writing its outcome.
 */
async function stallingPool(path: string, ...steps: Step[]) {
  const db = t.database.db;
  const log = pino({ level: 'silent' });
  const services = parseServices(`
services:
  - name: shop
    kind: http
    baseUrl: ${upstream.url}
    retry: { maxAttempts: 3 }
    operations:
      - name: ${path.slice(1)}
        path: ${path}
        timeoutMs: ${TIMEOUT_MS}
`);
  upstream.script(path, ...steps);
  const http = createHttpClient({ secret: () => undefined });
  let release = () => {};
  const stalled = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const stalling: UpstreamClient = {
    async call(req) {
      const first = ++calls === 1;
      const result = await http.call(req);
      if (first) await stalled;
      return result;
    },
    close: () => http.close(),
  };
  const registry = await loadRegistry(db, services, log);
  const metrics = createMetrics();
  const pool: WorkerPool = createWorkerPool({
    store: createJobStore(db, { registry, maxInputBytes: 262_144 }),
    upstream: createUpstream({
      registry,
      clients: { http: stalling, mock: createMockClient({ seed: 1 }) },
      breakers: createBreakers({ log }),
      metrics,
      armReturnAddress: (job) => armReturnAddress(db, job, 'http://127.0.0.1:1'),
    }),
    metrics,
    log,
    concurrency: 4,
    pollIntervalMs: 100,
  });
  pool.start();
  const { job } = await enqueueJob(db, newJob({ service: 'shop', operation: path.slice(1), maxAttempts: 3, leaseMs: leaseMsFor(TIMEOUT_MS) }));
  const received = (n: number) => upstream.requests.filter((r) => r.path === path).length >= n;
  await waitFor('the first call to be answered', () => received(1));
  // The lease runs out while the first run is stuck; the sweeper takes the job back, the pool claims it again.
  await waitFor('the sweeper to take the job back', async () => (await recoverExpiredLeases(db, { registry, maxInputBytes: 262_144 })).some((j) => j.id === job.id));
  pool.nudge();
  await waitFor('the second call', () => received(2));
  const stop = async () => {
    await pool.stop();
    await stalling.close();
  };
  return { db, pool, id: job.id, release, stop };
}

const readJob = (id: string) => getJob(t.database.db, DEFAULT_TENANT_ID, id);

describe('fenced claims', () => {
  it('keeps the newer attempt’s result when the stale worker finishes last, and logs both attempts', async () => {
    const { db, pool, id, release, stop } = await stallingPool(
      '/charge',
      { status: 200, body: { answer: 'first' } },
      { status: 200, body: { answer: 'second' } },
    );
    await waitFor('the newer claim to succeed', async () => (await readJob(id))?.status === 'succeeded');
    // The stalled run still holds its own slot; the newer run's end did not free it.
    expect(pool.inFlight()).toBe(1);

    release();
    await waitFor('the stale run to end', () => pool.inFlight() === 0);
    expect(await readJob(id)).toMatchObject({ status: 'succeeded', output: { answer: 'second' }, attempts: 2, claimToken: null });
    const log = await listAttempts(db, id);
    expect(log).toHaveLength(2);
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attempt: 1, outcome: 'superseded', httpStatus: 200, error: expect.stringMatching(/^result discarded: the lease ran out/) }),
        expect.objectContaining({ attempt: 2, outcome: 'success', httpStatus: 200 }),
      ]),
    );
    // Both calls carried the same key, so the upstream could tell it was one job.
    const keys = upstream.requests.filter((r) => r.path === '/charge').map((r) => r.headers['idempotency-key']);
    expect(new Set(keys)).toEqual(new Set([id]));
    await stop();
  });

  it('never lets the stale worker finish the newer claim, and cancel aborts the run that holds the job', async () => {
    const { db, pool, id, release, stop } = await stallingPool('/refund', { status: 200, body: { answer: 'first' } }, { hang: true });
    release();
    await waitFor('the stale run to end', () => pool.inFlight() === 1);
    // The stale run's success was discarded: the job is still the newer claim's, running.
    const job = await readJob(id);
    expect(job).toMatchObject({ status: 'running', attempts: 2, output: null });
    expect(job?.claimToken).toEqual(expect.any(String));
    expect(await listAttempts(db, id)).toMatchObject([{ attempt: 1, outcome: 'superseded', httpStatus: 200 }]);

    expect(await cancelJob(db, DEFAULT_TENANT_ID, id)).toMatchObject({ kind: 'done' });
    pool.abort(id);
    await waitFor('the newer run to stop', () => pool.inFlight() === 0);
    expect(await readJob(id)).toMatchObject({ status: 'cancelled', output: null });
    const log = await listAttempts(db, id);
    expect(log.map((a) => [a.attempt, a.outcome])).toEqual(
      expect.arrayContaining([
        [1, 'superseded'],
        [2, 'aborted'],
      ]),
    );
    expect(log).toHaveLength(2);
    await stop();
  });
});
