// Hostile callbacks on POST /callbacks/<token>: each is refused (or, for a replay or a job that no
// longer waits, answered 2xx) and changes nothing: not the job, not its attempt log, not its
// return address row. The gateway keeps answering afterwards.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCallbacks } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { PROVIDER_SECRET, signStandard, startProvider, type Provider } from '../helpers/provider';

let provider: Provider;
let t: TestApp;

beforeAll(async () => {
  provider = await startProvider();
  t = await buildTestApp({
    env: { REFUNDS_WEBHOOK_SECRET: PROVIDER_SECRET },
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
          timeout: 10m
          verify: { standardWebhooks: { secretEnv: REFUNDS_WEBHOOK_SECRET } }
          result: { status: /status, succeededWhen: [succeeded], failedWhen: [failed], output: /data }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await provider?.close();
});

const JOB = `query($id: ID!) { job(id: $id) { status output lastError updatedAt attemptLog { outcome } } }`;

/** Everything a callback could change. */
async function state(id: string) {
  const job = (await t.gql(JOB, { id })).data?.job;
  const [row] = await t.app.database.db.select().from(jobCallbacks).where(eq(jobCallbacks.jobId, id));
  return { job, row };
}

/** A job waiting for its callback, and its return address. */
async function waitingJob(correlationId: string): Promise<{ id: string; address: string }> {
  const id = await t.call('payments', 'refund', { amount: 1 }, { correlationId });
  await t.waitForStatus(id, ['WAITING_CALLBACK']);
  const address = provider.requests.find((r) => r.body.refund_request_id === correlationId)!.body.callback_url as string;
  return { id, address };
}

const good = { status: 'succeeded', data: { ok: true } };

/** POSTs `bytes` in chunks with no Content-Length (chunked), so the limit must be met while reading. */
function streamed(address: string, bytes: number): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(address, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    const chunk = 'x'.repeat(16 * 1024);
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe('hostile callbacks change nothing', () => {
  let victim: { id: string; address: string };
  beforeAll(async () => {
    victim = await waitingJob('victim');
  });

  const cases: Array<[string, () => Promise<{ status: number }>, number]> = [
    ['a wrong signature (another secret)', () => provider.deliver(victim.address, good, { secret: `whsec_${randomBytes(32).toString('base64')}` }), 401],
    ['a signature over a different body', () => provider.deliver(victim.address, good, { signedBody: JSON.stringify({ status: 'failed' }) }), 401],
    ['a garbage signature', () => provider.deliver(victim.address, good, { signature: 'v1,!!!! v1 ,, v2' }), 401],
    ['a stale timestamp', () => provider.deliver(victim.address, good, { timestamp: Math.floor(Date.now() / 1000) - 600 }), 401],
    ['a timestamp from the future', () => provider.deliver(victim.address, good, { timestamp: Math.floor(Date.now() / 1000) + 600 }), 401],
    ['a missing webhook-id', () => provider.deliver(victim.address, good, { omit: ['webhook-id'] }), 400],
    ['a missing webhook-timestamp', () => provider.deliver(victim.address, good, { omit: ['webhook-timestamp'] }), 400],
    ['a missing webhook-signature', () => provider.deliver(victim.address, good, { omit: ['webhook-signature'] }), 400],
    ['a non-JSON body, correctly signed', () => provider.deliver(victim.address, undefined, { raw: 'status=succeeded' }), 400],
    ['an oversized body, correctly signed', () => provider.deliver(victim.address, undefined, { raw: JSON.stringify({ ...good, pad: 'x'.repeat(300 * 1024) }) }), 413],
    ['an oversized body streamed without a length', () => streamed(victim.address, 300 * 1024), 413],
    ['an unknown token', () => provider.deliver(`${victim.address.slice(0, -43)}${randomBytes(32).toString('base64url')}`, good), 404],
    ['a malformed token', () => provider.deliver(`${victim.address.slice(0, -43)}..%2F..%00`, good), 404],
    ['a GET', () => fetch(victim.address), 405],
  ];

  for (const [what, send, status] of cases) {
    it(`refuses ${what} with ${status}`, async () => {
      const before = await state(victim.id);
      expect((await send()).status).toBe(status);
      expect(await state(victim.id)).toEqual(before);
      expect(before.job.status).toBe('WAITING_CALLBACK');
    });
  }

  it("refuses the token of another job: a valid signature on one job's address with another's correlation id", async () => {
    const other = await waitingJob('other');
    const before = [await state(victim.id), await state(other.id)];
    const crossed = await provider.deliver(other.address, { ...good, refund_request_id: 'victim' });
    expect(crossed.status).toBe(409);
    expect([await state(victim.id), await state(other.id)]).toEqual(before);
  });

  it('answers a callback for a cancelled job 2xx and changes nothing', async () => {
    const cancelled = await waitingJob('cancelled');
    const res = await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: cancelled.id });
    expect(res.data?.cancelJob.__typename).toBe('JobActionSuccess');
    const before = await state(cancelled.id);
    expect(before.row?.retiredAt).not.toBeNull();
    expect(await provider.deliver(cancelled.address, good)).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(await state(cancelled.id)).toEqual(before);
    expect(before.job.status).toBe('CANCELLED');
  });

  it('takes a replayed webhook-id as done (2xx, no change), even with a different body', async () => {
    const job = await waitingJob('replayed');
    const id = `msg_${randomBytes(8).toString('hex')}`;
    expect(await provider.deliver(job.address, good, { id })).toMatchObject({ status: 200, body: { status: 'received' } });
    await t.waitForStatus(job.id, ['SUCCEEDED']);
    const before = await state(job.id);
    expect(await provider.deliver(job.address, good, { id })).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await provider.deliver(job.address, { status: 'failed' }, { id })).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    // A new delivery for a job already done: answered, nothing changes either.
    expect(await provider.deliver(job.address, { status: 'failed' })).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(await state(job.id)).toEqual(before);
    expect(before.job.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['ACCEPTED', 'CALLBACK']);
  });

  it('survives a provider hanging up mid-body', async () => {
    const { port, pathname } = new URL(victim.address);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST ${pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"status":`);
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    expect((await fetch(t.url.replace('/graphql', '/healthz'))).status).toBe(200);
    expect((await state(victim.id)).job.status).toBe('WAITING_CALLBACK');
  });

  it('survives a flood of malformed requests and still takes a valid callback', async () => {
    const tokenPath = victim.address;
    const bodies = ['', 'null', '[]', '"x"', '{"status":{"$gt":""}}', '\u0000\u0001', '{'.repeat(10_000)];
    for (const raw of bodies) {
      const now = Math.floor(Date.now() / 1000);
      const headers = { 'webhook-id': 'msg_x', 'webhook-timestamp': String(now), 'webhook-signature': signStandard(PROVIDER_SECRET, 'msg_x', now, raw) };
      const res = await fetch(tokenPath, { method: 'POST', headers, body: raw });
      expect(res.status).toBeLessThan(500);
    }
    expect((await state(victim.id)).job.status).toBe('WAITING_CALLBACK');
    expect(await provider.deliver(victim.address, good)).toMatchObject({ status: 200 });
    expect((await t.waitForStatus(victim.id, ['SUCCEEDED'])).output).toEqual({ ok: true });
  });
});
