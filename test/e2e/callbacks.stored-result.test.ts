// A provider's callback that arrives while our request is still running is its answer, even when
// that request then fails for good: the job ends with the callback's result, nothing is sent
// again, and the return address retires. Through the worker (the request gets a non-retryable 4xx
// on its last attempt) and through the sweeper (the worker dies before writing anything).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armReturnAddress } from '../../src/callbacks/arm';
import { jobCallbacks } from '../../src/db/schema';
import { claimJobs } from '../../src/queue';
import { buildTestApp, type TestApp } from '../helpers/app';
import { PROVIDER_SECRET, startProvider, type Provider } from '../helpers/provider';

const RESULT = '{ status: /status, succeededWhen: [succeeded], failedWhen: [failed], output: /data, error: /reason }';
/** The batch operation's timeout; its lease is this plus the 5 s margin. */
const BATCH_TIMEOUT_MS = 300;

const servicesOf = (providerUrl: string) => `
services:
  - name: payments
    kind: http
    baseUrl: ${providerUrl}
    retry: { maxAttempts: 1 }
    operations:
      - name: refund
        path: /refunds
        async:
          callbackField: callback_url
          timeout: 1m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
      - name: batch
        path: /batches
        timeoutMs: ${BATCH_TIMEOUT_MS}
        async:
          callbackField: callback_url
          timeout: 1m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
`;

const JOB = `query($id: ID!) { job(id: $id) { status output lastError attempts attemptLog { attempt outcome httpStatus } } }`;

let provider: Provider;
beforeAll(async () => {
  provider = await startProvider();
});
afterAll(async () => provider?.close());

const retiredAt = async (t: TestApp, id: string) =>
  (await t.app.database.db.select({ retiredAt: jobCallbacks.retiredAt }).from(jobCallbacks).where(eq(jobCallbacks.jobId, id)))[0]?.retiredAt;

describe('a callback stored during the request, when the worker then fails the request for good', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ services: servicesOf(provider.url), env: { REFUNDS_WEBHOOK_SECRET: PROVIDER_SECRET } });
  });
  afterAll(async () => t?.stop());

  it('ends the job with the callback’s result, sends nothing again and retires the token', async () => {
    let delivered: unknown;
    provider.onRequest('/refunds', async (req) => {
      // The provider does the work and reports it, then answers the request with a 4xx (a quirk of its API).
      delivered = await provider.deliver(req.body.callback_url, { status: 'succeeded', data: { refundId: 'rf_9' } });
      return { status: 409, body: { error: 'refund already in progress' } };
    });
    const id = await t.call('payments', 'refund', { amount: 9 });
    const done = await t.waitForJob(id, (job) => !['PENDING', 'RUNNING'].includes(job.status));
    expect(delivered).toEqual({ status: 200, body: { status: 'received' } });
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { refundId: 'rf_9' }, lastError: null, attempts: 1 });
    // Both happened and are logged: the callback, and the request's own 409.
    expect(done.attemptLog).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'CALLBACK' }), expect.objectContaining({ outcome: 'HTTP_ERROR', httpStatus: 409 })]),
    );
    expect(provider.requests.filter((r) => r.path === '/refunds')).toHaveLength(1);
    expect(await retiredAt(t, id)).toBeInstanceOf(Date);
    expect((await t.gql(JOB, { id })).data?.job.status).toBe('SUCCEEDED');
  });
});

describe('a callback stored during the request, when the worker dies and the sweeper takes the job back', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No workers: the test claims and arms the job as a worker would, then "dies".
    t = await buildTestApp({ services: servicesOf(provider.url), env: { REFUNDS_WEBHOOK_SECRET: PROVIDER_SECRET, WORKER_CONCURRENCY: '0' } });
  });
  afterAll(async () => t?.stop());

  it('ends the job with the callback’s result on its last attempt and with attempts left', async () => {
    const db = t.app.database.db;
    const last = await t.call('payments', 'batch', { n: 1 });
    const more = await t.call('payments', 'batch', { n: 2 }, { maxAttempts: 3 });
    const claimed = await claimJobs(db, 'crashed-worker', 2);
    expect(claimed.map((j) => j.id).sort()).toEqual([last, more].sort());
    for (const job of claimed) {
      const armed = await armReturnAddress(db, job, t.url.replace(/\/graphql$/, ''));
      if (armed.kind !== 'armed') throw new Error(`not armed: ${armed.kind}`);
      // The request is "on its way" (the job is RUNNING): the provider's callback is stored.
      const delivered = await provider.deliver(armed.address.url, { status: 'succeeded', data: { batch: job.id } });
      expect(delivered).toEqual({ status: 200, body: { status: 'received' } });
    }

    for (const id of [last, more]) {
      // The worker never writes: once its lease has run out, the sweeper ends the job with the stored result.
      const done = await t.waitForJob(id, (job) => job.status !== 'RUNNING', BATCH_TIMEOUT_MS + 15_000);
      expect(done).toMatchObject({ status: 'SUCCEEDED', output: { batch: id }, lastError: null });
      expect(done.attemptLog.map((a: { outcome: string }) => a.outcome).sort()).toEqual(['CALLBACK', 'LOST']);
      expect(await retiredAt(t, id)).toBeInstanceOf(Date);
    }
    expect(provider.requests.filter((r) => r.path === '/batches')).toEqual([]);
  }, 30_000);
});
