// The first end-to-end slice: callService over HTTP → a job in PostgreSQL → a worker → a real
// HTTP upstream on 127.0.0.1 → jobUpdated over graphql-ws and over SSE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) {
    __typename
    ... on CallServiceSuccess { deduplicated job { id status } }
    ... on Error { message }
  }
}`;
const WATCH = `subscription Watch($id: ID!) { jobUpdated(id: $id) { id status attempts output lastError completedAt } }`;

let upstream: Upstream;
let t: TestApp;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    services: `
services:
  - name: payments
    kind: http
    baseUrl: ${upstream.url}/v1
    timeoutMs: 5000
    retry: { maxAttempts: 1 }         # retries have tests of their own
    operations:
      - name: createCharge
        method: POST
        path: /accounts/{accountId}/charges
        input:
          type: object
          required: [accountId, amount, currency]
          properties: { accountId: { type: string }, amount: { type: integer, minimum: 1 }, currency: { type: string } }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

async function call(input: Record<string, unknown>, idempotencyKey?: string) {
  const res = await t.gql(CALL, { input: { service: 'payments', operation: 'createCharge', input, idempotencyKey } });
  expect(res.errors).toBeUndefined();
  expect(res.data?.callService.__typename).toBe('CallServiceSuccess');
  return res.data!.callService.job.id as string;
}

describe('callService → worker → upstream → jobUpdated', () => {
  it('runs the call and streams PENDING/RUNNING then SUCCEEDED with the upstream body over graphql-ws', async () => {
    upstream.script('/v1/accounts/acc_1/charges', { status: 201, body: { id: 'ch_1', paid: true }, delayMs: 300 });
    const id = await call({ accountId: 'acc_1', amount: 100, currency: 'EUR' }, 'charge-acc_1-100');
    const updates = await t.subscribe(WATCH, { id });

    const statuses = updates.map((u) => u.data?.jobUpdated.status);
    expect(['PENDING', 'RUNNING']).toContain(statuses[0]);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    expect(updates.at(-1)?.data?.jobUpdated).toMatchObject({ id, attempts: 1, output: { id: 'ch_1', paid: true }, lastError: null });

    const received = upstream.requests.filter((r) => r.path === '/v1/accounts/acc_1/charges');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', body: { amount: 100, currency: 'EUR' } });
    expect(received[0]?.headers['idempotency-key']).toBe('charge-acc_1-100');
    expect(received[0]?.headers['content-type']).toMatch(/application\/json/);
  });

  it('sends the job id as Idempotency-Key when the client gave no key', async () => {
    upstream.script('/v1/accounts/acc_2/charges', { status: 200, body: { ok: 1 } });
    const id = await call({ accountId: 'acc_2', amount: 5, currency: 'EUR' });
    const updates = await t.subscribe(WATCH, { id });
    expect(updates.at(-1)?.data?.jobUpdated.status).toBe('SUCCEEDED');
    expect(upstream.requests.find((r) => r.path === '/v1/accounts/acc_2/charges')?.headers['idempotency-key']).toBe(id);
  });

  it('ends FAILED with lastError when the upstream answers 500, and logs the attempt', async () => {
    upstream.script('/v1/accounts/acc_500/charges', { status: 500, body: { error: 'database on fire' } });
    const id = await call({ accountId: 'acc_500', amount: 1, currency: 'EUR' });
    const updates = await t.subscribe(WATCH, { id });
    const last = updates.at(-1)?.data?.jobUpdated;
    expect(last).toMatchObject({ status: 'FAILED', output: null });
    expect(last.lastError).toMatch(/HTTP 500.*database on fire/);

    const res = await t.gql(`query($id: ID!) { job(id: $id) { attemptLog { attempt outcome httpStatus error request } } }`, { id });
    expect(res.data?.job.attemptLog).toMatchObject([{ attempt: 1, outcome: 'HTTP_ERROR', httpStatus: 500 }]);
    expect(res.data?.job.attemptLog[0].request).toMatchObject({ method: 'POST', url: `${upstream.url}/v1/accounts/acc_500/charges` });
  });

  it('returns the first job with deduplicated: true for a repeated idempotency key, and calls once', async () => {
    const input = { service: 'payments', operation: 'createCharge', input: { accountId: 'acc_3', amount: 7, currency: 'EUR' }, idempotencyKey: 'once-only' };
    const first = await t.gql(CALL, { input });
    const second = await t.gql(CALL, { input });
    expect(first.data?.callService.deduplicated).toBe(false);
    expect(second.data?.callService).toMatchObject({ deduplicated: true, job: { id: first.data?.callService.job.id } });
    await t.subscribe(WATCH, { id: first.data?.callService.job.id });
    expect(upstream.requests.filter((r) => r.path === '/v1/accounts/acc_3/charges')).toHaveLength(1);
  });

  it('streams the same job over SSE', async () => {
    upstream.script('/v1/accounts/acc_sse/charges', { status: 200, body: { via: 'sse' }, delayMs: 200 });
    const id = await call({ accountId: 'acc_sse', amount: 3, currency: 'EUR' });
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: WATCH, variables: { id } }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text(); // Yoga ends the stream when the subscription completes.
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)))
      .filter((e) => e.data);
    expect(['PENDING', 'RUNNING']).toContain(events[0].data.jobUpdated.status);
    expect(events.at(-1).data.jobUpdated).toMatchObject({ status: 'SUCCEEDED', output: { via: 'sse' } });
  });

  it('answers /healthz and /readyz', async () => {
    const base = t.url.replace('/graphql', '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('pages through jobs newest first with a cursor', async () => {
    const page1 = await t.gql(`{ jobs(first: 2) { edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }`);
    const page2 = await t.gql(`query($after: String) { jobs(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }`, {
      after: page1.data?.jobs.pageInfo.endCursor,
    });
    const all = await t.gql(`{ jobs(first: 100) { edges { node { id } } } }`);
    const ids = (r: typeof all) => r.data?.jobs.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(page1.data?.jobs.pageInfo.hasNextPage).toBe(true);
    expect([...ids(page1), ...ids(page2)]).toEqual(ids(all));
    expect(page2.data?.jobs.pageInfo.hasNextPage).toBe(false);
    const failed = await t.gql(`{ jobs(status: FAILED) { edges { node { status } } } }`);
    expect(failed.data?.jobs.edges.map((e: { node: { status: string } }) => e.node.status)).toEqual(['FAILED']);
  });
});
