// Async operations end to end against a provider stub: the request carries the return address and
// correlation id, the job waits for the signed callback (or times out), a callback racing the 2xx
// completes the job once, retryJob sends a new return address, and a subscription sees each step.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCallbacks } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { PROVIDER_SECRET, startProvider, type Provider } from '../helpers/provider';

let provider: Provider;
let t: TestApp;

const HMAC_SECRET = 'notify-provider-secret';
const RESULT = '{ status: /status, succeededWhen: [succeeded], failedWhen: [failed], output: /data, error: /reason }';

beforeAll(async () => {
  provider = await startProvider();
  t = await buildTestApp({
    env: { REFUNDS_WEBHOOK_SECRET: PROVIDER_SECRET, NOTIFY_SECRET: HMAC_SECRET },
    services: `
services:
  - name: payments
    kind: http
    baseUrl: ${provider.url}
    retry: { maxAttempts: 1 }
    operations:
      - name: refund
        path: /refunds
        async:
          correlationField: refund_request_id
          callbackField: callback_url
          timeout: 1m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
      - name: quick
        path: /quick
        async:
          correlationField: refund_request_id
          callbackField: callback_url
          timeout: 2s
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
      - name: racy
        path: /racy
        async:
          callbackField: callback_url
          timeout: 1m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
      - name: slow
        path: /slow
        timeoutMs: 3000
        retry: { maxAttempts: 3, initialDelayMs: 50 }
        async:
          callbackField: callback_url
          timeout: 1m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: ${RESULT}
      - name: notify
        method: GET
        path: /notify
        async:
          callbackHeader: X-Callback-Url
          timeout: 1m
          verify: { hmac: { header: X-Signature, secretEnv: NOTIFY_SECRET, algorithm: sha256, encoding: hex, prefix: "sha256=" } }
          result: { status: /event, succeededWhen: [delivered], failedWhen: [bounced] }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await provider?.close();
});

const JOB = `query($id: ID!) { job(id: $id) { status output lastError callback { expiresAt receivedAt } attemptLog { outcome request } } }`;
const job = async (id: string) => (await t.gql(JOB, { id })).data?.job;
const outcomes = async (id: string) => (await job(id)).attemptLog.map((a: { outcome: string }) => a.outcome);
/** The request the provider got for this job's correlation id. */
const sentFor = (path: string, correlationId: string) =>
  expect.poll(() => provider.requests.find((r) => r.path.startsWith(path) && r.body.refund_request_id === correlationId), { timeout: 10_000 }).toBeDefined();
const requestOf = (path: string, correlationId: string) => provider.requests.find((r) => r.path.startsWith(path) && r.body.refund_request_id === correlationId)!;

describe('an async operation', () => {
  it('sends the return address and correlation id, waits, and succeeds with the mapped output; a subscription sees each step', async () => {
    const id = await t.call('payments', 'refund', { amount: 500, callback_url: 'https://evil.example/steal' }, { correlationId: 'order-1' });
    const steps = t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status } }`, { id });
    await sentFor('/refunds', 'order-1');
    const sent = requestOf('/refunds', 'order-1');
    // The gateway's return address wins over a field of the same name in the input.
    expect(sent.body).toMatchObject({ amount: 500, refund_request_id: 'order-1' });
    expect(sent.body.callback_url).toMatch(new RegExp(`^${t.url.replace('/graphql', '')}/callbacks/[A-Za-z0-9_-]{43}$`));
    const waiting = await t.waitForStatus(id, ['WAITING_CALLBACK']);
    expect(waiting.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['ACCEPTED']);
    const { callback } = await job(id);
    expect(Date.parse(callback.expiresAt) - Date.now()).toBeGreaterThan(30_000);
    expect(callback.receivedAt).toBeNull();
    // The token is a credential: it is not in the attempt log.
    expect(JSON.stringify(await job(id))).not.toContain(sent.body.callback_url.split('/callbacks/')[1]);

    const answer = await provider.deliver(sent.body.callback_url, { refund_request_id: 'order-1', status: 'succeeded', data: { refundId: 'rf_1' } });
    expect(answer).toEqual({ status: 200, body: { status: 'received' } });
    const done = await t.waitForStatus(id, ['SUCCEEDED']);
    expect(done.output).toEqual({ refundId: 'rf_1' });
    expect(await outcomes(id)).toEqual(['ACCEPTED', 'CALLBACK']);
    expect((await job(id)).callback.receivedAt).not.toBeNull();
    const seen = (await steps).map((p) => p.data?.jobUpdated.status);
    expect(seen).toContain('WAITING_CALLBACK');
    expect(seen.at(-1)).toBe('SUCCEEDED');
  });

  it('fails with the mapped error when the callback says so, and logs a progress callback on the way', async () => {
    const id = await t.call('payments', 'refund', { amount: 1 }, { correlationId: 'order-2' });
    await t.waitForStatus(id, ['WAITING_CALLBACK']);
    const address = requestOf('/refunds', 'order-2').body.callback_url;
    expect(await provider.deliver(address, { status: 'processing' })).toEqual({ status: 200, body: { status: 'progress' } });
    expect((await job(id)).status).toBe('WAITING_CALLBACK');
    expect(await provider.deliver(address, { status: 'failed', reason: 'card expired' })).toMatchObject({ status: 200 });
    const failed = await t.waitForStatus(id, ['FAILED']);
    expect(failed.lastError).toBe('callback status "failed": card expired');
    expect(await outcomes(id)).toEqual(['ACCEPTED', 'CALLBACK', 'CALLBACK']);
  });

  it('times out at the deadline without a callback; retryJob sends a new return address and the old one stops working', async () => {
    const id = await t.call('payments', 'quick', { amount: 2 }, { correlationId: 'order-3' });
    const steps = t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status } }`, { id });
    await t.waitForStatus(id, ['WAITING_CALLBACK']);
    const { expiresAt } = (await job(id)).callback;
    const timedOut = await t.waitForStatus(id, ['TIMED_OUT'], 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(timedOut.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['ACCEPTED', 'TIMED_OUT']);
    expect((await steps).map((p) => p.data?.jobUpdated.status).slice(-2)).toEqual(['WAITING_CALLBACK', 'TIMED_OUT']);
    const old = requestOf('/quick', 'order-3').body.callback_url;
    expect(await provider.deliver(old, { status: 'succeeded' })).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect((await job(id)).status).toBe('TIMED_OUT');

    const retried = await t.gql(`mutation($id: ID!) { retryJob(id: $id) { __typename } }`, { id });
    expect(retried.data?.retryJob.__typename).toBe('JobActionSuccess');
    await expect.poll(() => provider.requests.filter((r) => r.body.refund_request_id === 'order-3').length, { timeout: 10_000 }).toBe(2);
    const fresh = provider.requests.filter((r) => r.body.refund_request_id === 'order-3')[1]!.body.callback_url;
    expect(fresh).not.toBe(old);
    await t.waitForStatus(id, ['WAITING_CALLBACK']);
    expect(await provider.deliver(old, { status: 'succeeded' })).toMatchObject({ status: 404 });
    expect((await job(id)).status).toBe('WAITING_CALLBACK');
    expect(await provider.deliver(fresh, { status: 'succeeded', data: 7 })).toMatchObject({ status: 200 });
    expect((await t.waitForStatus(id, ['SUCCEEDED'])).output).toBe(7);
  });

  it('completes once when the callback arrives before the 2xx is processed', async () => {
    let callbackAnswer: unknown;
    provider.onRequest('/racy', async (req) => {
      // The provider settles at once and reports before it even answers the request.
      callbackAnswer = await provider.deliver(req.body.callback_url, { status: 'succeeded', data: { early: true } });
    });
    const id = await t.call('payments', 'racy', { amount: 3 });
    const done = await t.waitForStatus(id, ['SUCCEEDED', 'FAILED']);
    expect(callbackAnswer).toEqual({ status: 200, body: { status: 'received' } });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ early: true });
    expect(await outcomes(id)).toEqual(['CALLBACK', 'ACCEPTED']);
    expect((await job(id)).callback.receivedAt).not.toBeNull();
  });

  it('is not sent again when the callback settled it but the request then timed out on our side', async () => {
    provider.onRequest('/slow', async (req) => {
      // The provider reports at once, then answers too late: our attempt times out (retryable).
      // Delivery gets most of the 3 s timeout, even on a busy machine.
      await provider.deliver(req.body.callback_url, { status: 'succeeded', data: { settled: true } });
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    });
    const id = await t.call('payments', 'slow', { amount: 4 });
    const done = await t.waitForStatus(id, ['SUCCEEDED', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ settled: true });
    expect(await outcomes(id)).toEqual(['CALLBACK', 'TIMEOUT']);
    expect(provider.requests.filter((r) => r.path === '/slow')).toHaveLength(1);
    // The job ended with the callback: its token retired with it.
    const [row] = await t.app.database.db.select({ retiredAt: jobCallbacks.retiredAt }).from(jobCallbacks).where(eq(jobCallbacks.jobId, id));
    expect(row?.retiredAt).toBeInstanceOf(Date);
  });

  it('sends the return address in a header (redacted in the log) and takes a provider-HMAC callback', async () => {
    const id = await t.call('payments', 'notify', { to: 'a@example.com' });
    await t.waitForStatus(id, ['WAITING_CALLBACK']);
    const sent = provider.requests.find((r) => r.path.startsWith('/notify?to='))!;
    const address = sent.headers['x-callback-url'] as string;
    expect(address).toMatch(/\/callbacks\/[A-Za-z0-9_-]{43}$/);
    expect((await job(id)).attemptLog[0].request.headers['x-callback-url']).toBe('[redacted]');
    const hmac = { header: 'X-Signature', secret: HMAC_SECRET, encoding: 'hex' as const, prefix: 'sha256=' };
    expect(await provider.deliver(address, { event: 'delivered' }, { hmac: { ...hmac, secret: 'wrong' } })).toMatchObject({ status: 401 });
    expect(await provider.deliver(address, { event: 'delivered' }, { hmac })).toMatchObject({ status: 200 });
    expect((await t.waitForStatus(id, ['SUCCEEDED'])).output).toEqual({ event: 'delivered' });
  });
});
